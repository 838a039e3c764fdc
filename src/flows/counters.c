/* \summary: connection counters: a sharded hash table updated per packet.
 *
 * Why shards with a short spinlock each, and not per-thread tables or
 * lock-free entries: updaters call from arbitrary threads (a datapath's TUN
 * reader, its UDP receivers, capture sources) that register nowhere, so a
 * per-thread table would need thread-local registration; and extract must
 * take and reset every counter atomically, which a lock-free entry cannot
 * do without double-buffering each entry. With 64 shards chosen by a hash
 * of the connection, four updaters rarely meet on one shard, the critical
 * section is a probe plus four adds (tens of ns), and extract holds each
 * shard's lock only to flip which of the shard's two tables is active. The
 * inactive table is then read and cleared with no lock held: updaters only
 * ever touch the active one.
 *
 * The hash is symmetric in (src, sport) and (dst, dport) so a connection and
 * its reverse land in the same shard and probe chain; FT_DIR_UNKNOWN can then
 * look both up under one lock.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "flows_int.h"

#define NSHARD	   64
#define SHARD_BITS 6

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
};

struct shard {
	atomic_int lock;
	int active;
	struct table t[2];
} __attribute__((aligned(64)));

struct ft_flows {
	struct shard shards[NSHARD];
	uint32_t shard_cap; /* entries per shard table */
	uint32_t idx_mask;
	size_t max;
	atomic_uint_fast64_t count __attribute__((aligned(64)));
	atomic_uint_fast64_t overflow;
	atomic_bool dirty __attribute__((aligned(64)));
	ft_flows_notify_fn notify;
	void *notify_ctx;
	pthread_mutex_t extract_mu;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static inline void shard_lock(struct shard *s)
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

