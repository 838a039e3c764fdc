/* \summary: flowtap dissector (being written). */
#include <stdio.h>

#include "cli.h"

int cmd_dissector_main(int argc, char **argv)
{
	fprintf(stderr, "flowtap: 'dissector' is not available in this build yet\n");
	return 1;
}
