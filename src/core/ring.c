/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: bounded MPSC byte ring for capture records (see ring.h for the protocol). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bigmem.h"
#include "ring.h"

#define HDR ((uint64_t)sizeof(struct ft_ring_hdr))

/* Records are multiples of the header size, so that a padding record
 * (at least one header) always fits before the end of the lap. */
static inline uint64_t rec_size(uint32_t len)
{
	return (HDR + len + HDR - 1) & ~(HDR - 1);
}

uint8_t *ft__ring_mem_alloc(size_t *size)
{
	size_t sz = 4096;
	uint8_t *buf;

	while (sz < *size)
		sz <<= 1;
	buf = ft__bigmem_alloc(&sz);
	if (buf)
		*size = sz;
	return buf;
}

int ft__ring_init(struct ft_ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = ft__ring_mem_alloc(&size);
	if (!r->buf)
		return -ENOMEM;
	r->size = size;
	if (getrandom(&r->secret, sizeof(r->secret), GRND_NONBLOCK) != sizeof(r->secret))
		r->secret =
		    (uint64_t)(uintptr_t)r->buf * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	return 0;
}

void ft__ring_destroy(struct ft_ring *r)
{
	ft__bigmem_free(r->buf, r->size);
	r->buf = NULL;
}

void *ft__ring_reserve(struct ft_ring *r, uint32_t len)
{
	uint64_t need = rec_size(len);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t off, pad, t;

	if (need > r->size / 2 || len > FT_RING_LENMASK)
		return NULL;
	for (;;) {
		off = h & (r->size - 1);
		/* A record never wraps: if it does not fit before the end, the
		 * rest of the lap becomes a padding record. */
		pad = r->size - off >= need ? 0 : r->size - off;
		t = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + pad + need - t > r->size)
			return NULL;
		if (atomic_compare_exchange_weak_explicit(
			&r->head, &h, h + pad + need, memory_order_relaxed, memory_order_relaxed))
			break;
	}
	if (pad) {
		struct ft_ring_hdr *ph = (struct ft_ring_hdr *)(r->buf + off);
		ph->word = (uint32_t)(pad - HDR) | FT_RING_PAD;
		atomic_store_explicit(&ph->stamp, h ^ r->secret, memory_order_release);
		off = 0;
		h += pad;
	}
	struct ft_ring_hdr *hd = (struct ft_ring_hdr *)(r->buf + off);
	hd->reserved = (uint32_t)h; /* low bits of the position, for the commit */
	return r->buf + off + HDR;
}

void ft__ring_commit(struct ft_ring *r, void *payload, uint32_t len)
{
	struct ft_ring_hdr *h = (struct ft_ring_hdr *)((uint8_t *)payload - HDR);
	/* Rebuild the full position: the record lies within one lap behind head. */
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t pos = (head & ~(uint64_t)0xffffffff) | h->reserved;
	if (pos > head)
		pos -= (uint64_t)1 << 32;
	h->word = len;
	/* Release: the record's bytes before its stamp. The caller fences
	 * before it looks for a sleeping consumer (session.c). */
	atomic_store_explicit(&h->stamp, pos ^ r->secret, memory_order_release);
}

static void publish(struct ft_ring *r)
{
	r->unpublished = 0;
	if (atomic_load_explicit(&r->tail, memory_order_relaxed) != r->ctail)
		atomic_store_explicit(&r->tail, r->ctail, memory_order_release);
}

const void *ft__ring_peek(struct ft_ring *r, uint32_t *len)
{
	for (;;) {
		uint64_t t = r->ctail;
		if (t == r->chead) {
			r->chead = atomic_load_explicit(&r->head, memory_order_acquire);
			if (t == r->chead) {
				publish(r);
				return NULL;
			}
		}
		uint64_t off = t & (r->size - 1);
		struct ft_ring_hdr *hd = (struct ft_ring_hdr *)(r->buf + off);
		if (atomic_load_explicit(&hd->stamp, memory_order_acquire) != (t ^ r->secret)) {
			publish(r);
			return NULL;
		}
		uint32_t w = hd->word;
		uint64_t n =
		    w & FT_RING_PAD ? HDR + (w & FT_RING_LENMASK) : rec_size(w & FT_RING_LENMASK);
		/* A committed record lies within what was reserved and the lap. */
		if (n > r->chead - t || off + n > r->size) {
			publish(r);
			return NULL;
		}
		if (w & FT_RING_PAD) {
			r->ctail = t + n;
			continue;
		}
		*len = w & FT_RING_LENMASK;
		return r->buf + off + HDR;
	}
}

void ft__ring_release(struct ft_ring *r)
{
	struct ft_ring_hdr *hd = (struct ft_ring_hdr *)(r->buf + (r->ctail & (r->size - 1)));
	r->ctail += rec_size(hd->word & FT_RING_LENMASK);
	if (++r->unpublished >= FT_RING_PUBLISH)
		publish(r);
}

uint64_t ft__ring_used(const struct ft_ring *r)
{
	uint64_t t = atomic_load_explicit(&((struct ft_ring *)r)->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&((struct ft_ring *)r)->head, memory_order_relaxed);
	return h - t;
}
