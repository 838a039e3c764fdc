/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: taps: the datapath hook, session lists and grace periods. */
#include <errno.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flowtap/filter.h>
#include <flowtap/tap.h>

#include "drop.h"
#include "fence.h"
#include "tap_internal.h"
#include "tsclock.h"
#include "user0.h"
#include "writer_direct.h"

FT_EXPORT int ft_tap_new_dlt(struct ft_tap **out, const char *name, int dlt)
{
	struct ft_tap *t;
	struct ft_sesslist *empty;

	*out = NULL;
	if (!name || !*name || strlen(name) >= FT_TAP_MAX_NAME || dlt < 0)
		return -EINVAL;
	/* Aligned: the grace-period counters sit on their own cache lines. */
	t = aligned_alloc(_Alignof(struct ft_tap), (sizeof(*t) + 63) & ~(size_t)63);
	if (t)
		memset(t, 0, sizeof(*t));
	empty = calloc(1, sizeof(*empty));
	if (!t || !empty) {
		free(t);
		free(empty);
		return -ENOMEM;
	}
	static _Atomic uint64_t next_id = 1;
	t->dlt = dlt;
	t->id = atomic_fetch_add(&next_id, 1);
	atomic_init(&t->list, empty);
	pthread_mutex_init(&t->mu, NULL);
	pthread_mutex_init(&t->rec_mu, NULL);
	pthread_mutex_init(&t->trig_mu, NULL);
	ft__peers_cell_init(&t->peers);
	strcpy(t->name, name);
	*out = t;
	return 0;
}

FT_EXPORT int ft_tap_new(struct ft_tap **out, const char *name)
{
	return ft_tap_new_dlt(out, name, DLT_RAW);
}

/*
 * The lifetime lock: a tap's member list and every session's pins. One lock
 * for the process because it must outlive both objects it arbitrates; it is
 * only taken when sessions start, are freed, and when taps are freed.
 */
static pthread_mutex_t life_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t life_cv = PTHREAD_COND_INITIALIZER;

void ft__tap_link_session(struct ft_tap *t, struct ft_session *s)
{
	pthread_mutex_lock(&life_mu);
	s->member_next = t->members;
	t->members = s;
	pthread_mutex_unlock(&life_mu);
}

/* Under life_mu. */
static void unlink_member(struct ft_tap *t, struct ft_session *s)
{
	for (struct ft_session **pp = &t->members; *pp; pp = &(*pp)->member_next) {
		if (*pp == s) {
			*pp = s->member_next;
			break;
		}
	}
	s->member_next = NULL;
}

/* The session's thread has been joined (or never ran); once no
 * ft_tap_free() uses it, it leaves its tap, if the tap still exists. */
void ft__tap_unlink_session(struct ft_session *s)
{
	pthread_mutex_lock(&life_mu);
	while (s->pins)
		pthread_cond_wait(&life_cv, &life_mu);
	if (s->tap)
		unlink_member(s->tap, s);
	s->tap = NULL;
	pthread_mutex_unlock(&life_mu);
}

FT_EXPORT void ft_tap_free(struct ft_tap *t)
{
	struct ft_session *s;

	if (!t)
		return;
	/* Stop every member, attached or still finishing after it ended by
	 * itself: ft_session_stop() joins its thread, the only one that
	 * touches the tap after the session is detached. A pin keeps a
	 * concurrent ft_session_free() from freeing the session meanwhile;
	 * afterwards the session no longer refers to the tap. */
	pthread_mutex_lock(&life_mu);
	while ((s = t->members)) {
		s->pins++;
		pthread_mutex_unlock(&life_mu);
		ft_session_stop(s, NULL);
		pthread_mutex_lock(&life_mu);
		s->pins--;
		unlink_member(t, s);
		s->tap = NULL;
		pthread_cond_broadcast(&life_cv);
	}
	pthread_mutex_unlock(&life_mu);
	ft_tap_recorder_stop(t);
	for (unsigned i = 0; i < atomic_load(&t->nthreads); i++)
		free(t->threads[i]);
	free(atomic_load(&t->list));
	ft__peers_cell_fini(&t->peers);
	pthread_mutex_destroy(&t->mu);
	pthread_mutex_destroy(&t->rec_mu);
	pthread_mutex_destroy(&t->trig_mu);
	free(t);
}

FT_EXPORT int ft_tap_set_peers(struct ft_tap *t, struct ft_peers *p)
{
	return ft__peers_cell_set(&t->peers, p);
}

FT_EXPORT const char *ft_tap_name(const struct ft_tap *t)
{
	return t->name;
}

FT_EXPORT int ft_tap_dlt(const struct ft_tap *t)
{
	return t->dlt;
}

