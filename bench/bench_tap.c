/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_tap: the costs of the datapath hook.
 *   - no session attached, against an empty loop;
 *   - one match-all session, 1500-byte packets, pcap to /dev/null: producer
 *     rate, and drops at a paced 1 Mpps; compared with a plain memcpy;
 *   - a session whose filter rejects everything;
 *   - a session whose output is stalled, against an unstalled one;
 *   - 100-byte packets; the iovec and batch hooks and ft_tap_drop() unwatched;
 *   - 1, 2, 4 and 8 producer threads (reject-all and match-all).
 * Prints `BENCH <name> <value> <unit>` lines.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "bench_pkt.h"
#include "bench_scale.h"

#define BARRIER() __asm__ volatile("" ::: "memory")

static double hook_loop(struct ft_tap *t, uint64_t n, size_t len)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, len, NULL);
		BARRIER();
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double drop_loop(struct ft_tap *t, uint64_t n, size_t len)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		ft_tap_drop(t, FT_PATH_FROM_LOCAL, pkt, len, FT_DROP_ACL, NULL);
		BARRIER();
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double hook_iov_loop(struct ft_tap *t, uint64_t n, size_t len)
{
	struct iovec iov[2] = {{pkt, 20}, {pkt + 20, len - 20}};
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		ft_tap_hook_iov(t, FT_PATH_FROM_LOCAL, iov, 2, NULL);
		BARRIER();
	}
	return (double)(now_ns() - t0) / (double)n;
}

/* Per packet, in batches of 32 as one recvmmsg() might deliver. */
static double hook_batch_loop(struct ft_tap *t, uint64_t n, size_t len)
{
	struct iovec b[32];
	for (int i = 0; i < 32; i++)
		b[i] = (struct iovec){pkt, len};
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n / 32; i++) {
		ft_tap_hook_batch(t, FT_PATH_FROM_LOCAL, b, 32, NULL);
		BARRIER();
	}
	return (double)(now_ns() - t0) / (double)(n / 32 * 32);
}

/* The empty loop the batch loop is compared with: one iteration per 32. */
static double empty_batch_loop(uint64_t n)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n / 32; i++)
		BARRIER();
	return (double)(now_ns() - t0) / (double)(n / 32 * 32);
}

/* Hook calls per second over @nt threads (captured packets per second if
 * a session @s is given: what it wrote, until stop had drained it). */
static double scale_rate(struct ft_tap *t, int nt, size_t len, struct ft_session *s)
{
	struct ft_session_stats st;
	uint64_t el, t0 = now_ns(), calls = scale_calls(t, nt, len, 300000000ull, &el);
	if (!s)
		return (double)calls * 1e9 / (double)el;
	ft_session_stop(s, &st); /* the rate of what it wrote, drain included */
	return (double)st.written * 1e9 / (double)(now_ns() - t0);
}

static double empty_loop(uint64_t n)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		BARRIER();
	return (double)(now_ns() - t0) / (double)n;
}

static struct ft_session *start(struct ft_tap *t, const char *filter, int fd, ft_output_fn fn,
				void *ctx)
{
	struct ft_session_opts o;
	struct ft_session *s;
	char err[FT_ERRBUF_SIZE];
	ft_session_opts_init(&o);
	o.filter = filter;
	o.out_fd = fd;
	o.out = fn;
	o.out_ctx = ctx;
	o.bufsize = 16u << 20;
	if (ft_session_start(&s, t, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_tap: cannot start session: %s\n", err);
		exit(1);
	}
	return s;
}

static sem_t gate;
static int stalled_out(void *ctx, const void *d, size_t n)
{
	sem_wait(&gate);
	return 0;
}

/* Pairs measured per ratio (section 2 and the 2-thread scaling); odd, for a median. */
#define ROUNDS 5

/* One match-all capture of @n packets of @len bytes to /dev/null, and if
 * @pair the memcpy() of as many right after it. */
struct capture_round {
	double producer_ns, captured_mpps, dropped_pct, memcpy_ns, ratio;
};

static struct capture_round capture_round(struct ft_tap *t, int devnull, uint64_t n, size_t len,
					  bool pair)
{
	static uint8_t dst[1 << 20];
	struct capture_round r = {0};
	struct ft_session_stats st;
	struct ft_session *s = start(t, NULL, devnull, NULL, NULL);
	uint64_t c0 = now_ns();

	r.producer_ns = hook_loop(t, n, len);
	ft_session_stop(s, &st);
	r.captured_mpps = (double)st.written * 1000.0 / (double)(now_ns() - c0);
	r.dropped_pct = st.matched ? 100.0 * (double)st.dropped / (double)st.matched : 0;
	ft_session_free(s);
	if (!pair)
		return r;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		memcpy(dst + (i & 511) * 2048, pkt, len);
		BARRIER();
	}
	r.memcpy_ns = (double)(now_ns() - t0) / (double)n;
	r.ratio = r.captured_mpps / (1000.0 / r.memcpy_ns);
	return r;
}

