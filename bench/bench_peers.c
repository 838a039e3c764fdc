/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_peers - ft_peers_lookup() with 10,000 peers, each with an IPv4 and
 * an IPv6 address and every 10th with a /24 subnet route: lookups of
 * random addresses, half IPv4 and half IPv6, 90% owned by a peer and 10%
 * not, timed in CPU time. Prints `BENCH peers_lookup_ns <v> ns`
 * (`peers_lookup_exit_ns` with EXIT=1).
 * V4ONLY=1 or V6ONLY=1 in the environment queries one family only;
 * EXIT=1 adds an exit node owning 0.0.0.0/0 and ::/0, so that the IPv6
 * ranges span the whole space (the 128-bit path) and misses find it.
 *
 * Usage: bench_peers [PEERS] [MIN_SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <flowtap/peers.h>

#define NADDR 4096 /* a working set of queried addresses */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t seed = 88172645463325252ull;
static uint32_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)seed;
}

static void v4(struct ft_addr *a, uint32_t x)
{
	a->len = 4;
	a->b[0] = (uint8_t)(x >> 24), a->b[1] = (uint8_t)(x >> 16);
	a->b[2] = (uint8_t)(x >> 8), a->b[3] = (uint8_t)x;
}

static void v6(struct ft_addr *a, uint32_t x)
{
	static const uint8_t pfx[6] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
	a->len = 16;
	for (int i = 0; i < 16; i++)
		a->b[i] = i < 6 ? pfx[i] : 0;
	a->b[12] = (uint8_t)(x >> 24), a->b[13] = (uint8_t)(x >> 16);
	a->b[14] = (uint8_t)(x >> 8), a->b[15] = (uint8_t)x;
}

int main(int argc, char **argv)
{
	unsigned npeers = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
	double min_s = argc > 2 ? atof(argv[2]) : 1.0;
	static struct ft_addr q[NADDR];
	struct ft_peers *p;
	size_t hits = 0, done = 0;
	double t0, t;

	if (ft_peers_new(&p) < 0)
		return 1;
	for (unsigned i = 0; i < npeers; i++) {
		struct ft_prefix a[3];
		char name[32];
		v4(&a[0].addr, 0x64400000u + i * 3); /* 100.64.0.0 + 3i: gaps between peers */
		a[0].bits = 32;
		v6(&a[1].addr, i * 3);
		a[1].bits = 128;
		v4(&a[2].addr, 0x0a000000u + (i << 8)); /* 10.x.y.0/24 */
		a[2].bits = 24;
		snprintf(name, sizeof(name), "peer-%u", i);
		struct ft_peer n = {.name = name, .addrs = a, .naddrs = i % 10 ? 2 : 3};
		if (ft_peers_add(p, &n) < 0)
			return 1;
	}
	if (getenv("EXIT")) {
		struct ft_prefix a[2];
		ft_prefix_parse("0.0.0.0/0", &a[0]);
		ft_prefix_parse("::/0", &a[1]);
		struct ft_peer n = {.name = "exit", .addrs = a, .naddrs = 2};
		if (ft_peers_add(p, &n) < 0)
			return 1;
	}
	if (ft_peers_build(p) < 0)
		return 1;
	for (int i = 0; i < NADDR; i++) {
		uint32_t k = rnd() % npeers * 3 + (rnd() % 10 == 0); /* +1: between peers */
		if ((i & 1) && !getenv("V4ONLY"))
			v6(&q[i], k);
		else if (getenv("V6ONLY"))
			v6(&q[i], k);
		else
			v4(&q[i], 0x64400000u + k);
	}
	t0 = now();
	do {
		for (int i = 0; i < NADDR; i++)
			hits += ft_peers_lookup(p, &q[i]) != NULL;
		done += NADDR;
		t = now() - t0;
	} while (t < min_s);
	fprintf(stderr, "bench_peers: %u peers, %zu lookups, %.1f%% found\n", npeers, done,
		100.0 * (double)hits / (double)done);
	printf("BENCH %s %.1f ns\n", getenv("EXIT") ? "peers_lookup_exit_ns" : "peers_lookup_ns",
	       t * 1e9 / (double)done);
	ft_peers_free(p);
	return 0;
}
