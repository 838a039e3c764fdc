/* SPDX-License-Identifier: BSD-2-Clause */
/* path_names.h - the paths a flowtap pcapng file names but does not number
 * ("disco", registered by the datapath), printed by name by read and
 * capture as the datapath's own text prints them. */
#ifndef FT_CLI_PATH_NAMES_H
#define FT_CLI_PATH_NAMES_H

#include <flowtap/reader.h>
#include <flowtap/writer.h>

/* cli_path_names_apply - give @p, read from @r, a path number of its own
 * when its interface is such a path (a number past the real ones, only
 * for a text or pcapng writer set up with cli_path_names_opts()). */
void cli_path_names_apply(const struct ft_reader *r, struct ft_pkt *p);

/* cli_path_names_opts - the writer's path_name callback for those numbers. */
void cli_path_names_opts(const struct ft_reader *r, struct ft_writer_opts *wo);

#endif
