/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: BSD loopback encapsulation (DLT_NULL, DLT_LOOP).
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html: a 4-byte address
 * family in the capturing host's byte order (DLT_NULL) or in network byte
 * order (DLT_LOOP). AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24
 * (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS).
 */
#include "dissect.h"

void ft__dis_null(struct ft_dis *d, struct ft_rd r, uint32_t wlen, bool big_endian)
{
	uint32_t fam = big_endian ? ft_rd_be32(&r) : ft_rd_le32(&r);

	if (r.err) {
		FT_PUTS(d->out, "loopback, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "null");
		return;
	}
	/* A file written on a host of the other byte order. */
	if (!big_endian && (fam & 0xffff) == 0)
		fam = __builtin_bswap32(fam);
	wlen -= 4;
	switch (fam) {
	case 2:
		ft__dis_ip4(d, r, wlen);
		break;
	case 10:
	case 24:
	case 28:
	case 30:
		ft__dis_ip6(d, r, wlen);
		break;
	default:
		FT_PUTS(d->out, "loopback family ");
		ft__put_u32(d->out, fam);
		FT_PUTS(d->out, ", length ");
		ft__put_u32(d->out, wlen);
		break;
	}
}
