/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: pseudonymize a pcap or pcapng stream record by record, as
 * flowtap capture --anonymize receives it (the packets never reach the
 * output unmapped). */
#include <stdio.h>
#include <string.h>

#include <flowtap/reader.h>

#include "anon_cli.h"
#include "user0.h"

#define LT_USER0 147

static uint32_t get32(const uint8_t *p, bool swapped)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static void put32(uint8_t *p, uint32_t v, bool swapped)
{
	v = swapped ? __builtin_bswap32(v) : v;
	memcpy(p, &v, 4);
}

/* The user0 prefix's pre-NAT addresses, then the IP packet after it. */
static int user0_packet(struct cli_anon *c, uint8_t *data, uint32_t caplen)
{
	struct ft_pkt p = {0};
	int n;

	if (ft_user0_parse(data, caplen, &p) < 0)
		return -1;
	size_t pre = (size_t)(p.data - data);
	uint8_t *ip = data + pre;
	if (c->a) {
		ft_anon_addr(c->a, &p.nat_src);
		ft_anon_addr(c->a, &p.nat_dst);
		ft__user0_put(data, &p); /* same lengths, same place */
	}
	n = ft_anon_packet(c->a, ip, caplen - (uint32_t)pre, 101 /* LINKTYPE_RAW */,
			   c->headers_only ? FT_ANON_HEADERS_ONLY : 0);
	return n < 0 ? n : (int)pre + n;
}

/* The packet's new captured length, or -1 to leave it out. */
static int packet(struct cli_anon_stream *s, int lt, uint8_t *data, uint32_t caplen)
{
	int n;

	if (lt == LT_USER0)
		n = user0_packet(s->c, data, caplen);
	else
		n = ft_anon_packet(s->c->a, data, caplen, lt,
				   s->c->headers_only ? FT_ANON_HEADERS_ONLY : 0);
	if (n < 0 && !s->warned) {
		fprintf(stderr,
			"flowtap capture: packets of link type %d cannot be anonymized: they are "
			"left out\n",
			lt);
		s->warned = true;
	}
	return n;
}

static size_t pcap_unit(struct cli_anon_stream *s, uint8_t *p, size_t n, bool header, bool sw)
{
	if (header) {
		s->linktype = (int)(get32(p + 20, sw) & 0xffff);
		return n;
	}
	uint32_t caplen = get32(p + 8, sw);
	if (16 + (size_t)caplen > n)
		return 0;
	int k = packet(s, s->linktype, p + 16, caplen);
	if (k < 0)
		return 0;
	put32(p + 8, (uint32_t)k, sw);
	return 16 + (size_t)k;
}

static uint16_t get16(const uint8_t *p, bool swapped)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return swapped ? __builtin_bswap16(v) : v;
}

/* One address of flowtap's NAT custom option (length byte, then the
 * address), mapped in place; the offset after it, or 0 if it is cut. */
static size_t nat_opt_addr(struct cli_anon *c, uint8_t *v, size_t off, size_t len)
{
	struct ft_addr a = {0};

	if (off >= len || off + 1 + v[off] > len)
		return 0;
	a.len = v[off];
	if (a.len == 4 || a.len == 16) {
		memcpy(a.b, v + off + 1, a.len);
		ft_anon_addr(c->a, &a);
		memcpy(v + off + 1, a.b, a.len);
	}
	return off + 1 + v[off];
}

/*
 * The EPB options from @off to @end: the pre-NAT addresses of flowtap's
 * custom option (2989, PEN 32473, kind 1) are mapped in place; the comments
 * that name the real ends ("pre-nat src ...", "peers src laptop-a ...")
 * are cut, as Name Resolution Blocks are (the custom option keeps the
 * mapped pre-NAT addresses). Returns the bytes cut.
 */
static size_t epb_options(struct cli_anon_stream *s, uint8_t *p, size_t off, size_t end, bool sw)
{
	size_t cut = 0;

	while (off + 4 <= end) {
		uint16_t code = get16(p + off, sw), len = get16(p + off + 2, sw);
		size_t step = 4 + (((size_t)len + 3) & ~(size_t)3);
		uint8_t *v = p + off + 4;
		if (code == 0 || off + step > end)
			break;
		if (code == 1 && ((len >= 8 && !memcmp(v, "pre-nat ", 8)) ||
				  (len >= 6 && !memcmp(v, "peers ", 6)))) {
			memmove(p + off, p + off + step, end - off - step);
			end -= step;
			cut += step;
			continue;
		}
		if (code == 2989 && len >= 5 && get32(v, sw) == 32473u && v[4] == 1 && s->c->a) {
			size_t o = nat_opt_addr(s->c, v, 5, len);
			if (o)
				nat_opt_addr(s->c, v, o, len);
		}
		off += step;
	}
	return cut;
}

static size_t epb(struct cli_anon_stream *s, uint8_t *p, size_t n, bool sw)
{
	if (n < 32)
		return 0;
	uint32_t ifid = get32(p + 8, sw), caplen = get32(p + 20, sw);
	size_t oldpad = ((size_t)caplen + 3) & ~(size_t)3;
	if (28 + oldpad + 4 > n || ifid >= s->ng_n || ifid >= 64)
		return 0;
	int k = packet(s, s->ng_lt[ifid], p + 28, caplen);
	if (k < 0)
		return 0;
	size_t newpad = ((size_t)k + 3) & ~(size_t)3;
	memset(p + 28 + k, 0, newpad - (size_t)k);
	/* Options and the trailing length move up over the cut bytes. */
	memmove(p + 28 + newpad, p + 28 + oldpad, n - 28 - oldpad);
	n -= oldpad - newpad;
	size_t cut = epb_options(s, p, 28 + newpad, n - 4, sw);
	memmove(p + n - 4 - cut, p + n - 4, 4);
	n -= cut;
	put32(p + 20, (uint32_t)k, sw);
	put32(p + 4, (uint32_t)n, sw);
	put32(p + n - 4, (uint32_t)n, sw);
	return n;
}

size_t cli_anon_unit(struct cli_anon_stream *s, uint8_t *p, size_t n, bool pcapng, bool header,
		     bool swapped)
{
	if (!pcapng)
		return pcap_unit(s, p, n, header, swapped);
	switch (get32(p, swapped)) {
	case 0x0a0d0d0a: /* section header: interfaces start over */
		s->ng_n = 0;
		return n;
	case 1: /* interface description */
		if (n >= 12 && s->ng_n < 64) {
			uint16_t lt;
			memcpy(&lt, p + 8, 2);
			s->ng_lt[s->ng_n] = swapped ? __builtin_bswap16(lt) : lt;
		}
		s->ng_n++;
		return n;
	case 6:
		return epb(s, p, n, swapped);
	case 3: /* simple packet: flowtap never writes one; it cannot be trusted */
	case 4: /* name resolution: real addresses */
		return 0;
	}
	return n;
}
