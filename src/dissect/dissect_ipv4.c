/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: IPv4 (RFC 791) and the dispatch to transport protocols.
 *
 *    0                   1                   2                   3
 *   +-------+-------+---------------+-------------------------------+
 *   |Version|  IHL  |      TOS      |         Total Length          |
 *   +-------+-------+---------------+-----+-------------------------+
 *   |         Identification        |Flags|     Fragment Offset     |
 *   +---------------+---------------+-----+-------------------------+
 *   |      TTL      |   Protocol    |        Header Checksum        |
 *   +---------------+---------------+-------------------------------+
 *   |                 Source, Destination Address                   |
 *   +---------------------------------------------------------------+
 *   |                    Options (IHL > 5)                          |
 *
 * Only the first fragment carries the transport header, so later
 * fragments print addresses and protocol number without ports.
 */
#include "dissect.h"

const char *ft__ipproto_name(unsigned proto)
{
	switch (proto) {
	case 0:
		return "HBH";
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 4:
		return "IPIP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 41:
		return "IPv6";
	case 43:
		return "Routing";
	case 44:
		return "frag";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	case 58:
		return "ICMPv6";
	case 59:
		return "NONE";
	case 60:
		return "DSTOPT";
	case 89:
		return "OSPF";
	case 103:
		return "PIM";
	case 112:
		return "VRRP";
	case 132:
		return "SCTP";
	default:
		return NULL;
	}
}

/* A transport protocol we do not decode: "src > dst: ip-proto-47, length 24". */
static void other_proto(struct ft_dis *d, unsigned proto, uint32_t len, const struct ft_l3 *l3)
{
	ft__put_hosts(d->out, l3);
	FT_PUTS(d->out, "ip-proto-");
	ft__put_u32(d->out, proto);
	FT_PUTS(d->out, ", length ");
	ft__put_u32(d->out, len);
}

void ft__dis_l4(struct ft_dis *d, unsigned proto, struct ft_rd r, uint32_t len,
		const struct ft_l3 *l3)
{
	switch (proto) {
	case 6:
		ft__dis_tcp(d, r, len, l3);
		break;
	case 17:
		ft__dis_udp(d, r, len, l3);
		break;
	case 1:
		ft__dis_icmp(d, r, len, l3);
		break;
	case 58:
		ft__dis_icmp6(d, r, len, l3);
		break;
	case 4:
	case 41:
		/* Tunnelled IP: print the outer hosts, then the inner packet. */
		ft__put_hosts(d->out, l3);
		if (d->depth >= 4) {
			FT_PUTS(d->out, "too deeply nested");
			break;
		}
		d->depth++;
		if (proto == 4)
			ft__dis_ip4(d, r, len);
		else
			ft__dis_ip6(d, r, len);
		d->depth--;
		break;
	default:
		other_proto(d, proto, len, l3);
		break;
	}
}

static const char *ipopt_name(unsigned t)
{
	switch (t) {
	case 0:
		return "EOL";
	case 1:
		return "NOP";
	case 7:
		return "RR";
	case 68:
		return "timestamp";
	case 130:
		return "security";
	case 131:
		return "LSRR";
	case 137:
		return "SSRR";
	case 148:
		return "RA";
	default:
		return NULL;
	}
}

/* ", options (NOP,RA)": option names only, as a -v summary. */
static void ip_options(struct ft_dis *d, struct ft_rd r)
{
	struct ft_strbuf *o = d->out;
	FT_PUTS(o, ", options (");
	for (int i = 0; ft_rd_left(&r) && i < 40; i++) {
		unsigned t = ft_rd_u8(&r);
		const char *name = ipopt_name(t);
		if (i)
			ft__putc(o, ',');
		if (name) {
			ft__puts(o, name);
		} else {
			FT_PUTS(o, "unknown-");
			ft__put_u32(o, t);
		}
		if (t == 0)
			break;
		if (t == 1)
			continue;
		unsigned olen = ft_rd_u8(&r);
		if (r.err || olen < 2 || !ft_rd_skip(&r, olen - 2)) {
			FT_PUTS(o, " [bad length]");
			break;
		}
	}
	ft__putc(o, ')');
}

/* "+, DF, rsvd" in tcpdump's order, or "none". */
static void ip_flags(struct ft_strbuf *o, uint16_t off)
{
	static const struct {
		uint16_t bit;
		char name[5];
	} bits[] = {{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}};
	const char *sep = "";

	if (!(off & 0xe000))
		FT_PUTS(o, "none");
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (off & bits[i].bit) {
			ft__puts(o, sep);
			ft__puts(o, bits[i].name);
			sep = ", ";
		}
	}
}

