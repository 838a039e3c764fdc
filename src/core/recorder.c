/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the flight recorder: blocks, their reuse, and copies for readers (recorder.h). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bigmem.h"
#include "clock.h"
#include "fence.h"
#include "recorder.h"
#include "tap_internal.h"

#define DEF_AGE_MS  60000u
#define DEF_BYTES   (64ull << 20)
#define MIN_BYTES   (64ull << 10)
#define MAX_BYTES   (16ull << 30)
#define DEF_SNAPLEN 256u
#define MAX_BSIZE   (256u << 10)
#define MIN_NBLOCKS 8u
/* The largest record: prefix, header, every optional field, the bytes. */
#define MAX_REC(snap)	      (FT_RREC_HDR + 16 + FT_DROP_WHERE_MAX_REC + FT_REC_NAT_SIZE + (snap) + 8)
#define FT_DROP_WHERE_MAX_REC 64

void ft__recorder_copy_in(uint8_t *dst, const void *src, size_t n)
{
#ifdef FT_REC_TSAN
	/* Records are 8-byte aligned and sized. */
	for (size_t k = 0; k + 8 <= n; k += 8) {
		uint64_t w;
		memcpy(&w, (const uint8_t *)src + k, 8);
		__atomic_store_n((uint64_t *)(void *)(dst + k), w, __ATOMIC_RELAXED);
	}
#else
	memcpy(dst, src, n);
#endif
}

void ft__recorder_copy_out(void *dst, const uint8_t *src, size_t n)
{
#ifdef FT_REC_TSAN
	for (size_t k = 0; k + 8 <= n; k += 8) {
		uint64_t w =
		    __atomic_load_n((const uint64_t *)(const void *)(src + k), __ATOMIC_RELAXED);
		memcpy((uint8_t *)dst + k, &w, 8);
	}
#else
	memcpy(dst, src, n);
#endif
}

FT_EXPORT void ft_recorder_opts_init(struct ft_recorder_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_age_ms = DEF_AGE_MS;
	o->max_bytes = DEF_BYTES;
	o->snaplen = DEF_SNAPLEN;
}

/* Settings with defaults filled in, or -EINVAL. */
static int settle(const struct ft_recorder_opts *in, struct ft_recorder_opts *o)
{
	ft_recorder_opts_init(o);
	if (in) {
		if (in->max_age_ms)
			o->max_age_ms = in->max_age_ms;
		if (in->max_bytes)
			o->max_bytes = in->max_bytes;
		if (in->snaplen)
			o->snaplen = in->snaplen;
		o->paths = in->paths;
	}
	/* A day at most: nanoseconds of it fit in 64 bits many times over. */
	if (o->max_age_ms > 86400000u || o->max_bytes < MIN_BYTES || o->max_bytes > MAX_BYTES ||
	    o->snaplen > FT_RECORDER_SNAPLEN_MAX)
		return -EINVAL;
	/* Every block must hold the largest record, and there must be a few. */
	if (o->max_bytes / MIN_NBLOCKS < MAX_REC(o->snaplen))
		return -EINVAL;
	return 0;
}

static struct ft_recorder *recorder_new(const struct ft_recorder_opts *o)
{
	struct ft_recorder *r;
	size_t head = sizeof(*r) + (FT_TAP_MAX_THREADS + 1) * sizeof(r->slot[0]);
	uint64_t bsize = o->max_bytes / 32;

