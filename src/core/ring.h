/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ring.h - bounded multi-producer, single-consumer byte ring for capture
 * records.
 *
 * Producers (datapath threads) reserve space with one compare-and-swap on the
 * head and never wait: if the record does not fit, the reservation fails and
 * the caller counts a drop. A record is published by setting its header word
 * with the committed bit. The single consumer reads committed records in
 * order from the tail; a reserved but not yet committed record stops it until
 * the producer finishes (a few hundred nanoseconds), never the other way
 * round.
 *
 * A record counts as committed when its stamp equals its own position XOR a
 * random per-ring secret. Stale bytes from an earlier lap (old headers, or
 * packet payload a sender controls) therefore never look committed, and the
 * consumer need not clear what it consumed. Lengths are still validated
 * against the reserved range before use.
 */
#ifndef FT_RING_H
#define FT_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_RING_PAD	0x40000000u
#define FT_RING_LENMASK 0x3fffffffu
#define FT_RING_PUBLISH 32

struct ft_ring {
	_Alignas(64) _Atomic uint64_t head; /* bytes reserved, ever */
	_Alignas(64) _Atomic uint64_t tail; /* bytes released by the consumer, ever */
	/* Consumer-private: what it has consumed, and the head it last saw.
	 * The tail is published in batches so that producers and the consumer
	 * do not trade cache lines on every record. */
	_Alignas(64) uint64_t ctail;
	uint64_t chead;
	unsigned unpublished;
	_Alignas(64) uint64_t size; /* power of two */
	uint64_t secret;
	uint8_t *buf;
};

/* Every record starts with this header; the payload follows, 16-byte aligned. */
struct ft_ring_hdr {
	_Atomic uint64_t stamp; /* position ^ secret once committed */
	uint32_t word;		/* length of payload | FT_RING_PAD */
	uint32_t reserved;
};

/* Ring memory of at least *@size bytes (a power of two, written back),
 * populated, zeroed; NULL without memory. Shared with spsc.c. Freed with
 * ft__bigmem_free() (bigmem.h), with the size written back. */
uint8_t *ft__ring_mem_alloc(size_t *size);

int ft__ring_init(struct ft_ring *r, size_t size);
void ft__ring_destroy(struct ft_ring *r);

/* Reserve @len payload bytes; returns the payload or NULL when full. Hot path. */
void *ft__ring_reserve(struct ft_ring *r, uint32_t len);
/* Publish a payload returned by ft__ring_reserve(). Hot path; a release store. */
void ft__ring_commit(struct ft_ring *r, void *payload, uint32_t len);

/*
 * Consumer: the next committed payload and its length, or NULL if the ring is
 * empty or the next record is not committed yet.
 */
const void *ft__ring_peek(struct ft_ring *r, uint32_t *len);
/* Consumer: release the record returned by the last ft__ring_peek(); the
 * space returns to producers within FT_RING_PUBLISH records, or as soon as
 * ft__ring_peek() finds nothing more. */
void ft__ring_release(struct ft_ring *r);
/* Bytes in use (approximate while producers run). */
uint64_t ft__ring_used(const struct ft_ring *r);

#endif