FT_EXPORT void ft_tap_set_watch(struct ft_tap *t, ft_tap_watch_fn fn, void *ctx)
{
	pthread_mutex_lock(&t->mu);
	t->watch = fn;
	t->watch_ctx = ctx;
	pthread_mutex_unlock(&t->mu);
}

static bool valid_path_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= FT_PATH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

FT_EXPORT int ft_tap_path_register(struct ft_tap *t, unsigned path, const char *name)
{
	int ret = 0;

	if (path < 4 || path > FT_PATH_MAX || !name || !valid_path_name(name))
		return -EINVAL;
	if (path == FT_PATH_DROPPED) /* user0's drops (tap.h) */
		return -EEXIST;
	pthread_mutex_lock(&t->mu);
	for (unsigned p = 0; p <= FT_PATH_MAX && !ret; p++) {
		const char *n = p < 4 ? ft_path_builtin_name(p) : t->path_names[p];
		if (p == path ? t->path_names[p][0] != '\0' : !strcmp(n, name))
			ret = -EEXIST;
	}
	if (!ret)
		strcpy(t->path_names[path], name);
	pthread_mutex_unlock(&t->mu);
	return ret;
}

FT_EXPORT void ft_tap_set_builtin_paths(struct ft_tap *t, bool used)
{
	t->no_builtin = !used;
}

FT_EXPORT const char *ft_tap_path_name(const void *ctx, unsigned path)
{
	const struct ft_tap *t = ctx;
	const char *b = ft_path_builtin_name(path);

	if (b && t && t->no_builtin)
		return NULL;
	if (b || path > FT_PATH_MAX)
		return b;
	if (path == FT_PATH_DROPPED)
		return "dropped";
	if (!t)
		return NULL;
	/* Names are written once under the mutex before use and never change. */
	return t->path_names[path][0] ? t->path_names[path] : NULL;
}

FT_EXPORT int ft_tap_paths(const struct ft_tap *t, unsigned *paths, int max)
{
	int n = 0;
	for (unsigned p = t->no_builtin ? 4 : 0; p <= FT_PATH_MAX; p++) {
		if (p >= 4 && !t->path_names[p][0])
			continue;
		if (n < max)
			paths[n] = p;
		n++;
	}
	return n;
}

static void add_stats(struct ft_tap_stats *a, const struct ft_session_stats *s)
{
	a->offered += s->offered;
	a->matched += s->matched;
	a->written += s->written;
	a->bytes += s->bytes;
	a->dropped += s->dropped;
	a->truncated += s->truncated;
}

FT_EXPORT void ft_tap_get_stats(const struct ft_tap *ct, struct ft_tap_stats *st)
{
	struct ft_tap *t = (struct ft_tap *)ct;
	struct ft_sesslist *l;

	pthread_mutex_lock(&t->mu);
	*st = t->ended;
	l = atomic_load(&t->list);
	for (unsigned i = 0; i < l->n; i++) {
		struct ft_session_stats ss;
		ft__session_snapshot(l->s[i], &ss);
		add_stats(st, &ss);
	}
	st->sessions = l->n;
	st->sessions_total = t->sessions_total;
	st->hooked = atomic_load(&t->enter[0]) + atomic_load(&t->enter[1]);
	/* A thread's sequence grows by two per hook (tap_internal.h). */
	for (unsigned i = 0; i < atomic_load(&t->nthreads); i++)
		st->hooked += atomic_load_explicit(&t->threads[i]->seq, memory_order_relaxed) / 2;
	pthread_mutex_unlock(&t->mu);
}

FT_EXPORT int ft_tap_shared_filter(const struct ft_tap *ct, char *buf, size_t len)
{
	struct ft_tap *t = (struct ft_tap *)ct;
	struct ft_sesslist *l;
	int ret = 0;

	pthread_mutex_lock(&t->mu);
	l = atomic_load(&t->list);
	if (l->rec) {
		/* The flight recorder keeps everything: no kernel filter. */
		buf[0] = '\0';
		ret = len ? 1 : -ENOSPC;
		goto out;
	}
	for (unsigned i = 0; i < l->n; i++) {
		struct ft_session *s = l->s[i];
		if (!s->all_paths || s->dir || s->drops || !s->any_reason ||
		    strcmp(s->filter_expr, l->s[0]->filter_expr))
			goto out;
	}
	if (l->n) {
		ret = 1;
		if (strlen(l->s[0]->filter_expr) >= len)
			ret = -ENOSPC;
		else
			strcpy(buf, l->s[0]->filter_expr);
	}
out:
	pthread_mutex_unlock(&t->mu);
	return ret;
}

