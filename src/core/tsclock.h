/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsclock.h - the hook's timestamps: CLOCK_REALTIME, read per thread through
 * the CPU's time-stamp counter.
 *
 * clock_gettime() costs the hook more than the rest of recording a packet
 * on some virtual machines (46 ns with kvm-clock, where the recorder's
 * whole record takes about 30). Where the TSC is invariant (it ticks at a
 * constant rate in every power state, as cpuid reports), a thread reads
 * the clock once per millisecond or so and interpolates with the TSC in
 * between, at the rate it measured over its previous intervals: within a
 * fraction of a microsecond of the clock, and never backwards on a thread.
 * Elsewhere, and for a thread's first fraction of a millisecond (before
 * it has measured the rate), it is clock_gettime().
 *
 * State is per thread (initial-exec TLS, as tap.c's slot cache): no
 * cache line is shared.
 */
#ifndef FT_TSCLOCK_H
#define FT_TSCLOCK_H

#include <stdint.h>

struct ft__tsclock {
	uint64_t tsc, ns; /* the anchor: a TSC reading and the clock with it */
	uint64_t mult;	  /* ns per tick, 32.32 fixed point; 0: not measured yet */
	uint64_t span;	  /* ticks after the anchor before the clock is read again */
	uint64_t last;	  /* the last time returned: never backwards */
};

extern __thread __attribute__((tls_model("initial-exec"))) struct ft__tsclock ft__tsc;

/* The clock read, a new anchor and rate. Not hot: once per span. */
uint64_t ft__tsclock_slow(void);

#if defined(__x86_64__)
#include <x86intrin.h>

/* CLOCK_REALTIME in ns since the epoch. Hot path. */
static inline uint64_t ft__hook_now_ns(void)
{
	struct ft__tsclock *c = &ft__tsc;
	uint64_t d = __rdtsc() - c->tsc;

	if (__builtin_expect(d < c->span, 1)) {
		uint64_t ns = c->ns + (uint64_t)(((unsigned __int128)d * c->mult) >> 32);
		if (ns < c->last)
			ns = c->last;
		c->last = ns;
		return ns;
	}
	return ft__tsclock_slow();
}
#else
static inline uint64_t ft__hook_now_ns(void)
{
	return ft__tsclock_slow();
}
#endif

#endif
