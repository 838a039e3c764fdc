/* SPDX-License-Identifier: BSD-2-Clause */
/* tap_internal.h - what tap.c and session.c share. */
#ifndef FT_TAP_INTERNAL_H
#define FT_TAP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

struct ft_anon;

#include "filter_int.h"
#include "peers_int.h"
#include "rec.h"
#include "recorder.h"
#include "ring.h"
#include "spsc.h"

#define FT_TAP_MAX_NAME	 64
#define FT_PATH_NAME_MAX 32

/*
 * Producer threads. Each thread that hooks a watched tap registers once, on
 * its first such hook, and gets a slot: its own grace-period sequence here
 * and its own counter line in every session (struct ft_sess_ctr), so a hook
 * writes only memory of its thread. Slots are never reused while the tap
 * lives. Past FT_TAP_MAX_THREADS threads (or without memory) a thread uses
 * the shared slot FT_TAP_SHARED: atomic read-modify-writes and the
 * enter/leave counters, correct but not scalable.
 */
#define FT_TAP_MAX_THREADS 64
#define FT_TAP_SHARED	   FT_TAP_MAX_THREADS

struct ft_tap_thread {
	/* Odd while the thread is inside a hook on the tap; written only by
	 * the thread, read by grace periods. Grows by two per hook call
	 * that reached the slow path: half of it is the thread's count. */
	_Alignas(64) _Atomic uint64_t seq;
	unsigned idx; /* the slot */
	pthread_t owner;
	/* ft_tap_drop() counts per reason id, written only by the thread. */
	_Atomic uint64_t drop_pkts[FT_DROP_REASON_MAX];
	_Atomic uint64_t drop_bytes[FT_DROP_REASON_MAX];
};

/* A session's counters on one producer slot; summed when read. */
struct ft_sess_ctr {
	_Alignas(64) _Atomic uint64_t offered;
	_Atomic uint64_t matched;
	_Atomic uint64_t dropped;
};

/* A published, immutable snapshot of the sessions attached to a tap. */
struct ft_sesslist {
	unsigned n;
	uint32_t ver;		 /* the tap's list version (recorder.h: the seam) */
	struct ft_recorder *rec; /* the flight recorder, NULL: off */
	struct ft_session *s[];
};

/* Allocated 64-byte aligned (aligned_alloc): members below are aligned so. */
struct ft_tap {
	struct ft_tap_head head; /* must stay first: read by the inline hook */
	int dlt;
	_Atomic(struct ft_sesslist *) list;
	uint64_t id; /* unique in the process: names the tap in threads' caches */
	/* Registered producer threads: slots [0, nthreads) are set and never
	 * change (release store of nthreads after the slot). */
	struct ft_tap_thread *threads[FT_TAP_MAX_THREADS];
	_Atomic unsigned nthreads;
	/* Grace periods of the shared slot: a hook enters generation gen&1 and
	 * leaves it; a detach flips the generation and waits for the old one
	 * to drain. */
	_Alignas(64) _Atomic uint64_t enter[2];
	_Alignas(64) _Atomic uint64_t leave[2];
	_Alignas(64) _Atomic unsigned gen;
	pthread_mutex_t mu; /* control plane only: attach, detach, names, stats of ended sessions */
	ft_tap_watch_fn watch;
	void *watch_ctx;
	struct ft_tap_stats ended; /* sums of sessions that detached */
	uint64_t sessions_total;
	_Atomic uint64_t upstream_drops; /* ft_tap_add_upstream_drops() */
	char name[FT_TAP_MAX_NAME];
	bool no_builtin; /* ft_tap_set_builtin_paths(t, false): set before use, never changed */
	char path_names[256][FT_PATH_NAME_MAX];
	/* Registered drop reasons: names [FT_DROP_BUILTIN_MAX, ndrop) are set
	 * and never change (release store of ndrop after the name). */
	_Atomic unsigned ndrop;
	bool drop_counting; /* under mu */
	char drop_names[FT_DROP_REASON_MAX][FT_PATH_NAME_MAX];
	/* Drop counts of the shared producer slot. */
	_Atomic uint64_t shared_drop_pkts[FT_DROP_REASON_MAX];
	_Atomic uint64_t shared_drop_bytes[FT_DROP_REASON_MAX];
	/* Every session started on the tap and not yet freed or orphaned by
	 * ft_tap_free(), attached or not (a session that ended by itself is
	 * detached but may still be finishing). Under the lifetime lock. */
	struct ft_session *members;
	struct ft__peers_cell peers; /* ft_tap_set_peers(); read by session threads */
	/* The flight recorder (recorder.h): set under both rec_mu and mu,
	 * published to hooks in the session list; readers copy it under
	 * rec_mu, so that stopping it waits for them. Lock order: rec_mu, mu. */
	pthread_mutex_t rec_mu;
	struct ft_recorder *rec;
	uint32_t list_ver; /* under mu */
	_Atomic uint64_t rec_triggers, rec_files;
	/* The recorder trigger (src/trigger), for ft_tap_trigger_fire(): set
	 * and read under trig_mu, a leaf lock (only the trigger's own mutex is
	 * taken inside it). */
	pthread_mutex_t trig_mu;
	struct ft_trigger *trigger;
};

