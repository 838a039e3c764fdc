/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: flowtap dump --last D: what a tap's flight recorder holds of the
 * last D, then the command ends ("what happened in the last minute?").
 *
 * It is flowtap capture --since D with the history only: the same options
 * (tap, filter, paths, drops, -w/-o and every format), so it is spelled as
 * that command here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: flowtap dump --last D [-w FILE | -o FILE] [--format FMT] [capture "
		   "options] [EXPRESSION...]\n"
		   "\n"
		   "Write what the tap's flight recorder (flowtapd or flowtap-tunnel --recorder)\n"
		   "holds of the last D (500ms, 30s, 1m; plain seconds), then end. Without -w/-o\n"
		   "the packets are printed as text. Every option of flowtap capture applies;\n"
		   "pcapng files say in their section comment which window the recorder held.\n"
		   "  --last D        how far back (required)\n");
}

int cmd_dump_main(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	int n = 0, ret;
	bool last = false;

	if (!args) {
		fprintf(stderr, "flowtap dump: out of memory\n");
		return 1;
	}
	args[n++] = "capture";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			free(args);
			return 0;
		}
		if (!strcmp(argv[i], "--last") || !strncmp(argv[i], "--last=", 7)) {
			args[n++] = "--since";
			if (argv[i][6] == '=') {
				args[n++] = argv[i] + 7;
			} else if (i + 1 < argc) {
				args[n++] = argv[++i];
			} else {
				fprintf(stderr,
					"flowtap dump: --last needs a duration (e.g. 60s)\n");
				free(args);
				return 2;
			}
			last = true;
			continue;
		}
		args[n++] = argv[i];
	}
	if (!last) {
		fprintf(stderr, "flowtap dump: --last D is required (e.g. --last 60s)\n");
		usage(stderr);
		free(args);
		return 2;
	}
	args[n++] = "--history-only";
	ret = cmd_capture_main(n, args);
	free(args);
	return ret;
}
