/* \summary: flowtap read (being written). */
#include <stdio.h>

#include "cli.h"

int cmd_read_main(int argc, char **argv)
{
	fprintf(stderr, "flowtap: 'read' is not available in this build yet\n");
	return 1;
}
