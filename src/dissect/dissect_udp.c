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
	if ((is_dns_port(sport) || is_dns_port(dport)) && ulen > 8) {
		ft__dis_dns(d, r, ulen - 8u);
		return;
	}
	FT_PUTS(o, "UDP, length ");
	ft__put_u32(o, ulen - 8u);
}
