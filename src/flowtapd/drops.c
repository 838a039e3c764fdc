/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * drops.c - flowtapd --drops: the kernel drop source (src/sources/kdrops/)
 * from the configuration, its tap served on the local API, its counters
 * under "kernel_drops" in status, and its drops in the flow counts.
 */
#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include <flowtap/api.h>
#include <flowtap/flows.h>

#include "flowtapd.h"
#include "kdrops.h"

bool ftd_drops_wanted(const struct ftd_config *c)
{
	return c->drops || c->drops_netns.n || c->drops_if.n;
}

/* Flow counting: each drop counts on its connection as dropPkts/dropBytes
 * with the shared reason its kernel reason falls under (flow logs and
 * IPFIX name only those). */
static void count_drop(void *ctx, const struct ft_kdrops_pkt *p)
{
	ft_flows_add_ip_drop(ctx, p->ip, p->caplen, (enum ft_dir)p->dir, p->category);
}

int ftd_drops_open(struct ft_kdrops **out, const struct ftd_config *c, struct ft_flows *flows)
{
	struct ft_kdrops_opts o = {
	    .netns = (const char *const *)c->drops_netns.v,
	    .nnetns = c->drops_netns.n,
	    .ifnames = (const char *const *)c->drops_if.v,
	    .nifnames = c->drops_if.n,
	    .snaplen = c->drops_snaplen,
	    .ring_bytes = c->buffer_size,
	    .on_packet = flows ? count_drop : NULL,
	    .on_packet_ctx = flows,
	};
	char err[512] = "";
	int r;

	*out = NULL;
	if (!ftd_drops_wanted(c))
		return 0;
	if ((r = ft__kdrops_new(out, &o, err, sizeof(err))) < 0) {
		ftd_log(LOG_ERR, "cannot capture kernel drops: %s", err);
		return -1;
	}
	return 0;
}

static char *drops_status(void *ctx)
{
	return ft__kdrops_status(ctx);
}

int ftd_drops_serve(struct ft_kdrops *k, struct ft_api *api)
{
	char err[512] = "";
	int r;

	if (!k)
		return 0;
	if ((r = ft__kdrops_start(k, err, sizeof(err))) < 0) {
		ftd_log(LOG_ERR, "cannot capture kernel drops: %s", err);
		return -1;
	}
	if ((r = ft_api_add_tap(api, ft__kdrops_tap(k))) < 0) {
		ftd_log(LOG_ERR, "cannot serve tap '%s': %s", FT_KDROPS_TAP, ft_strerror(r));
		return -1;
	}
	ft_api_set_status_fn(api, "kernel_drops", drops_status, k);
	return 0;
}

void ftd_drops_free(struct ft_kdrops *k)
{
	ft__kdrops_free(k);
}
