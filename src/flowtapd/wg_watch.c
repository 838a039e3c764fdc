/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_watch.c - flowtapd's WireGuard watcher: one thread reads every
 * WireGuard --interface (sources/wireguard.h) on a timer and on request,
 * derives the flow classes from the device, counts per-peer physical
 * traffic from WireGuard's counters and keeps the status document.
 */
#include <errno.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>

#include <flowtap/metrics.h>
#include <flowtap/peers.h>

#include "sources/wireguard.h"
#include "wg_peers.h"
#include "wg_watch.h"
#include "thread.h"

#define MAX_PFX 1024 /* overlay or route prefixes derived from all devices */

struct peer_prev {
	char key[FT_WG_KEY_B64];
	uint64_t rx, tx;
	int64_t stale_since; /* 0: not stale */
	uint64_t stale_events;
};

struct wgif {
	char name[IF_NAMESIZE];
	bool wireguard; /* known to be WireGuard (read once) */
	char error[256];
	struct ft_wg_device dev;
	struct peer_prev *prev;
	size_t nprev;
};

/* The peers' endpoints, sorted, published whole: readers (the capture
 * sources' threads) load the pointer with acquire and search it; the watcher
 * replaces it with release and frees a replaced set only after a grace
 * period far longer than one packet's accounting (the readers hold no
 * reference past one call). Replaced only when the endpoints change. */
struct ep {
	struct ft_addr a;
	uint16_t port;
};
struct epset {
	size_t n;
	struct epset *retired_next;
	int64_t retired_at;
	struct ep e[];
};
#define EPSET_GRACE_SEC 10

struct ftd_wg {
	_Atomic(struct epset *) eps;
	struct epset *retired;
	struct ftd_wg_opts o;
	struct wgif *ifs;
	int nifs;
	_Atomic unsigned stale_sec; /* set by a reload, read by the watcher */

	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, refresh;
	bool joined;		  /* ftd_wg_stop() ran: the thread is gone */
	char *status;		  /* guarded by mu */
	struct ft_prefix *routes; /* configured routes, guarded by mu */
	size_t nroutes;
	struct ft_peers *file; /* the peer file's table, guarded by mu */
	bool file_changed;     /* guarded by mu */

	/* The watcher's: what the last merged table was built from. */
	uint64_t ident_hash;
	bool ident_valid;
	char ident_err[256];

	/* What was last given to the logger, to set it only on change. */
	struct ft_prefix last_overlay[MAX_PFX], last_routes[MAX_PFX];
	size_t nlast_overlay, nlast_routes;
};

