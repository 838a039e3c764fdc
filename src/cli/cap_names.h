/* SPDX-License-Identifier: BSD-2-Clause */
/* cap_names.h - the peer names a live pcapng stream carries in its packets'
 * comments ("peers src laptop-a dst laptop-b"), as a table for the text
 * formatter: flowtap capture's text names the ends of a packet as the
 * datapath's own text does. */
#ifndef FT_CLI_CAP_NAMES_H
#define FT_CLI_CAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtap/common.h>

struct cap_names;

int cap_names_new(struct cap_names **out);

/*
 * cap_names_packet - the names the comments of EPB @blk (@n bytes,
 * big-endian if @swapped) give the outer source and destination of @p (read
 * from that block). Returns true when the table changed: the writer must be
 * given cap_names_table() again.
 */
bool cap_names_packet(struct cap_names *c, const struct ft_pkt *p, const uint8_t *blk, size_t n,
		      bool swapped);

/* The current table (built), or NULL while no name is known. */
struct ft_peers *cap_names_table(const struct cap_names *c);

void cap_names_free(struct cap_names *c);

#endif
