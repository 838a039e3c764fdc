/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: peer names from the packet comments of flowtap's pcapng.
 *
 * The datapath's pcapng writer puts "peers src NAME dst NAME" (an end left
 * out when it has no name) in the comment of each packet whose ends are in
 * its peer table. Every packet says so, so the names follow a table the
 * datapath reloads mid-capture. The table kept here maps each address seen
 * to its last name; it is rebuilt only when a packet says something new,
 * and is bounded: past NAMES_MAX addresses it starts over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/peers.h>

#include "peer_names.h"
#include "pkt_ip.h"
#include "reader_stream.h"

#define NAMES_MAX   4096
#define OPT_COMMENT 1

struct entry {
	struct ft_addr a;
	char name[FT_PEER_NAME_MAX + 1];
};

struct peer_names {
	struct entry *e;
	size_t n;
	struct ft_peers *table; /* built from e, NULL if n == 0 */
};

int peer_names_new(struct peer_names **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out && !((*out)->e = calloc(NAMES_MAX, sizeof(struct entry)))) {
		free(*out);
		*out = NULL;
	}
	return *out ? 0 : -ENOMEM;
}

/* "peers[ src NAME][ dst NAME]" (@n bytes) into @src/@dst ("" when
 * absent); names have no spaces. */
static void comment_names(const char *t, size_t n, char *src, char *dst)
{
	char buf[160], *save = NULL, *w, *which = NULL;
	size_t k = n < sizeof(buf) ? n : sizeof(buf) - 1;

	src[0] = dst[0] = '\0';
	if (!t)
		return;
	memcpy(buf, t, k);
	buf[k] = '\0';
	strtok_r(buf, " ", &save);
	while ((w = strtok_r(NULL, " ", &save))) {
		if (!which) {
			which = !strcmp(w, "src") ? src : !strcmp(w, "dst") ? dst : NULL;
			if (!which)
				return;
		} else {
			snprintf(which, FT_PEER_NAME_MAX + 1, "%s", w);
			which = NULL;
		}
	}
}

static struct entry *find(struct peer_names *c, const struct ft_addr *a)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].a.len == a->len && !memcmp(c->e[i].a.b, a->b, a->len))
			return &c->e[i];
	return NULL;
}

/* @a is named @name ("": no name); true if that changed anything. */
static bool set(struct peer_names *c, const struct ft_addr *a, const char *name)
{
	struct entry *e = find(c, a);

	if (e && !strcmp(e->name, name))
		return false;
	if (!e && !*name)
		return false;
	if (e && !*name) {
		*e = c->e[--c->n];
		return true;
	}
	if (!e) {
		if (c->n == NAMES_MAX)
			c->n = 0;
		e = &c->e[c->n++];
		e->a = *a;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	return true;
}

static void rebuild(struct peer_names *c)
{
	struct ft_peers *t = NULL;

	ft_peers_free(c->table);
	c->table = NULL;
	if (!c->n || ft_peers_new(&t) < 0)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct ft_prefix pf = {.addr = c->e[i].a, .bits = (uint8_t)(c->e[i].a.len * 8)};
		struct ft_peer node = {.name = c->e[i].name, .addrs = &pf, .naddrs = 1};
		ft_peers_add(t, &node);
	}
	if (ft_peers_build(t) < 0) {
		ft_peers_free(t);
		return;
	}
	c->table = t;
}

bool peer_names_packet(struct peer_names *c, const struct ft_reader *r, const struct ft_pkt *p)
{
	char src[FT_PEER_NAME_MAX + 1], dst[FT_PEER_NAME_MAX + 1];
	struct ft_addr a[2];
	const char *t;
	size_t n;
	bool changed;

	if (!ft__pkt_ip_addrs(p->data, p->caplen, p->dlt, &a[0], &a[1]))
		return false;
	t = ft__reader_peers(r, &n);
	comment_names(t, n, src, dst);
	changed = set(c, &a[0], src);
	changed |= set(c, &a[1], dst);
	if (changed)
		rebuild(c);
	return changed;
}

struct ft_peers *peer_names_table(const struct peer_names *c)
{
	return c->table;
}

void peer_names_free(struct peer_names *c)
{
	if (!c)
		return;
	ft_peers_free(c->table);
	free(c->e);
	free(c);
}