static void wlog(struct ftd_wg *w, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wlog(struct ftd_wg *w, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (!w->o.log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->o.log_fn(level, msg);
}

static bool is_host(const struct ft_prefix *p)
{
	return p->bits == p->addr.len * 8;
}

/* The peer's overlay address: its first host allowed IP, else the address
 * of its first allowed IP; len 0 if it has none. */
static struct ft_addr peer_overlay(const struct ft_wg_peer *p)
{
	struct ft_addr none = {0};
	for (size_t i = 0; i < p->nallowed; i++)
		if (is_host(&p->allowed[i]))
			return p->allowed[i].addr;
	return p->nallowed && p->allowed[0].bits ? p->allowed[0].addr : none;
}

static struct peer_prev *find_prev(struct wgif *f, const char *key)
{
	for (size_t i = 0; i < f->nprev; i++)
		if (strcmp(f->prev[i].key, key) == 0)
			return &f->prev[i];
	return NULL;
}

/* Count the byte deltas since the last read as physical traffic, and judge
 * handshake health; then remember this read's counters. */
static void account(struct ftd_wg *w, struct wgif *f, int64_t now)
{
	size_t n = f->dev.npeers;
	struct peer_prev *next = calloc(n ? n : 1, sizeof(*next));
	if (!next)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct ft_wg_peer *p = &f->dev.peers[i];
		struct peer_prev *old = find_prev(f, p->pubkey), *nw = &next[i];
		snprintf(nw->key, sizeof(nw->key), "%s", p->pubkey);
		nw->rx = p->rx_bytes;
		nw->tx = p->tx_bytes;
		uint64_t drx = 0, dtx = 0;
		if (old && p->rx_bytes >= old->rx && p->tx_bytes >= old->tx) {
			drx = p->rx_bytes - old->rx;
			dtx = p->tx_bytes - old->tx;
			nw->stale_since = old->stale_since;
			nw->stale_events = old->stale_events;
		}
		struct ft_addr ov = peer_overlay(p);
		if (w->o.physical && p->has_endpoint && ov.len) {
			struct ft_flow_key k = {.src = ov, .dst = p->ep, .dport = p->ep_port};
			if (dtx)
				ft_flows_add(w->o.physical, &k, FT_DIR_OUT, 0, dtx);
			if (drx)
				ft_flows_add(w->o.physical, &k, FT_DIR_IN, 0, drx);
		}
		/* Stale: we keep sending but the last handshake is old (or
		 * never happened). Sending nothing is not a problem. */
		unsigned stale_sec = atomic_load_explicit(&w->stale_sec, memory_order_relaxed);
		bool old_hs = p->hs_sec == 0 || now - p->hs_sec > (int64_t)stale_sec;
		if (dtx && old_hs) {
			if (!nw->stale_since) {
				nw->stale_since = now;
				nw->stale_events++;
				wlog(w, LOG_WARNING,
				     "wireguard %s: peer %s is stale: last handshake %s, traffic "
				     "still sent",
				     f->name, p->pubkey, p->hs_sec ? "too old" : "never");
			}
		} else if (!old_hs && nw->stale_since) {
			nw->stale_since = 0;
			wlog(w, LOG_INFO, "wireguard %s: peer %s handshake is fresh again", f->name,
			     p->pubkey);
		}
	}
	free(f->prev);
	f->prev = next;
	f->nprev = n;
}

static void add_pfx(struct ft_prefix *v, size_t *n, const struct ft_prefix *p)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].bits == p->bits && memcmp(&v[i].addr, &p->addr, sizeof(p->addr)) == 0)
			return;
	if (*n < MAX_PFX)
		v[(*n)++] = *p;
}

