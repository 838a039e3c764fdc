/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: hand-written number and address formatting for the text writer.
 *
 * printf is too slow for the text hot path (flowtap read must beat tcpdump
 * several times over), so addresses and numbers are written digit by digit.
 * IPv6 text follows RFC 5952 exactly as glibc's inet_ntop writes it, so that
 * it compares equal to tcpdump's and tshark's output.
 */
#include <flowtap/peers.h>

#include "dissect.h"

static const char hexdig[] = "0123456789abcdef";

void ft__put_slow(struct ft_strbuf *o, const char *s, size_t n)
{
	size_t room = o->cap > o->len ? o->cap - o->len : 0;
	/* Keep one byte for the terminating NUL. */
	if (room > 1) {
		size_t k = room - 1 < n ? room - 1 : n;
		memcpy(o->p + o->len, s, k);
		o->len += k;
	}
	o->overflow = true;
}

/* Writes 0..255 into @q, returns the number of characters. */
static inline size_t dec8(char *q, unsigned v)
{
	if (v >= 100) {
		q[0] = (char)('0' + v / 100);
		q[1] = (char)('0' + v / 10 % 10);
		q[2] = (char)('0' + v % 10);
		return 3;
	}
	if (v >= 10) {
		q[0] = (char)('0' + v / 10);
		q[1] = (char)('0' + v % 10);
		return 2;
	}
	q[0] = (char)('0' + v);
	return 1;
}

static size_t fmt_ip4(char *q, const uint8_t a[4])
{
	size_t n = dec8(q, a[0]);
	for (int i = 1; i < 4; i++) {
		q[n++] = '.';
		n += dec8(q + n, a[i]);
	}
	return n;
}

void ft__put_ip4(struct ft_strbuf *o, const uint8_t a[4])
{
	char tmp[16];
	ft__put(o, tmp, fmt_ip4(tmp, a));
}

static size_t hex16(char *q, unsigned v)
{
	size_t n = 0;
	int shift = 12;
	while (shift > 0 && !(v >> shift & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		q[n++] = hexdig[v >> shift & 0xf];
	return n;
}

void ft__put_ip6(struct ft_strbuf *o, const uint8_t a[16])
{
	char tmp[48];
	unsigned w[8];
	int best = -1, bestlen = 0, cur = -1, curlen = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				curlen = 0;
			}
			if (++curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
		} else {
			cur = -1;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + bestlen) {
			if (i == best)
				tmp[n++] = ':';
			continue;
		}
		if (i)
			tmp[n++] = ':';
		/* IPv4-compatible and IPv4-mapped forms, as inet_ntop prints them. */
		if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff))) {
			n += fmt_ip4(tmp + n, a + 12);
			break;
		}
		n += hex16(tmp + n, w[i]);
	}
	if (best >= 0 && best + bestlen == 8)
		tmp[n++] = ':';
	ft__put(o, tmp, n);
}

void ft__put_hex(struct ft_strbuf *o, uint32_t v, unsigned min_digits)
{
	char tmp[8];
	int n = 0;
	for (int shift = 28; shift >= 0; shift -= 4) {
		unsigned dgt = v >> shift & 0xf;
		if (n || dgt || (unsigned)shift < 4 * min_digits)
			tmp[n++] = hexdig[dgt];
	}
	ft__put(o, tmp, (size_t)n);
}

void ft__put_mac(struct ft_strbuf *o, const uint8_t a[6])
{
	char tmp[17];
	for (int i = 0; i < 6; i++) {
		tmp[3 * i] = hexdig[a[i] >> 4];
		tmp[3 * i + 1] = hexdig[a[i] & 0xf];
		if (i < 5)
			tmp[3 * i + 2] = ':';
	}
	ft__put(o, tmp, sizeof(tmp));
}

void ft__put_text(struct ft_strbuf *o, const uint8_t *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			continue;
		ft__put(o, (const char *)s + run, i - run);
		char esc[4] = {'\\', 'x', hexdig[c >> 4], hexdig[c & 0xf]};
		ft__put(o, esc, sizeof(esc));
		run = i + 1;
	}
	ft__put(o, (const char *)s + run, n - run);
}

/* "(name)" after an address the peer table knows (flowtap-text(7)). The
 * name comes from the operator's table; it is still printed escaped. */
static void put_peer_name(struct ft_strbuf *o, const struct ft_l3 *l3, const uint8_t *a)
{
	struct ft_addr x;
	const struct ft_peer *n;

	if (!l3->peers)
		return;
	x.len = l3->alen;
	memcpy(x.b, a, l3->alen);
	if (!(n = ft_peers_lookup(l3->peers, &x)) || !n->name)
		return;
	ft__putc(o, '(');
	ft__put_text(o, (const uint8_t *)n->name, strlen(n->name));
	ft__putc(o, ')');
}

void ft__put_endpoints(struct ft_strbuf *o, const struct ft_l3 *l3, uint16_t sport, uint16_t dport)
{
	ft__put_addr(o, l3, l3->src);
	put_peer_name(o, l3, l3->src);
	ft__putc(o, '.');
	ft__put_u32(o, sport);
	FT_PUTS(o, " > ");
	ft__put_addr(o, l3, l3->dst);
	put_peer_name(o, l3, l3->dst);
	ft__putc(o, '.');
	ft__put_u32(o, dport);
	FT_PUTS(o, ": ");
}

void ft__put_hosts(struct ft_strbuf *o, const struct ft_l3 *l3)
{
	if (l3->hosts_done)
		return;
	ft__put_addr(o, l3, l3->src);
	put_peer_name(o, l3, l3->src);
	FT_PUTS(o, " > ");
	ft__put_addr(o, l3, l3->dst);
	put_peer_name(o, l3, l3->dst);
	FT_PUTS(o, ": ");
}
