/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: registered paths of a flowtap pcapng file, by name.
 *
 * flowtap's pcapng writer names each interface after its path; the reader
 * numbers the built-in names and "path-N", but a path the datapath
 * registered ("disco" is 254 in flowtap-tunnel) is a name only. Its packets
 * get a number from PN_BASE on (past FT_PATH_MAX, so never a real path),
 * and the writer's path_name callback turns it back into the name.
 */
#include "path_names.h"
#include "reader_stream.h"

#define PN_BASE	  0x1000u
#define PN_IFACES 1024u /* the reader's limit on interfaces */

void cli_path_names_apply(const struct ft_reader *r, struct ft_pkt *p)
{
	if (p->path != FT_PATH_NONE || p->ifid >= PN_IFACES || !ft__reader_ifname(r, p->ifid))
		return;
	p->path = (uint16_t)(PN_BASE + p->ifid);
	p->ifid = 0;
}

static const char *name_of(const void *ctx, unsigned path)
{
	if (path < PN_BASE || path >= PN_BASE + PN_IFACES)
		return NULL;
	return ft__reader_ifname(ctx, path - PN_BASE);
}

void cli_path_names_opts(const struct ft_reader *r, struct ft_writer_opts *wo)
{
	if (wo->format != FT_FORMAT_TEXT && wo->format != FT_FORMAT_PCAPNG)
		return;
	wo->path_name = name_of;
	wo->path_ctx = r;
}