	if (bsize > MAX_BSIZE)
		bsize = MAX_BSIZE;
	if (bsize < MAX_REC(o->snaplen))
		bsize = MAX_REC(o->snaplen);
	bsize = (bsize + 63) & ~(uint64_t)63;
	r = aligned_alloc(64, (head + 63) & ~(size_t)63);
	if (!r)
		return NULL;
	memset(r, 0, head);
	r->snaplen = o->snaplen;
	r->bsize = (uint32_t)bsize;
	r->nblocks = (uint32_t)(o->max_bytes / bsize);
	r->max_age_ns = o->max_age_ms * 1000000u;
	r->max_bytes = (uint64_t)r->nblocks * bsize;
	r->mem_size = (size_t)r->max_bytes;
	r->blk = aligned_alloc(64, r->nblocks * sizeof(r->blk[0]));
	/* Populated now, so that no hook takes a page fault's allocation; in
	 * huge pages, as the capture rings are: each producer writes its way
	 * through all of it. */
	r->mem_mapped = r->mem_size;
	r->mem = r->blk ? ft__bigmem_alloc(&r->mem_mapped) : NULL;
	if (!r->mem) {
		free(r->blk);
		free(r);
		return NULL;
	}
	memset(r->blk, 0, r->nblocks * sizeof(r->blk[0]));
	for (unsigned i = 0; i <= FT_TAP_MAX_THREADS; i++)
		r->slot[i].cur = -1;
	r->started_ns = ft__now_ns();
	r->paths = o->paths;
	r->all_paths = true;
	for (unsigned i = 0; i < 4; i++)
		r->all_paths &= o->paths.bits[i] == 0;
	return r;
}

static void recorder_free(struct ft_recorder *r)
{
	if (!r)
		return;
	ft__bigmem_free(r->mem, r->mem_mapped);
	free(r->blk);
	free(r);
}

FT_EXPORT int ft_tap_recorder_start(struct ft_tap *t, const struct ft_recorder_opts *in)
{
	struct ft_recorder_opts o;
	struct ft_recorder *r;
	int ret = settle(in, &o);

	if (ret < 0)
		return ret;
	ft__fence_init(); /* before any hook relies on it */
	pthread_mutex_lock(&t->rec_mu);
	ret = -EBUSY;
	if (t->rec)
		goto out;
	ret = -ENOMEM;
	r = recorder_new(&o);
	if (!r)
		goto out;
	pthread_mutex_lock(&t->mu);
	t->rec = r;
	ret = ft__tap_publish(t, NULL, NULL);
	if (ret < 0)
		t->rec = NULL;
	pthread_mutex_unlock(&t->mu);
	if (ret < 0)
		recorder_free(r);
out:
	pthread_mutex_unlock(&t->rec_mu);
	if (!ret)
		ft__tap_notify(t);
	return ret;
}

FT_EXPORT int ft_tap_recorder_stop(struct ft_tap *t)
{
	struct ft_recorder *r;

	pthread_mutex_lock(&t->rec_mu); /* readers copy under it */
	pthread_mutex_lock(&t->mu);
	r = t->rec;
	t->rec = NULL;
	/* After the grace period no hook holds the recorder. Removing needs
	 * no memory beyond a list no larger; retry on ENOMEM. */
	while (r && ft__tap_publish(t, NULL, NULL) < 0)
		sched_yield();
	pthread_mutex_unlock(&t->mu);
	pthread_mutex_unlock(&t->rec_mu);
	if (!r)
		return -ENOENT;
	recorder_free(r);
	ft__tap_notify(t);
	return 0;
}

FT_EXPORT void ft_tap_recorder_count(struct ft_tap *t, uint64_t triggers, uint64_t files)
{
	atomic_fetch_add_explicit(&t->rec_triggers, triggers, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->rec_files, files, memory_order_relaxed);
}

/* Where the recorder's cover starts: everything after it is held. */
static uint64_t cover_start(struct ft_recorder *r, uint64_t now, bool *by_bytes)
{
	uint64_t from = r->started_ns,
		 lost = atomic_load_explicit(&r->lost_ts, memory_order_relaxed);
	uint64_t age = now > r->max_age_ns ? now - r->max_age_ns : 0;

	*by_bytes = false;
	if (lost > from) {
		from = lost;
		*by_bytes = true;
	}
	if (age >= from) {
		from = age;
		*by_bytes = false;
	}
	return from;
}

