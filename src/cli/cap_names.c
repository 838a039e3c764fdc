/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: peer names from a live pcapng stream's packet comments.
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

#include "cap_names.h"
#include "pkt_ip.h"

#define NAMES_MAX   4096
#define OPT_COMMENT 1

struct entry {
	struct ft_addr a;
	char name[FT_PEER_NAME_MAX + 1];
};

struct cap_names {
	struct entry *e;
	size_t n;
	struct ft_peers *table; /* built from e, NULL if n == 0 */
};

int cap_names_new(struct cap_names **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out && !((*out)->e = calloc(NAMES_MAX, sizeof(struct entry)))) {
		free(*out);
		*out = NULL;
	}
	return *out ? 0 : -ENOMEM;
}

static uint16_t get16(const uint8_t *p, bool sw)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return sw ? __builtin_bswap16(v) : v;
}

static uint32_t get32(const uint8_t *p, bool sw)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return sw ? __builtin_bswap32(v) : v;
}

/* The "peers ..." comment of an EPB into @src/@dst ("" when absent);
 * false when there is none. */
static bool comment_names(const uint8_t *b, size_t n, bool sw, char *src, char *dst)
{
	size_t off;
	uint32_t caplen;

	src[0] = dst[0] = '\0';
	if (n < 32 || get32(b, sw) != 6)
		return false;
	caplen = get32(b + 20, sw);
	if ((size_t)caplen + 28 + 4 > n)
		return false;
	off = 28 + (((size_t)caplen + 3) & ~(size_t)3);
	while (off + 4 <= n - 4) {
		uint16_t code = get16(b + off, sw), len = get16(b + off + 2, sw);
		const char *t = (const char *)b + off + 4;
		if (code == 0 || off + 4 + len > n - 4)
			break;
		if (code == OPT_COMMENT && len > 6 && !memcmp(t, "peers ", 6)) {
			/* "peers[ src NAME][ dst NAME]": names have no spaces. */
			char buf[160], *save = NULL, *w, *which = NULL;
			size_t k = len < sizeof(buf) ? len : sizeof(buf) - 1;
			memcpy(buf, t, k);
			buf[k] = '\0';
			strtok_r(buf, " ", &save);
			while ((w = strtok_r(NULL, " ", &save))) {
				if (!which) {
					which = !strcmp(w, "src")   ? src
						: !strcmp(w, "dst") ? dst
								    : NULL;
					if (!which)
						break;
				} else {
					snprintf(which, FT_PEER_NAME_MAX + 1, "%s", w);
					which = NULL;
				}
			}
			return true;
		}
		off += 4 + (((size_t)len + 3) & ~(size_t)3);
	}
	return false;
}

static struct entry *find(struct cap_names *c, const struct ft_addr *a)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].a.len == a->len && !memcmp(c->e[i].a.b, a->b, a->len))
			return &c->e[i];
	return NULL;
}

/* @a is named @name ("": no name); true if that changed anything. */
static bool set(struct cap_names *c, const struct ft_addr *a, const char *name)
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

static void rebuild(struct cap_names *c)
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

bool cap_names_packet(struct cap_names *c, const struct ft_pkt *p, const uint8_t *blk, size_t n,
		      bool swapped)
{
	char src[FT_PEER_NAME_MAX + 1], dst[FT_PEER_NAME_MAX + 1];
	struct ft_addr a[2];
	bool changed;

	if (!ft__pkt_ip_addrs(p->data, p->caplen, p->dlt, &a[0], &a[1]))
		return false;
	comment_names(blk, n, swapped, src, dst);
	changed = set(c, &a[0], src);
	changed |= set(c, &a[1], dst);
	if (changed)
		rebuild(c);
	return changed;
}

struct ft_peers *cap_names_table(const struct cap_names *c)
{
	return c->table;
}

void cap_names_free(struct cap_names *c)
{
	if (!c)
		return;
	ft_peers_free(c->table);
	free(c->e);
	free(c);
}