/*
 * Wait until no hook can still hold a pointer to the previous session list
 * (the caller has just stored the new one, seq_cst).
 *
 * Per-thread slots: a hook stores its sequence odd, fences, then loads the
 * list; here the list was stored, we fence, then load each sequence. The
 * two fences are ordered one way or the other, so either the hook loads the
 * new list, or we see its odd sequence and wait until it changes (the hook
 * left). The hook's fence is a compiler barrier where ours is membarrier(2)
 * (fence.h). A slot registered after we read nthreads was registered under
 * the mutex we hold, after the list was stored: it sees the new list.
 */
static void grace_period(struct ft_tap *t)
{
	unsigned n;

	ft__fence_cold();
	n = atomic_load_explicit(&t->nthreads, memory_order_acquire);
	for (unsigned i = 0; i < n; i++) {
		struct ft_tap_thread *th = t->threads[i];
		uint64_t q = atomic_load_explicit(&th->seq, memory_order_acquire);
		if (!(q & 1))
			continue;
		while (atomic_load_explicit(&th->seq, memory_order_acquire) == q)
			sched_yield();
	}
	/* The shared slot. */
	for (int round = 0; round < 2; round++) {
		unsigned g = atomic_load(&t->gen);
		atomic_store(&t->gen, g + 1);
		/* Read leave before enter: a hook that entered and left
		 * between the two reads is then counted in both or in enter
		 * only, so equality means every earlier hook has left. */
		for (;;) {
			uint64_t l = atomic_load(&t->leave[g & 1]);
			uint64_t e = atomic_load(&t->enter[g & 1]);
			if (l == e)
				break;
			sched_yield();
		}
	}
}

/*
 * Registration, once per thread and tap, on the thread's first watched hook:
 * the one allocation and lock a hook ever takes. Returns the thread's slot,
 * or NULL for the shared one (all slots taken, or no memory).
 */
static struct ft_tap_thread *register_thread(struct ft_tap *t)
{
	struct ft_tap_thread *th = NULL;
	pthread_t self = pthread_self();
	unsigned n;

	pthread_mutex_lock(&t->mu);
	n = atomic_load_explicit(&t->nthreads, memory_order_relaxed);
	for (unsigned i = 0; i < n && !th; i++)
		if (pthread_equal(t->threads[i]->owner, self))
			th = t->threads[i]; /* fell out of the thread's cache */
	if (!th && n < FT_TAP_MAX_THREADS) {
		th = aligned_alloc(64, (sizeof(*th) + 63) & ~(size_t)63);
		if (th) {
			memset(th, 0, sizeof(*th));
			th->idx = n;
			th->owner = self;
			t->threads[n] = th;
			atomic_store_explicit(&t->nthreads, n + 1, memory_order_release);
		}
	}
	pthread_mutex_unlock(&t->mu);
	return th;
}

/* Each thread remembers its slots on the last few taps it hooked, by tap
 * id (ids are never reused, addresses may be). */
#define TCACHE 4
/* initial-exec: a plain %fs-relative access instead of a __tls_get_addr()
 * call per hook in the shared library; 68 bytes of static TLS. */
#define FT_TLS __thread __attribute__((tls_model("initial-exec")))
static FT_TLS struct {
	uint64_t id;
	struct ft_tap_thread *th; /* NULL: the shared slot */
} tcache[TCACHE];
static FT_TLS unsigned tcache_next;

static inline struct ft_tap_thread *thread_slot(struct ft_tap *t)
{
	for (unsigned i = 0; i < TCACHE; i++)
		if (tcache[i].id == t->id)
			return tcache[i].th;
	struct ft_tap_thread *th = register_thread(t);
	unsigned i = tcache_next++ % TCACHE;
	tcache[i].id = t->id;
	tcache[i].th = th;
	return th;
}

int ft__tap_publish(struct ft_tap *t, struct ft_session *add, struct ft_session *del)
{
	struct ft_sesslist *old = atomic_load(&t->list), *l;
	unsigned n = 0;

	l = malloc(sizeof(*l) + (old->n + 1) * sizeof(l->s[0]));
	if (!l)
		return -ENOMEM;
	for (unsigned i = 0; i < old->n; i++)
		if (old->s[i] != del)
			l->s[n++] = old->s[i];
	if (add)
		l->s[n++] = add;
	l->n = n;
	l->ver = ++t->list_ver;
	l->rec = t->rec;
	atomic_store(&t->list, l);
	/* The recorder watches like a session: hooks take the slow path. */
	n += t->rec != NULL;
	__atomic_store_n(&t->head.nsessions, n, __ATOMIC_RELAXED);
	__atomic_store_n(&t->head.drop_watch, n + t->drop_counting, __ATOMIC_RELAXED);
	grace_period(t);
	free(old);
	return 0;
}

