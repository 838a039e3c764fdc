/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the flowtap command: a table of subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/common.h>

#include "anon_cli.h"
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
    {"read", cmd_read_main, "Print or rewrite a capture file (pcap, pcapng, user0)"},
    {"capture", cmd_capture_main, "Capture live from a running datapath's tap"},
    {"dump", cmd_dump_main, "Write what a tap's flight recorder holds of the last D"},
    {"flows", cmd_flows_main, "Print flow-log messages, live or computed from a file"},
    {"status", cmd_status_main, "Show the taps and sessions of a running datapath"},
    {"trigger", cmd_trigger_main, "Save a tap's flight recorder to a file now"},
    {"dissector", cmd_dissector_main, "Print the Wireshark Lua dissector for user0 streams"},
    {"anonymize-key-new", cmd_anonymize_key_new_main, "Write a fresh key for --anonymize"},
    {"anonymize-addr", cmd_anonymize_addr_main, "Print addresses as --anonymize maps them"},
    {"bundle", cmd_bundle_main, "Collect an anonymized support bundle from a datapath"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: flowtap <command> [options]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-17s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-17s %s\n", "version", "Print the version");
	fprintf(f, "\nRun 'flowtap <command> --help' for a command's options; see flowtap(1).\n");
}

const char *cli_socket_path(const char *opt)
{
	const char *env = getenv("FLOWTAP_SOCKET");
	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return FT_DEFAULT_SOCKET;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("flowtap %s\n", FT_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "flowtap: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
