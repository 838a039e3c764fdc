/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: pseudonymize what rides on IP: TCP and UDP (RFC 9293, 768),
 * ICMP (RFC 792) and ICMPv6 (RFC 4443, 4861, 8106) with the addresses they
 * carry, DNS A and AAAA records (RFC 1035, 3596), and ARP (RFC 826).
 *
 * What is not understood is cut rather than passed on, since it may hold
 * addresses: an IP protocol other than TCP, UDP, ICMP, ICMPv6 or IP in IP,
 * and ICMP messages other than those below keep only their first 8 bytes.
 */
#include <string.h>

#include "rewrite_int.h"

static bool dns_port(unsigned p)
{
	return p == 53 || p == 5353 || p == 5355; /* DNS, mDNS, LLMNR */
}

/* Skips a possibly compressed name; false when it runs off the message. */
static bool dns_name(struct ft_rd *r)
{
	for (int i = 0; i < 128; i++) {
		unsigned len = ft_rd_u8(r);
		if (r->err)
			return false;
		if (!len)
			return true;
		if ((len & 0xc0) == 0xc0)
			return ft_rd_skip(r, 1);
		if ((len & 0xc0) || !ft_rd_skip(r, len))
			return false;
	}
	return false;
}

/* Maps the A and AAAA records of the DNS message at @r. @l4: the transport
 * header, from which the checksum's byte parity is counted. */
static void dns(struct rw *w, struct ft_rd r, const uint8_t *l4, uint8_t *l4ck)
{
	unsigned qd, rr;

	ft_rd_skip(&r, 4);
	qd = ft_rd_be16(&r);
	rr = ft_rd_be16(&r);
	rr += ft_rd_be16(&r);
	rr += ft_rd_be16(&r);
	for (unsigned i = 0; i < qd; i++)
		if (!dns_name(&r) || !ft_rd_skip(&r, 4))
			return;
	for (unsigned i = 0; i < rr; i++) {
		if (!dns_name(&r))
			return;
		unsigned type = ft_rd_be16(&r);
		ft_rd_skip(&r, 6);
		unsigned len = ft_rd_be16(&r);
		const uint8_t *rd = ft_rd_ptr(&r, len);
		if (!rd)
			return;
		if ((type == 1 && len == 4) || (type == 28 && len == 16))
			ft__rw_map(w, rw_mut(rd), len,
				   &(struct cks){.ck = {l4ck}, .odd = (rd - l4) & 1});
	}
}

static uint32_t tcp(struct rw *w, struct ft_rd r, uint8_t *l4ck)
{
	const uint8_t *h = r.p;
	size_t doff;

	if (!ft_rd_has(&r, 20))
		return rw_off(w, r.end);
	doff = (size_t)(h[12] >> 4) * 4;
	if (doff < 20 || !ft_rd_skip(&r, doff))
		return rw_off(w, r.end);
	if (w->flags & FT_ANON_HEADERS_ONLY)
		return rw_off(w, r.p);
	/* DNS over TCP: a 2-byte length, then the message. */
	if ((dns_port((unsigned)(h[0] << 8 | h[1])) || dns_port((unsigned)(h[2] << 8 | h[3]))) &&
	    ft_rd_skip(&r, 2))
		dns(w, r, h, l4ck);
	return rw_off(w, r.end);
}

static uint32_t udp(struct rw *w, struct ft_rd r, uint8_t *l4ck)
{
	const uint8_t *h = ft_rd_ptr(&r, 8);

	if (!h)
		return rw_off(w, r.end);
	if (w->flags & FT_ANON_HEADERS_ONLY)
		return rw_off(w, r.p);
	if (dns_port((unsigned)(h[0] << 8 | h[1])) || dns_port((unsigned)(h[2] << 8 | h[3])))
		dns(w, r, h, l4ck);
	return rw_off(w, r.end);
}

/* Echo and other messages without addresses: all, or the header alone. */
static uint32_t icmp_plain(struct rw *w, struct ft_rd r, const uint8_t *h)
{
	return (w->flags & FT_ANON_HEADERS_ONLY) ? rw_off(w, h + 8) : rw_off(w, r.end);
}

