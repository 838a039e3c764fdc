/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: capture sessions: filter on the datapath thread, format and write on their own. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <flowtap/anon.h>
#include <flowtap/capture.h>

#include "bigmem.h"
#include "clock.h"
#include "drop.h"
#include "fence.h"
#include "iov.h"
#include "tap_internal.h"
#include "thread.h"
#include "writer_direct.h"

static bool pathset_empty(const struct ft_pathset *p)
{
	return !(p->bits[0] | p->bits[1] | p->bits[2] | p->bits[3]);
}

#define DEFAULT_BUFSIZE (4u << 20)
#define MIN_BUFSIZE	(64u << 10)
#define MAX_BUFSIZE	(1u << 30)
#define FLUSH_NS	50000000ull /* output is flushed at least this often while busy */
#define BATCH		256
#define LINGER_POLLS	10	/* idle polls before the thread sleeps until woken */
#define LINGER_POLL_NS	1000000 /* 1 ms: the latency added while lingering */
#define LINGER_MIN_NS	20000	/* the shortest nap: about what a nanosleep() costs */

static void futex_wait(_Atomic uint32_t *addr, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * The lost wake-up, and why both sides have a full fence. The producer
 * publishes a record (a store to its stamp) and then loads `sleeping`; the
 * session thread stores `sleeping` and then loads the stamps again. Each
 * side is a store followed by a load of another location, which every
 * common CPU (x86 included, through its store buffer) may reorder unless a
 * full fence separates them; acquire/release orders nothing here. With a
 * seq_cst fence between the store and the load on both sides, the two
 * fences are totally ordered, so at least one side sees the other's store:
 * either the session thread finds the record and does not sleep, or the
 * producer finds it sleeping and wakes it. Where membarrier(2) works, the
 * session thread's fence is membarrier() and the producer's a compiler
 * barrier (fence.h): the fence is paid once per sleep, not per packet.
 */

/* Called by a producer that saw the consumer asleep: once per sleep, not per packet. */
void ft__session_wake(struct ft_session *s)
{
	if (atomic_exchange(&s->sleeping, 0)) {
		atomic_fetch_add(&s->wake_seq, 1);
		futex_wake(&s->wake_seq);
	}
}

FT_EXPORT void ft_session_opts_init(struct ft_session_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = FT_FORMAT_PCAP;
	o->out_fd = -1;
}

void ft__session_snapshot(const struct ft_session *cs, struct ft_session_stats *st)
{
	struct ft_session *s = (struct ft_session *)cs;

	if (atomic_load(&s->done)) {
		*st = s->final;
		return;
	}
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i <= FT_TAP_MAX_THREADS; i++) {
		const struct ft_sess_ctr *c = &s->ctr[i];
		st->offered += atomic_load_explicit(&c->offered, memory_order_relaxed);
		st->matched += atomic_load_explicit(&c->matched, memory_order_relaxed);
		st->dropped += atomic_load_explicit(&c->dropped, memory_order_relaxed);
	}
	st->written = atomic_load_explicit(&s->written, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&s->bytes, memory_order_relaxed);
	st->truncated = atomic_load_explicit(&s->truncated, memory_order_relaxed);
	st->error = atomic_load(&s->error);
}

FT_EXPORT void ft_session_get_stats(const struct ft_session *s, struct ft_session_stats *st)
{
	ft__session_snapshot(s, st);
}

FT_EXPORT const char *ft_session_filter(const struct ft_session *s)
{
	return s->filter_expr;
}

FT_EXPORT enum ft_format ft_session_format(const struct ft_session *s)
{
	return s->opts.format;
}

/*
 * The rings. Each producer slot (tap.c) that sends the session packets gets
 * an SPSC ring of its own (spsc.h), written by that thread only: no
 * read-modify-write and no cache line shared with another producer per
 * packet. The session thread allocates them, never a hook: a thread's first
 * matching packets go to the shared MPSC ring (ring.h), which the session
 * thread notices as it writes them (add_slot_rings()); it then sets up a
 * ring for that slot and publishes the pointer with a release store, and the
 * producer's next hook picks it up (acquire). Threads past FT_TAP_MAX_THREADS
 * and slots beyond the memory budget stay on the shared ring.
 *
 * Memory: the shared ring takes half of the session's bufsize. The first
 * slot ring takes the whole bufsize (what the one ring had before there
 * were slot rings) and is set up with the session, on the thread that
 * starts it; the session thread allocates the others, a quarter of bufsize
 * each, for at most FT_SESS_SLOT_RINGS slots in all; a slot ring's index
 * takes an eighth of its size more (spsc.h). So a session holds at most
 * about 2.5 times its bufsize (each ring rounded up to a power of two), and
 * a packet takes at most a quarter of it (the shared ring's half), an
 * eighth in the smaller slot rings (a larger one is dropped there).
 *
 * Order: the session thread merges the rings by timestamp, taking the
 * record with the earliest time among the rings' next records. Each ring
 * keeps its own order, so one thread's packets keep theirs. A thread's
 * packets move from the shared ring to its own once; its first record there
 * carries (spsc.h: after) where its records in the shared ring end, and the
 * slot ring waits until the shared ring is consumed that far. When one slot
 * ring alone has records there is nothing to merge: a pcap session takes
 * them as one run, without reading their entries (take_run()).
 */
