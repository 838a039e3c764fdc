/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: building the IPv6 side of a peer table (see peers_v6.h).
 *
 * Ranges are disjoint, so no bound of another range lies strictly inside a
 * range: the /64s of a range's two bounds are neighbours in @top, the
 * range gives at most one piece to each, and the /64s strictly between
 * them form the gap between the two.
 */
#include <errno.h>
#include <stdlib.h>

#include "peers_v6.h"

void ft__peers_v6_free(struct ft__peers_v6 *t)
{
	free(t->top);
	free(t->gap);
	free(t->first);
	free(t->lo);
	free(t->hi);
	free(t->id);
	memset(t, 0, sizeof(*t));
}

static void piece(struct ft__peers_v6 *t, size_t *np, uint64_t lo, uint64_t hi, uint32_t id)
{
	t->lo[*np] = lo;
	t->hi[*np] = hi;
	t->id[*np] = id;
	(*np)++;
}

/* Append /64 @h to @top unless it is the last one; mark where its pieces
 * start. */
static void bound(struct ft__peers_v6 *t, uint64_t h, size_t np)
{
	if (t->ntop && t->top[t->ntop - 1] == h)
		return;
	t->top[t->ntop] = h;
	t->first[t->ntop] = (uint32_t)np;
	t->gap[t->ntop] = FT__PEERS_NONE;
	t->ntop++;
}

int ft__peers_v6_build(struct ft__peers_v6 *t, const ft__u128 *lo, const ft__u128 *hi,
		       const uint32_t *id, size_t n)
{
	size_t cap = 2 * n + 1, np = 0;

	memset(t, 0, sizeof(*t));
	t->top = malloc(cap * sizeof(*t->top));
	t->gap = malloc(cap * sizeof(*t->gap));
	t->first = malloc(cap * sizeof(*t->first));
	t->lo = malloc(cap * sizeof(*t->lo));
	t->hi = malloc(cap * sizeof(*t->hi));
	t->id = malloc(cap * sizeof(*t->id));
	if (!t->top || !t->gap || !t->first || !t->lo || !t->hi || !t->id) {
		ft__peers_v6_free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t lh = (uint64_t)(lo[i] >> 64), hh = (uint64_t)(hi[i] >> 64);
		bound(t, lh, np);
		if (lh == hh) {
			piece(t, &np, (uint64_t)lo[i], (uint64_t)hi[i], id[i]);
			continue;
		}
		piece(t, &np, (uint64_t)lo[i], UINT64_MAX, id[i]);
		bound(t, hh, np);
		t->gap[t->ntop - 1] = id[i]; /* the /64s between lh and hh */
		piece(t, &np, 0, (uint64_t)hi[i], id[i]);
	}
	t->first[t->ntop] = (uint32_t)np;
	t->gap[t->ntop] = FT__PEERS_NONE;
	for (size_t j = 0; j < t->ntop; j++) {
		if (t->first[j + 1] - t->first[j] > t->main_n) {
			t->main_top = t->top[j];
			t->main_n = t->first[j + 1] - t->first[j];
			t->main_lo = t->lo + t->first[j];
			t->main_hi = t->hi + t->first[j];
			t->main_id = t->id + t->first[j];
		}
	}
	return 0;
}
