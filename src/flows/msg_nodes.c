/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: "srcNode" and "dstNodes" of flow-log messages, from the peer
 * table (flowtap-flows(5)).
 *
 *   "srcNode":{"nodeId":"n1","name":"laptop-a","addresses":["100.64.0.1"],
 *              "os":"linux","user":"alice@example.com"},
 *   "dstNodes":[{"nodeId":"n2","name":"laptop-b",...,"tags":["tag:server"]}]
 *
 * srcNode is this node (the table's self); dstNodes the other nodes owning
 * a source or destination of the message's connections, in order of first
 * appearance. A node lists its host addresses (a /32 or /128 of its
 * table entry, written bare); routed prefixes are left out, as the
 * established shape has addresses only. Each node's JSON is rendered once
 * per window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows_int.h"

static size_t esc_len(const char *s)
{
	return s ? strlen(s) * 6 : 0;
}

static char *put_strfield(char *p, const char *key, const char *v)
{
	if (!v || !*v)
		return p;
	p += sprintf(p, ",\"%s\":\"", key);
	p += ft__json_escape(v, p);
	*p++ = '"';
	return p;
}

/* One node object, malloc'd. */
static char *render(const struct ft_peer *n)
{
	size_t cap = 64 + esc_len(n->node_id) + esc_len(n->name) + esc_len(n->os) +
		     esc_len(n->user) + (size_t)n->naddrs * 50;
	char *buf, *p;

	for (unsigned i = 0; i < n->ntags; i++)
		cap += esc_len(n->tags[i]) + 3;
	if (!(buf = malloc(cap)))
		return NULL;
	p = buf;
	*p++ = '{';
	p += sprintf(p, "\"nodeId\":\"");
	p += ft__json_escape(n->node_id ? n->node_id : "", p);
	*p++ = '"';
	p = put_strfield(p, "name", n->name);
	p += sprintf(p, ",\"addresses\":[");
	bool first = true;
	for (unsigned i = 0; i < n->naddrs; i++) {
		const struct ft_prefix *a = &n->addrs[i];
		if (a->bits != a->addr.len * 8)
			continue;
		if (!first)
			*p++ = ',';
		first = false;
		*p++ = '"';
		ft_addr_format(&a->addr, p, 48);
		p += strlen(p);
		*p++ = '"';
	}
	*p++ = ']';
	p = put_strfield(p, "os", n->os);
	if (n->user && *n->user) {
		p = put_strfield(p, "user", n->user);
	} else if (n->ntags) {
		p += sprintf(p, ",\"tags\":[");
		for (unsigned i = 0; i < n->ntags; i++) {
			p += sprintf(p, i ? ",\"" : "\"");
			p += ft__json_escape(n->tags[i], p);
			*p++ = '"';
		}
		*p++ = ']';
	}
	*p++ = '}';
	*p = '\0';
	return buf;
}

int ft__msg_nodes_init(struct ft__msg_nodes *m, const struct ft_peers *p)
{
	size_t n = ft_peers_count(p);

	memset(m, 0, sizeof(*m));
	m->p = p;
	if (!p)
		return 0;
	m->json = calloc(n ? n : 1, sizeof(*m->json));
	m->seen = calloc(n ? n : 1, 1);
	m->order = calloc(n ? n : 1, sizeof(*m->order));
	if (!m->json || !m->seen || !m->order) {
		ft__msg_nodes_fini(m);
		return -ENOMEM;
	}
	const struct ft_peer *self = ft_peers_self(p);
	if (self && !(m->self_json = render(self))) {
		ft__msg_nodes_fini(m);
		return -ENOMEM;
	}
	return 0;
}

void ft__msg_nodes_fini(struct ft__msg_nodes *m)
{
	for (size_t i = 0; m->json && i < ft_peers_count(m->p); i++)
		free(m->json[i]);
	free(m->json);
	free(m->seen);
	free(m->order);
	free(m->self_json);
	memset(m, 0, sizeof(*m));
}

/* The JSON of node @i, rendered on first use; NULL without memory. */
static const char *node_json(struct ft__msg_nodes *m, size_t i)
{
	if (!m->json[i])
		m->json[i] = render(ft_peers_node(m->p, i));
	return m->json[i];
}

/* The index of the peer (not self) owning @a, or -1. */
static long peer_of(const struct ft__msg_nodes *m, const struct ft_addr *a)
{
	const struct ft_peer *n = a->len ? ft_peers_lookup(m->p, a) : NULL;
	if (!n || n == ft_peers_self(m->p))
		return -1;
	return (long)ft_peers_index(m->p, n);
}

size_t ft__msg_nodes_need(struct ft__msg_nodes *m, const struct ft_flow_key *k)
{
	long i[2];
	size_t need = 0;

	if (!m->p)
		return 0;
	i[0] = peer_of(m, &k->src);
	i[1] = peer_of(m, &k->dst);
	for (int j = 0; j < 2; j++) {
		if (i[j] < 0 || m->seen[i[j]] || (j && i[1] == i[0]))
			continue;
		const char *js = node_json(m, (size_t)i[j]);
		need += js ? strlen(js) + 1 : 0;
	}
	return need;
}

void ft__msg_nodes_add(struct ft__msg_nodes *m, const struct ft_flow_key *k)
{
	long i[2];

	if (!m->p)
		return;
	i[0] = peer_of(m, &k->src);
	i[1] = peer_of(m, &k->dst);
	for (int j = 0; j < 2; j++) {
		if (i[j] < 0 || m->seen[i[j]] || !node_json(m, (size_t)i[j]))
			continue;
		m->seen[i[j]] = 1;
		m->order[m->nseen++] = (size_t)i[j];
		m->tail += strlen(m->json[i[j]]) + 1;
	}
}

size_t ft__msg_nodes_tail(const struct ft__msg_nodes *m)
{
	if (!m->p)
		return 0;
	return (m->self_json ? strlen(m->self_json) + 12 : 0) + 14 + m->tail;
}

char *ft__msg_nodes_put(struct ft__msg_nodes *m, char *p)
{
	if (!m->p)
		return p;
	if (m->self_json)
		p += sprintf(p, ",\"srcNode\":%s", m->self_json);
	if (m->nseen) {
		p += sprintf(p, ",\"dstNodes\":[");
		for (size_t i = 0; i < m->nseen; i++)
			p += sprintf(p, i ? ",%s" : "%s", m->json[m->order[i]]);
		*p++ = ']';
	}
	return p;
}

void ft__msg_nodes_reset(struct ft__msg_nodes *m)
{
	for (size_t i = 0; i < m->nseen; i++)
		m->seen[m->order[i]] = 0;
	m->nseen = 0;
	m->tail = 0;
}