void ft__tap_notify(struct ft_tap *t)
{
	ft_tap_watch_fn fn;
	void *ctx;

	pthread_mutex_lock(&t->mu);
	fn = t->watch;
	ctx = t->watch_ctx;
	pthread_mutex_unlock(&t->mu);
	if (fn)
		fn(t, ctx);
}

int ft__tap_attach(struct ft_tap *t, struct ft_session *s)
{
	int ret;

	pthread_mutex_lock(&t->mu);
	s->upstream_at_attach = atomic_load(&t->upstream_drops);
	ret = ft__tap_publish(t, s, NULL);
	s->attach_ver = t->list_ver;
	if (!ret) {
		t->sessions_total++;
		atomic_store(&s->attached, true);
	}
	pthread_mutex_unlock(&t->mu);
	if (!ret)
		ft__tap_notify(t);
	return ret;
}

FT_EXPORT void ft_tap_add_upstream_drops(struct ft_tap *t, uint64_t n)
{
	atomic_fetch_add_explicit(&t->upstream_drops, n, memory_order_relaxed);
}

void ft__tap_detach(struct ft_tap *t, struct ft_session *s)
{
	struct ft_session_stats st;

	pthread_mutex_lock(&t->mu);
	if (!atomic_load(&s->attached)) {
		pthread_mutex_unlock(&t->mu);
		return;
	}
	/* Removing needs no memory beyond the smaller list; retry on ENOMEM
	 * rather than leave a session the caller is freeing in the list. */
	while (ft__tap_publish(t, NULL, s) < 0)
		sched_yield();
	atomic_store(&s->attached, false);
	ft__session_snapshot(s, &st);
	/* written/bytes/truncated still grow while the session drains; the
	 * session adds those when it finishes. */
	st.written = st.bytes = st.truncated = 0;
	add_stats(&t->ended, &st);
	pthread_mutex_unlock(&t->mu);
	ft__tap_notify(t);
}

void ft__tap_add_ended_output(struct ft_tap *t, uint64_t written, uint64_t bytes,
			      uint64_t truncated)
{
	pthread_mutex_lock(&t->mu);
	t->ended.written += written;
	t->ended.bytes += bytes;
	t->ended.truncated += truncated;
	pthread_mutex_unlock(&t->mu);
}

/* Hot path from here on: no locks, no allocation, no syscalls. */

static inline uint64_t now_ns(void)
{
	return ft__hook_now_ns(); /* tsclock.h */
}

/* Count on a producer slot: a plain load and store on a thread's own slot,
 * an atomic add on the shared one. */
static inline void bump(_Atomic uint64_t *c, bool shared)
{
	if (shared)
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	else
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
				      memory_order_relaxed);
}

/* The ring of the session's for @slot: its own SPSC ring once the session
 * thread has set one, else NULL (the shared ring). */
static inline struct ft_spsc *slot_ring(struct ft_session *s, unsigned slot)
{
	struct ft_spsc *sr;

	if (slot == FT_TAP_SHARED)
		return NULL;
	/* Acquire: the ring was set up before its pointer was stored. */
	sr = atomic_load_explicit(&s->srings[slot], memory_order_acquire);
	if (sr && !sr->started) {
		/* Our first record here. Ours in the shared ring all lie
		 * before its head as we load it now (coherence: the load
		 * follows our own reservations there); the session thread
		 * writes them first (session.c, next_record()). */
		sr->after = atomic_load_explicit(&s->ring.head, memory_order_relaxed);
		sr->started = true;
	}
	return sr;
}

/* ft_path_builtin_dir(), inline: the hook needs it per packet. */
static inline uint8_t builtin_dir(unsigned path)
{
	static const uint8_t dir[4] = {
	    [FT_PATH_FROM_LOCAL] = FT_DIR_OUT,
	    [FT_PATH_FROM_PEER] = FT_DIR_IN,
	    [FT_PATH_SYNTHESIZED_TO_LOCAL] = FT_DIR_IN,
	    [FT_PATH_SYNTHESIZED_TO_PEER] = FT_DIR_OUT,
	};
	return path < 4 ? dir[path] : FT_DIR_UNKNOWN;
}

/* The record info of a packet that some session keeps; @where receives
 * the cleaned where-text. Built once per hook call, and only then: a
 * rejecting filter costs none of it. */
static inline __attribute__((always_inline)) void rec_info(struct ft_rec_info *ri, uint16_t path,
							   uint8_t dir, uint32_t len,
							   const struct ft_meta *m, uint64_t ts,
							   char *where)
{
	*ri = (struct ft_rec_info){.ts_ns = ts, .len = len, .path = path, .dir = dir};
	if (m) {
		if (m->ts_ns)
			ri->ts_ns = m->ts_ns;
		ri->ifid = m->ifid;
		ri->nat_src = m->nat_src.len ? &m->nat_src : NULL;
		ri->nat_dst = m->nat_dst.len ? &m->nat_dst : NULL;
		ri->reason = m->drop_reason;
		if (ri->reason) {
			ri->rule = m->drop_rule;
			if (m->drop_where) {
				ri->where_len = (uint32_t)ft__drop_where_copy(where, m->drop_where);
				ri->where = where;
			}
		}
	}
}

