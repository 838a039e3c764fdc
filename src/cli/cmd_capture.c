/* \summary: flowtap capture (being written). */
#include <stdio.h>

#include "cli.h"

int cmd_capture_main(int argc, char **argv)
{
	fprintf(stderr, "flowtap: 'capture' is not available in this build yet\n");
	return 1;
}
