/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_anon.c - the cost of one address through Crypto-PAn (ft_anon_ip4,
 * ft_anon_ip6): addresses that repeat (the caches answer), and random ones
 * as a hostile sender would send (every lookup misses). The per-address
 * cost must not grow with the number of distinct addresses: 1M and 4M
 * random addresses are timed, and their ratio printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <flowtap/anon.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ns per address over @n addresses: random ones, or 1024 distinct. */
static double run4(struct ft_anon *a, size_t n, bool random)
{
	volatile uint8_t sink = 0;
	double t = now();
	for (size_t i = 0; i < n; i++) {
		uint32_t v = random ? (uint32_t)next() : (uint32_t)(0x0a000000u + (i & 1023));
		uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
				(uint8_t)v};
		ft_anon_ip4(a, b);
		sink ^= b[3];
	}
	(void)sink;
	return (now() - t) * 1e9 / (double)n;
}

static double run6(struct ft_anon *a, size_t n)
{
	volatile uint8_t sink = 0;
	double t = now();
	for (size_t i = 0; i < n; i++) {
		uint8_t b[16];
		uint64_t h = next(), l = next();
		for (int j = 0; j < 8; j++)
			b[j] = (uint8_t)(h >> (8 * j)), b[8 + j] = (uint8_t)(l >> (8 * j));
		ft_anon_ip6(a, b);
		sink ^= b[15];
	}
	(void)sink;
	return (now() - t) * 1e9 / (double)n;
}

int main(void)
{
	uint8_t key[FT_ANON_KEY_LEN];
	struct ft_anon *a;

	for (int i = 0; i < FT_ANON_KEY_LEN; i++)
		key[i] = (uint8_t)next();
	if (ft_anon_new(&a, key) < 0) {
		fprintf(stderr, "bench_anon: ft_anon_new failed\n");
		return 1;
	}
	double cached = run4(a, 4000000, false);
	double r1 = run4(a, 1000000, true);
	double r4 = run4(a, 4000000, true);
	double v6 = run6(a, 200000);
	printf("BENCH anonymize_addr_cached_ns %.1f ns\n", cached);
	printf("BENCH anonymize_addr_random_ns %.1f ns\n", r1);
	printf("BENCH anonymize_addr_random_4x_ratio %.2f x\n", r4 / r1);
	printf("BENCH anonymize_addr6_random_ns %.1f ns\n", v6);
	ft_anon_free(a);
	return 0;
}