/* The user0 prefix of a packet into @out; returns its length. The stream
 * has no verdict field: a dropped packet goes on FT_PATH_DROPPED, as the
 * user0 writer puts it (writer_user0.c). */
static inline size_t user0_prefix(uint8_t *out, const struct ft_rec_info *ri)
{
	return ft__user0_put_fields(out, ri->reason ? FT_PATH_DROPPED : ri->path, ri->nat_src,
				    ri->nat_dst);
}

/* Session @s keeps the packet: count it and write its record. */
static inline __attribute__((always_inline)) void
keep(struct ft_session *s, unsigned slot, struct ft_rec_info *ri, const void *pkt, size_t caplen)
{
	struct ft_sess_ctr *c = &s->ctr[slot];
	bool shared = slot == FT_TAP_SHARED;
	struct ft_spsc *sr = slot_ring(s, slot);
	uint8_t pfx[FT__USER0_PREFIX_MAX];
	uint32_t cap, size, plen = 0, snap = s->snaplen, hdr = 0;
	uint8_t f;
	uint8_t *rec, *p;

	bump(&c->matched, shared);
	if (__builtin_expect(s->user0, 0)) {
		/* The snaplen bounds the prefix and the packet together, as
		 * pcap readers expect (writer_user0.c). */
		plen = (uint32_t)user0_prefix(pfx, ri);
		snap = snap > plen ? snap - plen : 0;
	}
	cap = caplen > snap ? snap : (uint32_t)caplen;
	if (s->recs != FT_RECS_CORE) {
		/* The record as the file will hold it (rec.h); in the shared
		 * ring, which has no index, after what the index would hold. */
		f = (ri->dir & FT_REC_DIR) | (ri->path > FT_PATH_MAX ? FT_REC_NOPATH : 0) |
		    (cap < caplen ? FT_REC_CUT : 0);
		hdr = sr ? 0 : (uint32_t)sizeof(struct ft_frec_hdr);
		size = hdr + FT_PCAP_RECLEN + plen + cap;
	} else {
		f = ft__rec_flags(ri, cap) | (cap < caplen ? FT_REC_CUT : 0);
		size = (uint32_t)sizeof(struct ft_rec) + ft__rec_ext_size(ri, f) + cap;
	}
	rec = sr ? ft__spsc_reserve(sr, size) : ft__ring_reserve(&s->ring, size);
	if (!rec) {
		bump(&c->dropped, shared);
		return;
	}
	if (s->recs != FT_RECS_CORE) {
		p = rec + hdr + FT_PCAP_RECLEN;
		if (plen)
			memcpy(p, pfx, plen);
		memcpy(p + plen, pkt, cap);
	} else {
		memcpy(ft__rec_put(rec, ri, f), pkt, cap);
	}
	/* The clock is read once per hook call, and only if some session keeps
	 * the packet: a rejecting filter costs no clock read. Read after the
	 * copy is under way: the time-stamp counter is slow to read (11 ns on
	 * some virtual machines), and the copy need not wait for it. */
	if (!ri->ts_ns)
		ri->ts_ns = now_ns();
	uint32_t aux = ft__frec_aux(ri->path, f, ri->reason);
	if (s->recs != FT_RECS_CORE) {
		/* The wire length counts the prefix too, saturated: it must
		 * not wrap below the captured length. */
		uint32_t wire = ri->len > UINT32_MAX - plen ? UINT32_MAX : ri->len + plen;
		ft__pcap_put_rec(rec + hdr, ri->ts_ns, s->recs == FT_RECS_PCAP_NS, plen + cap,
				 wire);
		if (hdr)
			*(struct ft_frec_hdr *)(void *)rec =
			    (struct ft_frec_hdr){aux, 0, ri->ts_ns};
	} else {
		((struct ft_rec *)(void *)rec)->ts_ns = ri->ts_ns;
	}
	if (sr)
		/* A record cut by the snaplen is marked: the session counts
		 * those from the entries (session.c, take_run()). */
		ft__spsc_commit(sr, size, aux, ri->ts_ns, cap < caplen);
	else
		ft__ring_commit(&s->ring, rec, size);
	/* A full fence between publishing and looking for a sleeper (a
	 * compiler barrier with membarrier(2)): see ft__session_wake(). */
	ft__fence_hot();
	if (atomic_load_explicit(&s->sleeping, memory_order_relaxed))
		ft__session_wake(s);
}

