/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the tunnel's peer table: from --peers FILE (re-read on SIGHUP),
 * or from --node NAME and --peer-name NAME.
 *
 * Built from the options, the table holds this node (its --addr addresses)
 * and the one peer, which owns its --peer-addr if given, every --route, and
 * the rest of the tunnel subnet of --addr: in a point-to-point tunnel every
 * other address of the subnet is across it, and this node's own /32 (/128)
 * is longer, so it still wins for itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <flowtap/flows.h>
#include <flowtap/peers.h>
#include <flowtap/tap.h>

#include "tunnel.h"

static struct ft_prefix host_of(const struct ft_addr *a)
{
	struct ft_prefix p = {.addr = *a, .bits = (uint8_t)(a->len * 8)};
	return p;
}

static struct ft_prefix net_of(const struct ipnet *n)
{
	struct ft_prefix p = {.addr = n->addr, .bits = n->plen};
	for (unsigned i = 0; i < n->addr.len; i++) {
		unsigned keep = n->plen > i * 8 ? n->plen - i * 8 : 0;
		if (keep < 8)
			p.addr.b[i] &= (uint8_t)(0xff00u >> keep);
	}
	return p;
}

static int from_options(const struct tun_cfg *c, struct ft_peers **out)
{
	struct ft_prefix mine[2], theirs[2 + 2 + TUN_MAX_ROUTES];
	unsigned nm = 0, nt = 0;
	struct ft_peers *p;
	int ret;

	for (int i = 0; i < c->naddrs; i++) {
		mine[nm++] = host_of(&c->addrs[i].addr);
		theirs[nt++] = net_of(&c->addrs[i]);
	}
	if (c->peer_overlay.len)
		theirs[nt++] = host_of(&c->peer_overlay);
	for (int i = 0; i < c->nroutes; i++)
		theirs[nt++] = net_of(&c->routes[i]);
	struct ft_peer self = {
	    .node_id = c->node_id, .name = c->node_name, .addrs = mine, .naddrs = nm};
	struct ft_peer peer = {.name = c->peer_name, .addrs = theirs, .naddrs = nt};
	if ((ret = ft_peers_new(&p)) < 0)
		return ret;
	if ((c->node_name && (ret = ft_peers_set_self(p, &self)) < 0) ||
	    (c->peer_name && (ret = ft_peers_add(p, &peer)) < 0) || (ret = ft_peers_build(p)) < 0) {
		ft_peers_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

int tun_peers_load(const struct tun_cfg *c, struct ft_peers **out, char *err, size_t errlen)
{
	int ret;

	*out = NULL;
	if (c->peers_file)
		return ft_peers_load_file(c->peers_file, out, err, errlen);
	if (!c->node_name && !c->peer_name)
		return 0;
	ret = from_options(c, out);
	if (ret < 0)
		snprintf(err, errlen, "--node/--peer-name: %s (names are 1 to %d bytes)",
			 ft_strerror(ret), FT_PEER_NAME_MAX);
	return ret;
}

void tun_peers_apply(struct tunnel *t, struct ft_peers *p)
{
	ft_tap_set_peers(t->tap, p);
	if (t->flowlog)
		ft_flowlog_set_peers(t->flowlog, p);
}

void tun_peers_reload(struct tunnel *t)
{
	struct ft_peers *p;
	char err[512];

	if (!t->cfg->peers_file) {
		fprintf(stderr, TUN_PROG ": SIGHUP: no --peers file to reload\n");
		return;
	}
	if (tun_peers_load(t->cfg, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, TUN_PROG ": SIGHUP: %s; keeping the running peer table\n", err);
		return;
	}
	tun_peers_apply(t, p);
	if (!t->cfg->quiet)
		fprintf(stderr, TUN_PROG ": SIGHUP: peer table reloaded from %s: %zu nodes\n",
			t->cfg->peers_file, ft_peers_count(p));
	ft_peers_free(p);
}
