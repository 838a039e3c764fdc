/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_pkt.h - the clock and the 1500-byte UDP packet of the hook benchmarks. */
#ifndef FT_BENCH_PKT_H
#define FT_BENCH_PKT_H

#include <stdint.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t pkt[1500];

static inline void mkpkt(void)
{
	memset(pkt, 0xab, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = 1500 >> 8;
	pkt[3] = 1500 & 0xff;
	pkt[8] = 64;
	pkt[9] = 17;
	uint8_t src[4] = {100, 64, 0, 1}, dst[4] = {100, 64, 0, 2};
	memcpy(pkt + 12, src, 4);
	memcpy(pkt + 16, dst, 4);
	pkt[20] = 0x13, pkt[21] = 0x88, pkt[22] = 0x00, pkt[23] = 0x35;
}

#endif
