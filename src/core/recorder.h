/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * recorder.h - the flight recorder of a tap (ft_tap_recorder_start()):
 * the most recent packets offered to the tap, kept in memory allocated once
 * at start, overwriting the oldest.
 *
 * Memory is cut into blocks (at most 256 KiB each). A producer slot (tap.c)
 * appends records to the block it holds; when the block is full it seals it
 * and claims another: a free one, or else the sealed block whose first
 * record is the oldest of all (which may have been written by another
 * thread). So the recorder holds the newest bytes of every thread, bounded
 * by the memory, and a hook writes only its own block and slot: claiming a
 * block is a compare-and-swap on its state, once per block, not per packet.
 *
 * A record is an 8-byte recorder prefix then a capture record (rec.h):
 *
 *	[u32 size][u32 ver] [struct ft_rec (word: the slot)][optional fields][bytes]
 *
 * size covers the whole record (the next starts 8-byte aligned); ver is the version of the
 * session list the hook saw (tap.c): a session attached at list version V
 * got exactly the hooks that saw a version >= V, so its history is the
 * records below V, with no gap and no duplicate at the seam.
 *
 * Readers never block a producer: they copy a block out seqlock-style. A
 * block's gen is odd while it is being reset for reuse and grows on every
 * reuse; a reader loads gen (acquire), then used (acquire: the records
 * before it are complete), copies, fences (acquire) and loads gen again. A
 * producer that reuses the block stores gen odd and fences (release) before
 * it overwrites a byte, so a copy that read any overwritten byte sees a new
 * gen and is discarded. Records appended behind used are never rewritten
 * while gen stays, so a copy that keeps its gen is whole.
 */
#ifndef FT_RECORDER_H
#define FT_RECORDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <flowtap/tap.h>

#include "rec.h"

#define FT_RECBLK_FREE	 0u
#define FT_RECBLK_CUR	 1u /* a slot writes it */
#define FT_RECBLK_SEALED 2u /* full, readable, reusable */
#define FT_RECBLK_CLAIM	 3u /* being taken by a slot */

/* The recorder prefix of a record. */
struct ft_rrec {
	uint32_t size;
	uint32_t ver;
};
#define FT_RREC_HDR (sizeof(struct ft_rrec) + sizeof(struct ft_rec))

/* A block's header: on its own cache line, written by the slot holding
 * the block, read by readers and by slots looking for the oldest block. */
struct ft_recblk {
	_Alignas(64) _Atomic uint64_t gen;
	_Atomic uint32_t used;	   /* bytes of complete records */
	_Atomic uint32_t state;	   /* FT_RECBLK_* */
	_Atomic uint64_t first_ts; /* of its first record */
	_Atomic uint64_t last_ts;  /* of its last record */
	_Atomic uint64_t seq;	   /* the slot's block number: keeps a slot's order */
	_Atomic uint32_t nrec;	   /* records in it */
	_Atomic uint32_t slot;
	_Atomic uint64_t pkt_bytes; /* wire bytes of its records */
};

/* A producer slot's place in the recorder; written only by its thread
 * (the shared slot: by whoever holds busy). */
struct ft_recslot {
	_Alignas(64) int cur; /* the block being written, -1: none */
	uint32_t off;	      /* bytes written into it */
	uint64_t nblk;	      /* blocks claimed, ever */
	_Atomic uint64_t recorded;
	_Atomic uint64_t overwritten; /* records of blocks this slot reused */
	_Atomic uint64_t missed;      /* no block could be claimed, or the shared slot was busy */
	_Atomic bool busy;	      /* the shared slot only: a try-lock, never waited on */
};

struct ft_recorder {
	uint32_t snaplen;
	uint32_t bsize; /* bytes per block, a multiple of 64 */
	uint32_t nblocks;
	uint64_t max_age_ns;
	uint64_t max_bytes;
	uint64_t started_ns;	 /* CLOCK_REALTIME */
	struct ft_pathset paths; /* kept paths, when not all_paths */
	bool all_paths;
	uint8_t *mem; /* nblocks * bsize */
	size_t mem_size;
	size_t mem_mapped; /* mem's allocation, in whole pages (bigmem.h) */
	struct ft_recblk *blk;
	/* The newest time of a block reused for room (max, CAS; once per
	 * reuse): the recorder holds everything after it. Its own line: the
	 * fields above are read by every hook. */
	_Alignas(64) _Atomic uint64_t lost_ts;
	_Alignas(64) struct ft_recslot slot[]; /* FT_TAP_MAX_THREADS + 1, the last shared */
};

/* Slow part of a record: seal the slot's block and claim another. Returns
 * false (and leaves the slot without a block) if none could be claimed. */
bool ft__recorder_next_block(struct ft_recorder *r, struct ft_recslot *sl, unsigned slot,
			     uint64_t ts);

/* The block bytes, written so that a reader racing a reuse (a seqlock
 * read) is not a data race for ThreadSanitizer: relaxed atomic words under
 * TSan, memcpy otherwise (the reader discards what it read then anyway). */
#if defined(__SANITIZE_THREAD__)
#define FT_REC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FT_REC_TSAN 1
#endif
#endif

void ft__recorder_copy_in(uint8_t *dst, const void *src, size_t n);
void ft__recorder_copy_out(void *dst, const uint8_t *src, size_t n);

