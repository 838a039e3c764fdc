/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the DNAT rule: local packets to a service address go to a real address across the
 * tunnel, and replies come back from the service address. */
#include <string.h>

#include "tunnel.h"

/*
 * A rewrite must be undone only for replies to packets that were rewritten,
 * not for everything the real address sends, so each translated connection
 * is remembered in a fixed table (bounded memory, no allocation on the
 * packet path). A newer connection that hashes to a used slot replaces the
 * older one, which then falls back to untranslated replies; 1024 slots are
 * plenty for a reference datapath.
 */

void dnat_init(struct dnat *d, const struct dnat_rule *rules, int n)
{
	memset(d, 0, sizeof(*d));
	d->rules = rules;
	d->nrules = n;
}

static uint32_t conn_hash(uint8_t proto, uint32_t local, uint16_t lport, uint32_t real,
			  uint16_t rport)
{
	uint32_t h = local * 0x9e3779b1u;

	h ^= real + 0x7feb352du + (h << 6) + (h >> 2);
	h ^= ((uint32_t)lport << 16 | rport) * 0x85ebca6bu;
	h ^= proto;
	h ^= h >> 15;
	return h % DNAT_CONNS;
}

uint32_t dnat_out(struct dnat *d, struct ip4 *v)
{
	for (int i = 0; i < d->nrules; i++) {
		const struct dnat_rule *r = &d->rules[i];
		struct dnat_conn *c;

		if (v->dst_be != r->service_be)
			continue;
		if (v->has_l4) {
			c = &d->conns[conn_hash(v->proto, v->src_be, v->sport, r->real_be,
						v->dport)];
			*c = (struct dnat_conn){v->src_be, r->real_be, r->service_be, v->sport,
						v->dport,  v->proto,   true};
		}
		ip4_set_dst(v, r->real_be);
		STAT_INC(d->translated);
		return r->service_be;
	}
	return 0;
}

/* Fragments after the first carry no ports: any connection between the two
 * addresses decides (a rare, slow path). */
static const struct dnat_conn *find_by_addr(const struct dnat *d, const struct ip4 *v)
{
	for (int i = 0; i < DNAT_CONNS; i++) {
		const struct dnat_conn *c = &d->conns[i];
		if (c->used && c->proto == v->proto && c->local_be == v->dst_be &&
		    c->real_be == v->src_be)
			return c;
	}
	return NULL;
}

uint32_t dnat_in(struct dnat *d, struct ip4 *v)
{
	const struct dnat_conn *c;
	uint32_t real = v->src_be;

	if (!d->nrules)
		return 0;
	if (v->has_l4) {
		c = &d->conns[conn_hash(v->proto, v->dst_be, v->dport, v->src_be, v->sport)];
		if (!c->used || c->proto != v->proto || c->local_be != v->dst_be ||
		    c->lport != v->dport || c->real_be != v->src_be || c->rport != v->sport)
			return 0;
	} else {
		c = find_by_addr(d, v);
		if (!c)
			return 0;
	}
	ip4_set_src(v, c->service_be);
	STAT_INC(d->untranslated);
	return real;
}
