/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spsc.h - bounded single-producer, single-consumer byte ring: one per
 * producer thread and capture session (see session.c).
 *
 * Only the producer thread writes the head and the record bytes; only the
 * consumer (the session thread) writes the tail. So no read-modify-write
 * and no stamp per record: the producer writes a record, then publishes it
 * with a release store of the head; the consumer's acquire load of the head
 * makes the bytes before it visible. The other way round, the consumer's
 * release store of the tail follows its last reads of the records it
 * releases, and the producer's acquire load of the tail orders those reads
 * before it overwrites the space. The producer keeps its own copy of the
 * tail and reloads it only when the ring looks full, and the consumer
 * publishes the tail in batches, so the two trade cache lines about once
 * per batch, not per record.
 *
 * Records are 8-byte aligned and never wrap. Each starts with a 32-bit word
 * that the ring owns (the record's length, or a padding marker); the caller
 * owns the rest of the record from byte 4 on.
 */
#ifndef FT_SPSC_H
#define FT_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_SPSC_PAD	0x80000000u
#define FT_SPSC_PUBLISH 32

struct ft_spsc {
	/* Producer thread only (the head is read by the consumer). */
	_Alignas(64) _Atomic uint64_t head; /* bytes published, ever */
	uint64_t ptail;			    /* the producer's copy of tail */
	uint64_t pnext;			    /* position of the reserved record */
	/* The user's, written by the producer before its first record and
	 * read by the consumer after it (session.c: where the producer's
	 * records in the shared ring end). */
	uint64_t after;
	bool started;
	/* Consumer only (the tail is read by the producer). */
	_Alignas(64) _Atomic uint64_t tail; /* bytes released, ever */
	_Alignas(64) uint64_t ctail;	    /* consumed, not yet published */
	uint64_t chead;			    /* the head the consumer last saw */
	unsigned unpublished;
	bool held; /* records advanced past are still being read: no publish */
	/* Set before the ring is shared, never changed. */
	_Alignas(64) uint64_t size; /* power of two */
	uint8_t *buf;
};

/* @size is rounded up to a power of two (at least 4096). Not hot: allocates
 * and populates the memory. Returns 0 or -ENOMEM. */
int ft__spsc_init(struct ft_spsc *r, size_t size);
void ft__spsc_destroy(struct ft_spsc *r);

/* The space a record of @len bytes takes: 8-byte aligned. */
static inline uint64_t ft__spsc_rec_size(uint32_t len)
{
	return ((uint64_t)len + 7) & ~(uint64_t)7;
}

/* Producer: room for a record of @len bytes (the first 4 the ring's), or
 * NULL when full. Hot path: inline, as the hook calls it per packet. */
static inline void *ft__spsc_reserve(struct ft_spsc *r, uint32_t len)
{
	uint64_t need = ft__spsc_rec_size(len);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed); /* ours */
	uint64_t off = h & (r->size - 1);
	/* A record never wraps: if it does not fit before the end, the rest of
	 * the lap becomes padding, published with the record. */
	uint64_t pad = r->size - off >= need ? 0 : r->size - off;

	if (__builtin_expect(need > r->size / 2 || len < 4 || (len & FT_SPSC_PAD), 0))
		return NULL;
	if (h + pad + need - r->ptail > r->size) {
		/* Acquire: the consumer's reads of the space it released come
		 * before we overwrite it (above). */
		r->ptail = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + pad + need - r->ptail > r->size)
			return NULL;
	}
	if (__builtin_expect(pad != 0, 0)) {
		*(uint32_t *)(r->buf + off) = (uint32_t)pad | FT_SPSC_PAD;
		h += pad;
		off = 0;
	}
	r->pnext = h;
	return r->buf + off;
}

/* Producer: publish the record ft__spsc_reserve() returned. Hot path; a
 * release store. */
static inline void ft__spsc_commit(struct ft_spsc *r, uint32_t len)
{
	uint64_t pos = r->pnext;
	*(uint32_t *)(r->buf + (pos & (r->size - 1))) = len;
	/* Release: the record (and any padding before it) before the head
	 * that covers it. */
	atomic_store_explicit(&r->head, pos + ft__spsc_rec_size(len), memory_order_release);
}

/* Consumer: the next record and its length, or NULL if there is none. */
const void *ft__spsc_peek(struct ft_spsc *r, uint32_t *len);
/* Consumer: release the record of @len bytes returned by the last peek. */
void ft__spsc_release(struct ft_spsc *r, uint32_t len);
/* Consumer: move past the record of @len bytes returned by the last peek
 * but keep reading it: its space (and that of every record released after
 * it) goes back to the producer only at the next ft__spsc_publish(), as for
 * a writev(2) of records where they lie. */
void ft__spsc_advance(struct ft_spsc *r, uint32_t len);
/* Consumer: give released space back to the producer now (and end what
 * ft__spsc_advance() held). */
void ft__spsc_publish(struct ft_spsc *r);

#endif