static inline void ft__rec_relaxed_inc(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/*
 * Record a packet on producer slot @slot (FT_TAP_SHARED: the shared one)
 * with list version @ver; @i->ts_ns is set. Hot path: no lock, no
 * allocation, no wait (a busy shared slot skips the packet and counts it).
 */
static inline void ft__recorder_write(struct ft_recorder *r, unsigned slot, unsigned nslots,
				      uint32_t ver, const struct ft_rec_info *i, const void *pkt,
				      size_t caplen)
{
	struct ft_recslot *sl = &r->slot[slot];
	bool shared = slot == nslots;
	uint32_t cap = caplen > r->snaplen ? r->snaplen : (uint32_t)caplen;
	uint8_t f = ft__rec_flags(i, cap) | (cap < caplen ? FT_REC_CUT : 0);
	uint32_t size = (uint32_t)FT_RREC_HDR + ft__rec_ext_size(i, f) + cap;
	uint32_t asize = (size + 7) & ~7u; /* records stay 8-byte aligned */
	struct ft_recblk *b;
	uint8_t *p;

	if (shared && atomic_exchange_explicit(&sl->busy, true, memory_order_acquire)) {
		atomic_fetch_add_explicit(&sl->missed, 1, memory_order_relaxed);
		return;
	}
	if (__builtin_expect(sl->cur < 0 || sl->off + asize > r->bsize, 0) &&
	    !ft__recorder_next_block(r, sl, slot, i->ts_ns)) {
		atomic_fetch_add_explicit(&sl->missed, 1, memory_order_relaxed);
		goto out;
	}
	b = &r->blk[sl->cur];
	p = r->mem + (size_t)sl->cur * r->bsize + sl->off;
#ifdef FT_REC_TSAN
	{
		uint8_t tmp[FT_RREC_HDR + 8 + 64 + FT_REC_NAT_SIZE + FT_RECORDER_SNAPLEN_MAX + 8];
		struct ft_rrec h = {size, ver};
		memcpy(tmp, &h, sizeof(h));
		((struct ft_rec *)(tmp + 8))->word = slot;
		memcpy(ft__rec_put(tmp + 8, i, f), pkt, cap);
		ft__recorder_copy_in(p, tmp, asize);
	}
#else
	{
		struct ft_rrec h = {size, ver};
		memcpy(p, &h, sizeof(h));
		((struct ft_rec *)(p + 8))->word = slot;
		memcpy(ft__rec_put(p + 8, i, f), pkt, cap);
	}
#endif
	sl->off += asize;
	/* Only this slot writes the block's header while it holds it. */
	atomic_store_explicit(&b->nrec, atomic_load_explicit(&b->nrec, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	ft__rec_relaxed_inc(&b->pkt_bytes, i->len);
	atomic_store_explicit(&b->last_ts, i->ts_ns, memory_order_relaxed);
	/* Release: the record's bytes before the length that covers them. */
	atomic_store_explicit(&b->used, sl->off, memory_order_release);
	if (shared)
		atomic_fetch_add_explicit(&sl->recorded, 1, memory_order_relaxed);
	else
		ft__rec_relaxed_inc(&sl->recorded, 1);
out:
	if (shared)
		atomic_store_explicit(&sl->busy, false, memory_order_release);
}

/* Whether @r keeps packets of @path (read-only after start). */
static inline bool ft__recorder_keeps(const struct ft_recorder *r, unsigned path)
{
	return r->all_paths || ft_pathset_has(&r->paths, path);
}

/* One record copied out of the recorder. */
struct ft_rechist {
	const uint8_t *rec; /* struct ft_rec onward */
	uint32_t size;	    /* bytes from rec */
	uint32_t slot;
	uint64_t ts;
	uint64_t seq; /* block sequence within the slot, then offset: the slot's order */
};

/* A copy of what a recorder holds. */
struct ft_recsnap {
	uint8_t *buf;
	struct ft_rechist *recs; /* in time order (a slot's records keep theirs) */
	size_t n;
	uint64_t oldest_ts;  /* of the oldest record copied (before any cut), 0: none */
	uint64_t cover_ns;   /* the recorder holds every packet since this time */
	uint64_t now_ns;     /* when the copy was taken */
	bool wrapped;	     /* the byte bound, not the age, set cover_ns */
	uint64_t started_ns; /* the recorder's settings and start */
	uint64_t max_age_ns, max_bytes;
	bool counted; /* one of the FT__RECSNAP_MAX copies alive */
};

/* A copy can be as large as the recorder (64 MiB by default) and lives
 * until its session has written it, so a process holds at most this many
 * at once, whatever the number of clients asking: memory stays bounded by
 * FT__RECSNAP_MAX times the largest recorder. */
#define FT__RECSNAP_MAX 2

/*
 * Copy the records of @t's recorder with a time >= @since_ns and (if
 * @below_ver) a list version below @ver, in time order, into @snap (free
 * with ft__recsnap_free()). @keep (may be NULL) selects records. Control
 * plane; allocates. Returns 0, -ENOENT (no recorder), -EBUSY (FT__RECSNAP_MAX
 * copies are alive in the process; try again when one is freed) or -ENOMEM.
 */
int ft__recorder_snapshot(struct ft_tap *t, uint64_t since_ns, bool below_ver, uint32_t ver,
			  bool (*keep)(void *ctx, const struct ft_rec *rec, uint32_t size),
			  void *ctx, struct ft_recsnap *snap);
void ft__recsnap_free(struct ft_recsnap *snap);

#endif