/*
 * A session's rings (session.c has the design): one SPSC ring per producer
 * slot that sends it packets, allocated by the session thread, and the
 * shared MPSC ring for the rest. Producers read the pointers; only the
 * session thread sets them (release), once per session.
 */
#define FT_SESS_SLOT_RINGS 4

/* The session thread's view of a ring's next record (session.c). */
struct ft_sess_head {
	const void *rec; /* NULL: not peeked yet */
	uint32_t len;
	uint64_t ts;
	uint32_t aux; /* a file record's: ft__frec_aux() */
	bool open;    /* the slot ring's wait for the shared ring is over */
};

/* The records a session's rings hold: the capture core's (struct ft_rec),
 * or for a session that writes them where they lie (session.c: direct),
 * file records (rec.h) of pcap, pcap-ns or user0. Set before the
 * session is attached, never changed. */
enum ft_sess_recs { FT_RECS_CORE, FT_RECS_PCAP, FT_RECS_PCAP_NS, FT_RECS_USER0 };

struct ft_session {
	/* Hot: read or updated by producers. */
	struct ft_ring ring; /* shared: slots without a ring of their own */
	_Atomic(struct ft_spsc *) srings[FT_TAP_MAX_THREADS];
	struct ft_pathset paths;
	uint8_t dir;
	bool all_paths;
	uint8_t drops;	 /* enum ft_drop_select */
	bool any_reason; /* drop_reasons is empty */
	uint8_t recs;	 /* enum ft_sess_recs: what the hook writes in the rings */
	bool user0;	 /* format user0: the snaplen bounds its prefix too */
	uint32_t snaplen;
	struct ft_pathset drop_reasons;
	struct ft_filter *filter; /* NULL: everything */
	_Alignas(64) _Atomic unsigned sleeping;
	_Atomic uint32_t wake_seq;

