/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_anon.c - libFuzzer target: the anonymizing packet rewriter, then the
 * text printer over what it wrote.
 *
 * Input as fuzz_text.c's: byte 0 picks the link type, byte 1 the flags
 * (bit 0: headers only, bit 1: cut without mapping), byte 2 is unused; the
 * rest is the packet, in an exact-size heap copy so ASan sees a read or a
 * write one byte past the end. The rewriter must never grow the packet.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/anon.h>
#include <flowtap/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = {
    DLT_EN10MB,
    DLT_RAW,
    DLT_LINUX_SLL,
    276 /* SLL2 */,
    DLT_NULL,
    108 /* LOOP */,
    239,
    147,
    228,
    229,
    101,
    DLT_PPP,
    50,
    104,
};

static struct ft_anon *anon;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[FT_ANON_KEY_LEN] = "flowtap fuzz key, 32 bytes long";
	struct ft_text_opts o = {.time = FT_TIME_UTC, .flags = FT_TEXT_VERBOSE};
	struct ft_pkt p = {0};
	char out[1 << 16];
	uint8_t *buf;
	int n;

	if (!anon && ft_anon_new(&anon, key) < 0)
		abort();
	if (size < 3)
		return 0;
	p.dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	unsigned flags = (data[1] & 1) ? FT_ANON_HEADERS_ONLY : 0;
	struct ft_anon *a = (data[1] & 2) ? NULL : anon;
	data += 3;
	size -= 3;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	n = ft_anon_packet(a, buf, (uint32_t)size, p.dlt, flags);
	if (n == FT_ELINKTYPE) {
		if (ft_anon_dlt_supported(p.dlt))
			abort();
	} else if (n < 0 || (size_t)n > size) {
		abort();
	} else {
		p.data = buf;
		p.caplen = (uint32_t)n;
		p.len = (uint32_t)size;
		struct ft_strbuf b = {.p = out, .cap = sizeof(out)};
		ft_text_format(&p, &o, &b);
	}
	free(buf);
	return 0;
}