static void ip_verbose(struct ft_dis *d, struct ft_rd hdr, uint32_t hlen)
{
	struct ft_strbuf *o = d->out;
	uint8_t tos, ttl, proto;
	uint16_t len, id, off;
	const char *pname;

	ft_rd_skip(&hdr, 1);
	tos = ft_rd_u8(&hdr);
	len = ft_rd_be16(&hdr);
	id = ft_rd_be16(&hdr);
	off = ft_rd_be16(&hdr);
	ttl = ft_rd_u8(&hdr);
	proto = ft_rd_u8(&hdr);
	ft_rd_skip(&hdr, 10);

	FT_PUTS(o, "(tos 0x");
	ft__put_hex(o, tos, 1);
	if (tos & 3)
		ft__puts(o, (tos & 3) == 1 ? ",ECT(1)" : (tos & 3) == 2 ? ",ECT(0)" : ",CE");
	FT_PUTS(o, ", ttl ");
	ft__put_u32(o, ttl);
	FT_PUTS(o, ", id ");
	ft__put_u32(o, id);
	FT_PUTS(o, ", offset ");
	ft__put_u32(o, (off & 0x1fffu) * 8u);
	FT_PUTS(o, ", flags [");
	ip_flags(o, off);
	FT_PUTS(o, "], proto ");
	pname = ft__ipproto_name(proto);
	ft__puts(o, pname ? pname : "unknown");
	FT_PUTS(o, " (");
	ft__put_u32(o, proto);
	FT_PUTS(o, "), length ");
	ft__put_u32(o, len);
	if (hlen > 20)
		ip_options(d, ft_rd_sub(&hdr, hlen - 20));
	/* tcpdump -v continues an IPv4 line on the next, indented. */
	FT_PUTS(o, ")\n    ");
}

/*
 * Checks the version and lengths, printing what is wrong. Returns false when
 * the packet cannot be decoded further. A total length of 0 (segmentation
 * offload) is replaced by the length on the wire.
 */
static bool ip4_lengths(struct ft_strbuf *o, uint8_t vhl, uint16_t *len, uint32_t wlen)
{
	uint32_t hlen = (vhl & 0xfu) * 4u;

	if (vhl >> 4 != 4) {
		FT_PUTS(o, "bad version ");
		ft__put_u32(o, vhl >> 4u);
		FT_PUTS(o, ", length ");
		ft__put_u32(o, wlen);
		return false;
	}
	if (hlen < 20) {
		FT_PUTS(o, "bad-hlen ");
		ft__put_u32(o, hlen);
		return false;
	}
	if (*len == 0 && wlen >= hlen)
		*len = (uint16_t)(wlen > 0xffff ? 0xffff : wlen);
	if (*len < hlen) {
		FT_PUTS(o, "bad-len ");
		ft__put_u32(o, *len);
		return false;
	}
	if (*len > wlen) {
		FT_PUTS(o, "truncated-ip - ");
		ft__put_u32(o, *len - wlen);
		FT_PUTS(o, " bytes missing! ");
	}
	return true;
}

/* A later fragment: "src > dst: ip-proto-17, frag id 77 offset 40, length 32". */
static void later_fragment(struct ft_strbuf *o, const struct ft_l3 *l3, unsigned proto, uint16_t id,
			   uint16_t off, uint32_t len)
{
	ft__put_hosts(o, l3);
	FT_PUTS(o, "ip-proto-");
	ft__put_u32(o, proto);
	FT_PUTS(o, ", frag id ");
	ft__put_u32(o, id);
	FT_PUTS(o, " offset ");
	ft__put_u32(o, (off & 0x1fffu) * 8u);
	if (off & 0x2000)
		ft__putc(o, '+');
	FT_PUTS(o, ", length ");
	ft__put_u32(o, len);
}

void ft__dis_ip4(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	struct ft_strbuf *o = d->out;
	struct ft_rd hdr = r, l4;
	struct ft_l3 l3;
	uint8_t vhl, proto;
	uint16_t len, id, off;
	uint32_t hlen, l4len;

	if (!d->l3) {
		d->l3 = r.p;
		d->l3len = ft_rd_left(&r);
	}
	/* With -e the link header named the protocol; as tcpdump, no "IP". */
	if (!(d->flags & FT_TEXT_LINKHDR) || d->depth)
		FT_PUTS(o, "IP");
	vhl = ft_rd_u8(&r);
	ft_rd_skip(&r, 1);
	len = ft_rd_be16(&r);
	id = ft_rd_be16(&r);
	off = ft_rd_be16(&r);
	ft_rd_skip(&r, 1);
	proto = ft_rd_u8(&r);
	ft_rd_skip(&r, 2);
	l3.alen = 4;
	l3.peers = d->peers;
	l3.hosts_done = false;
	l3.first_frag = (off & 0x2000) != 0;
	l3.fragmented = (off & 0x3fff) != 0;
	ft_rd_copy(&r, l3.src, 4);
	ft_rd_copy(&r, l3.dst, 4);
	if (r.err) {
		ft__trunc(d, "ip");
		return;
	}
	if (!(d->flags & FT_TEXT_LINKHDR) || d->depth)
		ft__putc(o, ' ');
	if (!ip4_lengths(o, vhl, &len, wlen))
		return;
	hlen = (vhl & 0xfu) * 4u;
	if (d->flags & FT_TEXT_VERBOSE)
		ip_verbose(d, hdr, hlen);
	/* Options were printed with -v; skip them here. */
	if (!ft_rd_skip(&r, hlen - 20)) {
		ft__put_hosts(o, &l3);
		ft__trunc(d, "ip");
		return;
	}
	l4len = len - hlen;
	l4 = r;
	if (ft_rd_left(&l4) > l4len)
		l4.end = l4.p + l4len; /* drop link-layer padding */
	if (off & 0x1fff)
		later_fragment(o, &l3, proto, id, off, l4len);
	else
		ft__dis_l4(d, proto, l4, l4len, &l3);
}
