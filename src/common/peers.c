/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the peer table: nodes and a longest-prefix match over them.
 *
 * Prefixes of all nodes are flattened, when the table is built, into sorted
 * disjoint address ranges, each owned by the longest prefix covering it.
 * A lookup is then one binary search over the range starts of the address's
 * family: log2(ranges) steps whatever the address, no hash a peer could aim
 * at, and the arrays are contiguous (10,000 IPv4 peers: 80 KB). IPv6 ranges
 * are cut at the /64s that hold a bound (peers_v6.h), so that both searches
 * compare 64-bit keys whatever the prefixes (::/0 included).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/peers.h>

#include "peers_int.h"
#include "peers_v6.h"

__extension__ typedef unsigned __int128 u128;

#define MAX_PREFIXES 1000000u

/* A prefix while the table is built. */
struct pfx {
	u128 lo, hi;
	uint32_t node;
	uint32_t order; /* insertion order: the first of equal prefixes wins */
	uint8_t bits;
};

struct pfxvec {
	struct pfx *v;
	size_t n, cap;
};

/* One family's ranges, sorted by start; [lo[i], hi[i]] belongs to node id[i]. */
struct ranges4 {
	uint32_t *lo, *hi, *id;
	size_t n;
};

struct ft_peers {
	_Atomic unsigned long refs;
	bool built;
	struct ft_peer *nodes;
	size_t nnodes, cap;
	long self;	     /* index in nodes, -1 if none */
	struct pfxvec pv[2]; /* IPv4, IPv6 while building */
	uint32_t order;
	struct ranges4 r4;
	struct ft__peers_v6 r6;
};

FT_EXPORT int ft_peers_new(struct ft_peers **out)
{
	struct ft_peers *p = calloc(1, sizeof(*p));
	*out = p;
	if (!p)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	p->self = -1;
	return 0;
}

static void free_node(struct ft_peer *n)
{
	free((char *)n->node_id);
	free((char *)n->name);
	free((char *)n->os);
	free((char *)n->user);
	for (unsigned i = 0; n->tags && i < n->ntags; i++)
		free((char *)n->tags[i]);
	free((void *)n->tags);
	free((void *)n->addrs);
}

static void destroy(struct ft_peers *p)
{
	for (size_t i = 0; i < p->nnodes; i++)
		free_node(&p->nodes[i]);
	free(p->nodes);
	free(p->pv[0].v);
	free(p->pv[1].v);
	free(p->r4.lo);
	free(p->r4.hi);
	free(p->r4.id);
	ft__peers_v6_free(&p->r6);
	free(p);
}

FT_EXPORT void ft_peers_free(struct ft_peers *p)
{
	/* acq_rel: the last holder's free comes after every other holder's
	 * last use (their release decrement). */
	if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		destroy(p);
}