/* Always inlined, so that a hook without metadata (@m a constant NULL)
 * gets a copy without the metadata tests. @ts: the batch's time, or 0. */
static inline __attribute__((always_inline)) void offer_list(struct ft_sesslist *l, unsigned slot,
							     unsigned path, const void *pkt,
							     size_t caplen, size_t len,
							     const struct ft_meta *m, uint64_t ts)
{
	/* What ft__session_wants() reads; the record info waits for a
	 * session that keeps the packet. */
	uint16_t p16 = path > FT_PATH_MAX ? FT_PATH_NONE : (uint16_t)path;
	uint8_t dir = m && m->dir ? m->dir : builtin_dir(path);
	uint16_t reason = m ? m->drop_reason : 0;
	bool shared = slot == FT_TAP_SHARED, built = false;
	struct ft_rec_info ri;
	char where[FT_DROP_WHERE_MAX];

	if (caplen > len)
		len = caplen;
	for (unsigned i = 0; i < l->n; i++) {
		struct ft_session *s = l->s[i];
		bump(&s->ctr[slot].offered, shared);
		if (!ft__session_wants(s, p16, reason, dir, pkt, (uint32_t)caplen, (uint32_t)len))
			continue;
		if (!built) {
			rec_info(&ri, p16, dir, (uint32_t)len, m, ts, where);
			built = true;
		}
		keep(s, slot, &ri, pkt, caplen);
	}
	if (l->rec && ft__recorder_keeps(l->rec, p16)) {
		if (!built)
			rec_info(&ri, p16, dir, (uint32_t)len, m, ts, where);
		if (!ri.ts_ns)
			ri.ts_ns = now_ns();
		ft__recorder_write(l->rec, slot, FT_TAP_SHARED, l->ver, &ri, pkt, caplen);
	}
}

/* Where a thread holds session pointers: between enter() and leave(). */
struct section {
	struct ft_tap_thread *th; /* NULL: the shared slot */
	uint64_t q;
	unsigned g;
};

static inline __attribute__((always_inline)) struct ft_sesslist *
enter(struct ft_tap *t, struct section *sec, uint64_t hooks)
{
	struct ft_tap_thread *th = sec->th = thread_slot(t);

	sec->q = 0;
	sec->g = 0;
	if (th) {
		/* Enter: odd sequence, then a full fence (fence.h) before
		 * the list is read (see grace_period()). Only this thread
		 * writes it; it also counts the thread's hooks (two a hook). */
		sec->q = atomic_load_explicit(&th->seq, memory_order_relaxed);
		atomic_store_explicit(&th->seq, sec->q + 1, memory_order_relaxed);
		ft__fence_hot();
		return atomic_load_explicit(&t->list, memory_order_acquire);
	}
	sec->g = atomic_load_explicit(&t->gen, memory_order_seq_cst) & 1;
	atomic_fetch_add_explicit(&t->enter[sec->g], hooks, memory_order_seq_cst);
	return atomic_load_explicit(&t->list, memory_order_seq_cst);
}

/* @hooks: the hook calls the section stands for (a batch's packets), as
 * the tap counts them (ft_tap_get_stats()). */
static inline __attribute__((always_inline)) void leave(struct ft_tap *t, struct section *sec,
							uint64_t hooks)
{
	if (sec->th)
		/* Leave: release, so that the session pointers' last uses
		 * come before a grace period that sees the even sequence. */
		atomic_store_explicit(&sec->th->seq, sec->q + 2 * hooks, memory_order_release);
	else
		atomic_fetch_add_explicit(&t->leave[sec->g], hooks, memory_order_seq_cst);
}

static inline __attribute__((always_inline)) void offer_frame(struct ft_tap *t, unsigned path,
							      const void *pkt, size_t caplen,
							      size_t len, const struct ft_meta *m)
{
	struct section sec;
	struct ft_sesslist *l = enter(t, &sec, 1);

	if (l->n || l->rec)
		offer_list(l, sec.th ? sec.th->idx : FT_TAP_SHARED, path, pkt, caplen, len, m, 0);
	leave(t, &sec, 1);
}

FT_EXPORT void ft_tap_offer_frame(struct ft_tap *t, unsigned path, const void *pkt, size_t caplen,
				  size_t len, const struct ft_meta *m)
{
	if (m)
		offer_frame(t, path, pkt, caplen, len, m);
	else
		offer_frame(t, path, pkt, caplen, len, NULL);
}

FT_EXPORT void ft_tap_offer(struct ft_tap *t, unsigned path, const void *pkt, size_t len,
			    const struct ft_meta *m)
{
	if (m)
		ft_tap_offer_frame(t, path, pkt, len, len, m);
	else
		offer_frame(t, path, pkt, len, len, NULL);
}

