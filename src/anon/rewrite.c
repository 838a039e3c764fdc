/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: pseudonymize a packet in place: link layers, IPv4 (RFC 791),
 * IPv6 (RFC 8200) and the headers ICMP errors quote, with checksums updated
 * incrementally (RFC 1624).
 *
 * An incremental update keeps whatever the checksum was: a correct one
 * stays correct and a wrong one stays wrong by the same amount, which is
 * what someone reading the capture needs. It also works on truncated
 * packets, whose checksums could not be recomputed from scratch.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "rewrite_int.h"

#define LT_RAW	  101
#define LT_LOOP	  108
#define LT_SLL	  113
#define LT_IPV4	  228
#define LT_IPV6	  229
#define LT_SLL2	  276
#define MAX_DEPTH 4

static uint32_t sum16(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). A one's complement sum taken at
 * an odd offset is the byte-swapped even one (RFC 1071, 2.(B)). */
void ft__rw_adjust(uint8_t *ck, const uint8_t *old, const uint8_t *now, size_t n, bool odd)
{
	uint32_t m = sum16(old, n), m2 = sum16(now, n), s;

	if (!ck)
		return;
	if (odd) {
		m = (m >> 8 | m << 8) & 0xffff;
		m2 = (m2 >> 8 | m2 << 8) & 0xffff;
	}
	s = (~(uint32_t)(ck[0] << 8 | ck[1]) & 0xffff) + (~m & 0xffff) + m2;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	ck[0] = (uint8_t)(s >> 8);
	ck[1] = (uint8_t)s;
}

void ft__rw_map(struct rw *w, uint8_t *at, unsigned len, const struct cks *c)
{
	uint8_t now[16];

	if (!w->a) /* cutting only */
		return;
	memcpy(now, at, len);
	if (len == 4)
		ft_anon_ip4(w->a, now);
	else
		ft_anon_ip6(w->a, now);
	for (int i = 0; i < 3; i++)
		ft__rw_adjust(c->ck[i], at, now, len, c->odd);
	memcpy(at, now, len);
}

/* The transport checksum that covers the pseudo-header, if captured. */
static uint8_t *l4_cksum(int proto, struct ft_rd r, bool v4)
{
	size_t at = proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : 0;
	uint8_t *ck;

	if (!at || !ft_rd_has(&r, at + 2))
		return NULL;
	ck = rw_mut(r.p + at);
	/* UDP over IPv4 may carry no checksum (0), which must stay 0. */
	if (proto == 17 && v4 && !ck[0] && !ck[1])
		return NULL;
	return ck;
}

/* UDP sends a computed 0 as 0xffff (RFC 768). */
static void udp_zero(int proto, uint8_t *ck)
{
	if (proto == 17 && ck && !ck[0] && !ck[1])
		ck[0] = ck[1] = 0xff;
}

static uint32_t ipv4(struct rw *w, struct ft_rd r, int depth)
{
	const uint8_t *start = r.p, *h = ft_rd_ptr(&r, 20);
	unsigned ihl, tot, proto;
	uint8_t *l4ck;
	struct ft_rd pl;
	uint32_t ret;

	if (!h || h[0] >> 4 != 4 || (h[0] & 15) < 5)
		return rw_off(w, start);
	ihl = (h[0] & 15) * 4u;
	tot = (unsigned)(h[2] << 8 | h[3]);
	proto = h[9];
	if (!ft_rd_skip(&r, ihl - 20)) {
		/* Options cut short: the addresses are still there. */
		ft__rw_map(w, rw_mut(h + 12), 4, &(struct cks){.ck = {rw_mut(h + 10)}});
		ft__rw_map(w, rw_mut(h + 16), 4, &(struct cks){.ck = {rw_mut(h + 10)}});
		return w->caplen;
	}
	pl = r;
	if (tot >= ihl && tot - ihl < ft_rd_left(&r))
		pl.end = r.p + (tot - ihl);
	/* Only a first fragment holds the transport header. */
	bool first = !((h[6] << 8 | h[7]) & 0x1fff);
	l4ck = first ? l4_cksum((int)proto, pl, true) : NULL;
	struct cks c = {.ck = {rw_mut(h + 10), l4ck}};
	ft__rw_map(w, rw_mut(h + 12), 4, &c);
	ft__rw_map(w, rw_mut(h + 16), 4, &c);
	udp_zero((int)proto, l4ck);
	if (!first)
		return (w->flags & FT_ANON_HEADERS_ONLY) ? rw_off(w, pl.p) : w->caplen;
	ret = ft__rw_transport(w, (int)proto, pl, l4ck, depth);
	/* Link-layer padding after the datagram is kept unless cutting. */
	if (ret == rw_off(w, pl.end) && !(w->flags & FT_ANON_HEADERS_ONLY))
		ret = w->caplen;
	return ret;
}