FT_EXPORT struct ft_peers *ft_peers_ref(struct ft_peers *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

static char *dup_opt(const char *s, bool *oom)
{
	char *d;
	if (!s || !*s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static int copy_node(struct ft_peer *d, const struct ft_peer *s)
{
	bool oom = false;
	memset(d, 0, sizeof(*d));
	d->node_id = dup_opt(s->node_id, &oom);
	d->name = dup_opt(s->name, &oom);
	d->os = dup_opt(s->os, &oom);
	d->user = dup_opt(s->user, &oom);
	if (s->ntags) {
		char **t = calloc(s->ntags, sizeof(*t));
		d->tags = (const char *const *)t;
		for (unsigned i = 0; t && i < s->ntags; i++)
			if (!(t[i] = strdup(s->tags[i] ? s->tags[i] : "")))
				oom = true;
		d->ntags = t ? s->ntags : 0;
		oom |= !t;
	}
	if (s->naddrs) {
		struct ft_prefix *a = malloc(s->naddrs * sizeof(*a));
		if (a)
			memcpy(a, s->addrs, s->naddrs * sizeof(*a));
		d->addrs = a;
		d->naddrs = a ? s->naddrs : 0;
		oom |= !a;
	}
	if (oom) {
		free_node(d);
		return -ENOMEM;
	}
	return 0;
}

static u128 addr_key(const struct ft_addr *a)
{
	u128 k = 0;
	for (unsigned i = 0; i < a->len; i++)
		k = k << 8 | a->b[i];
	return k;
}

static int push_pfx(struct pfxvec *v, const struct pfx *x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct pfx *nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = *x;
	return 0;
}

static int check_node(const struct ft_peers *p, const struct ft_peer *n)
{
	if (p->built || !n || !n->name || !*n->name || strlen(n->name) > FT_PEER_NAME_MAX ||
	    (n->naddrs && !n->addrs) || (n->ntags && !n->tags))
		return -EINVAL;
	for (unsigned i = 0; i < n->naddrs; i++) {
		const struct ft_prefix *a = &n->addrs[i];
		if ((a->addr.len != 4 && a->addr.len != 16) || a->bits > a->addr.len * 8)
			return -EINVAL;
	}
	if (p->pv[0].n + p->pv[1].n + n->naddrs > MAX_PREFIXES)
		return -E2BIG;
	return 0;
}

static int add_node(struct ft_peers *p, const struct ft_peer *n, bool self)
{
	int ret = check_node(p, n);
	if (ret)
		return ret;
	if (self && p->self >= 0)
		return -EINVAL;
	if (p->nnodes == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct ft_peer *nv = realloc(p->nodes, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->nodes = nv;
		p->cap = cap;
	}
	if ((ret = copy_node(&p->nodes[p->nnodes], n)))
		return ret;
	for (unsigned i = 0; i < n->naddrs; i++) {
		const struct ft_prefix *a = &n->addrs[i];
		unsigned width = a->addr.len * 8u;
		u128 mask = a->bits ? ~(u128)0 << (128 - a->bits) >> (128 - width) : 0;
		u128 all = width == 128 ? ~(u128)0 : ((u128)1 << width) - 1;
		struct pfx x = {.node = (uint32_t)p->nnodes, .order = p->order++, .bits = a->bits};
		x.lo = addr_key(&a->addr) & mask;
		x.hi = x.lo | (all & ~mask);
		if ((ret = push_pfx(&p->pv[a->addr.len == 16], &x))) {
			/* Undo this node's prefixes: the table stays as before. */
			while (p->pv[0].n && p->pv[0].v[p->pv[0].n - 1].node == p->nnodes)
				p->pv[0].n--;
			while (p->pv[1].n && p->pv[1].v[p->pv[1].n - 1].node == p->nnodes)
				p->pv[1].n--;
			free_node(&p->nodes[p->nnodes]);
			return ret;
		}
	}
	if (self)
		p->self = (long)p->nnodes;
	p->nnodes++;
	return 0;
}

FT_EXPORT int ft_peers_add(struct ft_peers *p, const struct ft_peer *n)
{
	return add_node(p, n, false);
}

FT_EXPORT int ft_peers_set_self(struct ft_peers *p, const struct ft_peer *n)
{
	return add_node(p, n, true);
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->bits != y->bits)
		return x->bits < y->bits ? -1 : 1; /* the containing prefix first */
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Ranges under construction, both families in 128-bit form. */
struct rvec {
	u128 *lo, *hi;
	uint32_t *id;
	size_t n;
};

static void emit(struct rvec *r, u128 a, u128 b, uint32_t id)
{
	if (a > b)
		return;
	if (r->n && r->id[r->n - 1] == id && r->hi[r->n - 1] + 1 == a) {
		r->hi[r->n - 1] = b; /* adjacent pieces of one node join */
		return;
	}
	r->lo[r->n] = a;
	r->hi[r->n] = b;
	r->id[r->n] = id;
	r->n++;
}

/*
 * Flatten sorted, nested-or-disjoint prefixes into disjoint ranges. Sorted
 * by start and then containing-first, each prefix either lies inside the
 * prefix on top of the stack or after it; what a stacked prefix owns is
 * what its children leave. Each prefix yields at most two ranges, so @r
 * has room for 2n + 1.
 */
static void flatten(const struct pfx *v, size_t n, struct rvec *r)
{
	struct {
		u128 hi;
		uint32_t id;
	} st[130];
	size_t sp = 0;
	u128 cur = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pfx *q = &v[i];
		if (i && q->lo == v[i - 1].lo && q->bits == v[i - 1].bits)
			continue; /* the same prefix again: the first one owns it */
		while (sp && st[sp - 1].hi < q->lo) {
			sp--;
			emit(r, cur, st[sp].hi, st[sp].id);
			cur = st[sp].hi + 1;
		}
		if (sp && q->lo > cur)
			emit(r, cur, q->lo - 1, st[sp - 1].id);
		st[sp].hi = q->hi;
		st[sp].id = q->node;
		sp++;
		cur = q->lo;
	}
	while (sp) {
		sp--;
		emit(r, cur, st[sp].hi, st[sp].id);
		if (st[sp].hi == ~(u128)0)
			break; /* ::/0 ends at the top: nothing follows */
		cur = st[sp].hi + 1;
	}
}

static int build_family(struct pfxvec *pv, struct rvec *r)
{
	size_t cap = 2 * pv->n + 1;
	r->n = 0;
	r->lo = malloc(cap * sizeof(*r->lo));
	r->hi = malloc(cap * sizeof(*r->hi));
	r->id = malloc(cap * sizeof(*r->id));
	if (!r->lo || !r->hi || !r->id)
		return -ENOMEM;
	if (pv->n > 1) /* qsort's base must not be NULL, even for 0 items */
		qsort(pv->v, pv->n, sizeof(*pv->v), cmp_pfx);
	flatten(pv->v, pv->n, r);
	return 0;
}

static void free_rvec(struct rvec *r)
{
	free(r->lo);
	free(r->hi);
	free(r->id);
}

FT_EXPORT int ft_peers_build(struct ft_peers *p)
{
	struct rvec r4 = {0}, r6 = {0};
	struct ranges4 t4 = {0};
	struct ft__peers_v6 t6;
	int ret = -ENOMEM;

	if (p->built)
		return 0;
	/* Both families are built aside and installed together: a failure
	 * leaves the table as it was (and nothing behind that a second try
	 * would overwrite), to be built again or freed. */
	if (build_family(&p->pv[0], &r4) || build_family(&p->pv[1], &r6))
		goto out;
	t4.lo = malloc((r4.n + 1) * sizeof(uint32_t));
	t4.hi = malloc((r4.n + 1) * sizeof(uint32_t));
	if (!t4.lo || !t4.hi)
		goto out;
	for (size_t i = 0; i < r4.n; i++) {
		t4.lo[i] = (uint32_t)r4.lo[i];
		t4.hi[i] = (uint32_t)r4.hi[i];
	}
	t4.id = r4.id;
	t4.n = r4.n;
	r4.id = NULL;
	if (ft__peers_v6_build(&t6, r6.lo, r6.hi, r6.id, r6.n))
		goto out;
	p->r4 = t4;
	p->r6 = t6;
	memset(&t4, 0, sizeof(t4));
	free(p->pv[0].v);
	free(p->pv[1].v);
	memset(p->pv, 0, sizeof(p->pv));
	p->built = true;
	ret = 0;
out:
	free(t4.lo);
	free(t4.hi);
	free(t4.id);
	free_rvec(&r4);
	free_rvec(&r6);
	return ret;
}

/* Branch-free binary search: the last range starting at or before @x. */
static inline size_t last_le32(const uint32_t *lo, size_t n, uint32_t x)
{
	size_t base = 0;
	while (n > 1) {
		size_t half = n / 2;
		base = lo[base + half] <= x ? base + half : base;
		n -= half;
	}
	return base;
}

FT_EXPORT const struct ft_peer *ft_peers_lookup(const struct ft_peers *p, const struct ft_addr *a)
{
	size_t i;

	if (!p || !p->built)
		return NULL;
	if (a->len == 4) {
		uint32_t x = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
			     (uint32_t)a->b[2] << 8 | a->b[3];
		if (!p->r4.n)
			return NULL;
		i = last_le32(p->r4.lo, p->r4.n, x);
		if (x < p->r4.lo[i] || x > p->r4.hi[i])
			return NULL;
		return &p->nodes[p->r4.id[i]];
	}
	if (a->len == 16) {
		uint32_t id = ft__peers_v6_find(&p->r6, a->b);
		return id == FT__PEERS_NONE ? NULL : &p->nodes[id];
	}
	return NULL;
}

FT_EXPORT const struct ft_peer *ft_peers_self(const struct ft_peers *p)
{
	return p && p->self >= 0 ? &p->nodes[p->self] : NULL;
}

FT_EXPORT size_t ft_peers_count(const struct ft_peers *p)
{
	return p ? p->nnodes : 0;
}

FT_EXPORT const struct ft_peer *ft_peers_node(const struct ft_peers *p, size_t i)
{
	return p && i < p->nnodes ? &p->nodes[i] : NULL;
}

FT_EXPORT size_t ft_peers_index(const struct ft_peers *p, const struct ft_peer *n)
{
	return (size_t)(n - p->nodes);
}

bool ft__peers_built(const struct ft_peers *p)
{
	return p->built;
}