/* The interface's own networks (address and netmask), as the overlay. */
static void iface_networks(const char *name, struct ft_prefix *v, size_t *n)
{
	struct ifaddrs *ifa0, *ifa;
	if (getifaddrs(&ifa0) < 0)
		return;
	for (ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || !ifa->ifa_netmask || strcmp(ifa->ifa_name, name) != 0)
			continue;
		struct ft_prefix p = {0};
		const uint8_t *a, *m;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			a = (const uint8_t *)&((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
			m = (const uint8_t *)&((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr;
			p.addr.len = 4;
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			a = (const uint8_t *)&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
			m = (const uint8_t *)&((struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr;
			p.addr.len = 16;
			if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
				continue; /* link-local: not the overlay */
		} else {
			continue;
		}
		for (unsigned i = 0; i < p.addr.len; i++) {
			p.addr.b[i] = a[i] & m[i];
			p.bits += (uint8_t)__builtin_popcount(m[i]);
		}
		add_pfx(v, n, &p);
	}
	freeifaddrs(ifa0);
}

static bool same(const struct ft_prefix *a, size_t na, const struct ft_prefix *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

/* Overlay: the devices' own networks and their peers' host allowed IPs.
 * Routes: the configured ones and the peers' subnet allowed IPs. A /0 is
 * neither: what matches nothing else is exit traffic already. */
static void apply_classes(struct ftd_wg *w)
{
	static struct ft_prefix ov[MAX_PFX], rt[MAX_PFX]; /* the watcher thread's only */
	size_t nov = 0, nrt = 0;
	bool any = false;
	for (int i = 0; i < w->nifs; i++) {
		struct wgif *f = &w->ifs[i];
		if (!f->wireguard || f->error[0])
			continue;
		any = true;
		iface_networks(f->name, ov, &nov);
		for (size_t j = 0; j < f->dev.npeers; j++) {
			const struct ft_wg_peer *p = &f->dev.peers[j];
			for (size_t k = 0; k < p->nallowed; k++) {
				const struct ft_prefix *a = &p->allowed[k];
				if (is_host(a))
					add_pfx(ov, &nov, a);
				else if (a->bits)
					add_pfx(rt, &nrt, a);
			}
		}
	}
	if (!any || !w->o.log)
		return;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->nroutes; i++)
		add_pfx(rt, &nrt, &w->routes[i]);
	pthread_mutex_unlock(&w->mu);
	if (!w->o.overlay_fixed && nov && !same(ov, nov, w->last_overlay, w->nlast_overlay)) {
		if (ft_flowlog_set_overlay(w->o.log, ov, nov) == 0) {
			memcpy(w->last_overlay, ov, nov * sizeof(*ov));
			w->nlast_overlay = nov;
		}
	}
	if (!same(rt, nrt, w->last_routes, w->nlast_routes)) {
		if (ft_flowlog_set_routes(w->o.log, rt, nrt) == 0) {
			memcpy(w->last_routes, rt, nrt * sizeof(*rt));
			w->nlast_routes = nrt;
		}
	}
}

static json_t *peer_json(const struct ftd_wg *w, const struct wgif *f, size_t i, int64_t now)
{
	const struct ft_wg_peer *p = &f->dev.peers[i];
	const struct peer_prev *pv = i < f->nprev ? &f->prev[i] : NULL;
	char buf[64], ep[80] = "";
	json_t *ips = json_array();
	for (size_t k = 0; k < p->nallowed; k++) {
		char s[80];
		snprintf(s, sizeof(s), "%s/%u",
			 ft_addr_format(&p->allowed[k].addr, buf, sizeof(buf)), p->allowed[k].bits);
		json_array_append_new(ips, json_string(s));
	}
	if (p->has_endpoint)
		snprintf(ep, sizeof(ep), p->ep.len == 16 ? "[%s]:%u" : "%s:%u",
			 ft_addr_format(&p->ep, buf, sizeof(buf)), p->ep_port);
	json_t *o = json_pack(
	    "{s:s,s:s,s:o,s:I,s:I,s:I,s:b,s:I}", "public_key", p->pubkey, "endpoint", ep,
	    "allowed_ips", ips, "rx_bytes", (json_int_t)p->rx_bytes, "tx_bytes",
	    (json_int_t)p->tx_bytes, "persistent_keepalive", (json_int_t)p->keepalive, "stale",
	    pv && pv->stale_since, "stale_events", (json_int_t)(pv ? pv->stale_events : 0));
	if (p->hs_sec) {
		json_object_set_new(o, "last_handshake", json_integer(p->hs_sec));
		json_object_set_new(o, "handshake_age_s", json_integer(now - p->hs_sec));
	} else {
		json_object_set_new(o, "last_handshake", json_null());
		json_object_set_new(o, "handshake_age_s", json_null());
	}
	return o;
}

static void build_status(struct ftd_wg *w, int64_t now)
{
	json_t *a = json_array();
	for (int i = 0; i < w->nifs; i++) {
		const struct wgif *f = &w->ifs[i];
		if (!f->wireguard && !f->error[0])
			continue;
		json_t *peers = json_array();
		for (size_t j = 0; !f->error[0] && j < f->dev.npeers; j++)
			json_array_append_new(peers, peer_json(w, f, j, now));
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:i,s:o,s:s,s:I,s:i}", "interface", f->name, "via",
				 f->dev.via == FT_WG_VIA_NETLINK ? "netlink"
				 : f->dev.via == FT_WG_VIA_UAPI	 ? "uapi"
								 : "",
				 "public_key", f->dev.pubkey, "listen_port", f->dev.listen_port,
				 "peers", peers, "error", f->error, "truncated",
				 (json_int_t)f->dev.truncated, "stale_after_s",
				 (int)atomic_load_explicit(&w->stale_sec, memory_order_relaxed)));
	}
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	pthread_mutex_lock(&w->mu);
	free(w->status);
	w->status = text;
	pthread_mutex_unlock(&w->mu);
}

static int ep_cmp(const void *a, const void *b)
{
	const struct ep *x = a, *y = b;
	int r = memcmp(&x->a, &y->a, sizeof(x->a));
	return r ? r : (int)x->port - (int)y->port;
}

static void publish_endpoints(struct ftd_wg *w, int64_t now)
{
	size_t n = 0;
	for (int i = 0; i < w->nifs; i++)
		if (w->ifs[i].wireguard && !w->ifs[i].error[0])
			n += w->ifs[i].dev.npeers;
	struct epset *s = calloc(1, sizeof(*s) + (n ? n : 1) * sizeof(s->e[0]));
	if (!s)
		return;
	for (int i = 0; i < w->nifs; i++) {
		const struct wgif *f = &w->ifs[i];
		if (!f->wireguard || f->error[0])
			continue;
		for (size_t j = 0; j < f->dev.npeers; j++)
			if (f->dev.peers[j].has_endpoint)
				s->e[s->n++] =
				    (struct ep){f->dev.peers[j].ep, f->dev.peers[j].ep_port};
	}
	qsort(s->e, s->n, sizeof(s->e[0]), ep_cmp);
	struct epset *old = atomic_load_explicit(&w->eps, memory_order_relaxed);
	if (old && old->n == s->n && memcmp(old->e, s->e, s->n * sizeof(s->e[0])) == 0) {
		free(s);
	} else {
		atomic_store_explicit(&w->eps, s, memory_order_release);
		if (old) {
			old->retired_at = now;
			old->retired_next = w->retired;
			w->retired = old;
		}
	}
	/* Free what no reader can still be looking at. */
	for (struct epset **pp = &w->retired; *pp;) {
		struct epset *r = *pp;
		if (now - r->retired_at >= EPSET_GRACE_SEC) {
			*pp = r->retired_next;
			free(r);
		} else {
			pp = &r->retired_next;
		}
	}
}

bool ftd_wg_is_underlay(struct ftd_wg *w, const struct ft_flow_key *k)
{
	if (!w || k->proto != 17)
		return false;
	const struct epset *s = atomic_load_explicit(&w->eps, memory_order_acquire);
	if (!s || !s->n)
		return false;
	struct ep probe[2] = {{k->dst, k->dport}, {k->src, k->sport}};
	for (int i = 0; i < 2; i++)
		if (bsearch(&probe[i], s->e, s->n, sizeof(s->e[0]), ep_cmp))
			return true;
	return false;
}

/* The readable devices, for the peer table. */
static size_t readable(struct ftd_wg *w, const struct ft_wg_device **devs)
{
	size_t n = 0;
	for (int i = 0; i < w->nifs; i++)
		if (w->ifs[i].wireguard && !w->ifs[i].error[0])
			devs[n++] = &w->ifs[i].dev;
	return n;
}

/* Hands a new merged peer table to peers_fn when the devices' keys or
 * allowed IPs or the peer file changed. */
static void publish_identity(struct ftd_wg *w)
{
	const struct ft_wg_device **devs = calloc((size_t)w->nifs, sizeof(*devs));
	struct ft_peers *file = NULL, *t = NULL;
	char err[256];
	if (!devs || !w->o.peers_fn) {
		free(devs);
		return;
	}
	size_t n = readable(w, devs);
	uint64_t h = ftd_wg_peers_hash(devs, n);
	pthread_mutex_lock(&w->mu);
	bool changed = w->file_changed || !w->ident_valid || h != w->ident_hash;
	if (changed && w->file)
		file = ft_peers_ref(w->file);
	w->file_changed = false;
	pthread_mutex_unlock(&w->mu);
	if (changed) {
		int r = ftd_wg_peers_build(devs, n, file, &t, err, sizeof(err));
		if (r < 0) {
			snprintf(err, sizeof(err), "cannot name the peers: %s", strerror(-r));
			w->ident_valid = false; /* try again at the next read */
		} else {
			w->o.peers_fn(w->o.peers_ctx, t);
			w->ident_hash = h;
			w->ident_valid = true;
		}
		if (err[0] && strcmp(err, w->ident_err) != 0)
			wlog(w, LOG_WARNING, "wireguard: %s", err);
		snprintf(w->ident_err, sizeof(w->ident_err), "%s", err);
	}
	ft_peers_free(t);
	ft_peers_free(file);
	free(devs);
}

/* The stale peers, by public key, to the flow logger (staleNodes). */
static void publish_stale(struct ftd_wg *w)
{
	size_t n = 0, cap = 0;
	for (int i = 0; i < w->nifs; i++)
		cap += w->ifs[i].nprev;
	const char **ids = malloc((cap ? cap : 1) * sizeof(*ids));
	if (!w->o.log || !ids) {
		free(ids);
		return;
	}
	for (int i = 0; i < w->nifs; i++)
		for (size_t j = 0; j < w->ifs[i].nprev; j++)
			if (w->ifs[i].prev[j].stale_since && n < FT_FLOWLOG_STALE_MAX)
				ids[n++] = w->ifs[i].prev[j].key;
	ft_flowlog_set_stale(w->o.log, ids, n);
	free(ids);
}

static void read_all(struct ftd_wg *w)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = ts.tv_sec;
	for (int i = 0; i < w->nifs; i++) {
		struct wgif *f = &w->ifs[i];
		char err[256] = "";
		int r = ft__wg_read(&f->dev, f->name, w->o.uapi_dir, 1000, err, sizeof(err));
		if (r == 0) {
			if (f->error[0])
				wlog(w, LOG_INFO, "wireguard %s: readable again (%s)", f->name,
				     f->dev.via == FT_WG_VIA_NETLINK ? "netlink" : "uapi");
			f->wireguard = true;
			f->error[0] = '\0';
			account(w, f, now);
		} else if (r == -ENODEV && !f->wireguard) {
			continue; /* not a WireGuard device: nothing to say */
		} else {
			if (strcmp(f->error, err) != 0)
				wlog(w, LOG_ERR, "wireguard %s: %s", f->name, err);
			snprintf(f->error, sizeof(f->error), "%s", err);
		}
	}
	apply_classes(w);
	publish_endpoints(w, now);
	publish_identity(w);
	publish_stale(w);
	build_status(w, now);
}