/* Walks extension headers to the transport; sets *proto, or -1 when the
 * packet must be cut at the returned cursor's position (a routing header,
 * whose addresses change the pseudo-header, or a later fragment). */
static struct ft_rd ext_headers(struct ft_rd r, int nh, int *proto)
{
	for (int i = 0; i < 8; i++) {
		struct ft_rd h = r;
		int next = ft_rd_u8(&h), len = ft_rd_u8(&h);
		size_t n;

		switch (nh) {
		case 0:	 /* hop-by-hop options */
		case 60: /* destination options */
			n = ((size_t)len + 1) * 8;
			break;
		case 51: /* AH */
			n = ((size_t)len + 2) * 4;
			break;
		case 44: /* fragment */
			if (ft_rd_has(&r, 4) && ((r.p[2] << 8 | r.p[3]) & 0xfff8)) {
				*proto = -1;
				return r;
			}
			n = 8;
			break;
		default: /* the transport, or a routing header */
			*proto = nh == 43 ? -1 : nh;
			return r;
		}
		if (h.err || !ft_rd_skip(&r, n))
			break;
		nh = next;
	}
	*proto = -1;
	return r;
}

static uint32_t ipv6(struct rw *w, struct ft_rd r, int depth)
{
	const uint8_t *start = r.p, *h = ft_rd_ptr(&r, 40);
	unsigned plen;
	struct ft_rd pl;
	int proto;

	if (!h || h[0] >> 4 != 6)
		return rw_off(w, start);
	plen = (unsigned)(h[4] << 8 | h[5]);
	if (plen && plen < ft_rd_left(&r))
		r.end = r.p + plen;
	pl = ext_headers(r, h[6], &proto);
	uint8_t *l4ck = proto >= 0 ? l4_cksum(proto, pl, false) : NULL;
	struct cks c = {.ck = {l4ck}};
	ft__rw_map(w, rw_mut(h + 8), 16, &c);
	ft__rw_map(w, rw_mut(h + 24), 16, &c);
	udp_zero(proto, l4ck);
	if (proto < 0)
		return rw_off(w, pl.p);
	uint32_t ret = ft__rw_transport(w, proto, pl, l4ck, depth);
	if (ret == rw_off(w, pl.end) && !(w->flags & FT_ANON_HEADERS_ONLY))
		ret = w->caplen;
	return ret;
}

uint32_t ft__rw_ip(struct rw *w, struct ft_rd r, int depth)
{
	int v = ft_rd_peek(&r, 0);

	if (depth > MAX_DEPTH || v < 0)
		return rw_off(w, r.p);
	if (v >> 4 == 4)
		return ipv4(w, r, depth + 1);
	if (v >> 4 == 6)
		return ipv6(w, r, depth + 1);
	return rw_off(w, r.p);
}

/* Keeps what follows a quoted header: all of it, or with
 * FT_ANON_HEADERS_ONLY the 8 bytes that errors must quote (RFC 792). */
static uint32_t quoted_rest(struct rw *w, struct ft_rd r)
{
	if (w->flags & FT_ANON_HEADERS_ONLY)
		return rw_off(w, r.p) + (uint32_t)(ft_rd_left(&r) < 8 ? ft_rd_left(&r) : 8);
	return rw_off(w, r.end);
}

/* The IPv4 header an ICMP error quotes. Its own checksum and the quoted
 * transport checksum change with its addresses, and the ICMP checksum
 * covers all of those bytes. */
