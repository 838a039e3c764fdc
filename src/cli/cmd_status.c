/* \summary: flowtap status (being written). */
#include <stdio.h>

#include "cli.h"

int cmd_status_main(int argc, char **argv)
{
	fprintf(stderr, "flowtap: 'status' is not available in this build yet\n");
	return 1;
}