static void *watch(void *arg)
{
	struct ftd_wg *w = arg;
	unsigned ms = w->o.interval_ms ? w->o.interval_ms : 5000;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		pthread_mutex_unlock(&w->mu);
		read_all(w);
		pthread_mutex_lock(&w->mu);
		struct timespec dl;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += ms / 1000;
		dl.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L)
			dl.tv_sec++, dl.tv_nsec -= 1000000000L;
		while (!w->stop && !w->refresh)
			if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT)
				break;
		w->refresh = false;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int ftd_wg_new(struct ftd_wg **out, const struct ftd_wg_opts *o)
{
	*out = NULL;
	if (o->nifnames <= 0)
		return 0;
	struct ftd_wg *w = calloc(1, sizeof(*w));
	if (!w || !(w->ifs = calloc((size_t)o->nifnames, sizeof(*w->ifs)))) {
		free(w);
		return -ENOMEM;
	}
	w->o = *o;
	w->nifs = o->nifnames;
	ftd_wg_set_stale(w, o->stale_sec);
	w->file = o->peers ? ft_peers_ref(o->peers) : NULL;
	w->o.peers = NULL;
	for (int i = 0; i < w->nifs; i++)
		snprintf(w->ifs[i].name, sizeof(w->ifs[i].name), "%s", o->ifnames[i]);
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	ftd_wg_set_routes(w, o->routes, o->nroutes);
	w->o.routes = NULL;
	int r = -ft__thread_start(&w->thr, watch, w);
	if (r) {
		free(w->routes);
		ft_peers_free(w->file);
		free(w->ifs);
		free(w);
		return -r;
	}
	*out = w;
	return 0;
}

