/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_user0.c - libFuzzer target: the user0 record prefix parser.
 * A parsed prefix written back with ft__user0_put() must give the same
 * bytes, and the IP packet handed out must lie inside the record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/reader.h>

#include "user0.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_pkt p = {0};
	uint8_t pre[FT__USER0_PREFIX_MAX];
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (ft_user0_parse(buf, (uint32_t)size, &p) == 0) {
		size_t plen = ft__user0_prefix_len(&p);
		if (p.data < buf || p.data + p.caplen != buf + size ||
		    (size_t)(p.data - buf) != plen)
			abort();
		if (ft__user0_put(pre, &p) != plen || memcmp(pre, buf, plen))
			abort();
		if (p.nat_src.len != 0 && p.nat_src.len != 4 && p.nat_src.len != 16)
			abort();
	} else if (p.nat_src.len || p.nat_dst.len) {
		abort(); /* cleared on error */
	}
	free(buf);
	return 0;
}