/* The largest packet an iovec hook captures whole (a GSO/GRO super-packet). */
#define IOV_MAX_PKT (64u << 10)

/*
 * Where a packet in several buffers is joined: the filter and the ring both
 * want one contiguous packet. Small packets go through the stack; larger
 * ones through a buffer of this thread, allocated on its first such packet
 * (once per thread, like a registration) and freed when the thread exits.
 */
static pthread_key_t join_key;
static pthread_once_t join_once = PTHREAD_ONCE_INIT;
static __thread uint8_t *join_buf;

static void join_key_init(void)
{
	pthread_key_create(&join_key, free);
}

static uint8_t *thread_join_buf(void)
{
	if (!join_buf) {
		pthread_once(&join_once, join_key_init);
		join_buf = malloc(IOV_MAX_PKT);
		if (join_buf)
			pthread_setspecific(join_key, join_buf);
	}
	return join_buf;
}

FT_EXPORT void ft_tap_offer_iov(struct ft_tap *t, unsigned path, const struct iovec *iov,
				int iovcnt, const struct ft_meta *m)
{
	uint8_t small[2048], *buf;
	size_t len = 0, cap, off = 0;

	if (iovcnt <= 0)
		return;
	if (iovcnt == 1) {
		ft_tap_offer_frame(t, path, iov[0].iov_base, iov[0].iov_len, iov[0].iov_len, m);
		return;
	}
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	/* Beyond 64 KiB the bytes are cut; the wire length stays. */
	cap = len < IOV_MAX_PKT ? len : IOV_MAX_PKT;
	buf = cap <= sizeof(small) ? small : thread_join_buf();
	if (!buf) /* no memory for this thread's buffer: the first bytes only */
		buf = small, cap = sizeof(small);
	for (int i = 0; i < iovcnt && off < cap; i++) {
		size_t k = iov[i].iov_len < cap - off ? iov[i].iov_len : cap - off;
		memcpy(buf + off, iov[i].iov_base, k);
		off += k;
	}
	ft_tap_offer_frame(t, path, buf, cap, len, m);
}

FT_EXPORT void ft_tap_offer_batch(struct ft_tap *t, unsigned path, const struct iovec *pkts,
				  unsigned n, const struct ft_meta *m)
{
	struct section sec;
	struct ft_sesslist *l;
	unsigned slot;
	uint64_t ts;

	if (!n)
		return;
	/* One clock reading for the batch, unless the caller gave the time,
	 * and one grace-period section: the batch's packets see one list. */
	ts = m && m->ts_ns ? m->ts_ns : now_ns();
	l = enter(t, &sec, n);
	slot = sec.th ? sec.th->idx : FT_TAP_SHARED;
	if (l->n || l->rec) {
		for (unsigned i = 0; i < n; i++) {
			const void *p = pkts[i].iov_base;
			size_t k = pkts[i].iov_len;
			if (m)
				offer_list(l, slot, path, p, k, k, m, ts);
			else
				offer_list(l, slot, path, p, k, k, NULL, ts);
		}
	}
	leave(t, &sec, n);
}

FT_EXPORT void ft_meta_set_nat(struct ft_meta *m, const struct ft_addr *src,
			       const struct ft_addr *dst)
{
	if (src)
		m->nat_src = *src;
	if (dst)
		m->nat_dst = *dst;
}

FT_EXPORT void ft_meta_set_nat_ip4(struct ft_meta *m, uint32_t src_be, uint32_t dst_be)
{
	if (src_be) {
		m->nat_src.len = 4;
		memcpy(m->nat_src.b, &src_be, 4);
	}
	if (dst_be) {
		m->nat_dst.len = 4;
		memcpy(m->nat_dst.b, &dst_be, 4);
	}
}

/* Drops: reason names, counting and the out-of-line part of ft_tap_drop(). */

FT_EXPORT const char *ft_drop_reason_name(const struct ft_tap *t, unsigned reason)
{
	if (reason < FT_DROP_BUILTIN_MAX)
		return ft__drop_builtin_name(reason);
	/* Acquire: a name is complete before ndrop counts it. */
	if (!t ||
	    reason >= atomic_load_explicit(&((struct ft_tap *)t)->ndrop, memory_order_acquire))
		return NULL;
	return t->drop_names[reason];
}

FT_EXPORT int ft_drop_reason_parse(const struct ft_tap *t, const char *name)
{
	unsigned n = t ? atomic_load_explicit(&((struct ft_tap *)t)->ndrop, memory_order_acquire)
		       : FT_DROP_BUILTIN_MAX;

	if (!name)
		return -ENOENT;
	for (unsigned r = FT_DROP_NONE + 1; r < n; r++) {
		const char *rn = ft_drop_reason_name(t, r);
		if (rn && !strcmp(rn, name))
			return (int)r;
	}
	return -ENOENT;
}

