/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peers_int.h - where a peer table is published to the threads that read it
 * (a tap's session threads, the flow logger), and replaced at run time.
 */
#ifndef FT_PEERS_INT_H
#define FT_PEERS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <flowtap/peers.h>

/*
 * A publication point. The table in @cur is swapped atomically; a reader
 * takes a reference inside a short read-side section (two counters, as the
 * tap's shared slot), so the replacer's grace period waits only for that
 * section, never for a reader's I/O, and the reader then keeps its
 * reference for as long as it likes. @version grows with each replacement
 * so that a reader notices one with a single relaxed load.
 */
struct ft__peers_cell {
	_Atomic(struct ft_peers *) cur;
	_Atomic uint64_t version;
	_Atomic uint64_t enter[2];
	_Atomic uint64_t leave[2];
	_Atomic unsigned gen;
	pthread_mutex_t mu; /* replacers, one at a time */
};

void ft__peers_cell_init(struct ft__peers_cell *c);
/* Drops the cell's reference; no reader may use the cell any more. */
void ft__peers_cell_fini(struct ft__peers_cell *c);
/* Publish @p (a built table; NULL: none), taking a reference; waits for a
 * grace period and then drops the old table's cell reference. Control
 * plane; any thread. Returns 0 or -EINVAL (@p not built). */
int ft__peers_cell_set(struct ft__peers_cell *c, struct ft_peers *p);
/* A new reference on the current table (NULL if none). Lock-free. */
struct ft_peers *ft__peers_cell_get(struct ft__peers_cell *c);

static inline uint64_t ft__peers_cell_version(struct ft__peers_cell *c)
{
	return atomic_load_explicit(&c->version, memory_order_acquire);
}

/*
 * A reader's cached reference: refreshed when the cell's version moved.
 * Returns the table to use until the next call (NULL: none). One acquire
 * load when nothing changed. Only the owning thread calls it.
 */
struct ft__peers_view {
	struct ft_peers *p;
	uint64_t version;
};

static inline struct ft_peers *ft__peers_view_sync(struct ft__peers_view *v,
						   struct ft__peers_cell *c)
{
	uint64_t ver = ft__peers_cell_version(c);
	if (ver != v->version) {
		/* The version is read before the table: a replacement in
		 * between gives the newer table with the older version, and
		 * the next call fetches it again; never an older table. */
		ft_peers_free(v->p);
		v->p = ft__peers_cell_get(c);
		v->version = ver;
	}
	return v->p;
}

static inline void ft__peers_view_fini(struct ft__peers_view *v)
{
	ft_peers_free(v->p);
	v->p = NULL;
}

/* Whether @p is built (ft_peers_build() ran). */
bool ft__peers_built(const struct ft_peers *p);

#endif
