/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_recorder: the flight recorder (issue 16).
 *   - the hook with the recorder armed and no session, 1500-byte packets,
 *     snap length 256, against the unwatched hook;
 *   - two producer threads over one, recording (aggregate hook rate);
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
