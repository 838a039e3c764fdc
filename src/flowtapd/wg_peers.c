/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_peers.c - the peer table flowtapd names WireGuard peers with: their
 * public keys and allowed IPs merged with the operator's peer file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wg_peers.h"

/* The file's nodes sorted by node id, to match keys in O(log n). */
struct byid {
	const char *id;
	size_t idx;
};

static int byid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct byid *)a)->id, ((const struct byid *)b)->id);
}

/* The peer's overlay address (its first host allowed IP, else the address
 * of its first non-default one); len 0 if none. */
static struct ft_addr overlay_addr(const struct ft_wg_peer *p)
{
	struct ft_addr none = {0};
	for (size_t i = 0; i < p->nallowed; i++)
		if (p->allowed[i].bits == p->allowed[i].addr.len * 8)
			return p->allowed[i].addr;
	for (size_t i = 0; i < p->nallowed; i++)
		if (p->allowed[i].bits)
			return p->allowed[i].addr;
	return none;
}

/* The file's node matching @p, or NULL: by key, else by overlay address. */
static const struct ft_peer *match(const struct ft_peers *file, const struct byid *ids, size_t nids,
				   const struct ft_wg_peer *p)
{
	struct byid probe = {p->pubkey, 0};
	const struct byid *hit = bsearch(&probe, ids, nids, sizeof(*ids), byid_cmp);
	if (hit)
		return ft_peers_node(file, hit->idx);
	struct ft_addr a = overlay_addr(p);
	const struct ft_peer *n = a.len ? ft_peers_lookup(file, &a) : NULL;
	return n && n != ft_peers_self(file) ? n : NULL;
}