uint32_t ft__rw_quoted4(struct rw *w, struct ft_rd r, uint8_t *icmpck)
{
	const uint8_t *start = r.p, *h = ft_rd_ptr(&r, 20);
	uint8_t *qck, *ql4, old_q[2], old_l4[2] = {0};

	if (!h || h[0] >> 4 != 4 || (h[0] & 15) < 5)
		return rw_off(w, start);
	if (!ft_rd_skip(&r, (h[0] & 15) * 4u - 20))
		r = ft_rd_init(h + 20, 0);
	qck = rw_mut(h + 10);
	ql4 = ((h[6] << 8 | h[7]) & 0x1fff) ? NULL : l4_cksum(h[9], r, true);
	memcpy(old_q, qck, 2);
	if (ql4)
		memcpy(old_l4, ql4, 2);
	struct cks c = {.ck = {qck, ql4, icmpck}};
	ft__rw_map(w, rw_mut(h + 12), 4, &c);
	ft__rw_map(w, rw_mut(h + 16), 4, &c);
	udp_zero(h[9], ql4);
	ft__rw_adjust(icmpck, old_q, qck, 2, false);
	if (ql4)
		ft__rw_adjust(icmpck, old_l4, ql4, 2, false);
	return r.err ? rw_off(w, h + 20) : quoted_rest(w, r);
}

uint32_t ft__rw_quoted6(struct rw *w, struct ft_rd r, uint8_t *icmpck)
{
	const uint8_t *start = r.p, *h = ft_rd_ptr(&r, 40);
	uint8_t *ql4, old_l4[2] = {0};

	if (!h || h[0] >> 4 != 6)
		return rw_off(w, start);
	ql4 = l4_cksum(h[6], r, false);
	if (ql4)
		memcpy(old_l4, ql4, 2);
	struct cks c = {.ck = {ql4, icmpck}};
	ft__rw_map(w, rw_mut(h + 8), 16, &c);
	ft__rw_map(w, rw_mut(h + 24), 16, &c);
	udp_zero(h[6], ql4);
	if (ql4)
		ft__rw_adjust(icmpck, old_l4, ql4, 2, false);
	return quoted_rest(w, r);
}

/* The network layer by EtherType; what is neither IP nor ARP is cut. */
static uint32_t ethertype(struct rw *w, unsigned type, struct ft_rd r)
{
	if (r.err)
		return w->caplen;
	switch (type) {
	case 0x0800:
	case 0x86dd:
		return ft__rw_ip(w, r, 0);
	case 0x0806:
		return ft__rw_arp(w, r);
	}
	return rw_off(w, r.p);
}

static uint32_t ether(struct rw *w, struct ft_rd r)
{
	unsigned type;

	ft_rd_skip(&r, 12);
	type = ft_rd_be16(&r);
	/* Up to two VLAN tags (802.1Q, 802.1ad, the old QinQ value). */
	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8 || type == 0x9100); i++) {
		ft_rd_skip(&r, 2);
		type = ft_rd_be16(&r);
	}
	return ethertype(w, type, r);
}

bool ft_anon_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case 14: /* DLT_RAW on OpenBSD */
	case LT_RAW:
	case LT_IPV4:
	case LT_IPV6:
	case LT_SLL:
	case LT_SLL2:
	case DLT_NULL:
	case LT_LOOP:
		return true;
	}
	return false;
}

int ft_anon_packet(struct ft_anon *a, uint8_t *buf, uint32_t caplen, int dlt, unsigned flags)
{
	struct rw w = {a, buf, caplen, flags};
	struct ft_rd r = ft_rd_init(buf, caplen);
	uint32_t keep;
	unsigned type;

	switch (dlt) {
	case DLT_EN10MB:
		keep = ether(&w, r);
		break;
	case LT_SLL: /* the protocol is the last field of 16 bytes */
		ft_rd_skip(&r, 14);
		type = ft_rd_be16(&r);
		keep = ethertype(&w, type, r);
		break;
	case LT_SLL2: /* the protocol is the first field of 20 bytes */
		type = ft_rd_be16(&r);
		ft_rd_skip(&r, 18);
		keep = ethertype(&w, type, r);
		break;
	case DLT_NULL: /* a 4-byte family; the version nibble says as much */
	case LT_LOOP:
		if (!ft_rd_skip(&r, 4))
			return (int)caplen;
		keep = ft__rw_ip(&w, r, 0);
		break;
	default:
		if (!ft_anon_dlt_supported(dlt))
			return FT_ELINKTYPE;
		keep = ft__rw_ip(&w, r, 0);
		break;
	}
	return (int)(keep < caplen ? keep : caplen);
}
