/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: bounded SPSC byte ring for capture records (see spsc.h for the protocol). */
#include <errno.h>
#include <string.h>

#include "bigmem.h"
#include "ring.h"
#include "spsc.h"

int ft__spsc_init(struct ft_spsc *r, size_t size, unsigned align)
{
	memset(r, 0, sizeof(*r));
	if (align != 1 && align != 8)
		return -EINVAL;
	r->buf = ft__ring_mem_alloc(&size);
	if (!r->buf)
		return -ENOMEM;
	r->size = size;
	/* A power of two, as the data area is (at least 4096 bytes). */
	r->nent = size / FT_SPSC_BYTES_PER_ENT;
	/* The head word's widths (spsc.h). */
	if (r->nent >= (1ull << FT_SPSC_NBITS)) {
		ft__bigmem_free(r->buf, size);
		r->buf = NULL;
		return -EINVAL;
	}
	r->ent_bytes = r->nent * sizeof(*r->ent);
	r->ent = (struct ft_spsc_ent *)ft__ring_mem_alloc(&r->ent_bytes);
	if (!r->ent) {
		ft__bigmem_free(r->buf, r->size);
		r->buf = NULL;
		return -ENOMEM;
	}
	r->amask = align - 1;
	return 0;
}

void ft__spsc_destroy(struct ft_spsc *r)
{
	ft__bigmem_free(r->buf, r->size);
	if (r->ent)
		ft__bigmem_free(r->ent, r->ent_bytes);
	r->buf = NULL;
	r->ent = NULL;
}

void ft__spsc_publish(struct ft_spsc *r)
{
	r->unpublished = 0;
	r->held = false;
	/* Release: our reads of the released records before the producer may
	 * reuse their space and entries (it loads the tails with acquire). */
	if (atomic_load_explicit(&r->ntail, memory_order_relaxed) != r->cn) {
		atomic_store_explicit(&r->tail, r->ctail, memory_order_release);
		atomic_store_explicit(&r->ntail, r->cn, memory_order_release);
	}
}

/* The producer's head as counts: ours plus what was published since,
 * each modulo its width in the head word (spsc.h). Acquire: pairs with the
 * producer's release of the head. */
static void load_head(struct ft_spsc *r)
{
	uint64_t w = atomic_load_explicit(&r->head, memory_order_acquire);

	r->chead = r->cn + ((w - r->cn) & FT_SPSC_NMASK);
	r->cbhead =
	    r->ctail + (((w >> FT_SPSC_NBITS) - r->ctail) & ((1ull << (64 - FT_SPSC_NBITS)) - 1));
}

bool ft__spsc_ready(struct ft_spsc *r)
{
	if (r->cn == r->chead)
		load_head(r);
	return r->cn != r->chead;
}

const void *ft__spsc_take_run(struct ft_spsc *r, uint64_t max_bytes, uint64_t max_n, uint64_t *len,
			      uint64_t *n)
{
	uint64_t off = r->ctail & (r->size - 1);

	load_head(r);
	*n = r->chead - r->cn;
	*len = r->cbhead - r->ctail;
	/* The mark is read after the head (acquire): set before a head that
	 * covers the marked record, it is seen here if that record is in
	 * the run. The run ends before the lap does: a padding entry, if
	 * any, lies where the lap ends, and the record after it past it. */
	if (!*n || ft__spsc_marked(r) || *len > max_bytes || *n > max_n || off + *len > r->size)
		return NULL;
	r->ctail += *len;
	r->cn = r->chead;
	r->held = true;
	return r->buf + off;
}

const void *ft__spsc_peek(struct ft_spsc *r, struct ft_spsc_ent *e)
{
	for (;;) {
		uint64_t t = r->ctail;
		if (r->cn == r->chead) {
			load_head(r);
			if (r->cn == r->chead) {
				if (!r->held)
					ft__spsc_publish(r);
				return NULL;
			}
		}
		*e = r->ent[r->cn & (r->nent - 1)];
		uint64_t off = t & (r->size - 1);
		uint64_t n =
		    e->len & FT_SPSC_PAD ? e->len & ~FT_SPSC_PAD : ft__spsc_rec_size(r, e->len);
		/* Only our producer writes here, but a record must still lie
		 * within the lap. */
		if (!n || off + n > r->size)
			return NULL;
		if (e->len & FT_SPSC_PAD) {
			r->ctail = t + n;
			r->cn++;
			continue;
		}
		r->csize = n;
		return r->buf + off;
	}
}

void ft__spsc_release(struct ft_spsc *r)
{
	r->ctail += r->csize;
	r->cn++;
	if (++r->unpublished >= FT_SPSC_PUBLISH && !r->held)
		ft__spsc_publish(r);
}

void ft__spsc_advance(struct ft_spsc *r)
{
	r->ctail += r->csize;
	r->cn++;
	r->held = true;
}