static inline void shard_unlock(struct shard *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t side_hash(const uint8_t a[16], uint16_t port)
{
	uint64_t lo, hi;
	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	return mix64(lo ^ mix64(hi ^ port));
}

/* Symmetric: hash(k) == hash(reverse(k)). */
static inline uint64_t key_hash(const struct ikey *k)
{
	return mix64(side_hash(k->src, k->sport) + side_hash(k->dst, k->dport) + k->proto);
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
	memset(ik, 0, sizeof(*ik));
	memcpy(ik->src, k->src.b, k->src.len);
	memcpy(ik->dst, k->dst.b, k->dst.len);
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
	int ret = -ENOMEM;

	*out = NULL;
	if (!max_conns)
		max_conns = FT_FLOWS_DEFAULT_MAX;
	if (max_conns > (1u << 24))
		return -EINVAL;
	f = aligned_alloc(64, sizeof(*f));
	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->max = max_conns;
	/* Twice the fair share plus slack per shard, so hash imbalance does not
	 * overflow a shard before the global bound is reached. */
	f->shard_cap = (uint32_t)(max_conns / NSHARD * 2 + 64);
	f->idx_mask = round_pow2((uint64_t)f->shard_cap * 2) - 1;
	pthread_mutex_init(&f->extract_mu, NULL);
	for (int i = 0; i < NSHARD; i++) {
		for (int j = 0; j < 2; j++) {
			struct table *t = &f->shards[i].t[j];
			/* calloc: pages are only touched as connections appear. */
			t->idx = calloc((size_t)f->idx_mask + 1, sizeof(*t->idx));
			t->ent = calloc(f->shard_cap, sizeof(*t->ent));
			if (!t->idx || !t->ent)
				goto out;
		}
	}
	*out = f;
	f = NULL;
	ret = 0;
out:
	ft_flows_free(f);
	return ret;
}

FT_EXPORT void ft_flows_free(struct ft_flows *f)
{
	if (!f)
		return;
	for (int i = 0; i < NSHARD; i++) {
		for (int j = 0; j < 2; j++) {
			free(f->shards[i].t[j].idx);
			free(f->shards[i].t[j].ent);
		}
	}
	pthread_mutex_destroy(&f->extract_mu);
	free(f);
}

FT_EXPORT void ft_flows_set_notify(struct ft_flows *f, ft_flows_notify_fn fn, void *ctx)
{
	f->notify = fn;
	f->notify_ctx = ctx;
}

/* Finds @k in @t; returns the entry or NULL and the slot where it would go. */
static inline struct entry *probe(struct ft_flows *f, struct table *t, const struct ikey *k,
				  uint64_t h, uint32_t *slot)
{
	uint32_t i = (uint32_t)h & f->idx_mask;
	for (;;) {
		uint32_t v = t->idx[i];
		if (!v) {
			*slot = i;
			return NULL;
		}
		if (key_eq(&t->ent[v - 1].k, k))
			return &t->ent[v - 1];
		i = (i + 1) & f->idx_mask;
	}
}

static inline void count(struct entry *e, bool tx, uint64_t pkts, uint64_t bytes)
{
	if (tx) {
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
	if (!atomic_exchange_explicit(&f->dirty, true, memory_order_acq_rel) && f->notify)
		f->notify(f->notify_ctx);
}

static int add_ikey(struct ft_flows *f, const struct ikey *k, enum ft_dir dir, uint64_t pkts,
		    uint64_t bytes)
{
	uint64_t h = key_hash(k);
	struct shard *s = &f->shards[h >> (64 - SHARD_BITS)];
	struct entry *e;
	uint32_t slot = 0;
	int ret = 0;

	shard_lock(s);
	struct table *t = &s->t[s->active];
	e = probe(f, t, k, h, &slot);
	if (e) {
		count(e, dir != FT_DIR_IN, pkts, bytes);
		goto out;
	}
	if (dir == FT_DIR_UNKNOWN) {
		struct ikey r;
		uint32_t rslot;
		key_reverse(k, &r);
		e = probe(f, t, &r, h, &rslot);
		if (e) {
			count(e, false, pkts, bytes);
			goto out;
		}
	}
	if (t->n >= f->shard_cap || !reserve(f)) {
		atomic_fetch_add_explicit(&f->overflow, pkts, memory_order_relaxed);
		ret = FT_ELIMIT;
		goto out;
	}
	e = &t->ent[t->n];
	e->k = *k;
	memset(&e->c, 0, sizeof(e->c));
	e->slot = slot;
	t->idx[slot] = ++t->n;
	count(e, dir != FT_DIR_IN, pkts, bytes);
out:
	shard_unlock(s);
	mark_dirty(f);
	return ret;
}

FT_EXPORT int ft_flows_add(struct ft_flows *f, const struct ft_flow_key *k, enum ft_dir dir,
			   uint64_t pkts, uint64_t bytes)
{
	struct ikey ik;
	if (ikey_from(&ik, k) < 0)
		return -EINVAL;
	return add_ikey(f, &ik, dir, pkts, bytes);
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

FT_EXPORT int ft_flows_add_ip(struct ft_flows *f, const void *ip, size_t caplen, enum ft_dir dir)
{
	struct ft_flow_key k;
	struct ikey ik;
	uint32_t bytes;
	int ret =
	    ft_flows_key_from_ip(&k, &bytes, ip, caplen, dir == FT_DIR_IN ? FT_DIR_IN : FT_DIR_OUT);
	if (ret < 0)
		return ret;
	ikey_from(&ik, &k);
	return add_ikey(f, &ik, dir, 1, bytes);
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

FT_EXPORT int ft_flows_extract(struct ft_flows *f, struct ft_flow_stat **out, size_t *n)
{
	struct ft_flow_stat *arr;
	size_t got = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&f->extract_mu);
	/* The inactive tables hold at most f->max entries between them (each was
	 * reserved against the global count), so this never needs to grow. */
	arr = malloc(f->max * sizeof(*arr));
	if (!arr) {
		pthread_mutex_unlock(&f->extract_mu);
		return -ENOMEM;
	}
	/* Cleared before the flips: an update racing with them re-arms the
	 * notification at worst once too often, never once too few. */
	atomic_store_explicit(&f->dirty, false, memory_order_release);
	for (int i = 0; i < NSHARD; i++) {
		struct shard *s = &f->shards[i];
		shard_lock(s);
		struct table *t = &s->t[s->active];
		s->active ^= 1;
		shard_unlock(s);
		for (uint32_t j = 0; j < t->n; j++) {
			copy_out(&t->ent[j], &arr[got++]);
			t->idx[t->ent[j].slot] = 0;
		}
		atomic_fetch_sub_explicit(&f->count, t->n, memory_order_relaxed);
		t->n = 0;
	}
	pthread_mutex_unlock(&f->extract_mu);
	if (!got) {
		free(arr);
		return 0;
	}
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
	st->max = f->max;
}