/* The next record of ring @k (FT_SESS_SLOT_RINGS: the shared ring), kept
 * in s->head[k] until released: a ring's next record stays where it is, so
 * the merge reads each ring's head once per record taken from it, not once
 * per record written. A slot ring's index holds the record's time and
 * flags (spsc.h), so this reads none of its bytes; in the shared ring they
 * lie before a file record's bytes (rec.h), and h->rec and h->len then
 * cover the file's bytes only. */
static const void *head_of(struct ft_session *s, unsigned k)
{
	struct ft_sess_head *h = &s->head[k];

	if (h->rec)
		return h->rec;
	if (k == FT_SESS_SLOT_RINGS) {
		h->rec = ft__ring_peek(&s->ring, &h->len);
		if (!h->rec)
			return NULL;
		if (s->recs == FT_RECS_CORE) {
			h->ts = ((const struct ft_rec *)h->rec)->ts_ns;
			h->aux = 0;
		} else {
			const struct ft_frec_hdr *fh = h->rec;
			h->ts = fh->ts_ns;
			h->aux = fh->aux;
			h->rec = fh + 1;
			h->len -= (uint32_t)sizeof(*fh);
		}
	} else {
		struct ft_spsc_ent e;
		h->rec = ft__spsc_peek(s->slot_rings[k], &e);
		/* The ring waits for the thread's records in the shared
		 * ring; sr->after was written before the record we acquired.
		 * Read until passed, not per record: it lies on the line
		 * the producer writes per packet. */
		if (h->rec && !h->open) {
			if (s->ring.ctail < s->slot_rings[k]->after)
				h->rec = NULL;
			else
				h->open = true;
		}
		if (h->rec) {
			h->len = e.len;
			h->aux = e.aux;
			h->ts = e.key;
		}
	}
	return h->rec;
}

/* The ring with the next record in time order, or -1 if none is ready. */
static int next_record(struct ft_session *s)
{
	int best = -1;

	if (head_of(s, FT_SESS_SLOT_RINGS))
		best = FT_SESS_SLOT_RINGS;
	for (unsigned k = 0; k < s->nslot_rings; k++)
		if (head_of(s, k) && (best < 0 || s->head[k].ts < s->head[best].ts))
			best = (int)k;
	return best;
}

/* Any record ready or on its way: the session thread must not sleep. */
static bool pending(struct ft_session *s)
{
	uint32_t len;
	struct ft_spsc_ent e;

	if (s->head[FT_SESS_SLOT_RINGS].rec || ft__ring_peek(&s->ring, &len))
		return true;
	for (unsigned k = 0; k < s->nslot_rings; k++)
		if (s->head[k].rec || ft__spsc_peek(s->slot_rings[k], &e))
			return true;
	return false;
}

/* File records lie back to back, as in the file; the core's are aligned
 * for the struct that heads them (rec.h). */
static struct ft_spsc *new_slot_ring(const struct ft_session *s, size_t size)
{
	struct ft_spsc *sr = aligned_alloc(64, sizeof(*sr));

	if (sr && ft__spsc_init(sr, size, s->recs == FT_RECS_CORE ? 8 : 1) < 0) {
		free(sr);
		sr = NULL;
	}
	return sr;
}

/* Give slots that sent packets through the shared ring their own ring,
 * while the budget lasts. Session thread; allocates. */
static void add_slot_rings(struct ft_session *s)
{
	unsigned n = atomic_load_explicit(&s->tap->nthreads, memory_order_acquire);

	for (unsigned i = 0; i < n && s->nslot_rings < FT_SESS_SLOT_RINGS; i++) {
		struct ft_spsc *sr;
		if (atomic_load_explicit(&s->srings[i], memory_order_relaxed) ||
		    !atomic_load_explicit(&s->ctr[i].matched, memory_order_relaxed))
			continue;
		sr = s->spare;
		s->spare = NULL;
		if (!sr && !(sr = new_slot_ring(s, s->slot_ring_size)))
			return;
		s->slot_rings[s->nslot_rings++] = sr;
		/* Release: the ring's setup before a producer uses it. */
		atomic_store_explicit(&s->srings[i], sr, memory_order_release);
	}
}

/* opts.anon_key: the packet's bytes are copied out of the record (which
 * producers' memory holds) and pseudonymized in the session's own buffer,
 * on this thread; false if it cannot be (the link type was checked at
 * start, so only a packet nothing of which could be kept). */
static bool anon_rewrite(struct ft_session *s, struct ft_pkt *p)
{
	uint32_t n = p->caplen < s->snaplen ? p->caplen : s->snaplen;
	int k;

	memcpy(s->anon_buf, p->data, n);
	k = ft_anon_packet(s->anon, s->anon_buf, n, p->dlt, 0);
	if (k < 0)
		return false;
	p->data = s->anon_buf;
	p->caplen = (uint32_t)k;
	ft_anon_addr(s->anon, &p->nat_src);
	ft_anon_addr(s->anon, &p->nat_dst);
	return true;
}

