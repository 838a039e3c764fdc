/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spsc.h - bounded single-producer, single-consumer byte ring: one per
 * producer thread and capture session (see session.c).
 *
 * Records lie in the data area, back to back (at the ring's alignment: 1
 * for file records, so that a run of them is a run of the file; 8 for the
 * capture core's); what the consumer needs to know of each (its length,
 * and two words of the caller's: its time and flags) lies in a separate
 * index, 16 bytes an entry, four to a cache line. So the consumer finds,
 * orders and writes records without reading the lines the producer wrote
 * them into: on this kind of machine, a consumer that read each record's
 * first line made the producer's copy of a 1500-byte packet cost 40 ns
 * more, and the index costs it a fraction of that.
 *
 * Only the producer thread writes the head, the index entries and the
 * record bytes; only the consumer (the session thread) writes the tails.
 * So no read-modify-write and no stamp per record: the producer writes a
 * record and its entry, then publishes them with a release store of the
 * head; the consumer's acquire load of the head makes the entries and bytes
 * before it visible. The head word holds both counts, entries and bytes
 * published (each modulo a power of two larger than the ring holds), so a
 * consumer can take a run of records without reading their entries
 * (ft__spsc_take_run(), which says what reading them costs the producer).
 * The other way round, the
 * consumer's release stores of the tails (bytes and entries released)
 * follow its last reads of the records it releases, and the producer's
 * acquire loads of them order those reads before it overwrites the space.
 * The producer keeps its own copies of the tails and reloads them only
 * when the ring looks full, and the consumer publishes them in batches, so
 * the two trade cache lines about once per batch, not per record.
 *
 * A record never wraps: one that does not fit before the end of the data
 * area is preceded by a padding entry for the rest of the lap.
 */
#ifndef FT_SPSC_H
#define FT_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_SPSC_PAD	0x80000000u
#define FT_SPSC_PUBLISH 32
/* The head word: entries published in its low FT_SPSC_NBITS bits, bytes
 * published in the rest, each modulo its width. A ring holds fewer than
 * 2^FT_SPSC_NBITS entries (ft__spsc_init() refuses more) and fewer than
 * 2^(64 - FT_SPSC_NBITS) bytes, so the consumer recovers both counts from
 * its own. */
#define FT_SPSC_NBITS 26
#define FT_SPSC_NMASK ((1ull << FT_SPSC_NBITS) - 1)
/* Index entries per byte of data: a ring holds at most size / 128 records
 * (records of 128 bytes or more fill its bytes first). */
#define FT_SPSC_BYTES_PER_ENT 128

struct ft_spsc_ent {
	uint32_t len; /* the record's bytes; FT_SPSC_PAD | n: n bytes of padding */
	uint32_t aux; /* the caller's */
	uint64_t key; /* the caller's */
};

struct ft_spsc {
	/* Producer thread only (the head is read by the consumer). */
	_Alignas(64) _Atomic uint64_t head; /* bytes and entries published (above) */
	uint64_t pn;			    /* entries published, ever */
	uint64_t pbytes;		    /* bytes published, ever */
	/* Set (never cleared) before the head that publishes a record the
	 * caller marked (ft__spsc_commit()): a consumer then reads its entries. */
	_Atomic bool marked;
	uint64_t ptail, pntail; /* the producer's copies of the tails */
	uint64_t pnext;		/* byte position of the reserved record */
	uint64_t pent;		/* its entry */
	/* The user's, written by the producer before its first record and
	 * read by the consumer after it (session.c: where the producer's
	 * records in the shared ring end). */
	uint64_t after;
	bool started;
	/* Consumer only (the tails are read by the producer). */
	_Alignas(64) _Atomic uint64_t tail; /* bytes released, ever */
	_Atomic uint64_t ntail;		    /* entries released, ever */
	_Alignas(64) uint64_t ctail;	    /* bytes consumed, not yet published */
	uint64_t cn;			    /* entries consumed */
	uint64_t csize;			    /* bytes of the record last peeked */
	uint64_t chead;			    /* entries published, as the consumer last saw */
	uint64_t cbhead;		    /* bytes published, as it last saw */
	unsigned unpublished;
	bool held;    /* records advanced past are still being read: no publish */
	bool cmarked; /* the consumer saw the mark (it stays set) */
	/* Set before the ring is shared, never changed. */
	_Alignas(64) uint64_t size; /* bytes, a power of two */
	uint64_t nent;		    /* index entries, a power of two */
	uint64_t amask;		    /* alignment - 1 */
	uint8_t *buf;
	struct ft_spsc_ent *ent;
	size_t ent_bytes; /* the index's mapping, as ft__ring_mem_alloc() sized it */
};

/* @size is rounded up to a power of two (at least 4096); records start at
 * multiples of @align (1 or 8). Not hot: allocates and populates the
 * memory. Returns 0, -EINVAL (also for 8 GiB or more: the head word's
 * widths) or -ENOMEM. */
int ft__spsc_init(struct ft_spsc *r, size_t size, unsigned align);
void ft__spsc_destroy(struct ft_spsc *r);

/* The space a record of @len bytes takes: rounded up to the alignment. */
static inline uint64_t ft__spsc_rec_size(const struct ft_spsc *r, uint32_t len)
{
	return ((uint64_t)len + r->amask) & ~r->amask;
}

/* Producer: room for a record of @len bytes, or NULL when full. Hot path:
 * inline, as the hook calls it per packet. */
static inline void *ft__spsc_reserve(struct ft_spsc *r, uint32_t len)
{
	uint64_t need = ft__spsc_rec_size(r, len);
	uint64_t h = r->pbytes;
	uint64_t n = r->pn;
	uint64_t off = h & (r->size - 1);
	/* A record never wraps: if it does not fit before the end, the rest of
	 * the lap becomes padding, published with the record. */
	uint64_t pad = r->size - off >= need ? 0 : r->size - off;

	if (__builtin_expect(need > r->size / 2 || !len || (len & FT_SPSC_PAD), 0))
		return NULL;
	uint64_t ents = pad ? 2 : 1;
	if (h + pad + need - r->ptail > r->size || n + ents - r->pntail > r->nent) {
		/* Acquire: the consumer's reads of the space and entries it
		 * released come before we overwrite them (above). */
		r->ptail = atomic_load_explicit(&r->tail, memory_order_acquire);
		r->pntail = atomic_load_explicit(&r->ntail, memory_order_acquire);
		if (h + pad + need - r->ptail > r->size || n + ents - r->pntail > r->nent)
			return NULL;
	}
	if (__builtin_expect(pad != 0, 0)) {
		r->ent[n & (r->nent - 1)] = (struct ft_spsc_ent){(uint32_t)pad | FT_SPSC_PAD, 0, 0};
		n++;
		h += pad;
		off = 0;
	}
	r->pnext = h;
	r->pent = n;
	return r->buf + off;
}

/* Producer: publish the record of @len bytes ft__spsc_reserve() returned,
 * with the caller's words @aux and @key; @mark: the consumer must read this
 * record's entry (ft__spsc_take_run() no longer takes runs). Hot path; a
 * release store. */
static inline void ft__spsc_commit(struct ft_spsc *r, uint32_t len, uint32_t aux, uint64_t key,
				   bool mark)
{
	r->ent[r->pent & (r->nent - 1)] = (struct ft_spsc_ent){len, aux, key};
	r->pbytes = r->pnext + ft__spsc_rec_size(r, len);
	r->pn = r->pent + 1;
	if (__builtin_expect(mark, 0))
		atomic_store_explicit(&r->marked, true, memory_order_relaxed);
	/* Release: the record, its entry, any padding entry before it and
	 * the mark, before the head that covers them. */
	atomic_store_explicit(&r->head, r->pbytes << FT_SPSC_NBITS | (r->pn & FT_SPSC_NMASK),
			      memory_order_release);
}

/* Consumer: the next record and its entry (@e), or NULL if there is none. */
const void *ft__spsc_peek(struct ft_spsc *r, struct ft_spsc_ent *e);
/* Consumer: release the record returned by the last peek. */
void ft__spsc_release(struct ft_spsc *r);
/* Consumer: move past the record returned by the last peek but keep
 * reading it: its space (and that of every record released after it) goes
 * back to the producer only at the next ft__spsc_publish(), as for a
 * writev(2) of records where they lie. */
void ft__spsc_advance(struct ft_spsc *r);
/* Consumer: give released space back to the producer now (and end what
 * ft__spsc_advance() held). */
void ft__spsc_publish(struct ft_spsc *r);

/* Consumer: whether a record is published that the consumer has not moved
 * past (without reading the index). */
bool ft__spsc_ready(struct ft_spsc *r);

/* Consumer: whether the producer marked a record (ft__spsc_commit()), as
 * far as the consumer knows: false may be stale, true is final. Once true
 * it is the consumer's own copy, so a test per record does not read the
 * line the producer writes per record. */
static inline bool ft__spsc_marked(struct ft_spsc *r)
{
	if (!r->cmarked)
		r->cmarked = atomic_load_explicit(&r->marked, memory_order_relaxed);
	return r->cmarked;
}

/*
 * Consumer: the records published after the last one moved past, as one run
 * of bytes, without reading their entries; NULL if there is none, or if
 * they are not one run: a padding entry among them (the lap ends inside),
 * a record the producer marked (ft__spsc_commit()), or more than @max_bytes
 * bytes or @max_n records. Not while a record peeked is not moved past. On
 * success *@len is the run's bytes and *@n its records, and the ring moves
 * past them as ft__spsc_advance() does: their space goes back at the next
 * ft__spsc_publish().
 *
 * Why: the producer pays for each cache line of the index the consumer
 * reads. In a harness of this ring alone (1500-byte records, a consumer
 * waking every 50 us), a consumer that read every entry made the
 * producer's record cost 10 to 25 ns more, at worst about what the copy
 * and the publication cost together; one that read only the head,
 * nothing. In the hook the record cost 3 to 5 ns less with runs, and the
 * session thread a third less CPU per record.
 */
const void *ft__spsc_take_run(struct ft_spsc *r, uint64_t max_bytes, uint64_t max_n, uint64_t *len,
			      uint64_t *n);

#endif
