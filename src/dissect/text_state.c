/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ft_text_state - what the text printer remembers between packets.
 *
 * tcpdump prints TCP sequence numbers relative to the first it saw of each
 * connection, which needs per-connection memory. tcpdump keeps a chained
 * hash table that never forgets; here the table is fixed (4-way buckets),
 * indexed by a hash keyed with a random secret, and a full bucket gives up
 * its least recently used entry. A peer that opens many connections, or
 * picks ports to collide, can only make old connections be forgotten (they
 * print as if seen for the first time, as tcpdump prints any connection it
 * has not seen); memory and work per packet stay constant.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "dissect.h"

#define WAYS	  4
#define MAX_SLOTS (1u << 20)

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* A keyed mix of the key words (not a MAC: a secret that an outside peer
 * cannot see is enough to keep it from aiming at one bucket). */
static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ull;
	return rotl(h, 29) ^ (h >> 31);
}

FT_EXPORT int ft_text_state_new(struct ft_text_state **out, unsigned slots)
{
	struct ft_text_state *st;
	unsigned n = 16384;

	if (slots) {
		n = WAYS;
		while (n < slots && n < MAX_SLOTS)
			n <<= 1;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->tab = calloc(n, sizeof(*st->tab));
	if (!st->tab) {
		free(st);
		return -ENOMEM;
	}
	st->nbuckets = n / WAYS;
	if (getrandom(st->key, sizeof(st->key), GRND_NONBLOCK) != sizeof(st->key)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		st->key[0] = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)st;
		st->key[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&ts;
	}
	*out = st;
	return 0;
}

FT_EXPORT void ft_text_state_free(struct ft_text_state *st)
{
	if (!st)
		return;
	free(st->tab);
	free(st);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

struct ft__seq_ent *ft__seq_lookup(struct ft_text_state *st, const struct ft__seq_key *k,
				   bool *found)
{
	uint64_t h = st->key[0];
	struct ft__seq_ent *b, *victim;

	for (int i = 0; i < 4; i++)
		h = mix(h, load64((const uint8_t *)k + 8 * i));
	h = mix(h, (uint64_t)k->port << 8 | k->alen);
	h = mix(h, st->key[1]);
	b = st->tab + (h % st->nbuckets) * WAYS;
	victim = b;
	st->clock++;
	for (int i = 0; i < WAYS; i++) {
		if (b[i].used && !memcmp(&b[i].k, k, sizeof(*k))) {
			b[i].stamp = st->clock;
			*found = true;
			return b + i;
		}
		if (!b[i].used)
			victim = b + i;
		else if (victim->used && (int32_t)(b[i].stamp - victim->stamp) < 0)
			victim = b + i;
	}
	victim->k = *k;
	victim->used = true;
	victim->stamp = st->clock;
	*found = false;
	return victim;
}