FT_EXPORT void ft_tap_recorder_stats(const struct ft_tap *ct, struct ft_recorder_stats *st)
{
	struct ft_tap *t = (struct ft_tap *)ct;
	struct ft_recorder *r;
	uint64_t now = ft__now_ns(), from;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&t->rec_mu);
	r = t->rec;
	if (!r)
		goto out;
	st->on = true;
	st->max_age_ms = r->max_age_ns / 1000000u;
	st->max_bytes = r->max_bytes;
	st->snaplen = r->snaplen;
	if (!r->all_paths)
		st->paths = r->paths;
	from = cover_start(r, now, &st->wrapped_by_bytes);
	st->window_ns = now > from ? now - from : 0;
	for (unsigned i = 0; i <= FT_TAP_MAX_THREADS; i++) {
		struct ft_recslot *sl = &r->slot[i];
		st->recorded += atomic_load_explicit(&sl->recorded, memory_order_relaxed);
		st->overwritten += atomic_load_explicit(&sl->overwritten, memory_order_relaxed);
		st->missed += atomic_load_explicit(&sl->missed, memory_order_relaxed);
	}
	/* Blocks with a record in the window, whole: a block straddling the
	 * age bound counts all of its records. */
	for (unsigned b = 0; b < r->nblocks; b++) {
		struct ft_recblk *k = &r->blk[b];
		uint32_t s = atomic_load_explicit(&k->state, memory_order_acquire);
		if ((s != FT_RECBLK_CUR && s != FT_RECBLK_SEALED) ||
		    atomic_load_explicit(&k->last_ts, memory_order_relaxed) < from)
			continue;
		st->bytes += atomic_load_explicit(&k->used, memory_order_relaxed);
		st->packets += atomic_load_explicit(&k->nrec, memory_order_relaxed);
	}
out:
	st->triggers = atomic_load_explicit(&t->rec_triggers, memory_order_relaxed);
	st->files = atomic_load_explicit(&t->rec_files, memory_order_relaxed);
	pthread_mutex_unlock(&t->rec_mu);
}

/* Claim block @b in state @from for the slot; false if another got it. */
static bool claim(struct ft_recblk *b, uint32_t from)
{
	return atomic_compare_exchange_strong_explicit(&b->state, &from, FT_RECBLK_CLAIM,
						       memory_order_acquire, memory_order_relaxed);
}

/* A free block, or the sealed one with the oldest first record; -1 if none. */
static int find_block(struct ft_recorder *r, bool *reused)
{
	for (unsigned i = 0; i < r->nblocks; i++)
		if (atomic_load_explicit(&r->blk[i].state, memory_order_relaxed) ==
			FT_RECBLK_FREE &&
		    claim(&r->blk[i], FT_RECBLK_FREE)) {
			*reused = false;
			return (int)i;
		}
	/* Another slot may take the oldest first: look again, a bounded
	 * number of times (a hook never waits). */
	for (int tries = 0; tries < 4; tries++) {
		int best = -1;
		uint64_t best_ts = UINT64_MAX;
		for (unsigned i = 0; i < r->nblocks; i++) {
			struct ft_recblk *b = &r->blk[i];
			uint64_t ts = atomic_load_explicit(&b->first_ts, memory_order_relaxed);
			if (atomic_load_explicit(&b->state, memory_order_relaxed) ==
				FT_RECBLK_SEALED &&
			    ts < best_ts) {
				best = (int)i;
				best_ts = ts;
			}
		}
		if (best < 0)
			return -1;
		if (claim(&r->blk[best], FT_RECBLK_SEALED)) {
			*reused = true;
			return best;
		}
	}
	return -1;
}

static void note_lost(struct ft_recorder *r, uint64_t ts)
{
	uint64_t cur = atomic_load_explicit(&r->lost_ts, memory_order_relaxed);
	while (ts > cur && !atomic_compare_exchange_weak_explicit(
			       &r->lost_ts, &cur, ts, memory_order_relaxed, memory_order_relaxed))
		;
}

