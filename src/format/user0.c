/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: the user0 debug-capture record prefix.
 *
 * Each record of the stream (classic little-endian pcap, linktype 147) is
 *
 *   +--------+-----+----------------+-----+----------------+-----------...
 *   | path   | len | pre-SNAT addr  | len | pre-DNAT addr  | IP packet
 *   | u16 LE | u8  | 0, 4 or 16 B   | u8  | 0, 4 or 16 B   |
 *   +--------+-----+----------------+-----+----------------+-----------...
 *
 * as the established Go implementation writes it and its Lua dissector
 * reads it.
 */
#include <string.h>

#include <flowtap/reader.h>

#include "rd.h"
#include "user0.h"

size_t ft__user0_prefix_len(const struct ft_pkt *p)
{
	return 4 + (ft__user0_addr_valid(&p->nat_src) ? p->nat_src.len : 0) +
	       (ft__user0_addr_valid(&p->nat_dst) ? p->nat_dst.len : 0);
}

size_t ft__user0_put(uint8_t *out, const struct ft_pkt *p)
{
	return ft__user0_put_fields(out, p->path, &p->nat_src, &p->nat_dst);
}

static bool get_addr(struct ft_rd *r, struct ft_addr *a)
{
	uint8_t len = ft_rd_u8(r);

	memset(a, 0, sizeof(*a));
	if (r->err || (len != 0 && len != 4 && len != 16))
		return false;
	a->len = len;
	return ft_rd_copy(r, a->b, len);
}

FT_EXPORT int ft_user0_parse(const uint8_t *data, uint32_t len, struct ft_pkt *p)
{
	struct ft_rd r = ft_rd_init(data, len);
	uint16_t path = ft_rd_le16(&r);

	if (r.err || !get_addr(&r, &p->nat_src) || !get_addr(&r, &p->nat_dst)) {
		memset(&p->nat_src, 0, sizeof(p->nat_src));
		memset(&p->nat_dst, 0, sizeof(p->nat_dst));
		return FT_ECORRUPT;
	}
	p->path = path;
	p->dir = (uint8_t)ft_path_builtin_dir(path);
	p->data = r.p;
	p->caplen = (uint32_t)ft_rd_left(&r);
	return 0;
}