	/* Cold: session thread and control plane. */
	_Alignas(64) struct ft_tap *tap;
	_Atomic uint32_t running; /* set by the session thread as it starts */
	/* Session thread only: the slot rings it has set, in order, and the
	 * next record of each and of the shared ring (the last). */
	unsigned nslot_rings;
	struct ft_spsc *slot_rings[FT_SESS_SLOT_RINGS];
	struct ft_sess_head head[FT_SESS_SLOT_RINGS + 1];
	size_t slot_ring_size;
	struct ft_spsc *spare; /* the first slot ring, until a slot takes it */
	struct ft_session_opts opts;
	char *filter_expr;
	char *comment; /* opts.comment, copied */
	struct ft_writer *writer;
	struct ft_direct *direct; /* pcap to out_fd: records written where they lie (session.c) */
	size_t direct_size;	  /* its mapping (ft__bigmem_alloc()) */
	struct ft_anon *anon;	  /* opts.anon_key: the session thread's mapping, or NULL */
	uint8_t *anon_buf;	  /* the packet being rewritten (snaplen bytes) */
	pthread_t thread;
	pthread_mutex_t mu;
	bool joined;
	_Atomic bool stop_req;
	_Atomic bool attached;
	_Atomic uint64_t written;
	_Atomic uint64_t bytes;
	_Atomic uint64_t truncated;
	_Atomic int error;
	_Atomic bool done;
	uint64_t discarded;	     /* matched after the packet count was reached */
	uint64_t runs;		     /* session thread: runs taken (session.c: take_run()) */
	uint64_t upstream_at_attach; /* tap's upstream_drops when attached */
	struct ft_session_stats final;
	uint64_t stop_deadline; /* CLOCK_MONOTONIC ns an fd output may wait until, once stopping */
	/* Under the lifetime lock (tap.c): the next member of the tap's list,
	 * and how many ft_tap_free() calls use the session right now. */
	struct ft_session *member_next;
	unsigned pins;
	struct ft__peers_view peers; /* the session thread's table (its writer has it) */
	/* The recorder's history (since_ms): the list version the session
	 * was attached at, the copy, and the next record to write. */
	uint32_t attach_ver;
	struct ft_recsnap hist;
	size_t hist_next;
	bool has_hist;
	struct ft_session_history hinfo;
	/* Per producer slot, written only by that slot's thread. */
	struct ft_sess_ctr ctr[FT_TAP_MAX_THREADS + 1];
};

/* Whether session @s takes a packet: paths, verdict, direction, filter.
 * Hot path (the hook), and the recorder's history (session.c). */
static inline bool ft__session_wants(const struct ft_session *s, unsigned path, unsigned reason,
				     unsigned dir, const void *pkt, uint32_t caplen, uint32_t len)
{
	if (!s->all_paths && !ft_pathset_has(&s->paths, path) &&
	    !(reason && ft_pathset_has(&s->paths, FT_PATH_DROPPED)))
		return false;
	if (__builtin_expect(s->drops != FT_DROPS_BOTH || !s->any_reason, 0)) {
		if ((s->drops == FT_DROPS_ONLY || !s->any_reason) != (reason != 0))
			return false;
		if (reason && !s->any_reason && !ft_pathset_has(&s->drop_reasons, reason))
			return false;
	}
	if (s->dir && s->dir != dir)
		return false;
	return ft__filter_match(s->filter, pkt, caplen, len);
}

/* Lifetime (see ft_tap_free() in tap.h): a session joins its tap's members
 * before it is attached, and leaves them when it is freed; ft_tap_free()
 * pins each member while it stops it, so the two never free under each
 * other. */
void ft__tap_link_session(struct ft_tap *t, struct ft_session *s);
void ft__tap_unlink_session(struct ft_session *s);

int ft__tap_attach(struct ft_tap *t, struct ft_session *s);
/* Publish a new session list without @del, with @add, with the tap's
 * recorder, and wait for a grace period. Under t->mu. */
int ft__tap_publish(struct ft_tap *t, struct ft_session *add, struct ft_session *del);
/* Call the tap's watch callback; no tap lock held. */
void ft__tap_notify(struct ft_tap *t);
void ft__tap_detach(struct ft_tap *t, struct ft_session *s);
/* A session that finished adds what it wrote while draining to the tap's sums. */
void ft__tap_add_ended_output(struct ft_tap *t, uint64_t written, uint64_t bytes,
			      uint64_t truncated);
void ft__session_wake(struct ft_session *s);
/* Copy the recorder's history for @s (history.c), attached at attach_ver
 * or (@attached false) not attached: every record. Before the session
 * thread starts. Returns 0, -ENOENT (no recorder) or -ENOMEM. */
int ft__session_hist_take(struct ft_session *s, bool attached);
void ft__session_snapshot(const struct ft_session *s, struct ft_session_stats *st);

#endif
