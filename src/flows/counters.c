/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: connection counters: per-thread hash tables updated per packet.
 *
 * Each updating thread gets its own table (found through a small
 * thread-local cache, created on the thread's first update), guarded by a
 * spinlock that only that thread and extract ever take. The lock's cache
 * line therefore stays in the updating core's cache: the uncontended atomic
 * exchange is the whole synchronization cost, with no line bouncing between
 * cores (a sharded table shared by all threads measured 3x slower with four
 * threads, every update pulling a shard's line from another core).
 *
 * Every table is double-buffered: extract holds a table's lock only to flip
 * which buffer is active, then reads and clears the inactive one with no lock
 * held, since updaters only ever touch the active one. An update thus lands
 * in exactly one extract. A connection updated from several threads (e.g. a
 * TX and an RX thread) is in several tables; extract merges them.
 *
 * At most MAX_TABLES threads get a table of their own; further threads share
 * the existing ones (hashing their id), which stays correct through the lock.
 * The global bound on connections is one relaxed atomic counter, touched only
 * when a connection is inserted.
 *
 * The hash is symmetric in (src, sport) and (dst, dport) so a connection and
 * its reverse share a probe chain: FT_DIR_UNKNOWN looks both up at once.
 *
 * Addresses and ports come from the network, so the hash is keyed
 * (SipHash-1-3 under a random key per table set): an unkeyed hash let anyone
 * holding one IPv6 /64 send flows that all hash alike, and linear probing
 * then cost a scan of every earlier one per packet (60,000 such flows took
 * 21x as long as random ones, quadratic in their number). The key makes
 * collisions a matter of chance; the probe limit bounds the work per packet
 * even so: a packet whose lookup would probe further is counted in the
 * collision bucket (ft_flows_stats) instead of getting an entry.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/tap.h>

#include "flows_int.h"
#include "siphash.h"

#define MAX_TABLES 64
#define TLS_SLOTS  4
/* Longest probe sequence a lookup walks. With a random hash and the index at
 * most half full, the longest run of occupied slots in a full 2^17-slot index
 * is about 60: 128 is never reached by chance in practice, and bounds a
 * packet's cost to 128 slot reads. */
#define PROBE_MAX 128

/* Internal key: fixed layout, no padding, unused bytes zero. */
struct ikey {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t slen;
	uint8_t dlen;
	uint8_t pad;
};

struct entry {
	struct ikey k;
	struct ft_flow_counts c;
	uint32_t slot; /* index in the table's idx array, for clearing */
};

struct table {
	uint32_t *idx; /* 0 = empty, else entry index + 1 */
	struct entry *ent;
	uint32_t n;
	uint32_t mask; /* slots in use in idx - 1; grows up to idx_mask */
};

/* One thread's table (or a few threads' beyond MAX_TABLES). */
struct ptab {
	atomic_int lock;
	int active;
	uint32_t last; /* entry index + 1 of the last update in the active table */
	struct table t[2];
	struct ptab *next;
} __attribute__((aligned(64)));

struct ft_flows {
	uint64_t gen; /* unique per object: keys the thread-local cache */
	size_t max;
	uint32_t idx_mask; /* largest index mask of a table */
	pthread_mutex_t reg_mu;
	_Atomic(struct ptab *) tabs;
	atomic_uint ntabs;
	atomic_uint_fast64_t count __attribute__((aligned(64)));
	atomic_uint_fast64_t overflow;
	atomic_uint_fast64_t collided; /* packets beyond PROBE_MAX */
	atomic_bool dirty __attribute__((aligned(64)));
	/* Taken only by the update that wins `dirty` (once per extract) and by
	 * set_notify: a callback never runs after set_notify replaced it. */
	pthread_mutex_t notify_mu;
	ft_flows_notify_fn notify;
	void *notify_ctx;
	struct ft__sipkey key;
	pthread_mutex_t extract_mu;
};

/* The tables this thread updates, by object generation. initial-exec: a
 * direct %fs-relative access instead of a __tls_get_addr() call per packet
 * in position-independent code (libflowtap is not meant to be dlopen()ed). */
#define TLS_IE __attribute__((tls_model("initial-exec")))
static _Thread_local TLS_IE struct {
	uint64_t gen;
	struct ptab *pt;
} tls_tabs[TLS_SLOTS];
static _Thread_local TLS_IE unsigned tls_next;
static atomic_uint_fast64_t next_gen = 1;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static inline void tab_lock(struct ptab *s)
{
	for (;;) {
		if (!atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
			return;
		/* Spin on a plain load; yield if the holder was preempted (more
		 * threads than cores). */
		for (int n = 0; atomic_load_explicit(&s->lock, memory_order_relaxed); n++) {
			if (n > 100) {
				sched_yield();
				n = 0;
			} else {
				cpu_relax();
			}
		}
	}
}

static inline void tab_unlock(struct ptab *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/*
 * Keyed and symmetric: the two (address, port) sides go in a canonical order
 * (the smaller first), so a connection and its reverse hash alike. Hot path:
 * SipHash-1-3 of two words for IPv4 (6 rounds) or five for IPv6 (9 rounds),
 * skipped altogether for the packets of a burst (see add_ikey). The word
 * holding the ports also holds the address lengths, so the two layouts
 * never encode the same key.
 */
static inline uint64_t key_hash(const struct ft__sipkey *key, const struct ikey *k)
{
	uint64_t sp = k->sport | (uint64_t)k->slen << 16;
	uint64_t dp = k->dport | (uint64_t)k->dlen << 16;
	uint64_t m[5];
	if (k->slen <= 4 && k->dlen <= 4) {
		uint32_t s, d;
		memcpy(&s, k->src, 4);
		memcpy(&d, k->dst, 4);
		bool swap = s != d ? s > d : sp > dp;
		m[0] = swap ? d | (uint64_t)s << 32 : s | (uint64_t)d << 32;
		m[1] = (swap ? dp | sp << 24 : sp | dp << 24) | (uint64_t)k->proto << 56;
		return ft__siphash13_words(key, m, 2);
	}
	uint64_t s0, s1, d0, d1;
	memcpy(&s0, k->src, 8);
	memcpy(&s1, k->src + 8, 8);
	memcpy(&d0, k->dst, 8);
	memcpy(&d1, k->dst + 8, 8);
	bool swap = s0 != d0 ? s0 > d0 : s1 != d1 ? s1 > d1 : sp > dp;
	m[0] = swap ? d0 : s0;
	m[1] = swap ? d1 : s1;
	m[2] = swap ? s0 : d0;
	m[3] = swap ? s1 : d1;
	m[4] = (swap ? dp | sp << 24 : sp | dp << 24) | (uint64_t)k->proto << 56;
	return ft__siphash13_words(key, m, 5);
}

static inline bool key_eq(const struct ikey *a, const struct ikey *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void key_reverse(const struct ikey *k, struct ikey *r)
{
	memcpy(r->src, k->dst, 16);
	memcpy(r->dst, k->src, 16);
	r->sport = k->dport;
	r->dport = k->sport;
	r->proto = k->proto;
	r->slen = k->dlen;
	r->dlen = k->slen;
	r->pad = 0;
}

static int ikey_from(struct ikey *ik, const struct ft_flow_key *k)
{
	if ((k->src.len != 0 && k->src.len != 4 && k->src.len != 16) ||
	    (k->dst.len != 0 && k->dst.len != 4 && k->dst.len != 16))
		return -EINVAL;
	/* Fixed-size copies, then the unused bytes cleared: cheaper than
	 * variable-length memcpy on the hot path. */
	memcpy(ik->src, k->src.b, 16);
	memcpy(ik->dst, k->dst.b, 16);
	if (k->src.len != 16)
		memset(ik->src + k->src.len, 0, 16u - k->src.len);
	if (k->dst.len != 16)
		memset(ik->dst + k->dst.len, 0, 16u - k->dst.len);
	ik->pad = 0;
	ik->slen = k->src.len;
	ik->dlen = k->dst.len;
	ik->sport = k->sport;
	ik->dport = k->dport;
	ik->proto = k->proto;
	return 0;
}

static uint32_t round_pow2(uint64_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

FT_EXPORT int ft_flows_new(struct ft_flows **out, size_t max_conns)
{
	struct ft_flows *f;

	*out = NULL;
	if (!max_conns)
		max_conns = FT_FLOWS_DEFAULT_MAX;
	if (max_conns > (1u << 24))
		return -EINVAL;
	f = aligned_alloc(64, sizeof(*f));
	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->gen = atomic_fetch_add(&next_gen, 1);
	f->max = max_conns;
	f->idx_mask = round_pow2((uint64_t)max_conns * 2) - 1;
	ft__sipkey_random(&f->key);
	pthread_mutex_init(&f->reg_mu, NULL);
	pthread_mutex_init(&f->notify_mu, NULL);
	pthread_mutex_init(&f->extract_mu, NULL);
	*out = f;
	return 0;
}

static void ptab_free(struct ptab *pt)
{
	for (int j = 0; j < 2; j++) {
		free(pt->t[j].idx);
		free(pt->t[j].ent);
	}
	free(pt);
}

/* A table for @f; every buffer can hold the whole bound, since one thread
 * may carry all the traffic. calloc: pages are touched only as used. */
static struct ptab *ptab_new(struct ft_flows *f)
{
	struct ptab *pt = aligned_alloc(64, sizeof(*pt));
	if (!pt)
		return NULL;
	memset(pt, 0, sizeof(*pt));
	for (int j = 0; j < 2; j++) {
		struct table *t = &pt->t[j];
		t->idx = calloc((size_t)f->idx_mask + 1, sizeof(*t->idx));
		t->ent = calloc(f->max, sizeof(*t->ent));
		t->mask = f->idx_mask < 63 ? f->idx_mask : 63;
		if (!t->idx || !t->ent) {
			ptab_free(pt);
			return NULL;
		}
	}
	return pt;
}

FT_EXPORT void ft_flows_free(struct ft_flows *f)
{
	if (!f)
		return;
	struct ptab *pt = atomic_load(&f->tabs);
	while (pt) {
		struct ptab *next = pt->next;
		ptab_free(pt);
		pt = next;
	}
	pthread_mutex_destroy(&f->reg_mu);
	pthread_mutex_destroy(&f->notify_mu);
	pthread_mutex_destroy(&f->extract_mu);
	free(f);
}

/*
 * The calling thread's table, created on its first update (once per thread
 * and object; the only allocation an updater ever makes). NULL only when
 * memory is exhausted.
 */
static struct ptab *my_table_slow(struct ft_flows *f)
{
	struct ptab *pt = NULL;
	pthread_mutex_lock(&f->reg_mu);
	unsigned n = atomic_load(&f->ntabs);
	if (n < MAX_TABLES && (pt = ptab_new(f))) {
		pt->next = atomic_load(&f->tabs);
		atomic_store_explicit(&f->tabs, pt, memory_order_release);
		atomic_store(&f->ntabs, n + 1);
	} else if (n) {
		/* Share an existing table, spread by thread. */
		unsigned k = (unsigned)((uintptr_t)&tls_next >> 6) % n;
		pt = atomic_load(&f->tabs);
		while (k--)
			pt = pt->next;
	}
	pthread_mutex_unlock(&f->reg_mu);
	if (pt) {
		tls_tabs[tls_next].gen = f->gen;
		tls_tabs[tls_next].pt = pt;
		tls_next = (tls_next + 1) % TLS_SLOTS;
	}
	return pt;
}

static inline struct ptab *my_table(struct ft_flows *f)
{
	for (int i = 0; i < TLS_SLOTS; i++)
		if (tls_tabs[i].gen == f->gen)
			return tls_tabs[i].pt;
	return my_table_slow(f);
}

FT_EXPORT void ft_flows_set_notify(struct ft_flows *f, ft_flows_notify_fn fn, void *ctx)
{
	pthread_mutex_lock(&f->notify_mu);
	f->notify = fn;
	f->notify_ctx = ctx;
	pthread_mutex_unlock(&f->notify_mu);
}

/*
 * Finds @k in @t: returns the entry, or NULL with the empty slot where it
 * would go in *@slot, or NULL with *@slot = UINT32_MAX when PROBE_MAX slots
 * were walked without finding either.
 */
static inline struct entry *probe(struct table *t, const struct ikey *k, uint64_t h, uint32_t *slot)
{
	uint32_t i = (uint32_t)h & t->mask;
	for (int n = 0; n < PROBE_MAX; n++) {
		uint32_t v = t->idx[i];
		if (!v) {
			*slot = i;
			return NULL;
		}
		if (key_eq(&t->ent[v - 1].k, k))
			return &t->ent[v - 1];
		i = (i + 1) & t->mask;
	}
	*slot = UINT32_MAX;
	return NULL;
}

/*
 * The index starts small and doubles (within its preallocated maximum) when
 * half full, by rebuilding it from the dense entry array: amortized O(1), no
 * allocation, and a small index stays in cache for the common case of a few
 * hundred connections per thread.
 */
static void grow(const struct ft__sipkey *key, struct table *t)
{
	t->mask = t->mask * 2 + 1;
	memset(t->idx, 0, ((size_t)t->mask + 1) * sizeof(*t->idx));
	for (uint32_t j = 0; j < t->n; j++) {
		uint32_t i = (uint32_t)key_hash(key, &t->ent[j].k) & t->mask;
		while (t->idx[i])
			i = (i + 1) & t->mask;
		t->idx[i] = j + 1;
		t->ent[j].slot = i;
	}
}

static inline void count(struct entry *e, bool tx, uint64_t pkts, uint64_t bytes, unsigned drop)
{
	if (__builtin_expect(drop != 0, 0)) {
		e->c.drop_pkts += pkts;
		e->c.drop_bytes += bytes;
		e->c.drop_reason = (uint16_t)drop;
		e->c.drop_dir = tx ? FT_DIR_OUT : FT_DIR_IN;
	} else if (tx) {
		e->c.tx_pkts += pkts;
		e->c.tx_bytes += bytes;
	} else {
		e->c.rx_pkts += pkts;
		e->c.rx_bytes += bytes;
	}
}

/* Reserves one connection of the global bound. */
static inline bool reserve(struct ft_flows *f)
{
	if (atomic_fetch_add_explicit(&f->count, 1, memory_order_relaxed) < f->max)
		return true;
	atomic_fetch_sub_explicit(&f->count, 1, memory_order_relaxed);
	return false;
}

static inline void mark_dirty(struct ft_flows *f)
{
	if (atomic_load_explicit(&f->dirty, memory_order_relaxed))
		return;
	if (atomic_exchange_explicit(&f->dirty, true, memory_order_acq_rel))
		return;
	pthread_mutex_lock(&f->notify_mu);
	if (f->notify)
		f->notify(f->notify_ctx);
	pthread_mutex_unlock(&f->notify_mu);
}

static int add_ikey(struct ft_flows *f, const struct ikey *k, enum ft_dir dir, uint64_t pkts,
		    uint64_t bytes, unsigned drop)
{
	struct ptab *pt = my_table(f);
	struct entry *e;
	uint32_t slot = 0;
	int ret = 0;

	if (!pt) {
		atomic_fetch_add_explicit(&f->overflow, pkts, memory_order_relaxed);
		return -ENOMEM;
	}
	tab_lock(pt);
	struct table *t = &pt->t[pt->active];
	/* Packets come in bursts per connection (a batched read, a TCP window):
	 * the connection of the previous update skips hashing and probing. */
	if (pt->last && key_eq(&t->ent[pt->last - 1].k, k)) {
		count(&t->ent[pt->last - 1], dir != FT_DIR_IN, pkts, bytes, drop);
		goto out;
	}
	uint64_t h = key_hash(&f->key, k);
	e = probe(t, k, h, &slot);
	if (e) {
		count(e, dir != FT_DIR_IN, pkts, bytes, drop);
		pt->last = (uint32_t)(e - t->ent) + 1;
		goto out;
	}
	if (dir == FT_DIR_UNKNOWN) {
		struct ikey r;
		uint32_t rslot;
		key_reverse(k, &r);
		e = probe(t, &r, h, &rslot);
		if (e) {
			count(e, false, pkts, bytes, drop);
			goto out;
		}
	}
	if (slot == UINT32_MAX) {
		atomic_fetch_add_explicit(&f->collided, pkts, memory_order_relaxed);
		ret = FT_ELIMIT;
		goto out;
	}
	if (t->n >= f->max || !reserve(f)) {
		atomic_fetch_add_explicit(&f->overflow, pkts, memory_order_relaxed);
		ret = FT_ELIMIT;
		goto out;
	}
	if ((t->n + 1) * 2 > t->mask + 1 && t->mask < f->idx_mask) {
		grow(&f->key, t);
		if (probe(t, k, h, &slot), slot == UINT32_MAX) {
			atomic_fetch_sub_explicit(&f->count, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&f->collided, pkts, memory_order_relaxed);
			ret = FT_ELIMIT;
			goto out;
		}
	}
	e = &t->ent[t->n];
	e->k = *k;
	memset(&e->c, 0, sizeof(e->c));
	e->slot = slot;
	t->idx[slot] = ++t->n;
	pt->last = t->n;
	count(e, dir != FT_DIR_IN, pkts, bytes, drop);
out:
	tab_unlock(pt);
	mark_dirty(f);
	return ret;
}

FT_EXPORT int ft_flows_add(struct ft_flows *f, const struct ft_flow_key *k, enum ft_dir dir,
			   uint64_t pkts, uint64_t bytes)
{
	struct ikey ik;
	if (ikey_from(&ik, k) < 0)
		return -EINVAL;
	return add_ikey(f, &ik, dir, pkts, bytes, 0);
}

FT_EXPORT int ft_flows_add_drop(struct ft_flows *f, const struct ft_flow_key *k, enum ft_dir dir,
				uint64_t pkts, uint64_t bytes, unsigned reason)
{
	struct ikey ik;
	if (ikey_from(&ik, k) < 0)
		return -EINVAL;
	return add_ikey(f, &ik, dir, pkts, bytes, reason ? reason : FT_DROP_OTHER);
}

FT_EXPORT int ft_flows_add_physical(struct ft_flows *f, const struct ft_addr *peer,
				    const struct ft_addr *ep, uint16_t ep_port, enum ft_dir dir,
				    uint64_t bytes)
{
	struct ft_flow_key k;
	if (dir != FT_DIR_IN && dir != FT_DIR_OUT)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.src = *peer;
	k.dst = *ep;
	k.dport = ep_port;
	return ft_flows_add(f, &k, dir, 1, bytes);
}

static int add_ip(struct ft_flows *f, const void *ip, size_t caplen, enum ft_dir dir,
		  unsigned drop)
{
	struct ft_flow_key k;
	struct ikey ik;
	uint32_t bytes;
	int ret =
	    ft_flows_key_from_ip(&k, &bytes, ip, caplen, dir == FT_DIR_IN ? FT_DIR_IN : FT_DIR_OUT);
	if (ret < 0)
		return ret;
	ikey_from(&ik, &k);
	return add_ikey(f, &ik, dir, 1, bytes, drop);
}

FT_EXPORT int ft_flows_add_ip(struct ft_flows *f, const void *ip, size_t caplen, enum ft_dir dir)
{
	return add_ip(f, ip, caplen, dir, 0);
}

FT_EXPORT int ft_flows_add_ip_drop(struct ft_flows *f, const void *ip, size_t caplen,
				   enum ft_dir dir, unsigned reason)
{
	return add_ip(f, ip, caplen, dir, reason ? reason : FT_DROP_OTHER);
}

static void copy_out(const struct entry *e, struct ft_flow_stat *o)
{
	memset(o, 0, sizeof(*o));
	o->key.src.len = e->k.slen;
	memcpy(o->key.src.b, e->k.src, 16);
	o->key.dst.len = e->k.dlen;
	memcpy(o->key.dst.b, e->k.dst, 16);
	o->key.sport = e->k.sport;
	o->key.dport = e->k.dport;
	o->key.proto = e->k.proto;
	o->c = e->c;
}

static int cmp_stat(const void *a, const void *b)
{
	return memcmp(&((const struct ft_flow_stat *)a)->key,
		      &((const struct ft_flow_stat *)b)->key, sizeof(struct ft_flow_key));
}

/* Merges entries of one connection counted by several threads. */
static size_t merge_dups(struct ft_flow_stat *arr, size_t n)
{
	size_t w = 0;
	qsort(arr, n, sizeof(*arr), cmp_stat);
	for (size_t i = 0; i < n; i++) {
		if (w && !cmp_stat(&arr[w - 1], &arr[i])) {
			struct ft_flow_counts *d = &arr[w - 1].c;
			d->tx_pkts += arr[i].c.tx_pkts;
			d->tx_bytes += arr[i].c.tx_bytes;
			d->rx_pkts += arr[i].c.rx_pkts;
			d->rx_bytes += arr[i].c.rx_bytes;
			ft__flow_counts_add_drops(d, &arr[i].c);
		} else {
			arr[w++] = arr[i];
		}
	}
	return w;
}

FT_EXPORT int ft_flows_extract(struct ft_flows *f, struct ft_flow_stat **out, size_t *n)
{
	struct ft_flow_stat *arr;
	size_t got = 0;
	int ntab = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&f->extract_mu);
	/* The inactive buffers hold at most f->max entries between them (each
	 * was reserved against the global count), so this never needs to grow. */
	arr = malloc(f->max * sizeof(*arr));
	if (!arr) {
		pthread_mutex_unlock(&f->extract_mu);
		return -ENOMEM;
	}
	/* Cleared before the flips: an update racing with them re-arms the
	 * notification at worst once too often, never once too few. */
	atomic_store_explicit(&f->dirty, false, memory_order_release);
	for (struct ptab *pt = atomic_load_explicit(&f->tabs, memory_order_acquire); pt;
	     pt = pt->next) {
		tab_lock(pt);
		struct table *t = &pt->t[pt->active];
		pt->active ^= 1;
		pt->last = 0;
		tab_unlock(pt);
		for (uint32_t j = 0; j < t->n; j++) {
			copy_out(&t->ent[j], &arr[got++]);
			t->idx[t->ent[j].slot] = 0;
		}
		atomic_fetch_sub_explicit(&f->count, t->n, memory_order_relaxed);
		ntab += t->n > 0;
		t->n = 0;
	}
	pthread_mutex_unlock(&f->extract_mu);
	if (!got) {
		free(arr);
		return 0;
	}
	if (ntab > 1)
		got = merge_dups(arr, got);
	struct ft_flow_stat *shrunk = realloc(arr, got * sizeof(*arr));
	*out = shrunk ? shrunk : arr;
	*n = got;
	return 0;
}

FT_EXPORT void ft_flows_stats(const struct ft_flows *f, struct ft_flows_stats *st)
{
	st->conns = atomic_load_explicit(&((struct ft_flows *)f)->count, memory_order_relaxed);
	st->overflow =
	    atomic_load_explicit(&((struct ft_flows *)f)->overflow, memory_order_relaxed);
	st->collided =
	    atomic_load_explicit(&((struct ft_flows *)f)->collided, memory_order_relaxed);
	st->max = f->max;
}
