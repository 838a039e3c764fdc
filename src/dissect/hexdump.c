/* \summary: -x hex+ASCII dump (tcpdump -X layout) and -A printable dump.
 *
 *   \t0x0000:  4500 0054 0000 4000 4001 3ca7 7f00 0001  E..T..@.@.<.....
 *
 * Both dump the bytes from the network-layer header on (the link-layer
 * header is left out, as tcpdump does without -e), or the whole frame when
 * the link layer is not understood. Callers pass a range they bounded
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

void ft__hexdump(struct ft_strbuf *o, const uint8_t *p, size_t n)
{
	char line[8 + 16 + HEX_WIDTH + 2 + PER_LINE + 1];

	for (size_t off = 0; off < n; off += PER_LINE) {
		size_t k = n - off < PER_LINE ? n - off : PER_LINE, q = 0;
		char offs[8];
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
		while (q < hex_start + HEX_WIDTH + 2)
			line[q++] = ' ';
		for (size_t i = 0; i < k; i++)
			line[q++] = printable(p[off + i]);
		line[q++] = '\n';
		ft__put(o, line, q);
	}
}

void ft__asciidump(struct ft_strbuf *o, const uint8_t *p, size_t n)
{
	size_t run = 0;

	if (!n)
		return;
	/* Like tcpdump -A: tabs, spaces and newlines pass, a CR before LF is
	 * dropped, other non-printable bytes become '.'. */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n')
			continue;
		ft__put(o, (const char *)p + run, i - run);
		run = i + 1;
		if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		ft__putc(o, '.');
	}
	ft__put(o, (const char *)p + run, n - run);
	if (p[n - 1] != '\n')
		ft__putc(o, '\n');
}
