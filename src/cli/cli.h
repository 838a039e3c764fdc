/* SPDX-License-Identifier: BSD-2-Clause */
/* cli.h - the flowtap command's subcommands, one file each (cmd_<name>.c). */
#ifndef FT_CLI_H
#define FT_CLI_H

int cmd_read_main(int argc, char **argv);
int cmd_capture_main(int argc, char **argv);
int cmd_dump_main(int argc, char **argv);
int cmd_flows_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_trigger_main(int argc, char **argv);
int cmd_dissector_main(int argc, char **argv);

/* The local API socket: --socket, else $FLOWTAP_SOCKET, else the default. */
const char *cli_socket_path(const char *opt);

#define FT_DEFAULT_SOCKET "/run/flowtap/flowtap.sock"

#endif