bool ft__recorder_next_block(struct ft_recorder *r, struct ft_recslot *sl, unsigned slot,
			     uint64_t ts)
{
	struct ft_recblk *b;
	bool reused = false;
	int k;

	if (sl->cur >= 0) {
		/* Release: its records (already published by used) and header
		 * before another slot may claim it. */
		atomic_store_explicit(&r->blk[sl->cur].state, FT_RECBLK_SEALED,
				      memory_order_release);
		sl->cur = -1;
	}
	k = find_block(r, &reused);
	if (k < 0)
		return false;
	b = &r->blk[k];
	uint64_t g = atomic_load_explicit(&b->gen, memory_order_relaxed);
	if (reused) {
		ft__rec_relaxed_inc(&sl->overwritten,
				    atomic_load_explicit(&b->nrec, memory_order_relaxed));
		note_lost(r, atomic_load_explicit(&b->last_ts, memory_order_relaxed));
	}
	/* The seqlock write side (recorder.h): gen odd, then a release fence
	 * before any byte of the block is overwritten. */
	atomic_store_explicit(&b->gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&b->used, 0, memory_order_relaxed);
	atomic_store_explicit(&b->nrec, 0, memory_order_relaxed);
	atomic_store_explicit(&b->pkt_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&b->first_ts, ts, memory_order_relaxed);
	atomic_store_explicit(&b->last_ts, ts, memory_order_relaxed);
	atomic_store_explicit(&b->seq, sl->nblk++, memory_order_relaxed);
	atomic_store_explicit(&b->slot, slot, memory_order_relaxed);
	atomic_store_explicit(&b->state, FT_RECBLK_CUR, memory_order_relaxed);
	/* Release: a reader that sees the new gen sees used reset. */
	atomic_store_explicit(&b->gen, g + 2, memory_order_release);
	sl->cur = k;
	sl->off = 0;
	return true;
}

/* Copy block @b into @dst; returns the bytes copied, 0 if it was empty or
 * reused meanwhile (a retry then finds its new records). */
static uint32_t copy_block(struct ft_recorder *r, unsigned b, uint8_t *dst, uint64_t *seq,
			   uint32_t *slot)
{
	struct ft_recblk *k = &r->blk[b];

	for (int tries = 0; tries < 3; tries++) {
		uint64_t g1 = atomic_load_explicit(&k->gen, memory_order_acquire), g2;
		uint32_t s = atomic_load_explicit(&k->state, memory_order_relaxed);
		uint32_t used;
		if (g1 & 1)
			continue;
		if (s != FT_RECBLK_CUR && s != FT_RECBLK_SEALED)
			return 0;
		/* Acquire: the records below used are complete. */
		used = atomic_load_explicit(&k->used, memory_order_acquire);
		if (used > r->bsize)
			return 0;
		*seq = atomic_load_explicit(&k->seq, memory_order_relaxed);
		*slot = atomic_load_explicit(&k->slot, memory_order_relaxed);
		ft__recorder_copy_out(dst, r->mem + (size_t)b * r->bsize, used);
		/* Acquire: our reads of the bytes before the second look at
		 * gen; a reuse that overwrote any of them changed it. */
		atomic_thread_fence(memory_order_acquire);
		g2 = atomic_load_explicit(&k->gen, memory_order_relaxed);
		if (g1 == g2)
			return used;
	}
	return 0;
}