static void derived_name(const char *key, char *out, size_t len)
{
	char k[9] = "";
	memcpy(k, key, strnlen(key, 8));
	for (char *c = k; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	snprintf(out, len, "wg-%s", k);
}

static int pfx_cmp(const void *a, const void *b)
{
	const struct ft_prefix *x = a, *y = b;
	if (x->addr.len != y->addr.len)
		return (int)x->addr.len - (int)y->addr.len;
	int r = memcmp(x->addr.b, y->addr.b, x->addr.len);
	return r ? r : (int)x->bits - (int)y->bits;
}

/* Adds WireGuard peer @p, named by file node @m (NULL: derived). */
static int add_peer(struct ft_peers *t, const struct ft_wg_peer *p, const struct ft_peer *m,
		    struct ft_prefix **buf, size_t *cap)
{
	size_t need = p->nallowed + (m ? m->naddrs : 0), n = 0;
	if (need > *cap) {
		struct ft_prefix *nb = realloc(*buf, need * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = need;
	}
	for (size_t i = 0; i < p->nallowed; i++)
		if (p->allowed[i].bits)
			(*buf)[n++] = p->allowed[i];
	for (unsigned i = 0; m && i < m->naddrs; i++)
		(*buf)[n++] = m->addrs[i];
	/* The file often repeats an allowed IP: each prefix once (sorted, so
	 * a long list costs n log n). */
	qsort(*buf, n, sizeof(**buf), pfx_cmp);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || pfx_cmp(&(*buf)[u - 1], &(*buf)[i]))
			(*buf)[u++] = (*buf)[i];
	n = u;
	char name[FT_PEER_NAME_MAX + 1];
	struct ft_peer node = {0};
	if (m) {
		node = *m;
	} else {
		derived_name(p->pubkey, name, sizeof(name));
		node.name = name;
	}
	node.node_id = p->pubkey;
	node.addrs = *buf;
	node.naddrs = (unsigned)n;
	return ft_peers_add(t, &node);
}

static int add_self(struct ft_peers *t, const struct ft_wg_device *const *devs, size_t ndevs,
		    const struct ft_peers *file)
{
	const struct ft_peer *self = file ? ft_peers_self(file) : NULL;
	if (self)
		return ft_peers_set_self(t, self);
	for (size_t i = 0; i < ndevs; i++) {
		if (!devs[i]->pubkey[0])
			continue;
		char host[FT_PEER_NAME_MAX + 1] = "";
		if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
			snprintf(host, sizeof(host), "%s", devs[i]->ifname);
		struct ft_peer n = {.node_id = devs[i]->pubkey, .name = host};
		return ft_peers_set_self(t, &n);
	}
	return 0;
}

int ftd_wg_peers_build(const struct ft_wg_device *const *devs, size_t ndevs,
		       const struct ft_peers *file, struct ft_peers **out, char *err, size_t errlen)
{
	size_t nfile = file ? ft_peers_count(file) : 0, nids = 0, cap = 0, left = 0;
	struct byid *ids = calloc(nfile ? nfile : 1, sizeof(*ids));
	bool *used = calloc(nfile ? nfile : 1, sizeof(*used));
	struct ft_prefix *buf = NULL;
	struct ft_peers *t = NULL;
	int r = -ENOMEM;

	*out = NULL;
	err[0] = '\0';
	if (!ids || !used || ft_peers_new(&t) < 0)
		goto out;
	for (size_t i = 0; i < nfile; i++) {
		const struct ft_peer *n = ft_peers_node(file, i);
		if (n != ft_peers_self(file) && n->node_id && n->node_id[0])
			ids[nids++] = (struct byid){n->node_id, i};
	}
	qsort(ids, nids, sizeof(*ids), byid_cmp);
	if ((r = add_self(t, devs, ndevs, file)) == -ENOMEM)
		goto out;
	for (size_t d = 0; d < ndevs; d++) {
		for (size_t i = 0; i < devs[d]->npeers; i++) {
			const struct ft_wg_peer *p = &devs[d]->peers[i];
			const struct ft_peer *m = file ? match(file, ids, nids, p) : NULL;
			r = add_peer(t, p, m, &buf, &cap);
			if (r == -ENOMEM)
				goto out;
			if (r < 0) { /* E2BIG: the table's prefix bound */
				left++;
				continue;
			}
			if (m)
				used[ft_peers_index(file, m)] = true;
		}
	}
	/* The file's other nodes, as they are (self already set). */
	for (size_t i = 0; i < nfile; i++) {
		const struct ft_peer *n = ft_peers_node(file, i);
		if (used[i] || n == ft_peers_self(file))
			continue;
		if ((r = ft_peers_add(t, n)) == -ENOMEM)
			goto out;
		left += r < 0;
	}
	if ((r = ft_peers_build(t)) < 0)
		goto out;
	if (left)
		snprintf(err, errlen, "%zu nodes left out of the peer table (over its bounds)",
			 left);
	*out = t;
	t = NULL;
	r = 0;
out:
	ft_peers_free(t);
	free(buf);
	free(ids);
	free(used);
	return r;
}

/* FNV-1a, 64 bits: the table is rebuilt on a change; a collision would
 * only delay a rebuild to the next change, and keys are not secret here. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

uint64_t ftd_wg_peers_hash(const struct ft_wg_device *const *devs, size_t ndevs)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t d = 0; d < ndevs; d++) {
		h = fnv(h, devs[d]->pubkey, strlen(devs[d]->pubkey) + 1);
		h = fnv(h, &devs[d]->npeers, sizeof(devs[d]->npeers));
		for (size_t i = 0; i < devs[d]->npeers; i++) {
			const struct ft_wg_peer *p = &devs[d]->peers[i];
			h = fnv(h, p->pubkey, strlen(p->pubkey) + 1);
			h = fnv(h, &p->nallowed, sizeof(p->nallowed));
			for (size_t k = 0; k < p->nallowed; k++) {
				h = fnv(h, p->allowed[k].addr.b, p->allowed[k].addr.len);
				h = fnv(h, &p->allowed[k].bits, sizeof(p->allowed[k].bits));
			}
		}
	}
	return h;
}
