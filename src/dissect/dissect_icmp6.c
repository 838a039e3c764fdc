/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ICMPv6 (RFC 4443), neighbor discovery (RFC 4861) and MLD
 * (RFC 2710, RFC 3810), types and codes by name.
 *
 *   +---------------+---------------+-------------------------------+
 *   |     Type      |     Code      |          Checksum             |
 *   +---------------+---------------+-------------------------------+
 *   |   type-specific (echo: id, seq; too big: MTU; ND: reserved)   |
 *   +---------------------------------------------------------------+
 *   |   ND: target address (16) ...                                 |
 *
 * Wording follows tcpdump: "ICMP6, echo request, id 1, seq 1, length 64",
 * "ICMP6, neighbor solicitation, who has fe80::1, length 32".
 */
#include "dissect.h"

static const char *unreach_code(unsigned code)
{
	static const char *const names[] = {
	    "unreachable route", "unreachable prohibited",
	    "beyond scope",	 "unreachable address",
	    "unreachable port",	 "source address failed policy",
	    "reject route",	 "error in source routing header",
	};
	return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

static const char *simple_type(unsigned type)
{
	switch (type) {
	case 130:
		return "multicast listener query";
	case 131:
		return "multicast listener report";
	case 132:
		return "multicast listener done";
	case 133:
		return "router solicitation";
	case 134:
		return "router advertisement";
	case 143:
		return "multicast listener report v2";
	default:
		return NULL;
	}
}

/*
 * The packet a destination unreachable quotes, as tcpdump shows it:
 * "unreachable route DST", "unreachable port, DST udp port N".
 * Returns false when the quoted header is cut short.
 */
static bool quoted(struct ft_strbuf *o, unsigned code, struct ft_rd r)
{
	uint8_t src[16], dst[16];
	unsigned nh, dport;

	if (code > 4)
		return true;
	ft_rd_skip(&r, 6);
	nh = ft_rd_u8(&r);
	ft_rd_skip(&r, 1);
	ft_rd_copy(&r, src, 16);
	if (!ft_rd_copy(&r, dst, 16))
		return false;
	if (code != 4) {
		ft__putc(o, ' ');
		ft__put_ip6(o, dst);
		if (code == 2) {
			FT_PUTS(o, ", source address ");
			ft__put_ip6(o, src);
		}
		return true;
	}
	ft_rd_skip(&r, 2);
	dport = ft_rd_be16(&r);
	if (r.err)
		return false;
	FT_PUTS(o, ", ");
	ft__put_ip6(o, dst);
	if (nh == 6 || nh == 17) {
		ft__puts(o, nh == 6 ? " tcp port " : " udp port ");
	} else {
		FT_PUTS(o, " protocol ");
		ft__put_u32(o, nh);
		FT_PUTS(o, " port ");
	}
	ft__put_u32(o, dport);
	return true;
}

/* Returns false when the message is cut short. */
static bool icmp6_body(struct ft_strbuf *o, unsigned type, unsigned code, struct ft_rd r)
{
	uint8_t a[16], b[16];
	uint16_t w1 = ft_rd_be16(&r), w2 = ft_rd_be16(&r);
	const char *name;

	switch (type) {
	case 128:
	case 129:
		ft__puts(o, type == 128 ? "echo request" : "echo reply");
		if (r.err)
			return false;
		FT_PUTS(o, ", id ");
		ft__put_u32(o, w1);
		FT_PUTS(o, ", seq ");
		ft__put_u32(o, w2);
		return true;
	case 1:
		FT_PUTS(o, "destination unreachable, ");
		name = unreach_code(code);
		if (name) {
			ft__puts(o, name);
		} else {
			FT_PUTS(o, "code ");
			ft__put_u32(o, code);
		}
		return quoted(o, code, r);
	case 2:
		FT_PUTS(o, "packet too big, mtu ");
		ft__put_u32(o, (uint32_t)w1 << 16 | w2);
		return !r.err;
	case 3:
		if (code == 1) {
			FT_PUTS(o, "time exceeded in-transit (reassembly)");
			return true;
		}
		FT_PUTS(o, "time exceeded in-transit");
		ft_rd_skip(&r, 24);
		if (ft_rd_copy(&r, a, 16)) {
			FT_PUTS(o, " for ");
			ft__put_ip6(o, a);
		}
		return true;
	case 4:
		FT_PUTS(o, "parameter problem, ");
		if (code < 3) {
			ft__puts(o, code == 0 ? "erroneous" : code == 1 ? "next header" : "option");
		} else {
			FT_PUTS(o, "code ");
			ft__put_u32(o, code);
		}
		FT_PUTS(o, " - octet ");
		ft__put_u32(o, (uint32_t)w1 << 16 | w2);
		return !r.err;
	case 135:
	case 136:
		ft__puts(o, type == 135 ? "neighbor solicitation, who has "
					: "neighbor advertisement, tgt is ");
		if (!ft_rd_copy(&r, a, 16))
			return false;
		ft__put_ip6(o, a);
		return true;
	case 137:
		FT_PUTS(o, "redirect, ");
		if (!ft_rd_copy(&r, a, 16) || !ft_rd_copy(&r, b, 16))
			return false;
		ft__put_ip6(o, b);
		FT_PUTS(o, " to ");
		ft__put_ip6(o, a);
		return true;
	default:
		name = simple_type(type);
		if (name) {
			ft__puts(o, name);
		} else {
			FT_PUTS(o, "type-#");
			ft__put_u32(o, type);
		}
		return true;
	}
}

void ft__dis_icmp6(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	unsigned type, code;

	ft__put_hosts(o, l3);
	if ((d->flags & FT_TEXT_VERBOSE) && ft_rd_left(&r) >= len && len >= 4)
		ft__put_l4_sum(o, "icmp6", l3, 58, r.p, len, 2);
	FT_PUTS(o, "ICMP6");
	type = ft_rd_u8(&r);
	code = ft_rd_u8(&r);
	ft_rd_skip(&r, 2);
	if (r.err) {
		ft__trunc(d, "icmp6");
		return;
	}
	FT_PUTS(o, ", ");
	if (!icmp6_body(o, type, code, r)) {
		ft__trunc(d, "icmp6");
		return;
	}
	/* tcpdump -v leaves the length out (it prints options instead). */
	if (!(d->flags & FT_TEXT_VERBOSE)) {
		FT_PUTS(o, ", length ");
		ft__put_u32(o, len);
	}
}