static bool valid_reason_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > FT_DROP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-",
			    name[i]))
			return false;
	return true;
}

FT_EXPORT int ft_tap_add_drop_reason(struct ft_tap *t, const char *name)
{
	unsigned n;
	int ret;

	if (!name || !valid_reason_name(name))
		return -EINVAL;
	for (unsigned r = 0; r < FT_DROP_BUILTIN_MAX; r++)
		if (!strcmp(name, ft__drop_builtin_name(r)))
			return -EEXIST;
	pthread_mutex_lock(&t->mu);
	ret = ft_drop_reason_parse(t, name);
	if (ret < 0) {
		n = atomic_load_explicit(&t->ndrop, memory_order_relaxed);
		if (n < FT_DROP_BUILTIN_MAX)
			n = FT_DROP_BUILTIN_MAX;
		ret = -ENOSPC;
		if (n < FT_DROP_REASON_MAX) {
			strcpy(t->drop_names[n], name);
			atomic_store_explicit(&t->ndrop, n + 1, memory_order_release);
			ret = (int)n;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return ret;
}

FT_EXPORT void ft_tap_set_drop_counting(struct ft_tap *t, bool on)
{
	pthread_mutex_lock(&t->mu);
	__atomic_store_n(&t->drop_counting, on, __ATOMIC_RELAXED);
	struct ft_sesslist *l = atomic_load(&t->list);
	__atomic_store_n(&t->head.drop_watch, l->n + (l->rec != NULL) + on, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->mu);
}

FT_EXPORT int ft_tap_drop_counts(const struct ft_tap *ct, uint64_t *pkts, uint64_t *bytes,
				 unsigned max)
{
	struct ft_tap *t = (struct ft_tap *)ct;
	unsigned nth = atomic_load_explicit(&t->nthreads, memory_order_acquire);
	unsigned n = atomic_load_explicit(&t->ndrop, memory_order_acquire);

	for (unsigned r = 0; r < max && r < FT_DROP_REASON_MAX; r++) {
		uint64_t p = atomic_load_explicit(&t->shared_drop_pkts[r], memory_order_relaxed);
		uint64_t b = atomic_load_explicit(&t->shared_drop_bytes[r], memory_order_relaxed);
		for (unsigned i = 0; i < nth; i++) {
			p += atomic_load_explicit(&t->threads[i]->drop_pkts[r],
						  memory_order_relaxed);
			b += atomic_load_explicit(&t->threads[i]->drop_bytes[r],
						  memory_order_relaxed);
		}
		if (pkts)
			pkts[r] = p;
		if (bytes)
			bytes[r] = b;
	}
	for (unsigned r = FT_DROP_REASON_MAX; r < max; r++) {
		if (pkts)
			pkts[r] = 0;
		if (bytes)
			bytes[r] = 0;
	}
	return (int)(n > FT_DROP_BUILTIN_MAX ? n : FT_DROP_BUILTIN_MAX);
}

/* Counted on the thread's own slot (plain load and store), or with atomic
 * adds on the shared one. Readers sum relaxed loads: a count is at most a
 * packet late. */
static void count_drop(struct ft_tap *t, unsigned reason, size_t len)
{
	struct ft_tap_thread *th = thread_slot(t);

	if (th) {
		bump(&th->drop_pkts[reason], false);
		atomic_store_explicit(
		    &th->drop_bytes[reason],
		    atomic_load_explicit(&th->drop_bytes[reason], memory_order_relaxed) + len,
		    memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&t->shared_drop_pkts[reason], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&t->shared_drop_bytes[reason], len, memory_order_relaxed);
	}
}

FT_EXPORT void ft_tap_offer_drop(struct ft_tap *t, unsigned path, const void *pkt, size_t caplen,
				 size_t len, unsigned reason, const struct ft_meta *m)
{
	struct ft_meta dm = FT_META_INIT;

	if (reason == FT_DROP_NONE || reason >= FT_DROP_REASON_MAX)
		reason = FT_DROP_OTHER;
	/* Relaxed: a drop reported while counting is being switched on or off
	 * may or may not be counted, as with any switch. */
	if (__atomic_load_n(&t->drop_counting, __ATOMIC_RELAXED))
		count_drop(t, reason, len > caplen ? len : caplen);
	if (ft__tap_unwatched(t))
		return;
	if (m)
		dm = *m;
	dm.drop_reason = (uint16_t)reason;
	ft_tap_offer_frame(t, path, pkt, caplen, len, &dm);
}
