/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: bounded SPSC byte ring for capture records (see spsc.h for the protocol). */
#include <errno.h>
#include <string.h>

#include "ring.h"
#include "spsc.h"

static inline uint64_t rec_size(uint32_t len)
{
	return ((uint64_t)len + 7) & ~(uint64_t)7;
}

int ft__spsc_init(struct ft_spsc *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = ft__ring_mem_alloc(&size);
	if (!r->buf)
		return -ENOMEM;
	r->size = size;
	return 0;
}

void ft__spsc_destroy(struct ft_spsc *r)
{
	ft__ring_mem_free(r->buf, r->size);
	r->buf = NULL;
}

void *ft__spsc_reserve(struct ft_spsc *r, uint32_t len)
{
	uint64_t need = rec_size(len);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed); /* ours */
	uint64_t off = h & (r->size - 1);
	/* A record never wraps: if it does not fit before the end, the rest of
	 * the lap becomes padding, published with the record. */
	uint64_t pad = r->size - off >= need ? 0 : r->size - off;

	if (need > r->size / 2 || len < 4 || (len & FT_SPSC_PAD))
		return NULL;
	if (h + pad + need - r->ptail > r->size) {
		/* Acquire: the consumer's reads of the space it released come
		 * before we overwrite it (spsc.h). */
		r->ptail = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + pad + need - r->ptail > r->size)
			return NULL;
	}
	if (pad) {
		*(uint32_t *)(r->buf + off) = (uint32_t)pad | FT_SPSC_PAD;
		h += pad;
		off = 0;
	}
	r->pnext = h;
	return r->buf + off;
}

void ft__spsc_commit(struct ft_spsc *r, uint32_t len)
{
	uint64_t pos = r->pnext;
	*(uint32_t *)(r->buf + (pos & (r->size - 1))) = len;
	/* Release: the record (and any padding before it) before the head
	 * that covers it. */
	atomic_store_explicit(&r->head, pos + rec_size(len), memory_order_release);
}

void ft__spsc_publish(struct ft_spsc *r)
{
	r->unpublished = 0;
	r->held = false;
	/* Release: our reads of the released records before the producer may
	 * reuse their space (it loads the tail with acquire). */
	if (atomic_load_explicit(&r->tail, memory_order_relaxed) != r->ctail)
		atomic_store_explicit(&r->tail, r->ctail, memory_order_release);
}

const void *ft__spsc_peek(struct ft_spsc *r, uint32_t *len)
{
	for (;;) {
		uint64_t t = r->ctail;
		if (t == r->chead) {
			/* Acquire: pairs with the producer's release of the head. */
			r->chead = atomic_load_explicit(&r->head, memory_order_acquire);
			if (t == r->chead) {
				if (!r->held)
					ft__spsc_publish(r);
				return NULL;
			}
		}
		uint64_t off = t & (r->size - 1);
		uint32_t w = *(const uint32_t *)(r->buf + off);
		uint64_t n = w & FT_SPSC_PAD ? w & ~FT_SPSC_PAD : rec_size(w);
		/* Only our producer writes here, but a record must still lie
		 * within what was published and the lap. */
		if (n < 4 || n > r->chead - t || off + n > r->size)
			return NULL;
		if (w & FT_SPSC_PAD) {
			r->ctail = t + n;
			continue;
		}
		*len = w;
		return r->buf + off;
	}
}

void ft__spsc_release(struct ft_spsc *r, uint32_t len)
{
	r->ctail += rec_size(len);
	if (++r->unpublished >= FT_SPSC_PUBLISH && !r->held)
		ft__spsc_publish(r);
}

void ft__spsc_advance(struct ft_spsc *r, uint32_t len)
{
	r->ctail += rec_size(len);
	r->held = true;
}
