/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: connection counter updates, 4 threads at once, with a concurrent extractor.
 *
 * Usage: bench_flows_counters [THREADS] [UPDATES_PER_THREAD]
 *
 * Each thread updates counters for its own Zipf-like mix of 4096 connections
 * (a few heavy ones, many light ones, as a datapath sees). In the main
 * figure packets of a connection come in bursts of 1..8 (mean 4.5), as a
 * batched TUN or UDP read delivers them (GSO/GRO segments, TCP windows); the
 * "random" figure draws every packet independently, the worst case for
 * caches. Meanwhile a fifth
 * thread extracts every 50 ms as a logger would (far more often than the
 * default 5 s, to make the atomic swap visible). The figure reported is CPU
 * time per update, averaged over the updating threads (CLOCK_THREAD_CPUTIME_ID):
 * on a machine with fewer cores than threads, wall time would count the
 * time a thread waits for a core as update cost. Wall-clock throughput is
 * printed too. A second figure does the same through ft_flows_add_ip() on
 * real IPv4/IPv6 TCP packets (parsing included).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flowtap/flows.h>

#define NCONN 4096

struct thr {
	struct ft_flows *f;
	int id;
	long n;
	bool ip;
	bool random;
	double cpu_ns;
	uint8_t (*pkts)[80];
	uint32_t *order;
	struct ft_flow_key *keys;
};

static atomic_bool stop_extract;

static double now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *extractor(void *arg)
{
	struct ft_flows *f = arg;
	while (!atomic_load(&stop_extract)) {
		struct ft_flow_stat *st;
		size_t n;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
		if (ft_flows_extract(f, &st, &n) == 0)
			free(st);
	}
	return NULL;
}

static void *updater(void *arg)
{
	struct thr *t = arg;
	double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < t->n; i++) {
		uint32_t c = t->order[i & (NCONN * 16 - 1)];
		if (t->ip)
			ft_flows_add_ip(t->f, t->pkts[c], (c & 1) ? 60 : 40,
					(i & 3) ? FT_DIR_OUT : FT_DIR_IN);
		else
			ft_flows_add(t->f, &t->keys[c], (i & 3) ? FT_DIR_OUT : FT_DIR_IN, 1,
				     100 + (i & 511));
	}
	t->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

static void build(struct thr *t)
{
	t->keys = calloc(NCONN, sizeof(*t->keys));
	t->pkts = calloc(NCONN, sizeof(*t->pkts));
	t->order = malloc(NCONN * 16 * sizeof(*t->order));
	unsigned seed = 12345u + (unsigned)t->id;
	for (uint32_t c = 0; c < NCONN; c++) {
		struct ft_flow_key *k = &t->keys[c];
		uint8_t *p = t->pkts[c];
		bool v6 = c & 1;
		k->proto = 6;
		k->sport = (uint16_t)(1024 + c);
		k->dport = 443;
		if (v6) {
			ft_addr_parse("fd7a:115c:a1e0::1", &k->src);
			ft_addr_parse("fd7a:115c:a1e0::2", &k->dst);
			k->src.b[14] = (uint8_t)t->id;
			k->dst.b[15] = (uint8_t)c;
			p[0] = 0x60;
			p[5] = 20;
			p[6] = 6;
			memcpy(p + 8, k->src.b, 16);
			memcpy(p + 24, k->dst.b, 16);
			p[40] = (uint8_t)(k->sport >> 8);
			p[41] = (uint8_t)k->sport;
			p[43] = 443 & 0xff;
			p[42] = 443 >> 8;
		} else {
			ft_addr_parse("100.64.0.1", &k->src);
			ft_addr_parse("100.64.1.1", &k->dst);
			k->src.b[2] = (uint8_t)t->id;
			k->dst.b[3] = (uint8_t)c;
			k->dst.b[2] = (uint8_t)(c >> 8);
			p[0] = 0x45;
			p[3] = 40;
			p[9] = 6;
			memcpy(p + 12, k->src.b, 4);
			memcpy(p + 16, k->dst.b, 4);
			p[20] = (uint8_t)(k->sport >> 8);
			p[21] = (uint8_t)k->sport;
			p[22] = 443 >> 8;
			p[23] = 443 & 0xff;
		}
	}
	/* Zipf-like: heavy connections are drawn far more often. */
	for (uint32_t i = 0; i < NCONN * 16;) {
		double u = (double)rand_r(&seed) / RAND_MAX;
		uint32_t c = (uint32_t)(NCONN * u * u * u);
		uint32_t burst = t->random ? 1 : 1 + (uint32_t)rand_r(&seed) % 8;
		for (uint32_t j = 0; j < burst && i < NCONN * 16; j++)
			t->order[i++] = c < NCONN ? c : NCONN - 1;
	}
}

static double run(int nthr, long n, bool ip, bool random, double *wall_mpps)
{
	struct ft_flows *f;
	struct thr t[16];
	pthread_t th[16], ex;
	if (ft_flows_new(&f, 1u << 16) < 0)
		return -1;
	for (int i = 0; i < nthr; i++) {
		t[i] = (struct thr){.f = f, .id = i, .n = n, .ip = ip, .random = random};
		build(&t[i]);
	}
	atomic_store(&stop_extract, false);
	pthread_create(&ex, NULL, extractor, f);
	double w0 = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < nthr; i++)
		pthread_create(&th[i], NULL, updater, &t[i]);
	double cpu = 0;
	for (int i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		cpu += t[i].cpu_ns;
	}
	double wall = now_ns(CLOCK_MONOTONIC) - w0;
	atomic_store(&stop_extract, true);
	pthread_join(ex, NULL);
	struct ft_flows_stats st;
	ft_flows_stats(f, &st);
	if (st.overflow)
		fprintf(stderr, "bench: unexpected overflow %llu\n",
			(unsigned long long)st.overflow);
	for (int i = 0; i < nthr; i++) {
		free(t[i].keys);
		free(t[i].pkts);
		free(t[i].order);
	}
	ft_flows_free(f);
	*wall_mpps = nthr * (double)n / wall * 1e3;
	return cpu / (nthr * (double)n);
}

int main(int argc, char **argv)
{
	int nthr = argc > 1 ? atoi(argv[1]) : 4;
	long n = argc > 2 ? atol(argv[2]) : 5000000;
	double mpps;
	if (nthr < 1 || nthr > 16 || n < 1) {
		fprintf(stderr, "usage: bench_flows_counters [THREADS 1..16] [UPDATES]\n");
		return 2;
	}
	double ns = run(nthr, n, false, false, &mpps);
	printf("# %d threads x %ld updates: %.1f Mupdates/s wall\n", nthr, n, mpps);
	printf("BENCH flow_counter_update_%dt %.1f ns/pkt\n", nthr, ns);
	ns = run(nthr, n, false, true, &mpps);
	printf("# %d threads x %ld updates, no bursts: %.1f Mupdates/s wall\n", nthr, n, mpps);
	printf("BENCH flow_counter_update_random_%dt %.1f ns/pkt\n", nthr, ns);
	ns = run(nthr, n, true, false, &mpps);
	printf("# %d threads x %ld packets via ft_flows_add_ip: %.1f Mpkt/s wall\n", nthr, n, mpps);
	printf("BENCH flow_counter_update_ip_%dt %.1f ns/pkt\n", nthr, ns);
	return 0;
}