void ftd_wg_refresh(struct ftd_wg *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->refresh = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void ftd_wg_set_routes(struct ftd_wg *w, const struct ft_prefix *routes, size_t n)
{
	if (!w)
		return;
	struct ft_prefix *c = n ? malloc(n * sizeof(*c)) : NULL;
	if (n && !c)
		return;
	if (n)
		memcpy(c, routes, n * sizeof(*c));
	pthread_mutex_lock(&w->mu);
	free(w->routes);
	w->routes = c;
	w->nroutes = n;
	pthread_mutex_unlock(&w->mu);
}

void ftd_wg_set_peers(struct ftd_wg *w, struct ft_peers *p)
{
	if (!w)
		return;
	if (p)
		ft_peers_ref(p);
	pthread_mutex_lock(&w->mu);
	struct ft_peers *old = w->file;
	w->file = p;
	w->file_changed = true;
	pthread_mutex_unlock(&w->mu);
	ft_peers_free(old);
}

unsigned ftd_wg_set_stale(struct ftd_wg *w, unsigned sec)
{
	if (!w)
		return 0;
	if (!sec) { /* the variable older setups used; the option wins */
		const char *env = getenv("FLOWTAPD_WG_STALE_SEC");
		sec = env && atoi(env) > 0 ? (unsigned)atoi(env) : FTD_WG_STALE_SEC;
	}
	/* Relaxed: a lone value; the watcher uses whichever it reads. */
	atomic_store_explicit(&w->stale_sec, sec, memory_order_relaxed);
	return sec;
}

char *ftd_wg_status(void *arg)
{
	struct ftd_wg *w = arg;
	char *s = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->status)
		s = strdup(w->status);
	pthread_mutex_unlock(&w->mu);
	return s ? s : strdup("[]");
}