static int cmp_round(const void *a, const void *b)
{
	double x = ((const struct capture_round *)a)->ratio;
	double y = ((const struct capture_round *)b)->ratio;
	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts @r by ratio; the middle one. */
static struct capture_round *median_round(struct capture_round *r, int n)
{
	qsort(r, (size_t)n, sizeof(*r), cmp_round);
	return &r[n / 2];
}

/* Hook calls per second of @nt threads under a reject-all session. */
static double reject_rate(struct ft_tap *t, int devnull, int nt)
{
	struct ft_session *s = start(t, "tcp port 9", devnull, NULL, NULL);
	double r = scale_rate(t, nt, sizeof(pkt), NULL);
	ft_session_stop(s, NULL);
	ft_session_free(s);
	return r;
}

/* Packets per second @nt threads got captured by a match-all session. */
static double matchall_rate(struct ft_tap *t, int devnull, int nt)
{
	struct ft_session *s = start(t, NULL, devnull, NULL, NULL);
	double r = scale_rate(t, nt, sizeof(pkt), s);
	ft_session_free(s);
	return r;
}

int main(void)
{
	struct ft_tap *t;
	struct ft_session *s;
	struct ft_session_stats st;
	int devnull = open("/dev/null", O_WRONLY);
	const uint64_t N = 200000000;

	mkpkt();
	if (ft_tap_new(&t, "bench") < 0 || devnull < 0)
		return 1;

	/* 1. Unwatched hook. Best of 3 against the same empty loop. */
	double e = 1e9, h = 1e9;
	for (int i = 0; i < 3; i++) {
		double a = empty_loop(N), b = hook_loop(t, N, sizeof(pkt));
		e = a < e ? a : e;
		h = b < h ? b : h;
	}
	printf("BENCH tap_hook_unwatched %.3f ns/call\n", h);
	printf("BENCH tap_hook_empty_loop %.3f ns/call\n", e);
	printf("BENCH tap_hook_unwatched_overhead %.3f ns/call\n", h - e > 0 ? h - e : 0);
	double hi = 1e9, hb = 1e9, eb = 1e9;
	for (int i = 0; i < 3; i++) {
		double a = hook_iov_loop(t, N, sizeof(pkt)), b = hook_batch_loop(t, N, sizeof(pkt));
		double c = empty_batch_loop(N);
		hi = a < hi ? a : hi;
		hb = b < hb ? b : hb;
		eb = c < eb ? c : eb;
	}
	printf("BENCH tap_hook_unwatched_overhead_iov %.3f ns/call\n", hi - e > 0 ? hi - e : 0);
	printf("BENCH tap_hook_unwatched_overhead_batch %.3f ns/pkt\n", hb - eb > 0 ? hb - eb : 0);
	/* ft_tap_drop() unwatched (no session, drop counting off) against the
	 * same empty loop. */
	double d = 1e9;
	for (int i = 0; i < 3; i++) {
		double a = drop_loop(t, N, sizeof(pkt));
		d = a < d ? a : d;
	}
	printf("BENCH tap_drop_unwatched_overhead %.3f ns/call\n", d - e > 0 ? d - e : 0);

	/* 2. Match-all session, 1500-byte packets, pcap to /dev/null. The
	 * producer offers as fast as it can; the capture rate is what the
	 * session wrote, from the first packet until stop had drained it. It
	 * is compared with memcpy() of the same bytes measured right after,
	 * in ROUNDS pairs: this host's speed changed up to twofold between
	 * back-to-back runs, which a single pair turned into the ratio. The
	 * median pair is reported (its figures too), and the spread. */
	const uint64_t M = 3000000;
	struct capture_round r[ROUNDS], *mid;
	for (int i = 0; i < ROUNDS; i++)
		r[i] = capture_round(t, devnull, M, sizeof(pkt), true);
	mid = median_round(r, ROUNDS);
	printf("BENCH tap_matchall_1500_producer_rate %.2f Mpps\n", 1000.0 / mid->producer_ns);
	printf("BENCH tap_matchall_1500_producer_cost %.1f ns/pkt\n", mid->producer_ns);
	printf("BENCH tap_matchall_1500_captured_rate %.2f Mpps\n", mid->captured_mpps);
	printf("BENCH tap_matchall_1500_dropped_at_max_rate %.2f %%\n", mid->dropped_pct);
	printf("BENCH memcpy_1500_rate %.2f Mpps\n", 1000.0 / mid->memcpy_ns);
	printf("BENCH tap_captured_vs_memcpy %.3f ratio\n", mid->ratio);
	printf("BENCH tap_captured_vs_memcpy_rounds_min %.3f ratio\n", r[0].ratio);
	printf("BENCH tap_captured_vs_memcpy_rounds_max %.3f ratio\n", r[ROUNDS - 1].ratio);

	/* The same with 100-byte packets (no memcpy pair): the median of
	 * ROUNDS runs by captured rate. */
	for (int i = 0; i < ROUNDS; i++) {
		r[i] = capture_round(t, devnull, M * 3, 100, false);
		r[i].ratio = r[i].captured_mpps;
	}
	mid = median_round(r, ROUNDS);
	printf("BENCH tap_matchall_100_captured_mpps %.2f Mpps\n", mid->captured_mpps);
	printf("BENCH tap_matchall_100_dropped_at_max_rate %.2f %%\n", mid->dropped_pct);
	printf("BENCH tap_matchall_100_captured_mpps_rounds_min %.2f Mpps\n", r[0].captured_mpps);
	printf("BENCH tap_matchall_100_captured_mpps_rounds_max %.2f Mpps\n",
	       r[ROUNDS - 1].captured_mpps);

	/* Paced at 1 Mpps for 1 s: drops must be 0. */
	s = start(t, NULL, devnull, NULL, NULL);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < 1000000; i++) {
		while (now_ns() - t0 < i * 1000)
			;
		ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, sizeof(pkt), NULL);
	}
	ft_session_stop(s, &st);
	ft_session_free(s);
	printf("BENCH tap_matchall_1mpps_dropped %llu pkts\n", (unsigned long long)st.dropped);
	printf("BENCH tap_matchall_1mpps_written %llu pkts\n", (unsigned long long)st.written);

	/* 3. A filter that rejects everything. */
	s = start(t, "tcp port 9", devnull, NULL, NULL);
	double ns = hook_loop(t, 10000000, sizeof(pkt));
	ft_session_stop(s, &st);
	ft_session_free(s);
	printf("BENCH tap_filter_reject_all %.1f ns/pkt\n", ns);

	/* Scaling with producer threads, against one thread in the same run:
	 * a reject-all filter (hook calls per second) and a match-all session
	 * (captured packets per second), 1500-byte packets. Two threads
	 * against one in ROUNDS pairs, the median pair's ratio reported (as
	 * above); 4 and 8 threads, one run each, against the median of the
	 * rounds' one-thread runs. */
	double rr[ROUNDS], mr[ROUNDS], r1s[ROUNDS], m1s[ROUNDS];
	for (int i = 0; i < ROUNDS; i++) {
		r1s[i] = reject_rate(t, devnull, 1);
		m1s[i] = matchall_rate(t, devnull, 1);
		rr[i] = reject_rate(t, devnull, 2) / r1s[i];
		mr[i] = matchall_rate(t, devnull, 2) / m1s[i];
	}
	qsort(rr, ROUNDS, sizeof(double), cmp_double);
	qsort(mr, ROUNDS, sizeof(double), cmp_double);
	qsort(r1s, ROUNDS, sizeof(double), cmp_double);
	qsort(m1s, ROUNDS, sizeof(double), cmp_double);
	double r1 = r1s[ROUNDS / 2], m1 = m1s[ROUNDS / 2]; /* medians */
	printf("BENCH tap_scaling_1t_reject_rate %.2f Mcalls/s\n", r1 / 1e6);
	printf("BENCH tap_scaling_1t_matchall_rate %.2f Mpps\n", m1 / 1e6);
	printf("BENCH tap_scaling_2t_reject %.3f ratio\n", rr[ROUNDS / 2]);
	printf("BENCH tap_scaling_2t_matchall %.3f ratio\n", mr[ROUNDS / 2]);
	printf("BENCH tap_scaling_2t_reject_rounds_min %.3f ratio\n", rr[0]);
	printf("BENCH tap_scaling_2t_reject_rounds_max %.3f ratio\n", rr[ROUNDS - 1]);
	printf("BENCH tap_scaling_2t_matchall_rounds_min %.3f ratio\n", mr[0]);
	printf("BENCH tap_scaling_2t_matchall_rounds_max %.3f ratio\n", mr[ROUNDS - 1]);
	for (int nt = 4; nt <= 8; nt *= 2) {
		printf("BENCH tap_scaling_%dt_reject %.3f ratio\n", nt,
		       reject_rate(t, devnull, nt) / r1);
		printf("BENCH tap_scaling_%dt_matchall %.3f ratio\n", nt,
		       matchall_rate(t, devnull, nt) / m1);
	}

	/* 4. Stalled output versus unstalled, 1500-byte packets, 16 MiB buffer. */
	const uint64_t K = 2000000;
	s = start(t, NULL, devnull, NULL, NULL);
	double unstalled = hook_loop(t, K, sizeof(pkt));
	ft_session_stop(s, &st);
	ft_session_free(s);
	sem_init(&gate, 0, 0);
	s = start(t, NULL, -1, stalled_out, NULL);
	double stalled = hook_loop(t, K, sizeof(pkt));
	ft_session_get_stats(s, &st);
	for (int i = 0; i < 1000; i++)
		sem_post(&gate);
	ft_session_stop(s, NULL);
	ft_session_free(s);
	printf("BENCH tap_unstalled_cost %.1f ns/pkt\n", unstalled);
	printf("BENCH tap_stalled_cost %.1f ns/pkt\n", stalled);
	printf("BENCH tap_stalled_vs_unstalled %.3f ratio\n", stalled / unstalled);
	printf("BENCH tap_stalled_dropped %llu pkts\n", (unsigned long long)st.dropped);
	ft_tap_free(t);
	return 0;
}
