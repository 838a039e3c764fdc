/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_scale.h - @nt producer threads calling ft_tap_hook for a fixed time
 * (the scaling figures of bench_tap and bench_recorder). */
#ifndef FT_BENCH_SCALE_H
#define FT_BENCH_SCALE_H

#include <pthread.h>

#include <flowtap/tap.h>

#include "bench_pkt.h"

#define BENCH_SCALE_MAX_THREADS 8

struct scale_arg {
	struct ft_tap *t;
	size_t len;
	uint64_t ns, calls;
};

static void *scale_thread(void *p)
{
	struct scale_arg *a = p;
	uint64_t t0 = now_ns(), n = 0;
	while (now_ns() - t0 < a->ns) {
		for (int i = 0; i < 1024; i++) {
			ft_tap_hook(a->t, FT_PATH_FROM_LOCAL, pkt, a->len, NULL);
			__asm__ volatile("" ::: "memory");
		}
		n += 1024;
	}
	a->calls = n;
	return NULL;
}

/* Hook calls made by @nt threads (at most BENCH_SCALE_MAX_THREADS) of
 * @len-byte packets for @ns each; the elapsed time in *@elapsed_ns. */
static inline uint64_t scale_calls(struct ft_tap *t, int nt, size_t len, uint64_t ns,
				   uint64_t *elapsed_ns)
{
	pthread_t th[BENCH_SCALE_MAX_THREADS];
	struct scale_arg a[BENCH_SCALE_MAX_THREADS];
	uint64_t calls = 0, t0 = now_ns();
	for (int i = 0; i < nt; i++) {
		a[i] = (struct scale_arg){t, len, ns, 0};
		pthread_create(&th[i], NULL, scale_thread, &a[i]);
	}
	for (int i = 0; i < nt; i++) {
		pthread_join(th[i], NULL);
		calls += a[i].calls;
	}
	*elapsed_ns = now_ns() - t0;
	return calls;
}

#endif
