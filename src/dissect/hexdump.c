/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: -x hex+ASCII dump (tcpdump -X layout) and -A printable dump.
 *
 *   \t0x0000:  4500 0054 0000 4000 4001 3ca7 7f00 0001  E..T..@.@.<.....
 *
 * Both dump the bytes from the network-layer header on (the link-layer
 * header is left out, as tcpdump does without -xx/-XX/-AA), or the whole
 * frame when the link layer is not understood or asked for. Callers pass a range they bounded
 * already (the captured bytes of the packet).
 */
#include "dissect.h"

#define PER_LINE  16
#define HEX_WIDTH (PER_LINE / 2 * 5) /* " xxxx" per 2 bytes */

static const char hexdig[] = "0123456789abcdef";

/* tcpdump -X shows graphic characters only: a space is a '.' too. */
static char printable(uint8_t c)
{
	return c > 0x20 && c < 0x7f ? (char)c : '.';
}

void ft__hexdump(struct ft_strbuf *o, const uint8_t *p, size_t n, bool ascii)
{
	char line[8 + 16 + HEX_WIDTH + 2 + PER_LINE + 1];

	for (size_t off = 0; off < n; off += PER_LINE) {
		size_t k = n - off < PER_LINE ? n - off : PER_LINE, q = 0;
		char offs[2 * sizeof(size_t)]; /* every hex digit of a size_t */
		int digits = 0;

		line[q++] = '\t';
		line[q++] = '0';
		line[q++] = 'x';
		for (size_t v = off; v || digits < 4; v >>= 4)
			offs[digits++] = hexdig[v & 0xf];
		while (digits)
			line[q++] = offs[--digits];
		line[q++] = ':';
		line[q++] = ' ';
		size_t hex_start = q;
		for (size_t i = 0; i < k; i++) {
			if (!(i & 1))
				line[q++] = ' ';
			line[q++] = hexdig[p[off + i] >> 4];
			line[q++] = hexdig[p[off + i] & 0xf];
		}
		if (ascii) {
			/* The ASCII column starts HEX_WIDTH + 2 past the hex one.
			 * q + PER_LINE + 1 <= sizeof(line) always holds; the
			 * test tells gcc's -O3 range analysis, which cannot see
			 * it through the loops above. */
			size_t col = hex_start + HEX_WIDTH + 2;
			if (q < col) {
				memset(line + q, ' ', col - q);
				q = col;
			}
			if (q + k + 1 > sizeof(line))
				k = 0;
			for (size_t i = 0; i < k; i++)
				line[q++] = printable(p[off + i]);
		}
		line[q++] = '\n';
		ft__put(o, line, q);
	}
}

void ft__asciidump(struct ft_strbuf *o, const uint8_t *p, size_t n)
{
	size_t run = 0;

	/* As tcpdump -A: graphic characters, tabs, spaces and newlines pass,
	 * a CR before LF or at the end is dropped, other bytes become '.'; the dump ends
	 * with a newline of its own. */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if ((c > 0x20 && c < 0x7f) || c == '\t' || c == ' ' || c == '\n')
			continue;
		ft__put(o, (const char *)p + run, i - run);
		run = i + 1;
		/* tcpdump's rule, to the letter: a CR is dropped before LF and
		 * when at most one byte follows it. */
		if (c == '\r' && (n - i - 1 <= 1 || p[i + 1] == '\n'))
			continue;
		ft__putc(o, '.');
	}
	ft__put(o, (const char *)p + run, n - run);
	ft__putc(o, '\n');
}

void ft__put_safe(struct ft_strbuf *o, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c & 0x80) {
			FT_PUTS(o, "M-");
			c &= 0x7f;
		}
		if (c < 0x20 || c == 0x7f) {
			ft__putc(o, '^');
			c ^= 0x40;
		}
		ft__putc(o, (char)c);
	}
}
