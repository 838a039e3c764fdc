/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: UDP (RFC 768), with DNS on ports 53 and 5353.
 *
 *   +----------------+----------------+----------------+----------------+
 *   |  Source Port   |   Dest Port    |     Length     |    Checksum    |
 *   +----------------+----------------+----------------+----------------+
 */
#include "dissect.h"

static bool is_dns_port(uint16_t p)
{
	return p == 53 || p == 5353;
}

void ft__dis_udp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	struct ft_rd all = r;
	uint16_t sport, dport, ulen;

	sport = ft_rd_be16(&r);
	dport = ft_rd_be16(&r);
	if (r.err) {
		ft__put_hosts(o, l3);
		ft__trunc(d, "udp");
		return;
	}
	ft__put_endpoints(o, l3, sport, dport);
	ulen = ft_rd_be16(&r);
	ft_rd_skip(&r, 2);
	if (r.err) {
		FT_PUTS(o, "UDP");
		ft__trunc(d, "udp");
		return;
	}
	if (ulen < 8) {
		FT_PUTS(o, "UDP, bad length ");
		ft__put_u32(o, ulen);
		FT_PUTS(o, " < 8");
		return;
	}
	if (ulen > len && !l3->first_frag) {
		FT_PUTS(o, "UDP, bad length ");
		ft__put_u32(o, ulen);
		FT_PUTS(o, " > ");
		ft__put_u32(o, len);
		return;
	}
	if (ft_rd_left(&r) > ulen - 8u)
		r.end = r.p + (ulen - 8u);
	/* tcpdump checks IPv6 with -v, IPv4 with -vv (0: no checksum). */
	if ((d->flags & FT_TEXT_VERBOSE) && !l3->fragmented && !l3->first_frag &&
	    (l3->alen == 16 || (d->flags & FT_TEXT_VERBOSE2))) {
		if (l3->alen == 4 && !all.p[6] && !all.p[7])
			FT_PUTS(o, "[no cksum] ");
		else if (ft_rd_left(&all) >= ulen)
			ft__put_l4_sum(o, "udp", l3, 17, all.p, ulen, 6);
	}
	if (!(d->flags & FT_TEXT_QUICK) && (is_dns_port(sport) || is_dns_port(dport))) {
		ft__dis_dns(d, r, ulen - 8u, sport != 53 && dport != 53);
		return;
	}
	FT_PUTS(o, "UDP, length ");
	ft__put_u32(o, ulen - 8u);
}
