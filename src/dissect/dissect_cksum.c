/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: Internet checksums (RFC 1071) for -v, as tcpdump checks them.
 *
 * Only the verbose text computes them: the sum runs over every byte of the
 * segment, which the default line never needs.
 */
#include "dissect.h"

static uint32_t sum_be(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint16_t ft__cksum(const uint8_t *p, size_t n)
{
	return fold(sum_be(0, p, n));
}

uint16_t ft__l4_cksum(const struct ft_l3 *l3, unsigned proto, const uint8_t *p, uint32_t len)
{
	uint32_t s = sum_be(0, l3->src, l3->alen);

	s = sum_be(s, l3->dst, l3->alen);
	s += proto + (len & 0xffff) + (len >> 16);
	return fold(sum_be(s, p, len));
}

uint16_t ft__cksum_shouldbe(uint16_t sum, uint16_t computed)
{
	uint32_t v = (uint32_t)sum + computed;
	v = (v & 0xffff) + (v >> 16);
	v = (v & 0xffff) + (v >> 16);
	return (uint16_t)v;
}

void ft__put_l4_sum(struct ft_strbuf *o, const char *what, const struct ft_l3 *l3, unsigned proto,
		    const uint8_t *p, uint32_t len, size_t sum_off)
{
	uint16_t sum = (uint16_t)(p[sum_off] << 8 | p[sum_off + 1]);
	uint16_t c = ft__l4_cksum(l3, proto, p, len);

	if (!c) {
		ft__putc(o, '[');
		ft__puts(o, what);
		FT_PUTS(o, " sum ok] ");
		return;
	}
	FT_PUTS(o, "[bad ");
	ft__puts(o, what);
	FT_PUTS(o, " cksum 0x");
	ft__put_hex(o, sum, 4);
	FT_PUTS(o, " -> 0x");
	ft__put_hex(o, ft__cksum_shouldbe(sum, c), 4);
	FT_PUTS(o, "!] ");
}
