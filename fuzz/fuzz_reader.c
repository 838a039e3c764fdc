/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_reader.c - libFuzzer target: pcap, pcapng and user0 files through
 * ft_reader (flowtap's own pcapng parser, libpcap for classic pcap, the
 * user0 prefix), each packet then through the text formatter.
 *
 * The input is the whole file, held in a memfd opened by its /proc path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flowtap/reader.h>
#include <flowtap/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PKTS 4096

static volatile uint8_t sink;

/* Text output: each packet gets exactly ft_text_size_max() bytes at the END
 * of this region, so one byte written past that is a global-buffer-overflow
 * for ASan, without a large malloc per packet (an mmap each under ASan,
 * which made this target run 11 inputs a second). */
static char region[4u << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char errbuf[FT_ERRBUF_SIZE];
	struct ft_reader *r;
	struct ft_pkt p;

	if (fd < 0) {
		fd = memfd_create("ftg-fuzz-reader", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (ft_reader_open(&r, path, errbuf) != 0)
		return 0;
	(void)ft_reader_dlt(r);
	(void)ft_reader_snaplen(r);
	for (int i = 0; i < MAX_PKTS; i++) {
		int ret = ft_reader_next(r, &p);
		if (ret == 0)
			break;
		if (ret < 0) {
			if (!*ft_reader_error(r))
				abort(); /* a corrupt file must say why */
			if (!ft_reader_is_user0(r))
				break;
			continue;
		}
		if (p.caplen > 16 * 1024 * 1024 || (p.caplen && !p.data))
			abort();
		/* Touch every byte handed out: ASan checks it is ours. */
		uint8_t sum = 0;
		for (uint32_t j = 0; j < p.caplen; j++)
			sum ^= p.data[j];
		sink = sum;
		/* The invariant of issue 11: a buffer of ft_text_size_max()
		 * holds the whole text of any packet; nothing is ever cut. */
		struct ft_text_opts o = {.time = FT_TIME_UTC,
					 .flags = FT_TEXT_VERBOSE | FT_TEXT_HEX | FT_TEXT_ASCII};
		size_t cap = ft_text_size_max(p.caplen, o.flags);
		if (cap > sizeof(region))
			abort(); /* p.caplen is at most 262144 */
		struct ft_strbuf b = {.p = region + sizeof(region) - cap, .cap = cap};
		ft_text_format(&p, &o, &b);
		if (b.overflow || b.len >= cap)
			abort();
	}
	ft_reader_close(r);
	return 0;
}
