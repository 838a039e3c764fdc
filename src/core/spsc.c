/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: bounded SPSC byte ring for capture records (see spsc.h for the protocol). */
#include <errno.h>
#include <string.h>

#include "ring.h"
#include "spsc.h"

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
		uint64_t n = w & FT_SPSC_PAD ? w & ~FT_SPSC_PAD : ft__spsc_rec_size(w);
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
	r->ctail += ft__spsc_rec_size(len);
	if (++r->unpublished >= FT_SPSC_PUBLISH && !r->held)
		ft__spsc_publish(r);
}

void ft__spsc_advance(struct ft_spsc *r, uint32_t len)
{
	r->ctail += ft__spsc_rec_size(len);
	r->held = true;
}
