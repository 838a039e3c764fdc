/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: IPv4 header parsing (bounds-checked) and Internet checksums (RFC 791, RFC 1071,
 * RFC 1624). */
#include <arpa/inet.h>
#include <string.h>

#include "rd.h"
#include "tunnel.h"

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define IP4_CSUM_OFF 10
#define IP4_SRC_OFF  12
#define IP4_DST_OFF  16

int ip_version(const uint8_t *p, uint32_t n)
{
	struct ft_rd r = ft_rd_init(p, n);
	int b = ft_rd_peek(&r, 0);
	return b < 0 ? 0 : b >> 4;
}

/* Whether @p holds a whole IPv4 or IPv6 packet; its length (which may be
 * shorter than @n when a sender padded it) goes to @iplen. */
bool ip_valid(const uint8_t *p, uint32_t n, uint32_t *iplen)
{
	struct ft_rd r = ft_rd_init(p, n);
	uint8_t b0 = ft_rd_u8(&r);
	uint32_t len;

	if ((b0 >> 4) == 4) {
		ft_rd_skip(&r, 1);
		len = ft_rd_be16(&r);
		if (r.err || (b0 & 0xf) < 5 || len < (uint32_t)(b0 & 0xf) * 4 || len > n)
			return false;
	} else if ((b0 >> 4) == 6) {
		ft_rd_skip(&r, 3);
		len = 40u + ft_rd_be16(&r);
		if (r.err || len > n)
			return false;
	} else {
		return false;
	}
	*iplen = len;
	return true;
}

static void parse_l4(struct ft_rd *l4, struct ip4 *v)
{
	switch (v->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		v->sport = ft_rd_be16(l4);
		v->dport = ft_rd_be16(l4);
		break;
	case IPPROTO_ICMP:
		v->icmp_type = ft_rd_u8(l4);
		ft_rd_skip(l4, 3);
		v->sport = v->dport = ft_rd_be16(l4);
		break;
	default:
		return;
	}
	v->has_l4 = !l4->err;
}

/* ip4_parse - validate an IPv4 packet of @n bytes at @p and describe it in
 * @v. Every field is read through the bounds-checked cursor; the writers
 * below only touch offsets this function proved to be inside the packet. */
bool ip4_parse(uint8_t *p, uint32_t n, struct ip4 *v)
{
	struct ft_rd r = ft_rd_init(p, n);
	uint8_t b0 = ft_rd_u8(&r);
	uint16_t frag;

	memset(v, 0, sizeof(*v));
	ft_rd_skip(&r, 1);
	v->len = ft_rd_be16(&r);
	ft_rd_skip(&r, 2);
	frag = ft_rd_be16(&r);
	ft_rd_skip(&r, 1);
	v->proto = ft_rd_u8(&r);
	ft_rd_skip(&r, 2);
	ft_rd_copy(&r, &v->src_be, 4);
	ft_rd_copy(&r, &v->dst_be, 4);
	v->ihl = (uint8_t)((b0 & 0xf) * 4);
	if (r.err || b0 >> 4 != 4 || v->ihl < 20 || v->len < v->ihl || v->len > n)
		return false;
	v->p = p;
	v->first = (frag & 0x1fff) == 0;
	v->fragmented = (frag & 0x3fff) != 0;
	if (v->first) {
		struct ft_rd l4 = ft_rd_init(p + v->ihl, v->len - v->ihl);
		parse_l4(&l4, v);
	}
	return true;
}

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), applied to the 16-bit checksum at
 * @csum for a 32-bit field changing from @old_be to @new_be. */
static void csum_replace4(uint8_t *csum, uint32_t old_be, uint32_t new_be)
{
	uint8_t o[4], n[4];
	uint32_t sum = (uint16_t) ~(csum[0] << 8 | csum[1]);

	memcpy(o, &old_be, 4);
	memcpy(n, &new_be, 4);
	sum += (uint16_t) ~(o[0] << 8 | o[1]) + (uint16_t) ~(o[2] << 8 | o[3]);
	sum += (uint32_t)(n[0] << 8 | n[1]) + (uint32_t)(n[2] << 8 | n[3]);
	sum = csum_fold(sum);
	csum[0] = (uint8_t)(sum >> 8);
	csum[1] = (uint8_t)sum;
}

/* The offset of the transport checksum covering the pseudo-header, or 0. */
static uint32_t l4_csum_off(const struct ip4 *v)
{
	uint32_t off;

	if (!v->first)
		return 0;
	if (v->proto == IPPROTO_TCP)
		off = v->ihl + 16u;
	else if (v->proto == IPPROTO_UDP)
		off = v->ihl + 6u;
	else
		return 0;
	if (off + 2 > v->len)
		return 0;
	/* A zero UDP checksum means "none" (RFC 768) and must stay zero. */
	if (v->proto == IPPROTO_UDP && v->p[off] == 0 && v->p[off + 1] == 0)
		return 0;
	return off;
}

static void ip4_set_addr(struct ip4 *v, uint32_t off, uint32_t *field, uint32_t addr_be)
{
	uint32_t l4 = l4_csum_off(v);

	csum_replace4(v->p + IP4_CSUM_OFF, *field, addr_be);
	if (l4) {
		csum_replace4(v->p + l4, *field, addr_be);
		/* A computed UDP checksum of zero is sent as all ones (RFC 768). */
		if (v->proto == IPPROTO_UDP && v->p[l4] == 0 && v->p[l4 + 1] == 0)
			v->p[l4] = v->p[l4 + 1] = 0xff;
	}
	memcpy(v->p + off, &addr_be, 4);
	*field = addr_be;
}

void ip4_set_src(struct ip4 *v, uint32_t addr_be)
{
	ip4_set_addr(v, IP4_SRC_OFF, &v->src_be, addr_be);
}

void ip4_set_dst(struct ip4 *v, uint32_t addr_be)
{
	ip4_set_addr(v, IP4_DST_OFF, &v->dst_be, addr_be);
}

/* Recompute the header checksum of an IPv4 header of @ihl bytes at @p. */
void ip4_fix_csum(uint8_t *p, uint8_t ihl)
{
	uint16_t c;

	p[IP4_CSUM_OFF] = p[IP4_CSUM_OFF + 1] = 0;
	c = csum_fold(csum_add(0, p, ihl));
	p[IP4_CSUM_OFF] = (uint8_t)(c >> 8);
	p[IP4_CSUM_OFF + 1] = (uint8_t)c;
}
