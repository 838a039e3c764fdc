/* SPDX-License-Identifier: BSD-2-Clause */
/* peer_names.h - the peer names a flowtap pcapng stream or file carries in
 * its packets' comments ("peers src laptop-a dst laptop-b"), as a table for
 * the text formatter: flowtap capture's text names the ends of a packet as
 * the datapath's own text does, and flowtap read prints the same. */
#ifndef FT_CLI_PEER_NAMES_H
#define FT_CLI_PEER_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtap/reader.h>

struct peer_names;

int peer_names_new(struct peer_names **out);

/*
 * peer_names_packet - the names @r's comment for the packet just read, @p,
 * gives its outer source and destination (ft__reader_peers(); none: they
 * have no name). Returns true when the table changed: the writer must be
 * given peer_names_table() again.
 */
bool peer_names_packet(struct peer_names *c, const struct ft_reader *r, const struct ft_pkt *p);

/* The current table (built), or NULL while no name is known. */
struct ft_peers *peer_names_table(const struct peer_names *c);

void peer_names_free(struct peer_names *c);

#endif
