/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ft_text_size_max - how much text one packet can make.
 *
 * Output buffers are sized from the packet, so no line or dump is ever cut
 * (a fixed FT_TEXT_MAX cut the -x dump of packets over 64 KiB). The bound
 * is the summary line's budget plus the dumps, which grow with the bytes.
 */
#include <flowtap/text.h>

/*
 * The summary line (through its '\n'). Dissectors bound what they print
 * independently of the packet size (DNS at most 64 questions and 4 answers
 * of at most 255-byte names, tunnels 4 levels deep), except the text lines
 * of HTTP on its ports, printed whole as tcpdump does: at most the payload,
 * plus "\n\t" per line with -v, so three characters per byte bound them. fuzz_text and fuzz_reader
 * check every output against the whole bound.
 */
#define LINE_MAX_ (128 * 1024)

/* Peer names after addresses ("(laptop-b)"): two per IP header, escaped
 * at most four characters per byte; at most 16 IP headers are printed
 * (tunnels and quoted ICMP errors, bounded by the decoders' depth). */
#define NAMES_MAX (16 * 2 * (2 + 4 * 63))

/* One -x line per 16 bytes: "\t0x" + up to 8 offset digits + ":  " + 8
 * groups " xxxx" + 2 spaces + 16 characters + '\n'. */
#define HEX_LINE_MAX (1 + 2 + 8 + 2 + 40 + 2 + 16 + 1)

FT_EXPORT size_t ft_text_size_max(uint32_t caplen, unsigned flags)
{
	size_t n =
	    LINE_MAX_ + NAMES_MAX + 1 + 3 * (size_t)caplen; /* the line and the NUL after it */

	/* Any flag besides -v may add a dump of the packet bytes: count both
	 * the hex lines and the -A text (at most one character per byte, and
	 * a final newline). */
	if (flags & (FT_TEXT_HEX | FT_TEXT_HEXONLY | FT_TEXT_ASCII))
		n += ((size_t)caplen + 15) / 16 * HEX_LINE_MAX + (size_t)caplen + 1;
	return n;
}
