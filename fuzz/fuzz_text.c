/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_text.c - libFuzzer target: the packet decoders through the text
 * formatter, for every link type flowtap reads.
 *
 * Input: byte 0 picks the link type, byte 1 the -v/-A/-x flags and the
 * direction, byte 2 the output buffer size (a small one exercises the cut
 * and overflow path); the rest is the packet. The packet is an exact-size
 * heap copy so ASan sees a read one byte past the end.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = {
    DLT_EN10MB,
    DLT_RAW,
    DLT_LINUX_SLL,
    DLT_LINUX_SLL2,
    DLT_NULL,
    DLT_LOOP,
    DLT_NFLOG,
    147 /* user0 */,
    DLT_IPV4,
    DLT_IPV6,
    101 /* LINKTYPE_RAW */,
    DLT_PPP,
    50 /* PPP_SERIAL */,
    104 /* C_HDLC */,
};

/* The text goes into exactly ft_text_size_max() bytes at the END of this
 * region: a byte written past them is an ASan report, without a large
 * malloc (an mmap under ASan) per input. */
static char region[4u << 20];

static void check(const struct ft_strbuf *b)
{
	if (b->len >= b->cap || b->p[b->len] != '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_text_opts o = {.time = FT_TIME_UTC};
	struct ft_pkt p = {0};
	char small[256];
	uint8_t *buf;

	if (size < 3)
		return 0;
	p.dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	o.flags = data[1] & (FT_TEXT_VERBOSE | FT_TEXT_ASCII | FT_TEXT_HEX);
	p.dir = (uint8_t)((data[1] >> 3) % 3);
	p.path = (data[1] & 0x20) ? (uint16_t)(data[1] >> 6) : FT_PATH_NONE;
	if (data[1] & 0x40) {
		p.nat_src.len = 4;
		memcpy(p.nat_src.b, "\x0a\x00\x00\x01", 4);
	}
	size_t small_cap = 1 + data[2];
	data += 3;
	size -= 3;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	p.data = buf;
	p.caplen = (uint32_t)size;
	p.len = (uint32_t)size + (data[-1] & 1) * 100;
	p.ts_ns = 1700000000123456789ull;

	/* ft_text_size_max() always holds one packet: nothing is cut. */
	size_t cap = ft_text_size_max(p.caplen, o.flags);
	if (cap > sizeof(region))
		return 0; /* larger than any packet libpcap reads */
	char *big = region + sizeof(region) - cap;
	struct ft_strbuf b = {.p = big, .cap = cap};
	size_t n = ft_text_format(&p, &o, &b);
	if (n != b.len || b.overflow)
		abort();
	check(&b);
	if (!memchr(big, '\n', b.len))
		abort();

	struct ft_strbuf s = {.p = small, .cap = small_cap};
	ft_text_format(&p, &o, &s);
	check(&s);
	/* A cut line is a prefix of the whole one. */
	if (s.len > b.len || memcmp(small, big, s.len))
		abort();
	free(buf);
	return 0;
}