void ftd_wg_stop(struct ftd_wg *w)
{
	if (!w || w->joined)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thr, NULL);
	w->joined = true;
	read_all(w); /* the last interval's counters, for the final message */
}

/* From the status document: a scrape is rare, and the document is the one
 * consistent copy of what the watcher thread last read. */
void ftd_wg_metrics(struct ftd_wg *w, struct ft_metrics *m)
{
	static const struct {
		const char *name, *key, *help;
		enum ft_metric_type type;
	} fam[] = {
	    {"flowtap_wireguard_peer_stale", "stale",
	     "1 if traffic is sent to the peer but its last handshake is too old", FT_METRIC_GAUGE},
	    {"flowtap_wireguard_peer_handshake_age_seconds", "handshake_age_s",
	     "Seconds since the peer's last handshake (absent: none yet)", FT_METRIC_GAUGE},
	    {"flowtap_wireguard_peer_receive_bytes_total", "rx_bytes",
	     "Bytes received from the peer, as WireGuard counts them", FT_METRIC_COUNTER},
	    {"flowtap_wireguard_peer_transmit_bytes_total", "tx_bytes",
	     "Bytes sent to the peer, as WireGuard counts them", FT_METRIC_COUNTER},
	    {"flowtap_wireguard_peer_stale_events_total", "stale_events",
	     "Times the peer turned stale", FT_METRIC_COUNTER},
	};
	if (!w)
		return;
	char *text = ftd_wg_status(w);
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	for (size_t f = 0; doc && f < sizeof(fam) / sizeof(fam[0]); f++) {
		json_t *dev, *peer;
		size_t i, j;
		ft_metrics_family(m, fam[f].name, fam[f].type, fam[f].help);
		json_array_foreach(doc, i, dev)
		{
			json_array_foreach(json_object_get(dev, "peers"), j, peer)
			{
				json_t *v = json_object_get(peer, fam[f].key);
				const char *labels[] = {
				    "interface",
				    json_string_value(json_object_get(dev, "interface")), "peer",
				    json_string_value(json_object_get(peer, "public_key")), NULL};
				if (json_is_boolean(v))
					ft_metrics_sample(m, labels, json_is_true(v));
				else if (json_is_integer(v))
					ft_metrics_sample(m, labels, (double)json_integer_value(v));
			}
		}
	}
	json_decref(doc);
}

void ftd_wg_free(struct ftd_wg *w)
{
	if (!w)
		return;
	ftd_wg_stop(w);
	for (int i = 0; i < w->nifs; i++) {
		ft__wg_device_clear(&w->ifs[i].dev);
		free(w->ifs[i].prev);
	}
	free(w->ifs);
	free(w->routes);
	ft_peers_free(w->file);
	free(w->status);
	free(atomic_load(&w->eps));
	while (w->retired) {
		struct epset *r = w->retired;
		w->retired = r->retired_next;
		free(r);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