static int hist_cmp(const void *a, const void *b)
{
	const struct ft_rechist *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Index the records of one copied block into @snap; returns how many. */
static size_t index_block(struct ft_recsnap *snap, uint8_t *p, uint32_t used, uint64_t bseq,
			  uint32_t slot, uint64_t since, bool below_ver, uint32_t ver,
			  bool (*keep)(void *, const struct ft_rec *, uint32_t), void *ctx)
{
	size_t n = 0;

	for (uint32_t off = 0; off + FT_RREC_HDR <= used;) {
		struct ft_rrec h;
		const struct ft_rec *rec = (const struct ft_rec *)(const void *)(p + off + 8);
		memcpy(&h, p + off, sizeof(h));
		if (h.size < FT_RREC_HDR || h.size > used - off)
			break;
		if (!snap->oldest_ts || rec->ts_ns < snap->oldest_ts)
			snap->oldest_ts = rec->ts_ns;
		if (rec->ts_ns >= since && (!below_ver || (int32_t)(h.ver - ver) < 0) &&
		    (!keep || keep(ctx, rec, h.size - 8))) {
			struct ft_rechist *e = &snap->recs[snap->n + n++];
			e->rec = (const uint8_t *)rec;
			e->size = h.size - 8;
			e->slot = slot;
			e->ts = rec->ts_ns;
			e->seq = bseq << 32 | off;
		}
		off += (h.size + 7) & ~7u;
	}
	return n;
}

/* Records in a copied block. */
static size_t count_block(const uint8_t *p, uint32_t used)
{
	size_t n = 0;

	for (uint32_t off = 0; off + FT_RREC_HDR <= used; n++) {
		struct ft_rrec h;
		memcpy(&h, p + off, sizeof(h));
		if (h.size < FT_RREC_HDR || h.size > used - off)
			break;
		off += (h.size + 7) & ~7u;
	}
	return n;
}

struct blkcopy {
	uint32_t used, slot;
	uint64_t seq;
	size_t off;
};

/* Copies alive in the process (recorder.h: FT__RECSNAP_MAX). A counter
 * and nothing else: taken and given back with atomic read-modify-writes,
 * it orders no other memory. */
static _Atomic unsigned live_snaps;

static bool take_snap_slot(void)
{
	unsigned n = atomic_load_explicit(&live_snaps, memory_order_relaxed);
	do {
		if (n >= FT__RECSNAP_MAX)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
	    &live_snaps, &n, n + 1, memory_order_relaxed, memory_order_relaxed));
	return true;
}

int ft__recorder_snapshot(struct ft_tap *t, uint64_t since_ns, bool below_ver, uint32_t ver,
			  bool (*keep)(void *ctx, const struct ft_rec *rec, uint32_t size),
			  void *ctx, struct ft_recsnap *snap)
{
	struct ft_recorder *r;
	struct blkcopy *bc = NULL;
	uint64_t now = ft__now_ns();
	size_t off = 0, nrec = 0;
	int ret = -ENOENT;

	memset(snap, 0, sizeof(*snap));
	pthread_mutex_lock(&t->rec_mu);
	r = t->rec;
	if (!r)
		goto out;
	snap->cover_ns = cover_start(r, now, &snap->wrapped);
	snap->now_ns = now;
	snap->started_ns = r->started_ns;
	snap->max_age_ns = r->max_age_ns;
	snap->max_bytes = r->max_bytes;
	if (now > r->max_age_ns && since_ns < now - r->max_age_ns)
		since_ns = now - r->max_age_ns;
	ret = -EBUSY;
	if (!take_snap_slot())
		goto out;
	snap->counted = true;
	ret = -ENOMEM;
	/* Pages of the copy are touched only as far as records go. */
	snap->buf = malloc(r->mem_size);
	bc = calloc(r->nblocks, sizeof(*bc));
	if (!snap->buf || !bc)
		goto out;
	for (unsigned b = 0; b < r->nblocks; b++) {
		bc[b].off = off;
		bc[b].used = copy_block(r, b, snap->buf + off, &bc[b].seq, &bc[b].slot);
		nrec += count_block(snap->buf + off, bc[b].used);
		off += bc[b].used;
	}
	snap->recs = malloc((nrec ? nrec : 1) * sizeof(snap->recs[0]));
	if (!snap->recs)
		goto out;
	for (unsigned b = 0; b < r->nblocks; b++)
		snap->n += index_block(snap, snap->buf + bc[b].off, bc[b].used, bc[b].seq,
				       bc[b].slot, since_ns, below_ver, ver, keep, ctx);
	qsort(snap->recs, snap->n, sizeof(snap->recs[0]), hist_cmp);
	ret = 0;
out:
	pthread_mutex_unlock(&t->rec_mu);
	free(bc);
	if (ret < 0)
		ft__recsnap_free(snap);
	return ret;
}

void ft__recsnap_free(struct ft_recsnap *snap)
{
	if (snap->counted)
		atomic_fetch_sub_explicit(&live_snaps, 1, memory_order_relaxed);
	free(snap->buf);
	free(snap->recs);
	memset(snap, 0, sizeof(*snap));
}
