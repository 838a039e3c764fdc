/* \summary: flowtap flows (being written). */
#include <stdio.h>

#include "cli.h"

int cmd_flows_main(int argc, char **argv)
{
	fprintf(stderr, "flowtap: 'flows' is not available in this build yet\n");
	return 1;
}
