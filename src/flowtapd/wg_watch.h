/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_watch.h - flowtapd's view of the WireGuard devices it captures on.
 *
 * For every --interface that is a WireGuard device (kernel module through
 * generic netlink, or a userspace implementation's UAPI socket), a thread
 * reads the device and its peers at start, every interval and when asked
 * (SIGHUP), and from what it reads:
 *  - sets the flow logger's classes: the interface's own networks and the
 *    peers' host allowed IPs are the overlay, subnet allowed IPs are routes
 *    (subnet traffic), a default route peer makes the rest exit traffic;
 *  - counts each peer's physical traffic (overlay address to endpoint) from
 *    WireGuard's own per-peer byte counters, as deltas per read;
 *  - keeps a status document per device and peer, with handshake health;
 *  - names the peers: a peer table (wg_peers.h) with each peer's public key
 *    as its node id, merged with the peer file's, handed to peers_fn for
 *    the taps and the flow logger whenever keys, allowed IPs or the file
 *    change; and the set of stale peers to the flow logger (staleNodes).
 * It never blocks the API loop: status copies a document under a mutex the
 * thread holds only to swap it.
 */
#ifndef FTD_WG_WATCH_H
#define FTD_WG_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <flowtap/flows.h>

/* A peer whose last handshake is older than this while we send to it is
 * stale (--wg-stale, else FLOWTAPD_WG_STALE_SEC, else this). */
#define FTD_WG_STALE_SEC 180

struct ft_peers;

struct ftd_wg;

struct ftd_wg_opts {
	const char *const *ifnames; /* the --interface names (those not WireGuard are skipped) */
	int nifnames;
	const char *uapi_dir;		/* NULL: /var/run/wireguard */
	unsigned interval_ms;		/* between reads; 0: 5000 */
	struct ft_flowlog *log;		/* classes are set on it (NULL: none) */
	struct ft_flows *physical;	/* per-peer byte deltas are counted in it */
	const struct ft_prefix *routes; /* configured --route prefixes, kept */
	size_t nroutes;
	bool overlay_fixed; /* --overlay given: do not derive the overlay */
	unsigned stale_sec; /* 0: FLOWTAPD_WG_STALE_SEC or FTD_WG_STALE_SEC */
	void (*log_fn)(int level, const char *msg);
	/* The peer file's table (NULL: none; the watcher takes a reference). */
	struct ft_peers *peers;
	/* Called on the watcher thread (or ftd_wg_stop()'s) with each new
	 * merged table; the callee takes its own references. */
	void (*peers_fn)(void *ctx, struct ft_peers *p);
	void *peers_ctx;
};

/*
 * ftd_wg_new - probe the interfaces once and, if any is WireGuard, start
 * the thread. *out is NULL (and 0 returned) when none is.
 * Returns 0 or -errno.
 */
int ftd_wg_new(struct ftd_wg **out, const struct ftd_wg_opts *o);

/*
 * ftd_wg_is_underlay - whether @k (a tunnel-layer key of a captured packet)
 * is a WireGuard peer's encrypted UDP traffic: an endpoint of a peer of a
 * watched device, on the endpoint's port. Such packets are the peers'
 * physical traffic, which is counted from WireGuard's own counters, so
 * flowtapd does not count them again as exit traffic when the underlay
 * interface is captured too. Any thread; no lock, O(log peers). NULL @w: false.
 */
bool ftd_wg_is_underlay(struct ftd_wg *w, const struct ft_flow_key *k);

/* ftd_wg_refresh - read the devices again now (SIGHUP); never blocks. */
void ftd_wg_refresh(struct ftd_wg *w);

/* ftd_wg_set_routes - replace the configured routes (reload). */
void ftd_wg_set_routes(struct ftd_wg *w, const struct ft_prefix *routes, size_t n);

/* ftd_wg_set_peers - a new peer file table (reload; NULL: none); the
 * merged table follows at the next read (ftd_wg_refresh()). */
void ftd_wg_set_peers(struct ftd_wg *w, struct ft_peers *p);

/* ftd_wg_set_stale - the stale threshold in seconds (reload; 0: default).
 * Returns the threshold now in force (0 for a NULL @w). */
unsigned ftd_wg_set_stale(struct ftd_wg *w, unsigned sec);

/* ftd_wg_status - the status document (JSON text, malloc'ed) for ft_api_set_status_fn. */
char *ftd_wg_status(void *w);

/*
 * ftd_wg_stop - stop the thread after one last read (so a final flow-log
 * message carries the last counters). Idempotent; NULL allowed. Status and
 * ftd_wg_is_underlay() keep working until ftd_wg_free().
 */
void ftd_wg_stop(struct ftd_wg *w);

struct ft_metrics;
/* ftd_wg_metrics - the flowtap_wireguard_peer_* families (NULL @w: none). */
void ftd_wg_metrics(struct ftd_wg *w, struct ft_metrics *m);

/* ftd_wg_free - stop (if needed) and free @w (NULL allowed); no thread may
 * call ftd_wg_is_underlay() or ftd_wg_status() on it any more. */
void ftd_wg_free(struct ftd_wg *w);

#endif