static uint32_t icmp4(struct rw *w, struct ft_rd r)
{
	const uint8_t *h = ft_rd_ptr(&r, 8);
	uint8_t *ck;

	if (!h)
		return rw_off(w, r.p);
	ck = rw_mut(h + 2);
	switch (h[0]) {
	case 5: /* redirect: the gateway, then the quoted header */
		ft__rw_map(w, rw_mut(h + 4), 4, &(struct cks){.ck = {ck}});
		/* fall through */
	case 3:	 /* destination unreachable */
	case 4:	 /* source quench */
	case 11: /* time exceeded */
	case 12: /* parameter problem */
		return ft__rw_quoted4(w, r, ck);
	case 0:	 /* echo reply */
	case 8:	 /* echo */
	case 13: /* timestamp */
	case 14: /* timestamp reply */
		return icmp_plain(w, r, h);
	}
	return rw_off(w, h + 8);
}

/* Neighbour discovery options that carry addresses (RFC 4861 4.6.2, RFC
 * 8106 5.1): an on-link prefix and recursive DNS servers. */
static void nd_options(struct rw *w, struct ft_rd r, uint8_t *ck)
{
	for (int i = 0; i < 64 && ft_rd_left(&r) >= 8; i++) {
		const uint8_t *o = r.p;
		size_t len = (size_t)o[1] * 8;

		if (!len || !ft_rd_skip(&r, len))
			return;
		if (o[0] == 3 && len == 32)
			ft__rw_map(w, rw_mut(o + 16), 16, &(struct cks){.ck = {ck}});
		for (size_t at = 8; o[0] == 25 && at + 16 <= len; at += 16)
			ft__rw_map(w, rw_mut(o + at), 16, &(struct cks){.ck = {ck}});
	}
}

/* ICMPv6; @ck covers the pseudo-header, already updated. */
static uint32_t icmp6(struct rw *w, struct ft_rd r, uint8_t *ck)
{
	const uint8_t *h = ft_rd_ptr(&r, 8);
	unsigned targets = 0, opts = 0;

	if (!h)
		return rw_off(w, r.p);
	switch (h[0]) {
	case 1: /* destination unreachable, packet too big, time exceeded, */
	case 2: /* parameter problem */
	case 3:
	case 4:
		return ft__rw_quoted6(w, r, ck);
	case 128: /* echo request and reply */
	case 129:
		return icmp_plain(w, r, h);
	case 133: /* router solicitation */
		opts = 8;
		break;
	case 134: /* router advertisement */
		opts = 16;
		break;
	case 135: /* neighbour solicitation and advertisement */
	case 136:
		targets = 1, opts = 24;
		break;
	case 137: /* redirect: target and destination */
		targets = 2, opts = 40;
		break;
	default:
		return rw_off(w, h + 8);
	}
	struct ft_rd b = ft_rd_init(h, ft_rd_left(&r) + 8);
	for (unsigned i = 0; i < targets; i++) {
		if (!ft_rd_has(&b, 8 + 16 * (i + 1)))
			return rw_off(w, h + 8 + 16 * i);
		ft__rw_map(w, rw_mut(h + 8 + 16 * i), 16, &(struct cks){.ck = {rw_mut(h + 2)}});
	}
	if (w->flags & FT_ANON_HEADERS_ONLY)
		return rw_off(w, h + 8 + 16 * targets);
	if (ft_rd_skip(&b, opts))
		nd_options(w, b, rw_mut(h + 2));
	return rw_off(w, r.end);
}

uint32_t ft__rw_transport(struct rw *w, int proto, struct ft_rd r, uint8_t *l4ck, int depth)
{
	switch (proto) {
	case 6:
		return tcp(w, r, l4ck);
	case 17:
		return udp(w, r, l4ck);
	case 1:
		return icmp4(w, r);
	case 58:
		return icmp6(w, r, l4ck);
	case 4:	 /* IPv4 in IP */
	case 41: /* IPv6 in IP */
		return ft__rw_ip(w, r, depth);
	}
	return rw_off(w, r.p);
}

/* ARP for IPv4: the sender and target protocol addresses. */
uint32_t ft__rw_arp(struct rw *w, struct ft_rd r)
{
	const uint8_t *h = r.p;
	size_t hlen;

	if (!ft_rd_has(&r, 8) || (h[2] << 8 | h[3]) != 0x0800 || h[5] != 4)
		return rw_off(w, h);
	hlen = h[4];
	if (!ft_rd_has(&r, 8 + 2 * hlen + 8))
		return rw_off(w, h);
	ft__rw_map(w, rw_mut(h + 8 + hlen), 4, &(struct cks){.ck = {NULL}});
	ft__rw_map(w, rw_mut(h + 8 + 2 * hlen + 4), 4, &(struct cks){.ck = {NULL}});
	return rw_off(w, r.end);
}