/*
 * Straight from the rings (pcap, pcap-ns and user0 to out_fd or to an
 * out_iov callback, not anonymized): the hook wrote each record as the
 * file holds it (rec.h: file records), and the session thread does not
 * copy a slot ring's record into the writer's buffer but hands it to
 * writev(2) or the callback where it lies. The records of a slot ring lie
 * back to back, so a run of them (up to the end of the ring's lap) is one
 * iovec, and the session thread reads none of their bytes. It moves past
 * a record without giving its space back (ft__spsc_advance())
 * and publishes the rings' tails only after the call returned: the
 * kernel's reads of the records (or the callback's, on this thread) happen
 * within the call, so before the release store of the tail (spsc.h), after
 * which a producer may overwrite them (capture.h: valid only during the
 * call). Records of the shared ring are copied into the batch, or written
 * at once where they lie if too large to copy. The batch goes out when
 * full (setup(): up to DIRECT_BATCH), before anything the writer writes (the file header,
 * the history: its buffer always holds only what came before the batch),
 * and wherever the writer's buffer would be flushed, so the output's
 * latency is the writer's.
 */
/* iovecs per call: IOV_MAX, less room for a callback's framing (capture.h) */
#define DIRECT_IOV   FT_SESSION_IOV_MAX
#define DIRECT_CHUNK (256u << 10) /* bytes: the stage, the writer's chunk (writer.c) */
/* Bytes of records where they lie that go out in one call: four times the
 * writer's chunk, as they cost no copy and the call is what costs. A
 * writev(2) of 256 KiB to /dev/null took 1.5 us on this virtual machine,
 * 9 ns for each 1500-byte record; with 1 MiB the session thread used a
 * fifth less CPU per packet. At most half the smaller slot rings (setup()). */
#define DIRECT_BATCH	(1u << 20)
#define DIRECT_COPY_MAX (DIRECT_CHUNK / 2) /* bytes: a shared ring's record copied */

/* Records of the shared ring are copied into stage, which one iovec covers
 * as far as it is contiguous. */
struct ft_direct {
	unsigned n;	/* records batched */
	unsigned niov;	/* at most one per record */
	size_t len;	/* bytes batched */
	size_t used;	/* of stage */
	size_t chunk;	/* bytes batched that go out at once */
	unsigned max_n; /* records batched that go out at once */
	struct iovec iov[DIRECT_IOV];
	uint8_t stage[DIRECT_CHUNK];
};

/* Whether bytes at @p follow the batch's last iovec. */
static bool follows_last(const struct ft_direct *d, const uint8_t *p)
{
	const struct iovec *last = d->niov ? &d->iov[d->niov - 1] : NULL;

	return last && (const uint8_t *)last->iov_base + last->iov_len == p;
}

/* Into the batch: @n bytes at @p, in its last iovec if they follow it,
 * else in a new one (the caller made room for it). */
static void batch_span(struct ft_direct *d, const uint8_t *p, size_t n)
{
	if (follows_last(d, p))
		d->iov[d->niov - 1].iov_len += n;
	else
		d->iov[d->niov++] = (struct iovec){(void *)p, n};
}

/* Room for @n bytes at the end of the stage, in the batch. */
static uint8_t *stage_put(struct ft_direct *d, size_t n)
{
	uint8_t *p = d->stage + d->used;

	batch_span(d, p, n);
	d->used += n;
	return p;
}

_Static_assert(DIRECT_IOV <= IOV_MAX, "a batch is one writev()");

static int fd_outv(struct ft_session *s, struct iovec *iov, int cnt);

/* Write the batch and give its records' space back. */
static void direct_flush(struct ft_session *s)
{
	struct ft_direct *d = s->direct;
	int err = ft__writer_begin(s->writer);

	if (!err && ft_writer_pending(s->writer))
		err = ft_writer_flush(s->writer);
	if (!err && d->niov)
		err = s->opts.out_iov ? s->opts.out_iov(s->opts.out_ctx, d->iov, (int)d->niov)
				      : fd_outv(s, d->iov, (int)d->niov);
	d->n = d->niov = 0;
	d->len = d->used = 0;
	for (unsigned k = 0; k < s->nslot_rings; k++)
		ft__spsc_publish(s->slot_rings[k]);
	if (err < 0)
		atomic_store(&s->error, err);
}

/* Whether the session still writes: no error, packet count not reached. */
static bool writing(struct ft_session *s)
{
	uint64_t max = s->opts.max_packets;

	return !atomic_load_explicit(&s->error, memory_order_relaxed) &&
	       !(max && atomic_load_explicit(&s->written, memory_order_relaxed) >= max);
}

/* Count @n records written, of @bytes bytes of packets in all; returns
 * the records written so far. Only this thread writes the counters. */
static uint64_t add_written(struct ft_session *s, uint64_t n, uint64_t bytes)
{
	uint64_t written = atomic_load_explicit(&s->written, memory_order_relaxed) + n;

	atomic_store_explicit(&s->written, written, memory_order_relaxed);
	atomic_store_explicit(&s->bytes,
			      atomic_load_explicit(&s->bytes, memory_order_relaxed) + bytes,
			      memory_order_relaxed);
	return written;
}

/* Count a record written (@caplen bytes, @cut by the snaplen); false once
 * the packet count is reached. Only this thread writes the counters: plain
 * stores, no read-modify-write. */
