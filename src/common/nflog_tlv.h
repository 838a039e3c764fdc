/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nflog_tlv.h - the one walker over NFLOG TLVs, for the live source
 * (src/sources/decode.c) and the dissector (src/dissect/dissect_nflog.c).
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html: after the 4-byte
 * header, TLVs of length(2) type(2) value, padded to 4 bytes; length and
 * type in the capturing host's byte order (libpcap converts a file of the
 * other order). The type's two top bits are netlink flags (NLA_F_NESTED,
 * NLA_F_NET_BYTEORDER) and are masked off.
 */
#ifndef FT_NFLOG_TLV_H
#define FT_NFLOG_TLV_H

#include <stdbool.h>
#include <stdint.h>

#include "rd.h"

#define FT__NFLOG_TYPE_MASK 0x3fffu

struct ft__nflog_tlv {
	uint16_t type;	/* masked */
	uint32_t len;	/* the value's length as the TLV declares it */
	struct ft_rd v; /* the value's bytes present (fewer when cut) */
	bool cut;	/* the record ends inside the value (a snaplen) */
};

/*
 * ft__nflog_tlv_next - the next TLV of @r into @t, and @r past it and its
 * padding. Returns 1, 0 at the end of @r, or -1 when the TLV is malformed
 * (a length below 4, or fewer than 4 bytes left). A value cut short by the
 * end of @r is returned with @t->cut set and @r at its end: a live record
 * must be whole (the caller rejects it), a captured one may be cut by the
 * snaplen (the caller shows what is there).
 */
static inline int ft__nflog_tlv_next(struct ft_rd *r, struct ft__nflog_tlv *t)
{
	uint16_t tlen = 0, type = 0;
	size_t left = ft_rd_left(r);
	if (r->err || !left)
		return 0;
	if (left < 4)
		return -1;
	ft_rd_copy(r, &tlen, sizeof(tlen));
	ft_rd_copy(r, &type, sizeof(type));
	if (tlen < 4)
		return -1;
	t->type = type & FT__NFLOG_TYPE_MASK;
	t->len = tlen - 4u;
	t->cut = ft_rd_left(r) < t->len;
	t->v = ft_rd_sub(r, t->cut ? ft_rd_left(r) : t->len);
	size_t pad = ((tlen + 3u) & ~3u) - tlen;
	ft_rd_skip(r, pad < ft_rd_left(r) ? pad : ft_rd_left(r));
	return 1;
}

#endif
