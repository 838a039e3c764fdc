/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_recorder: the flight recorder (issue 16).
 *   - the hook with the recorder armed and no session, 1500-byte packets,
 *     snap length 256, against the unwatched hook;
 *   - two producer threads over one, recording (aggregate hook rate), and
 *     the same for plain copies of the records' size (the memory's bound);
 *   - writing a full 64 MiB window to a pcapng file (history-only session).
 * Prints `BENCH <name> <value> <unit>` lines.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "bench_pkt.h"
#include "bench_scale.h"

#define BARRIER() __asm__ volatile("" ::: "memory")

static double hook_loop(struct ft_tap *t, uint64_t n)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, sizeof(pkt), NULL);
		BARRIER();
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double scale_rate(struct ft_tap *t, int nt)
{
	uint64_t el, calls = scale_calls(t, nt, sizeof(pkt), 500000000ull, &el);
	return (double)calls * 1e9 / (double)el;
}

/*
 * The peer of the scaling figure: the same stream of stores without the
 * recorder, each thread copying 280-byte records (a 256-byte snap and the
 * record headers) through its own half of 64 MiB, as the recorder's
 * threads do through their blocks. Its two-thread ratio is what the
 * memory system allows, the bound of recorder_scaling_2t.
 */
#define PEER_REC  280
#define PEER_AREA (64u << 20)

struct peer_arg {
	uint8_t *area;
	size_t size;
	uint64_t ns, recs;
};

static void *peer_thread(void *p)
{
	struct peer_arg *a = p;
	uint64_t t0 = now_ns(), n = 0;
	size_t off = 0;

	while (now_ns() - t0 < a->ns) {
		for (int i = 0; i < 1024; i++) {
			if (off + PEER_REC > a->size)
				off = 0;
			memcpy(a->area + off, pkt, PEER_REC);
			off += PEER_REC;
			BARRIER();
		}
		n += 1024;
	}
	a->recs = n;
	return NULL;
}

static double peer_rate(uint8_t *area, int nt)
{
	pthread_t th[2];
	struct peer_arg a[2];
	uint64_t recs = 0, t0 = now_ns();

	for (int i = 0; i < nt; i++) {
		a[i] = (struct peer_arg){area + (size_t)i * (PEER_AREA / 2), PEER_AREA / 2,
					 500000000ull, 0};
		pthread_create(&th[i], NULL, peer_thread, &a[i]);
	}
	for (int i = 0; i < nt; i++) {
		pthread_join(th[i], NULL);
		recs += a[i].recs;
	}
	return (double)recs * 1e9 / (double)(now_ns() - t0);
}

/* A history-only pcapng session of the whole window into @fd; ms. */
static double dump_ms(struct ft_tap *t, int fd, uint64_t *written)
{
	struct ft_session_opts o;
	struct ft_session *s;
	struct ft_session_stats st;
	uint64_t t0 = now_ns();

	ft_session_opts_init(&o);
	o.format = FT_FORMAT_PCAPNG;
	o.out_fd = fd;
	o.since_ms = 60000;
	o.history_only = true;
	if (ft_session_start(&s, t, &o, NULL, 0) < 0)
		return -1;
	do {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		ft_session_get_stats(s, &st);
	} while (!st.done);
	double ms = (double)(now_ns() - t0) / 1e6;
	*written = st.written;
	ft_session_free(s);
	return ms;
}

int main(void)
{
	struct ft_tap *t;
	struct ft_recorder_stats rs;
	const uint64_t N = 20000000;
	char path[] = "/tmp/flowtap-bench-rec.XXXXXX";
	const char *tmp = getenv("FT_BENCH_TMP");
	char pbuf[512];

	mkpkt();
	if (ft_tap_new(&t, "bench") < 0 || ft_tap_recorder_start(t, NULL) < 0)
		return 1;
	/* 1. Armed, no session: best of 3 (the first pass also wraps the
	 * 64 MiB, so later passes pay for reusing blocks). */
	double h = 1e9;
	for (int i = 0; i < 3; i++) {
		double b = hook_loop(t, N);
		h = b < h ? b : h;
	}
	printf("BENCH recorder_hook_cost_ns %.1f ns/pkt\n", h);

	/* 2. Two producer threads over one. */
	double r1 = 0, r2 = 0;
	for (int i = 0; i < 2; i++) {
		double a = scale_rate(t, 1), b = scale_rate(t, 2);
		r1 = a > r1 ? a : r1;
		r2 = b > r2 ? b : r2;
	}
	printf("BENCH recorder_scaling_1t_rate %.2f Mpps\n", r1 / 1e6);
	printf("BENCH recorder_scaling_2t %.3f ratio\n", r2 / r1);
	/* Its bound, measured the same way right after. */
	uint8_t *area = malloc(PEER_AREA);
	if (!area)
		return 1;
	memset(area, 0, PEER_AREA);
	double p1 = 0, p2 = 0;
	for (int i = 0; i < 2; i++) {
		double a = peer_rate(area, 1), b = peer_rate(area, 2);
		p1 = a > p1 ? a : p1;
		p2 = b > p2 ? b : p2;
	}
	free(area);
	printf("BENCH recorder_peer_memcpy_1t_rate %.2f Mrec/s\n", p1 / 1e6);
	printf("BENCH recorder_peer_memcpy_scaling_2t %.3f ratio\n", p2 / p1);
	printf("BENCH recorder_scaling_2t_vs_memcpy %.3f ratio\n", (r2 / r1) / (p2 / p1));

	/* 3. The full window (64 MiB of 1500-byte packets cut to 256) to pcapng. */
	ft_tap_recorder_stats(t, &rs);
	int fd = -1;
	if (tmp) {
		snprintf(pbuf, sizeof(pbuf), "%s/rec.pcapng", tmp);
		fd = open(pbuf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	} else {
		fd = mkstemp(path);
		snprintf(pbuf, sizeof(pbuf), "%s", path);
	}
	if (fd < 0)
		return 1;
	uint64_t written = 0;
	double ms = dump_ms(t, fd, &written);
	printf("BENCH recorder_dump_60s_ms %.0f ms\n", ms);
	printf("BENCH recorder_dump_60s_packets %llu pkts\n", (unsigned long long)written);
	printf("BENCH recorder_window_bytes %llu bytes\n", (unsigned long long)rs.bytes);
	close(fd);
	unlink(pbuf);
	ft_tap_free(t);
	return 0;
}
