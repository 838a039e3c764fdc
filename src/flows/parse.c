/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: connection keys from raw IPv4/IPv6 packets; address prefixes.
 *
 * IPv4: RFC 791; IPv6 and its extension headers: RFC 8200 (hop-by-hop 0,
 * routing 43, fragment 44, destination options 60), AH: RFC 4302 (51).
 * Every byte is read through the bounds-checked cursor of rd.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flows_int.h"
#include "rd.h"

/* Protocols whose first four bytes are the source and destination ports. */
static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

static int parse_ip4(struct ft_rd *r, struct ft_flow_key *k, uint32_t *bytes, size_t caplen)
{
	uint8_t vihl = ft_rd_u8(r);
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	ft_rd_skip(r, 1);
	uint16_t tot = ft_rd_be16(r);
	ft_rd_skip(r, 2);
	uint16_t frag = ft_rd_be16(r);
	ft_rd_skip(r, 1);
	k->proto = ft_rd_u8(r);
	ft_rd_skip(r, 2);
	k->src.len = k->dst.len = 4;
	ft_rd_copy(r, k->src.b, 4);
	ft_rd_copy(r, k->dst.b, 4);
	if (r->err || ihl < 20)
		return FT_ECORRUPT;
	*bytes = tot ? tot : (uint32_t)caplen;
	/* Ports only from the first fragment; options skipped. */
	if ((frag & 0x1fff) || !has_ports(k->proto) || !ft_rd_skip(r, ihl - 20))
		return 0;
	if (ft_rd_has(r, 4)) {
		k->sport = ft_rd_be16(r);
		k->dport = ft_rd_be16(r);
	}
	return 0;
}

static int parse_ip6(struct ft_rd *r, struct ft_flow_key *k, uint32_t *bytes, size_t caplen)
{
	ft_rd_skip(r, 4);
	uint16_t plen = ft_rd_be16(r);
	uint8_t nh = ft_rd_u8(r);
	ft_rd_skip(r, 1);
	k->src.len = k->dst.len = 16;
	ft_rd_copy(r, k->src.b, 16);
	ft_rd_copy(r, k->dst.b, 16);
	if (r->err)
		return FT_ECORRUPT;
	*bytes = plen ? 40u + plen : (uint32_t)caplen;
	bool first_frag = true;
	/* A bounded walk: a packet made of extension headers only must not spin. */
	for (int i = 0; i < 16; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			uint8_t next = ft_rd_u8(r);
			uint8_t len = ft_rd_u8(r);
			ft_rd_skip(r, (size_t)len * 8 + 6);
			nh = next;
		} else if (nh == 44) {
			uint8_t next = ft_rd_u8(r);
			ft_rd_skip(r, 1);
			uint16_t off = ft_rd_be16(r);
			ft_rd_skip(r, 4);
			if (off & 0xfff8)
				first_frag = false;
			nh = next;
		} else if (nh == 51) {
			uint8_t next = ft_rd_u8(r);
			uint8_t len = ft_rd_u8(r);
			ft_rd_skip(r, (size_t)len * 4 + 6);
			nh = next;
		} else {
			break;
		}
		if (r->err)
			break; /* truncated chain: keep what we know, no ports */
	}
	k->proto = nh;
	if (!r->err && first_frag && has_ports(nh) && ft_rd_has(r, 4)) {
		k->sport = ft_rd_be16(r);
		k->dport = ft_rd_be16(r);
	}
	return 0;
}

FT_EXPORT int ft_flows_key_from_ip(struct ft_flow_key *k, uint32_t *bytes, const void *ip,
				   size_t caplen, enum ft_dir dir)
{
	struct ft_rd r = ft_rd_init(ip, caplen);
	int ret;

	memset(k, 0, sizeof(*k));
	*bytes = 0;
	switch (ft_rd_peek(&r, 0) >> 4) {
	case 4:
		ret = parse_ip4(&r, k, bytes, caplen);
		break;
	case 6:
		ret = parse_ip6(&r, k, bytes, caplen);
		break;
	default:
		return FT_ECORRUPT;
	}
	if (ret < 0) {
		memset(k, 0, sizeof(*k));
		return ret;
	}
	if (dir == FT_DIR_IN) {
		struct ft_addr a = k->src;
		uint16_t p = k->sport;
		k->src = k->dst;
		k->dst = a;
		k->sport = k->dport;
		k->dport = p;
	}
	return 0;
}

FT_EXPORT int ft_prefix_parse(const char *s, struct ft_prefix *p)
{
	char buf[64];
	const char *slash;
	size_t alen;
	long bits;

	memset(p, 0, sizeof(*p));
	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (ft_addr_parse(buf, &p->addr) < 0)
		return -EINVAL;
	bits = p->addr.len * 8;
	if (slash) {
		char *end;
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > p->addr.len * 8)
			return -EINVAL;
	}
	p->bits = (uint8_t)bits;
	for (int i = 0; i < p->addr.len; i++) {
		int keep = (int)bits - i * 8;
		if (keep <= 0)
			p->addr.b[i] = 0;
		else if (keep < 8)
			p->addr.b[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return 0;
}

FT_EXPORT bool ft_prefix_contains(const struct ft_prefix *p, const struct ft_addr *a)
{
	int full = p->bits / 8, rest = p->bits % 8;
	if (a->len != p->addr.len || !a->len)
		return false;
	if (memcmp(a->b, p->addr.b, (size_t)full))
		return false;
	if (rest && ((a->b[full] ^ p->addr.b[full]) & (0xff << (8 - rest)) & 0xff))
		return false;
	return true;
}
