/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: publishing a peer table: atomic swap, grace period, references.
 *
 * Memory ordering. A reader enters generation g (gen & 1) by incrementing
 * enter[g], loads cur and increments that table's reference count, then
 * increments leave[g]; all seq_cst. A replacer exchanges cur (seq_cst),
 * then, twice, flips gen and waits until leave[g] == enter[g] for the
 * generation it left. In the single total order of seq_cst operations,
 * either a reader's enter increment comes after the replacer's read of
 * enter[g] (and then its load of cur, later in the same thread, sees the
 * new table), or the replacer counted it and waits for its leave, which
 * comes after its reference increment. Reading leave before enter means an
 * enter-and-leave between the two reads is seen as in progress, never as
 * done too early. Two rounds cover a reader that read gen just before a
 * flip and entered the other generation. So when the replacer drops the
 * cell's reference on the old table, every reader that loaded the old
 * pointer already holds its own reference, and the table lives on until
 * the last of them drops it (ft_peers_free(), acq_rel).
 */
#include <errno.h>
#include <sched.h>

#include "peers_int.h"

void ft__peers_cell_init(struct ft__peers_cell *c)
{
	atomic_init(&c->cur, NULL);
	atomic_init(&c->version, 0);
	atomic_init(&c->enter[0], 0);
	atomic_init(&c->enter[1], 0);
	atomic_init(&c->leave[0], 0);
	atomic_init(&c->leave[1], 0);
	atomic_init(&c->gen, 0);
	pthread_mutex_init(&c->mu, NULL);
}

void ft__peers_cell_fini(struct ft__peers_cell *c)
{
	ft_peers_free(atomic_load(&c->cur));
	atomic_store(&c->cur, NULL);
	pthread_mutex_destroy(&c->mu);
}

static void grace_period(struct ft__peers_cell *c)
{
	for (int round = 0; round < 2; round++) {
		unsigned g = atomic_load(&c->gen);
		atomic_store(&c->gen, g + 1);
		for (;;) {
			uint64_t l = atomic_load(&c->leave[g & 1]);
			uint64_t e = atomic_load(&c->enter[g & 1]);
			if (l == e)
				break;
			sched_yield(); /* a reader is between two increments */
		}
	}
}

int ft__peers_cell_set(struct ft__peers_cell *c, struct ft_peers *p)
{
	struct ft_peers *old;

	if (p && !ft__peers_built(p))
		return -EINVAL;
	pthread_mutex_lock(&c->mu);
	old = atomic_exchange(&c->cur, ft_peers_ref(p));
	/* Release: a reader that sees the new version and then loads cur
	 * finds this table or a later one. */
	atomic_fetch_add_explicit(&c->version, 1, memory_order_release);
	grace_period(c);
	pthread_mutex_unlock(&c->mu);
	ft_peers_free(old);
	return 0;
}

struct ft_peers *ft__peers_cell_get(struct ft__peers_cell *c)
{
	unsigned g = atomic_load(&c->gen) & 1;
	struct ft_peers *p;

	atomic_fetch_add(&c->enter[g], 1);
	p = ft_peers_ref(atomic_load(&c->cur));
	atomic_fetch_add(&c->leave[g], 1);
	return p;
}
