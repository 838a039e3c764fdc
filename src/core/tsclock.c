/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the hook's clock: CLOCK_REALTIME interpolated with an invariant TSC (tsclock.h). */
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "clock.h"
#include "tsclock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

__thread __attribute__((tls_model("initial-exec"))) struct ft__tsclock ft__tsc;

#define MEASURE_TICKS (1u << 20) /* the first rate is taken over this many ticks */
#define SPAN_NS	      1000000u	 /* then the clock is read about every millisecond */

/* Whether the TSC ticks at a constant rate whatever the CPU does (cpuid
 * 0x80000007, EDX bit 8). Racy first calls compute the same answer. */
static bool tsc_invariant(void)
{
	static _Atomic int known; /* 0: not asked yet, 1: no, 2: yes */
	int k = atomic_load_explicit(&known, memory_order_relaxed);

	if (!k) {
		k = 1;
#if defined(__x86_64__)
		unsigned a, b, c, d;
		if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d >> 8 & 1))
			k = 2;
#endif
		atomic_store_explicit(&known, k, memory_order_relaxed);
	}
	return k == 2;
}

uint64_t ft__tsclock_slow(void)
{
	struct ft__tsclock *c = &ft__tsc;
	uint64_t ns = ft__now_ns(), t;

	if (!tsc_invariant())
		return ns;
#if defined(__x86_64__)
	t = __rdtsc();
#else
	t = 0;
#endif
	if (!c->mult && c->tsc && t - c->tsc < MEASURE_TICKS)
		return ns > c->last ? (c->last = ns) : c->last; /* still measuring */
	if (c->tsc && t > c->tsc && ns > c->ns) {
		uint64_t m = ((ns - c->ns) << 32) / (t - c->tsc);
		/* Smoothed: one interval's jitter moves the rate by an eighth. */
		c->mult = c->mult ? c->mult - c->mult / 8 + m / 8 : m;
	}
	c->tsc = t;
	c->ns = ns;
	c->span = c->mult ? ((uint64_t)SPAN_NS << 32) / c->mult : 0;
	if (ns < c->last)
		ns = c->last;
	c->last = ns;
	return ns;
}
