/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock.h - the clock helpers of the library: nanosecond readings and
 * deadlines for condition variables. Inline: some run per batch of packets,
 * ft__now_ns() per hooked packet that a session keeps (clock_gettime() of
 * these clocks is a vDSO call, no system call).
 * Condition variables waiting with a deadline from ft__mono_deadline() must
 * be created with pthread_condattr_setclock(CLOCK_MONOTONIC).
 */
#ifndef FT_CLOCK_H
#define FT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t ft__ns_of(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* ft__mono_ns - CLOCK_MONOTONIC in ns: intervals, timeouts, pacing. */
static inline uint64_t ft__mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ft__ns_of(&ts);
}

/* ft__now_ns - wall clock (CLOCK_REALTIME) in ns since the epoch: timestamps. */
static inline uint64_t ft__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ft__ns_of(&ts);
}

/* ft__deadline - @clock now plus @ms, as a timespec for timed waits. */
static inline struct timespec ft__deadline(clockid_t clock, uint64_t ms)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* ft__mono_deadline - CLOCK_MONOTONIC now plus @ms. */
static inline struct timespec ft__mono_deadline(uint64_t ms)
{
	return ft__deadline(CLOCK_MONOTONIC, ms);
}

/* ft__mono_passed - whether the CLOCK_MONOTONIC deadline @dl has passed. */
static inline bool ft__mono_passed(const struct timespec *dl)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ft__ns_of(&now) >= ft__ns_of(dl);
}

#endif
