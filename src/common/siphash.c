/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: random keys for the keyed hashes (siphash.h). */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "siphash.h"

void ft__sipkey_random(struct ft__sipkey *k)
{
	struct timespec a, b;
	/* GRND_NONBLOCK: a library must not block a datapath at early boot. */
	if (getrandom(k, sizeof(*k), GRND_NONBLOCK) == (ssize_t)sizeof(*k))
		return;
	clock_gettime(CLOCK_REALTIME, &a);
	clock_gettime(CLOCK_MONOTONIC, &b);
	uint64_t m[4] = {(uint64_t)a.tv_sec, (uint64_t)a.tv_nsec, (uint64_t)b.tv_nsec,
			 (uint64_t)(uintptr_t)k};
	struct ft__sipkey z = {(uint64_t)(uintptr_t)&a, (uint64_t)b.tv_sec};
	k->k0 = ft__siphash13_words(&z, m, 4);
	m[0] ^= k->k0;
	k->k1 = ft__siphash13_words(&z, m, 4);
}