static bool count_written(struct ft_session *s, uint32_t caplen, bool cut)
{
	uint64_t max = s->opts.max_packets;
	uint64_t written = add_written(s, 1, caplen);

	if (cut)
		atomic_store_explicit(&s->truncated,
				      atomic_load_explicit(&s->truncated, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	return !(max && written >= max);
}

/* Batch the file record at the head @h of a ring; returns false once the
 * session must end. A slot ring's record stays where it is (the caller
 * moves past it with ft__spsc_advance()) and extends the last iovec if it
 * follows its bytes; one of the shared ring, whose space goes back at
 * once, is copied (@copy), and must then take at most half the stage
 * (DIRECT_COPY_MAX). */
static bool direct_record(struct ft_session *s, const struct ft_sess_head *h, bool copy)
{
	struct ft_direct *d = s->direct;
	const uint8_t *rec = h->rec;
	uint32_t n = h->len; /* as the file has it */
	uint32_t cap = n - FT_PCAP_RECLEN;
	bool extend = !copy && follows_last(d, rec);

	if (s->recs == FT_RECS_USER0) {
		/* What it holds of the packet: less the prefix (user0.c),
		 * which the hook wrote. The only byte of a record read here. */
		const uint8_t *pfx = rec + FT_PCAP_RECLEN;
		cap -= 4u + pfx[2] + pfx[3 + pfx[2]];
	}
	if ((!extend && d->niov + 1 > DIRECT_IOV) || (copy && d->used + n > sizeof(d->stage)))
		direct_flush(s);
	if (!writing(s)) {
		s->discarded++;
		return false;
	}
	if (copy)
		memcpy(stage_put(d, n), rec, n);
	else
		batch_span(d, rec, n);
	d->n++;
	d->len += n;
	return count_written(s, cap, ft__frec_flags(h->aux) & FT_REC_CUT);
}

/* Write one record; returns false once the session must end. */
static bool write_record(struct ft_session *s, const void *rec, uint32_t size)
{
	struct ft_pkt p;
	char where[FT_DROP_WHERE_MAX + 1];
	const char *wp;
	uint32_t wlen;
	int err;

	if (s->direct && s->direct->n)
		direct_flush(s); /* the batch came first */
	if (!writing(s) || !ft__rec_get(rec, size, &p, &wp, &wlen)) {
		s->discarded++;
		return false;
	}
	p.dlt = s->tap->dlt;
	if (p.drop_reason) {
		p.drop_name = ft_drop_reason_name(s->tap, p.drop_reason);
		if (wlen && wlen <= FT_DROP_WHERE_MAX) {
			memcpy(where, wp, wlen);
			where[wlen] = '\0';
			p.drop_where = where;
		}
	}
	if (s->anon && !anon_rewrite(s, &p)) {
		s->discarded++;
		return true;
	}
	err = ft_writer_write(s->writer, &p);
	if (err < 0) {
		atomic_store(&s->error, err);
		s->discarded++;
		return false;
	}
	return count_written(s, p.caplen, ((const struct ft_rec *)rec)->flags & FT_REC_CUT);
}

/* The slot ring that alone has records, none of them peeked, and whose
 * records wait for none in the shared ring; -1 if there is no such ring. */
static int only_ring(struct ft_session *s)
{
	uint32_t len;
	int only = -1;

	if (s->head[FT_SESS_SLOT_RINGS].rec || ft__ring_peek(&s->ring, &len))
		return -1;
	for (unsigned k = 0; k < s->nslot_rings; k++) {
		if (s->head[k].rec)
			return -1;
		if (!ft__spsc_ready(s->slot_rings[k]))
			continue;
		if (only >= 0 || !s->head[k].open)
			return -1;
		only = (int)k;
	}
	return only;
}

/* Whether slot ring @k, whose record next_record() chose, is the only ring
 * with a record peeked, and a run could start there: the test per record
 * that keeps a merge of several rings from trying runs. */
static bool lone_head(const struct ft_session *s, int k)
{
	if (k == FT_SESS_SLOT_RINGS || !s->direct || s->recs == FT_RECS_USER0 ||
	    s->opts.max_packets || s->head[FT_SESS_SLOT_RINGS].rec)
		return false;
	for (unsigned i = 0; i < s->nslot_rings; i++)
		if ((int)i != k && s->head[i].rec)
			return false;
	/* Last: until the consumer has seen it, the mark lies on the line the
	 * producer writes per record. */
	return !ft__spsc_marked(s->slot_rings[k]);
}

/*
 * Batch the records of the only ring that has any as one run, where they
 * lie, without reading their index entries (spsc.h: ft__spsc_take_run(),
 * which says what that saves the producer); returns the records taken.
 * With one ring there is nothing to merge, and in pcap a run of records is
 * a run of the file. Not when a record needs its entry (lone_head() and
 * ft__spsc_take_run() check): user0 (the prefix counts apart from the
 * packet), a packet count to stop at, records cut by the snaplen (the
 * producer marks those: they are counted as truncated). At most half the
 * smaller slot rings, as a batch (setup()).
 */
static unsigned take_run(struct ft_session *s)
{
	struct ft_direct *d = s->direct;
	uint64_t len, n, max_bytes = s->slot_ring_size / 2;
	const uint8_t *run;
	int k;

	/* lone_head() has ruled out the formats and options runs do not serve. */
	if (!writing(s) || d->len >= max_bytes || d->n >= d->max_n || (k = only_ring(s)) < 0)
		return 0;
	if (d->niov == DIRECT_IOV)
		direct_flush(s);
	run = ft__spsc_take_run(s->slot_rings[k], max_bytes - d->len, d->max_n - d->n, &len, &n);
	if (!run)
		return 0;
	batch_span(d, run, len);
	d->n += (unsigned)n;
	d->len += len;
	/* Slot rings of file records are byte-aligned (new_slot_ring()):
	 * the run is its records' headers and packets, nothing between. */
	add_written(s, n, len - n * FT_PCAP_RECLEN);
	s->runs++;
	if (d->len >= d->chunk || d->n >= d->max_n)
		direct_flush(s);
	return (unsigned)n;
}

/* Consume up to @max records; *more is cleared when the session must end. */
static unsigned drain(struct ft_session *s, unsigned max, bool *more)
{
	unsigned n = 0, shared = 0;
	int k;
	struct ft_peers *was = s->peers.p;

	/* A replaced peer table is taken between batches (peers_int.h). */
	if (ft__peers_view_sync(&s->peers, &s->tap->peers) != was && !s->anon)
		ft_writer_set_peers(s->writer, s->peers.p);
	bool runs = true;
	while (n < max && (k = next_record(s)) >= 0) {
		struct ft_sess_head *h = &s->head[k];
		unsigned run;
		bool ok;
		if (runs && lone_head(s, k)) {
			/* Peeked, not moved past: the run starts with it. */
			h->rec = NULL;
			if ((run = take_run(s)) > 0) {
				n += run;
				continue;
			}
			head_of(s, k); /* the merge takes it after all */
			/* Not again in this drain (at most @max records):
			 * what made it fail (a backlog too long for a batch,
			 * the lap's end inside it) mostly holds for the next
			 * records too, and each try reads the head's line,
			 * which the producer writes per record. */
			runs = false;
		}
		if (k == FT_SESS_SLOT_RINGS) {
			/* Into the batch too: past FT_SESS_SLOT_RINGS producer
			 * threads the two rings alternate, and a writev() per
			 * switch cost more than the copy. */
			if (!s->direct) {
				ok = write_record(s, h->rec, h->len);
			} else if (h->len <= DIRECT_COPY_MAX) {
				ok = direct_record(s, h, true);
			} else {
				/* Out where it lies before its space goes back. */
				ok = direct_record(s, h, false);
				direct_flush(s);
			}
			ft__ring_release(&s->ring);
			/* At a drain's first record here, slots that sent
			 * packets this way get rings of their own at once, not
			 * after the batch: meanwhile a thread's packets pile up
			 * here, and this ring is copied. */
			if (!shared++ && s->nslot_rings < FT_SESS_SLOT_RINGS)
				add_slot_rings(s);
		} else if (s->direct) {
			/* Its space goes back in direct_flush(). */
			ok = direct_record(s, h, false);
			ft__spsc_advance(s->slot_rings[k]);
		} else {
			ok = write_record(s, h->rec, h->len);
			ft__spsc_release(s->slot_rings[k]);
		}
		if (!ok)
			*more = false;
		h->rec = NULL;
		n++;
		/* A full chunk goes out as the writer's would, and before the
		 * records it holds fill a ring. */
		if (s->direct &&
		    (s->direct->len >= s->direct->chunk || s->direct->n >= s->direct->max_n))
			direct_flush(s);
	}
	if (shared && s->nslot_rings < FT_SESS_SLOT_RINGS)
		add_slot_rings(s);
	return n;
}

static void flush(struct ft_session *s)
{
	int err;

	if (atomic_load(&s->error))
		return;
	if (s->direct && s->direct->n) {
		direct_flush(s); /* the writer's buffer, then the batch */
		return;
	}
	if (!ft_writer_pending(s->writer))
		return;
	err = ft_writer_flush(s->writer);
	if (err < 0)
		atomic_store(&s->error, err);
}

static void finish(struct ft_session *s)
{
	struct ft_session_stats *f = &s->final;
	struct ft_writer_isb isb;
	bool more = true;

	while (drain(s, UINT_MAX, &more))
		;
	if (s->direct && s->direct->n)
		direct_flush(s);
	ft__session_snapshot(s, f);
	f->discarded = s->discarded;
	if (!f->error) {
		isb.received = f->offered;
		/* Packets lost before the tap (a kernel ring) while attached, too. */
		isb.dropped =
		    f->dropped + (atomic_load(&s->tap->upstream_drops) - s->upstream_at_attach);
		isb.filter_accepted = f->matched;
		int err = ft_writer_finish(s->writer, &isb);
		if (err < 0) {
			atomic_store(&s->error, err);
			f->error = err;
		}
	}
	f->done = true;
	ft__tap_add_ended_output(s->tap, f->written, f->bytes, f->truncated);
	atomic_store(&s->done, true);
}

/* The monotonic time a session of @duration_ms started at @start ends, or 0
 * for none. The API accepts durations up to 1e15 ms, whose nanoseconds do
 * not fit in 64 bits: a duration that would overflow is no limit (it is
 * beyond 580 years). */
static uint64_t session_deadline(uint64_t start, uint64_t duration_ms)
{
	if (!duration_ms || duration_ms > (UINT64_MAX - start) / 1000000u)
		return 0;
	return start + duration_ms * 1000000u;
}

/* Write the history; returns false once the session must end. */
static bool write_history(struct ft_session *s)
{
	bool more = true;

	/* Not cut short by a stop: like what the rings hold, the history was
	 * counted, and a stop drains it (a blocked output is bounded by
	 * fd_out()'s stop deadline). */
	while (more && s->hist_next < s->hist.n) {
		const struct ft_rechist *e = &s->hist.recs[s->hist_next++];
		more = write_record(s, e->rec, e->size);
	}
	s->discarded += s->hist.n - s->hist_next;
	ft__recsnap_free(&s->hist);
	return more && !atomic_load(&s->error);
}

/* What linger_ns() measures the rate by: bytes written, records counted
 * at the core's record size (a ring's cost of a record). */
static uint64_t linger_bytes(const struct ft_session *s)
{
	return atomic_load_explicit(&s->bytes, memory_order_relaxed) +
	       atomic_load_explicit(&s->written, memory_order_relaxed) * sizeof(struct ft_rec);
}

/*
 * How long to nap while lingering: LINGER_POLL_NS, or less if producers at
 * the rate they had since the last nap would fill more than an eighth of the
 * smallest slot ring meanwhile. The thread drains faster than a producer
 * fills, so at a high rate it catches up often; a 16 MiB ring fills in a
 * millisecond at 16 GB/s, and a fixed 1 ms nap then dropped most packets.
 */
static long linger_ns(struct ft_session *s, uint64_t now, uint64_t *at, uint64_t *bytes)
{
	uint64_t b = linger_bytes(s);
	uint64_t db = b - *bytes, dt = now - *at, ns = LINGER_POLL_NS;

	*at = now;
	*bytes = b;
	if (db && dt < UINT64_MAX / (s->slot_ring_size / 8))
		ns = s->slot_ring_size / 8 * dt / db;
	return (long)(ns < LINGER_MIN_NS    ? LINGER_MIN_NS
		      : ns > LINGER_POLL_NS ? LINGER_POLL_NS
					    : ns);
}

static void *session_main(void *arg)
{
	struct ft_session *s = arg;
	uint64_t start = ft__mono_ns(), last_flush = start;
	uint64_t deadline = session_deadline(start, s->opts.duration_ms);
	bool more = true, by_itself = false;
	/* Not lingering at the start: with no traffic yet there is no rate
	 * to time naps by, and a 1 ms nap let a burst that began meanwhile
	 * overflow the rings (a 16 MiB ring fills in 0.4 ms at 40 GB/s). The
	 * thread sleeps until woken: the first packet's producer wakes it. */
	unsigned idle_polls = LINGER_POLLS;
	uint64_t nap_at = start, nap_bytes = 0;

	/* ft_session_start() returns once this thread runs (see there). */
	atomic_store(&s->running, 1);
	futex_wake(&s->running);

	if (s->has_hist && (!write_history(s) || s->opts.history_only)) {
		by_itself = !atomic_load(&s->stop_req);
		goto end;
	}
	for (;;) {
		unsigned n;
		uint64_t now, wait;

		if (atomic_load(&s->stop_req))
			break;
		n = drain(s, BATCH, &more);
		if (n)
			idle_polls = 0;
		now = ft__mono_ns();
		if (!more || atomic_load(&s->error) || (deadline && now >= deadline)) {
			by_itself = true;
			break;
		}
		if (n) {
			if (now - last_flush >= FLUSH_NS) {
				flush(s);
				last_flush = now;
			}
			continue;
		}
		/* Linger a little before announcing sleep: while traffic keeps
		 * coming the producers then never need a wake-up syscall, and
		 * what the bursts leave in the writer goes out as one write
		 * (one wake-up of the reader) instead of one per burst. */
		if (idle_polls < LINGER_POLLS && now - last_flush < FLUSH_NS) {
			struct timespec ts = {0, linger_ns(s, now, &nap_at, &nap_bytes)};
			idle_polls++;
			nanosleep(&ts, NULL);
			continue;
		}
		/* Idle for a while: what is buffered goes out now. */
		flush(s);
		last_flush = now;
		if (atomic_load(&s->error))
			continue;
		if (idle_polls < LINGER_POLLS)
			continue;
		idle_polls = 0;
		uint32_t seq = atomic_load(&s->wake_seq);
		atomic_store_explicit(&s->sleeping, 1, memory_order_relaxed);
		ft__fence_cold(); /* see ft__session_wake() */
		if (pending(s) || atomic_load(&s->stop_req)) {
			atomic_store(&s->sleeping, 0);
			continue;
		}
		wait = FLUSH_NS;
		if (deadline && deadline - now < wait)
			wait = deadline - now;
		futex_wait(&s->wake_seq, seq, wait);
		atomic_store(&s->sleeping, 0);
		/* Timed out (no producer woke us, no stop): straight back to
		 * sleep if nothing came, as at the start; naps would time a
		 * burst that starts meanwhile by no rate at all. Woken: the
		 * rate starts now, not at the last nap before the sleep. */
		if (atomic_load(&s->wake_seq) == seq)
			idle_polls = LINGER_POLLS;
		nap_at = ft__mono_ns();
		nap_bytes = linger_bytes(s);
	}
end:
	ft__tap_detach(s->tap, s);
	finish(s);
	if (by_itself && s->opts.on_end)
		s->opts.on_end(s, s->opts.on_end_ctx);
	return NULL;
}

/*
 * The out_fd output, on the session thread: writev(2) all of @iov (which it
 * changes), or write(2) all of @data (fd_out()). A descriptor that would block is waited for in
 * short polls, so that a stop is noticed; once ft_session_stop() asked, the output gets until
 * stop_deadline, then the session ends with -ETIMEDOUT (capture.h).
 */
static int fd_outv(struct ft_session *s, struct iovec *iov, int cnt)
{
	size_t left = (size_t)cnt;

	while (left) {
		ssize_t n = writev(s->opts.out_fd, iov, (int)left);
		if (n < 0) {
			struct pollfd pfd = {.fd = s->opts.out_fd, .events = POLLOUT};
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			if (atomic_load(&s->stop_req) && ft__mono_ns() >= s->stop_deadline)
				return -ETIMEDOUT;
			poll(&pfd, 1, 50);
			continue;
		}
		/* Past what was written; @iov is the caller's scratch. */
		ft__iov_advance(&iov, &left, (size_t)n);
	}
	return 0;
}

static int fd_out(void *ctx, const void *data, size_t len)
{
	struct iovec iov = {(void *)data, len};

	return fd_outv(ctx, &iov, 1);
}

/* The writer's output with out_iov alone: one iovec per chunk. */
static int iov_out(void *ctx, const void *data, size_t len)
{
	struct ft_session *s = ctx;
	struct iovec iov = {(void *)data, len};

	if (!len)
		return 0; /* capture.h: never 0 bytes in all */
	return s->opts.out_iov(s->opts.out_ctx, &iov, 1);
}

static int check_opts(const struct ft_session_opts *o, const struct ft_tap *t)
{
	if (o->since_ms > 86400000u || (o->history_only && !o->since_ms))
		return -EINVAL;
	if (!o->out && !o->out_iov && o->out_fd < 0)
		return -EINVAL;
	if ((unsigned)o->format > FT_FORMAT_TEXT)
		return FT_EFORMAT;
	if (o->dir != FT_DIR_UNKNOWN && o->dir != FT_DIR_IN && o->dir != FT_DIR_OUT)
		return -EINVAL;
	if (o->bufsize && (o->bufsize < MIN_BUFSIZE || o->bufsize > MAX_BUFSIZE))
		return -EINVAL;
	if ((unsigned)o->drops > FT_DROPS_EXCLUDE ||
	    (o->drops == FT_DROPS_EXCLUDE && !pathset_empty(&o->drop_reasons)))
		return -EINVAL;
	/* user0 records carry bare IP packets. */
	if (o->format == FT_FORMAT_USER0 && ft_dlt_to_linktype(ft_tap_dlt(t)) != 101)
		return -EINVAL;
	return 0;
}

static int setup(struct ft_session *s, struct ft_tap *t, const struct ft_session_opts *o,
		 char *errbuf, size_t errlen)
{
	int ret;

	s->tap = t;
	s->opts = *o;
	s->opts.filter = NULL;
	/* As tcpdump: 262144 captures a 64 KiB GSO/GRO packet whole. user0
	 * records are bounded by 65535, their prefix included (writer.h). */
	s->snaplen = o->snaplen ? o->snaplen : o->format == FT_FORMAT_USER0 ? 65535 : 262144;
	s->dir = (uint8_t)o->dir;
	s->paths = o->paths;
	s->all_paths = pathset_empty(&o->paths);
	s->drops = (uint8_t)o->drops;
	s->drop_reasons = o->drop_reasons;
	s->any_reason = pathset_empty(&o->drop_reasons);
	s->opts.anon_key = NULL; /* read here only */
	if (o->anon_key) {
		if (!ft_anon_dlt_supported(t->dlt)) {
			snprintf(errbuf, errlen, "packets of link type %d cannot be anonymized",
				 t->dlt);
			return -EINVAL;
		}
		ret = ft_anon_new(&s->anon, o->anon_key);
		if (ret < 0)
			return ret;
		s->anon_buf = malloc(s->snaplen);
		if (!s->anon_buf)
			return -ENOMEM;
	}
	s->opts.comment = NULL;
	if (o->comment && !(s->comment = strndup(o->comment, 1000)))
		return -ENOMEM;
	s->filter_expr = strdup(o->filter ? o->filter : "");
	if (!s->filter_expr)
		return -ENOMEM;
	if (*s->filter_expr) {
		ret = ft_filter_compile(&s->filter, t->dlt, s->filter_expr, errbuf, errlen);
		if (ret < 0)
			return ret;
	}
	s->user0 = o->format == FT_FORMAT_USER0;
	if ((o->format == FT_FORMAT_PCAP || o->format == FT_FORMAT_PCAP_NS || s->user0) &&
	    (o->out_iov || !o->out) && !s->anon) {
		/* Zeroed and its pages faulted in here (bigmem.h), before the
		 * first packets: on the session thread that took up to a
		 * millisecond here, while those packets piled up in the
		 * shared ring. */
		s->direct_size = sizeof(*s->direct);
		s->direct = ft__bigmem_alloc(&s->direct_size);
		if (!s->direct)
			return -ENOMEM;
		s->recs = o->format == FT_FORMAT_PCAP_NS ? FT_RECS_PCAP_NS
			  : s->user0			 ? FT_RECS_USER0
							 : FT_RECS_PCAP;
	}
	/* The budget, split as the comment above next_record() says. */
	size_t budget = o->bufsize ? o->bufsize : DEFAULT_BUFSIZE;
	s->slot_ring_size = budget / 4;
	ret = ft__ring_init(&s->ring, budget / 2);
	if (ret < 0)
		return ret;
	/* The first slot ring, ready before the first packet: populating it
	 * later would stall the session thread while that thread's packets
	 * pile up in the shared ring. */
	s->spare = new_slot_ring(s, budget);
	if (!s->spare)
		return -ENOMEM;
	/* The records a batch holds stay the rings' until it is written: at
	 * most half the smaller slot rings, in bytes and in index entries
	 * (spsc.h: one per FT_SPSC_BYTES_PER_ENT bytes; small records fill the
	 * index first), or a small buffer would drop packets while most of it
	 * waits to be written. */
	if (s->direct) {
		s->direct->chunk =
		    s->slot_ring_size / 2 < DIRECT_BATCH ? s->slot_ring_size / 2 : DIRECT_BATCH;
		s->direct->max_n = (unsigned)(s->slot_ring_size / FT_SPSC_BYTES_PER_ENT / 2);
	}
	return 0;
}

/* The output, once the history (and so the section comment) is known. */
static int make_writer(struct ft_session *s)
{
	struct ft_writer_opts wo = {0};
	const struct ft_session_opts *o = &s->opts;
	struct ft_tap *t = s->tap;

	char comment[1000 + sizeof(s->hinfo.comment) + 2];

	/* The caller's words first, then what the history held. */
	snprintf(comment, sizeof(comment), "%s%s%s", s->comment ? s->comment : "",
		 s->comment && o->since_ms ? "; " : "", o->since_ms ? s->hinfo.comment : "");
	wo.comment = *comment ? comment : NULL;
	wo.format = o->format;
	wo.snaplen = s->snaplen;
	wo.dlt = t->dlt;
	wo.text.flags = o->text_flags;
	wo.text.time = o->time;
	wo.text.path_name = ft_tap_path_name;
	wo.text.path_ctx = t;
	wo.path_name = ft_tap_path_name;
	wo.path_ctx = t;
	if (o->out)
		return ft_writer_new(&s->writer, &wo, o->out, o->out_ctx);
	return ft_writer_new(&s->writer, &wo, o->out_iov ? iov_out : fd_out, s);
}

static void destroy(struct ft_session *s)
{
	ft_writer_free(s->writer);
	ft__bigmem_free(s->direct, s->direct_size);
	ft_anon_free(s->anon);
	free(s->anon_buf);
	ft__peers_view_fini(&s->peers);
	ft_filter_free(s->filter);
	ft__ring_destroy(&s->ring);
	ft__recsnap_free(&s->hist);
	if (s->spare) {
		ft__spsc_destroy(s->spare);
		free(s->spare);
	}
	for (unsigned i = 0; i < FT_TAP_MAX_THREADS; i++) {
		struct ft_spsc *sr = atomic_load_explicit(&s->srings[i], memory_order_relaxed);
		if (sr) {
			ft__spsc_destroy(sr);
			free(sr);
		}
	}
	free(s->filter_expr);
	free(s->comment);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

FT_EXPORT int ft_session_start(struct ft_session **out, struct ft_tap *t,
			       const struct ft_session_opts *o, char *errbuf, size_t errlen)
{
	struct ft_session *s;
	int ret;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	ret = check_opts(o, t);
	if (ret < 0)
		return ret;
	ft__fence_init(); /* before any hook relies on it */
	s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	ft__tap_link_session(t, s);
	ret = setup(s, t, o, errbuf, errlen);
	if (ret < 0)
		goto fail;
	if (!o->history_only) {
		ret = ft__tap_attach(t, s);
		if (ret < 0)
			goto fail;
	}
	if (o->since_ms)
		ret = ft__session_hist_take(s, !o->history_only);
	if (!ret)
		ret = make_writer(s);
	if (ret < 0) {
		ft__tap_detach(t, s);
		goto fail;
	}
	/* The session thread takes no signals (thread.h): SIGPIPE from a
	 * closed output becomes EPIPE for that session. */
	ret = ft__thread_start(&s->thread, session_main, s);
	if (ret < 0) {
		ft__tap_detach(t, s);
		ret = -EAGAIN;
		goto fail;
	}
	/* Packets already flow into the rings (attached above); until the
	 * thread runs nothing drains them, and starting one took 0.1 to 1 ms
	 * here, in which a fast producer fills the shared ring. */
	while (!atomic_load(&s->running))
		futex_wait(&s->running, 0, 10000000);
	*out = s;
	return 0;
fail:
	ft__tap_unlink_session(s);
	destroy(s);
	return ret;
}

FT_EXPORT int ft_session_stop(struct ft_session *s, struct ft_session_stats *st)
{
	pthread_mutex_lock(&s->mu);
	if (!s->joined) {
		/* Written before stop_req (seq_cst) is set, read after it is seen. */
		s->stop_deadline = ft__mono_ns() + FT_SESSION_STOP_WAIT_MS * 1000000ull;
		atomic_store(&s->stop_req, true);
		atomic_fetch_add(&s->wake_seq, 1);
		futex_wake(&s->wake_seq);
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	pthread_mutex_unlock(&s->mu);
	if (st)
		*st = s->final;
	return s->final.error;
}

FT_EXPORT void ft_session_free(struct ft_session *s)
{
	if (!s)
		return;
	ft_session_stop(s, NULL);
	ft__tap_unlink_session(s);
	destroy(s);
}
