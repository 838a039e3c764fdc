/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the flow logger: interval thread, classification, sinks.
 *
 * The thread sleeps on a condition variable until a counter table reports
 * its first update after an extract (ft_flows_set_notify), then waits one
 * interval, extracts, classifies and emits. With no traffic it never wakes.
 * Three locks, never held across each other except flush_mu -> cfg_mu and
 * flush_mu -> sink_mu: thr_mu (thread state), cfg_mu (routes, node id...),
 * sink_mu (the sink list; held while a message is delivered, so removing a
 * sink waits for a delivery in progress to finish).
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>

#include <flowtap/anon.h>

#include "flows_int.h"
#include "peers_int.h"
#include "classify.h"
#include "thread.h"

struct sink_fn {
	struct ft__sink base;
	ft_flowlog_sink_fn fn;
	void *ctx;
};

struct ft_flowlog {
	struct ft_flows *tables[2]; /* tunnel, physical */
	struct ft__sink_host host;  /* what the sinks report through (sink.h) */

	pthread_mutex_t cfg_mu;
	char *node_id;
	unsigned interval_ms;
	bool log_exit;
	struct ft_prefix *routes;
	size_t nroutes;
	struct ft_prefix *overlay;
	size_t noverlay;
	struct ft_anon *anon; /* --anonymize; used under cfg_mu only */

	pthread_mutex_t sink_mu;
	struct ft__sink *sinks;
	int next_sink_id;

	struct ft__peers_cell peers;	  /* ft_flowlog_set_peers() */
	struct ft__peers_view peers_view; /* the table of the window being sent (flush_mu) */

	pthread_mutex_t flush_mu;
	uint64_t boot;
	uint64_t seq;
	struct ft__recbuf rb; /* records text, kept between flushes (flush_mu) */

	pthread_mutex_t thr_mu;
	pthread_cond_t thr_cv;
	pthread_t thr;
	bool running;
	bool stop_req;
	bool pending;
	uint64_t pending_since; /* wall clock of the first update after an extract */

	pthread_mutex_t log_mu;
	ft_flowlog_log_fn log_fn;
	void *log_ctx;

	pthread_mutex_t stats_mu;
	struct ft_flowlog_stats stats;
	char http_err[512]; /* the last HTTP sink error, "" if none */
	int http_err_id;    /* the sink that set it */
	/* ft_flowlog_set_drop_tap(): the tap whose drops the messages total,
	 * and its counts at the last message (under flush_mu). */
	const struct ft_tap *drop_tap;
	uint64_t drop_pkts[FT_DROP_REASON_MAX], drop_bytes[FT_DROP_REASON_MAX];
	char drops_json[FT_DROP_REASON_MAX * 72 + 16];
	struct ft__stale stale; /* ft_flowlog_set_stale() (its own lock) */
};

FT_EXPORT void ft_flowlog_set_drop_tap(struct ft_flowlog *l, struct ft_tap *t)
{
	pthread_mutex_lock(&l->flush_mu);
	l->drop_tap = t;
	if (t)
		ft_tap_set_drop_counting(t, true);
	if (t)
		ft_tap_drop_counts(t, l->drop_pkts, l->drop_bytes, FT_DROP_REASON_MAX);
	pthread_mutex_unlock(&l->flush_mu);
}

/* ,"drops":{"acl-denied":{"pkts":1,"bytes":34},...}: the tap's drops since
 * the last message, or NULL when none; flush_mu held. */
static const char *drops_json(struct ft_flowlog *l)
{
	uint64_t p[FT_DROP_REASON_MAX], b[FT_DROP_REASON_MAX];
	size_t n = 0, cap = sizeof(l->drops_json);
	char *o = l->drops_json;

	if (!l->drop_tap)
		return NULL;
	ft_tap_drop_counts(l->drop_tap, p, b, FT_DROP_REASON_MAX);
	for (unsigned r = 1; r < FT_DROP_REASON_MAX; r++) {
		const char *rn = ft_drop_reason_name(l->drop_tap, r);
		uint64_t dp = p[r] - l->drop_pkts[r], db = b[r] - l->drop_bytes[r];
		if (!dp || !rn)
			continue;
		/* Reason names are [A-Za-z0-9_.+-]: no escaping needed. */
		n += (size_t)snprintf(o + n, cap - n, "%s\"%s\":{\"pkts\":%llu,\"bytes\":%llu}",
				      n ? "," : ",\"drops\":{", rn, (unsigned long long)dp,
				      (unsigned long long)db);
	}
	memcpy(l->drop_pkts, p, sizeof(p));
	memcpy(l->drop_bytes, b, sizeof(b));
	if (!n)
		return NULL;
	snprintf(o + n, cap - n, "}");
	return o;
}

static void on_notify(void *ctx)
{
	struct ft_flowlog *l = ctx;
	pthread_mutex_lock(&l->thr_mu);
	if (!l->pending) {
		l->pending = true;
		l->pending_since = ft__now_ns();
		pthread_cond_signal(&l->thr_cv);
	}
	pthread_mutex_unlock(&l->thr_mu);
}

static int set_prefixes(struct ft_prefix **dst, size_t *ndst, const struct ft_prefix *p, size_t n)
{
	struct ft_prefix *c = NULL;
	for (size_t i = 0; i < n; i++)
		if ((p[i].addr.len != 4 && p[i].addr.len != 16) || p[i].bits > p[i].addr.len * 8)
			return -EINVAL;
	if (n) {
		c = malloc(n * sizeof(*c));
		if (!c)
			return -ENOMEM;
		memcpy(c, p, n * sizeof(*c));
	}
	free(*dst);
	*dst = c;
	*ndst = n;
	return 0;
}

static void host_log(struct ft__sink_host *h, int level, const char *msg);
static void host_count(struct ft__sink_host *h, size_t field_off, uint64_t n);
static void host_http_error(struct ft__sink_host *h, int id, const char *text);

FT_EXPORT int ft_flowlog_new(struct ft_flowlog **out, struct ft_flows *tunnel,
			     struct ft_flows *physical)
{
	struct ft_flowlog *l = calloc(1, sizeof(*l));
	struct ft_prefix ov[2];

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->tables[0] = tunnel;
	l->host = (struct ft__sink_host){host_log, host_count, host_http_error};
	l->tables[1] = physical;
	l->interval_ms = FT_FLOWLOG_DEFAULT_INTERVAL_MS;
	l->node_id = strdup("");
	ft_prefix_parse("100.64.0.0/10", &ov[0]);
	ft_prefix_parse("fd7a:115c:a1e0::/48", &ov[1]);
	if (!l->node_id || set_prefixes(&l->overlay, &l->noverlay, ov, 2) < 0) {
		free(l->node_id);
		free(l);
		return -ENOMEM;
	}
	if (getrandom(&l->boot, sizeof(l->boot), 0) != sizeof(l->boot))
		l->boot = ft__now_ns() ^ ((uint64_t)(uintptr_t)l << 16);
	pthread_mutex_init(&l->cfg_mu, NULL);
	ft__peers_cell_init(&l->peers);
	ft__stale_init(&l->stale);
	pthread_mutex_init(&l->sink_mu, NULL);
	pthread_mutex_init(&l->flush_mu, NULL);
	pthread_mutex_init(&l->thr_mu, NULL);
	pthread_mutex_init(&l->log_mu, NULL);
	pthread_mutex_init(&l->stats_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->thr_cv, &ca);
	pthread_condattr_destroy(&ca);
	for (int i = 0; i < 2; i++)
		if (l->tables[i])
			ft_flows_set_notify(l->tables[i], on_notify, l);
	*out = l;
	return 0;
}

FT_EXPORT void ft_flowlog_free(struct ft_flowlog *l)
{
	if (!l)
		return;
	if (ft_flowlog_running(l))
		ft_flowlog_stop(l);
	for (int i = 0; i < 2; i++)
		if (l->tables[i])
			ft_flows_set_notify(l->tables[i], NULL, NULL);
	while (l->sinks) {
		struct ft__sink *s = l->sinks;
		l->sinks = s->next;
		s->close(s);
	}
	free(l->node_id);
	free(l->routes);
	free(l->overlay);
	ft_anon_free(l->anon);
	free(l->rb.buf);
	ft__peers_view_fini(&l->peers_view);
	ft__peers_cell_fini(&l->peers);
	ft__stale_fini(&l->stale);
	pthread_cond_destroy(&l->thr_cv);
	pthread_mutex_destroy(&l->cfg_mu);
	pthread_mutex_destroy(&l->sink_mu);
	pthread_mutex_destroy(&l->flush_mu);
	pthread_mutex_destroy(&l->thr_mu);
	pthread_mutex_destroy(&l->log_mu);
	pthread_mutex_destroy(&l->stats_mu);
	free(l);
}

FT_EXPORT void ft_flowlog_set_log(struct ft_flowlog *l, ft_flowlog_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&l->log_mu);
	l->log_fn = fn;
	l->log_ctx = ctx;
	pthread_mutex_unlock(&l->log_mu);
}

void ft__flowlog_logf(struct ft_flowlog *l, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	pthread_mutex_lock(&l->log_mu);
	if (l->log_fn) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		l->log_fn(l->log_ctx, level, msg);
	}
	pthread_mutex_unlock(&l->log_mu);
}

static void flowlog_count(struct ft_flowlog *l, size_t field_off, uint64_t n)
{
	pthread_mutex_lock(&l->stats_mu);
	*(uint64_t *)((char *)&l->stats + field_off) += n;
	pthread_mutex_unlock(&l->stats_mu);
}

FT_EXPORT void ft_flowlog_get_stats(struct ft_flowlog *l, struct ft_flowlog_stats *st)
{
	pthread_mutex_lock(&l->stats_mu);
	*st = l->stats;
	pthread_mutex_unlock(&l->stats_mu);
	for (int i = 0; i < 2; i++) {
		struct ft_flows_stats fs;
		if (!l->tables[i])
			continue;
		ft_flows_stats(l->tables[i], &fs);
		st->counter_overflow += fs.overflow;
		st->counter_collided += fs.collided;
	}
}

static void set_http_error(struct ft_flowlog *l, int id, const char *text)
{
	pthread_mutex_lock(&l->stats_mu);
	if (*text) {
		snprintf(l->http_err, sizeof(l->http_err), "%s", text);
		l->http_err_id = id;
	} else if (l->http_err_id == id) {
		l->http_err[0] = '\0';
		l->http_err_id = 0;
	}
	pthread_mutex_unlock(&l->stats_mu);
}

/* The sink host (sink.h): the sinks' way back, without calling in here. */
static struct ft_flowlog *of_host(struct ft__sink_host *h)
{
	return (struct ft_flowlog *)((char *)h - offsetof(struct ft_flowlog, host));
}

static void host_log(struct ft__sink_host *h, int level, const char *msg)
{
	ft__flowlog_logf(of_host(h), level, "%s", msg);
}

static void host_count(struct ft__sink_host *h, size_t field_off, uint64_t n)
{
	flowlog_count(of_host(h), field_off, n);
}

static void host_http_error(struct ft__sink_host *h, int id, const char *text)
{
	set_http_error(of_host(h), id, text);
}

FT_EXPORT size_t ft_flowlog_get_http_error(struct ft_flowlog *l, char *buf, size_t len)
{
	size_t n = 0;
	if (!len)
		return 0;
	pthread_mutex_lock(&l->stats_mu);
	n = strlen(l->http_err);
	n = n < len - 1 ? n : len - 1;
	memcpy(buf, l->http_err, n);
	buf[n] = '\0';
	pthread_mutex_unlock(&l->stats_mu);
	return n;
}

FT_EXPORT int ft_flowlog_set_peers(struct ft_flowlog *l, struct ft_peers *p)
{
	return ft__peers_cell_set(&l->peers, p);
}

FT_EXPORT int ft_flowlog_set_stale(struct ft_flowlog *l, const char *const *node_ids, size_t n)
{
	return ft__stale_set(&l->stale, node_ids, n);
}

FT_EXPORT int ft_flowlog_set_node_id(struct ft_flowlog *l, const char *node_id)
{
	json_t *probe;
	char *c;
	if (!node_id || strlen(node_id) > 255)
		return -EINVAL;
	/* jansson validates the UTF-8 that goes into every message. */
	probe = json_string(node_id);
	if (!probe)
		return -EINVAL;
	json_decref(probe);
	c = strdup(node_id);
	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&l->cfg_mu);
	free(l->node_id);
	l->node_id = c;
	pthread_mutex_unlock(&l->cfg_mu);
	return 0;
}

FT_EXPORT int ft_flowlog_set_interval(struct ft_flowlog *l, unsigned ms)
{
	if (ms < 100 || ms > 86400000u)
		return -EINVAL;
	pthread_mutex_lock(&l->cfg_mu);
	l->interval_ms = ms;
	pthread_mutex_unlock(&l->cfg_mu);
	return 0;
}

FT_EXPORT void ft_flowlog_set_log_exit_flows(struct ft_flowlog *l, bool on)
{
	pthread_mutex_lock(&l->cfg_mu);
	l->log_exit = on;
	pthread_mutex_unlock(&l->cfg_mu);
}

FT_EXPORT int ft_flowlog_set_routes(struct ft_flowlog *l, const struct ft_prefix *p, size_t n)
{
	pthread_mutex_lock(&l->cfg_mu);
	int ret = set_prefixes(&l->routes, &l->nroutes, p, n);
	pthread_mutex_unlock(&l->cfg_mu);
	return ret;
}

FT_EXPORT int ft_flowlog_add_route_str(struct ft_flowlog *l, const char *cidr)
{
	struct ft_prefix p;
	int ret = -ENOMEM;
	if (ft_prefix_parse(cidr, &p) < 0)
		return -EINVAL;
	pthread_mutex_lock(&l->cfg_mu);
	struct ft_prefix *n = realloc(l->routes, (l->nroutes + 1) * sizeof(*n));
	if (n) {
		n[l->nroutes++] = p;
		l->routes = n;
		ret = 0;
	}
	pthread_mutex_unlock(&l->cfg_mu);
	return ret;
}

FT_EXPORT int ft_flowlog_set_overlay(struct ft_flowlog *l, const struct ft_prefix *p, size_t n)
{
	pthread_mutex_lock(&l->cfg_mu);
	int ret = set_prefixes(&l->overlay, &l->noverlay, p, n);
	pthread_mutex_unlock(&l->cfg_mu);
	return ret;
}

static bool in_any(const struct ft_prefix *p, size_t n, const struct ft_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (ft_prefix_contains(&p[i], a))
			return true;
	return false;
}

/* Called with cfg_mu held. */
static enum ft_flow_class classify(struct ft_flowlog *l, const struct ft_flow_key *k)
{
	bool so = in_any(l->overlay, l->noverlay, &k->src);
	bool dov = in_any(l->overlay, l->noverlay, &k->dst);
	if (so && dov)
		return FT_FLOW_VIRTUAL;
	/* The remote end is dst; a route may also cover the local side when
	 * this node is the subnet router receiving from a peer. */
	if (in_any(l->routes, l->nroutes, &k->dst) ||
	    (dov && in_any(l->routes, l->nroutes, &k->src)))
		return FT_FLOW_SUBNET;
	return FT_FLOW_EXIT;
}

enum ft_flow_class ft__flowlog_classify(struct ft_flowlog *l, const struct ft_flow_key *k)
{
	pthread_mutex_lock(&l->cfg_mu);
	enum ft_flow_class c = classify(l, k);
	pthread_mutex_unlock(&l->cfg_mu);
	return c;
}

int ft_flowlog_set_anonymize(struct ft_flowlog *l, const uint8_t *key)
{
	struct ft_anon *a = NULL, *old;
	int ret = key ? ft_anon_new(&a, key) : 0;

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&l->cfg_mu);
	old = l->anon;
	l->anon = a;
	pthread_mutex_unlock(&l->cfg_mu);
	ft_anon_free(old);
	return 0;
}

/* Called with cfg_mu held: after classification, which needs the real
 * addresses. An aggregated exit entry's cleared address stays absent. */
static void map_key(struct ft_flowlog *l, struct ft_flow_key *k)
{
	if (!l->anon)
		return;
	ft_anon_addr(l->anon, &k->src);
	ft_anon_addr(l->anon, &k->dst);
}

/* Ports and non-overlay addresses are removed from an exit entry so that
 * all exit traffic of one local address and protocol merges into one. */
static void anonymize(struct ft_flowlog *l, struct ft_flow_key *k)
{
	k->sport = k->dport = 0;
	if (!in_any(l->overlay, l->noverlay, &k->src))
		memset(&k->src, 0, sizeof(k->src));
	if (!in_any(l->overlay, l->noverlay, &k->dst))
		memset(&k->dst, 0, sizeof(k->dst));
}

static int cmp_ent(const void *a, const void *b)
{
	const struct ft__flowent *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls - y->cls;
	return memcmp(&x->s.key, &y->s.key, sizeof(x->s.key));
}

static void add_counts(struct ft_flow_counts *d, const struct ft_flow_counts *s)
{
	d->tx_pkts += s->tx_pkts;
	d->tx_bytes += s->tx_bytes;
	d->rx_pkts += s->rx_pkts;
	d->rx_bytes += s->rx_bytes;
	ft__flow_counts_add_drops(d, s);
}

/* Builds the classified, sorted, merged entries of one window. */
static int collect(struct ft_flowlog *l, struct ft__flowent **out, size_t *nout)
{
	struct ft_flow_stat *st[2] = {NULL, NULL};
	size_t n[2] = {0, 0};
	struct ft__flowent *e = NULL;
	size_t ne = 0;
	int ret = -ENOMEM;

	for (int i = 0; i < 2; i++)
		if (l->tables[i] && ft_flows_extract(l->tables[i], &st[i], &n[i]) < 0)
			goto out;
	if (n[0] + n[1]) {
		e = malloc((n[0] + n[1]) * sizeof(*e));
		if (!e)
			goto out; /* the extracted counts are lost; reported as -ENOMEM */
	}
	pthread_mutex_lock(&l->cfg_mu);
	for (size_t i = 0; i < n[0]; i++) {
		struct ft__flowent *x = &e[ne++];
		memset(x, 0, sizeof(*x));
		x->s = st[0][i];
		x->cls = (uint8_t)classify(l, &x->s.key);
		if (x->cls == FT_FLOW_EXIT && !l->log_exit)
			anonymize(l, &x->s.key);
		map_key(l, &x->s.key);
	}
	for (size_t i = 0; i < n[1]; i++) {
		struct ft__flowent *x = &e[ne++];
		memset(x, 0, sizeof(*x));
		x->s = st[1][i];
		x->cls = FT_FLOW_PHYSICAL;
		map_key(l, &x->s.key);
	}
	pthread_mutex_unlock(&l->cfg_mu);
	if (ne)
		qsort(e, ne, sizeof(*e), cmp_ent);
	/* Merge equal keys (anonymized exit entries). */
	size_t w = 0;
	for (size_t i = 0; i < ne; i++) {
		if (w && !cmp_ent(&e[w - 1], &e[i]))
			add_counts(&e[w - 1].s.c, &e[i].s.c);
		else
			e[w++] = e[i];
	}
	*out = e;
	*nout = w;
	e = NULL;
	ret = 0;
out:
	free(e);
	free(st[0]);
	free(st[1]);
	return ret;
}

/* What the message builder's callbacks share during one flush. */
struct emit_ctx {
	struct ft_flowlog *l;
	const struct ft__window *w;
	size_t pos;	       /* first entry of the next message */
	char id[160];	       /* the current message's id */
	char *node_esc;	       /* for records */
	bool records;	       /* some sink wants records */
	struct ft__recbuf *rb; /* the logger's, reused: no fresh mapping per window */
	int err;
};

static void next_id(void *ctx, char *buf, size_t len)
{
	struct emit_ctx *e = ctx;
	snprintf(buf, len, "%016llx-%llu", (unsigned long long)e->l->boot,
		 (unsigned long long)++e->l->seq);
	snprintf(e->id, sizeof(e->id), "%s", buf);
}

/* Called with sink_mu held, once per message: the message to the messages
 * sinks, its entries as records to the records sinks. */
static void emit_json(void *ctx, const char *json, size_t len, size_t nents)
{
	struct emit_ctx *e = ctx;
	struct ft__sink *s;
	for (s = e->l->sinks; s; s = s->next)
		if (s->emit_json && s->format == FT_FLOW_FORMAT_MESSAGES)
			s->emit_json(s, json, len);
	if (e->records) {
		int r = ft__records_build(e->rb, e->w, e->pos, nents, e->id, e->node_esc);
		for (s = e->l->sinks; s && !r; s = s->next)
			if (s->emit_json && s->format == FT_FLOW_FORMAT_RECORDS)
				s->emit_json(s, e->rb->buf, e->rb->len);
		if (r)
			e->err = r;
	}
	e->pos += nents;
}

/* Builds and delivers the messages (and records) of @w; sink_mu held. */
static int emit_window(struct ft_flowlog *l, const struct ft__window *w, const char *node)
{
	struct emit_ctx e = {.l = l, .w = w, .rb = &l->rb};
	int ret;
	for (struct ft__sink *s = l->sinks; s; s = s->next)
		e.records |= s->emit_json && s->format == FT_FLOW_FORMAT_RECORDS;
	if (e.records) {
		if (!(e.node_esc = malloc(strlen(node) * 6 + 1)))
			return -ENOMEM;
		ft__json_escape(node, e.node_esc);
	}
	ret = ft__msg_build(w, node, FT_FLOWLOG_MAX_MSG, next_id, emit_json, &e);
	/* Kept for the next window (a fresh multi-megabyte mapping per window
	 * cost as much as the formatting), unless a long node id made it big. */
	if (l->rb.cap > (4u << 20)) {
		free(l->rb.buf);
		memset(&l->rb, 0, sizeof(l->rb));
	}
	if (ret >= 0 && e.err)
		ft__flowlog_logf(l, LOG_ERR, "flow log: out of memory, records were lost");
	free(e.node_esc);
	return ret;
}

FT_EXPORT int ft_flowlog_flush(struct ft_flowlog *l, uint64_t start_ns, uint64_t end_ns)
{
	struct ft__flowent *e = NULL;
	size_t n = 0;
	char *node = NULL;
	int ret;

	pthread_mutex_lock(&l->flush_mu);
	ret = collect(l, &e, &n);
	if (ret < 0 || !n)
		goto out;
	pthread_mutex_lock(&l->cfg_mu);
	node = strdup(l->node_id);
	bool anon = l->anon != NULL;
	pthread_mutex_unlock(&l->cfg_mu);
	if (!node) {
		ret = -ENOMEM;
		goto out;
	}
	struct ft__window w = {.start_ns = start_ns, .end_ns = end_ns, .ents = e, .n = n};
	/* The table in force now names this window's nodes (lock-free). An
	 * anonymized log names none: the nodes' names and real addresses
	 * would undo the mapping. */
	w.peers = ft__peers_view_sync(&l->peers_view, &l->peers);
	w.drops_json = drops_json(l);
	char *stale = ft__stale_take(&l->stale);
	w.stale_json = anon ? NULL : stale; /* node ids are names too */
	if (anon)
		w.peers = NULL;
	pthread_mutex_lock(&l->sink_mu);
	ret = emit_window(l, &w, node);
	for (struct ft__sink *s = l->sinks; s && ret >= 0; s = s->next)
		if (s->emit_window)
			s->emit_window(s, &w);
	pthread_mutex_unlock(&l->sink_mu);
	if (ret > 0) {
		flowlog_count(l, offsetof(struct ft_flowlog_stats, messages), (uint64_t)ret);
		flowlog_count(l, offsetof(struct ft_flowlog_stats, conns), n);
	}
	free(stale);
out:
	pthread_mutex_unlock(&l->flush_mu);
	free(node);
	free(e);
	return ret;
}

int ft__flowlog_add_sink(struct ft_flowlog *l, struct ft__sink *s)
{
	pthread_mutex_lock(&l->sink_mu);
	s->id = ++l->next_sink_id;
	s->host = &l->host;
	/* Appended: sinks see messages in the order they were added. */
	struct ft__sink **pp = &l->sinks;
	while (*pp)
		pp = &(*pp)->next;
	s->next = NULL;
	*pp = s;
	int id = s->id;
	pthread_mutex_unlock(&l->sink_mu);
	if (s->start) {
		int r = s->start(s);
		if (r < 0) {
			ft_flowlog_remove_sink(l, id);
			return r;
		}
	}
	return id;
}

static void fn_emit(struct ft__sink *s, const char *json, size_t len)
{
	struct sink_fn *f = (struct sink_fn *)s;
	f->fn(f->ctx, json, len);
}

static void fn_close(struct ft__sink *s)
{
	free(s);
}

FT_EXPORT int ft_flowlog_add_sink_fn(struct ft_flowlog *l, ft_flowlog_sink_fn fn, void *ctx)
{
	struct sink_fn *s;
	if (!fn)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.emit_json = fn_emit;
	s->base.close = fn_close;
	s->fn = fn;
	s->ctx = ctx;
	return ft__flowlog_add_sink(l, &s->base);
}

FT_EXPORT int ft_flowlog_set_sink_format(struct ft_flowlog *l, int id, enum ft_flow_format fmt)
{
	int ret = -ENOENT;
	if (fmt != FT_FLOW_FORMAT_MESSAGES && fmt != FT_FLOW_FORMAT_RECORDS)
		return -EINVAL;
	pthread_mutex_lock(&l->sink_mu);
	for (struct ft__sink *s = l->sinks; s; s = s->next) {
		if (s->id != id)
			continue;
		ret = -EINVAL;
		if (!s->emit_json)
			break;
		s->format = (uint8_t)fmt;
		if (s->set_format)
			s->set_format(s, fmt);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&l->sink_mu);
	return ret;
}

FT_EXPORT int ft_flowlog_remove_sink(struct ft_flowlog *l, int id)
{
	struct ft__sink *s = NULL;
	pthread_mutex_lock(&l->sink_mu);
	for (struct ft__sink **pp = &l->sinks; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			s = *pp;
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&l->sink_mu);
	if (!s)
		return -ENOENT;
	s->close(s);
	return 0;
}

#define ADD_SINK(l, ctor)                                                                          \
	do {                                                                                       \
		struct ft__sink *s_;                                                               \
		int r_ = (ctor);                                                                   \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
		return ft__flowlog_add_sink((l), s_);                                              \
	} while (0)

FT_EXPORT int ft_flowlog_add_sink_file(struct ft_flowlog *l, const char *path)
{
	ADD_SINK(l, ft__sink_file_new(&s_, path));
}

FT_EXPORT int ft_flowlog_add_sink_http(struct ft_flowlog *l, const char *url, const char *spool_dir,
				       const struct ft_http_sink_opts *opts)
{
	ADD_SINK(l, ft__sink_http_new(&s_, url, spool_dir, opts));
}

FT_EXPORT int ft_flowlog_add_sink_ipfix(struct ft_flowlog *l, const char *hostport)
{
	ADD_SINK(l, ft__sink_ipfix_new(&s_, hostport, NULL));
}

FT_EXPORT int ft_flowlog_add_sink_ipfix_opts(struct ft_flowlog *l, const char *hostport,
					     const struct ft_ipfix_sink_opts *o)
{
	ADD_SINK(l, ft__sink_ipfix_new(&s_, hostport, o));
}

/* ---- the interval thread ---- */

static void *thread_main(void *arg)
{
	struct ft_flowlog *l = arg;
	uint64_t start = 0;
	bool continuous = false;

	pthread_mutex_lock(&l->thr_mu);
	for (;;) {
		while (!l->pending && !l->stop_req)
			pthread_cond_wait(&l->thr_cv, &l->thr_mu);
		if (l->stop_req)
			break;
		if (!continuous)
			start = l->pending_since;
		l->pending = false;
		pthread_mutex_lock(&l->cfg_mu);
		unsigned ms = l->interval_ms;
		pthread_mutex_unlock(&l->cfg_mu);
		struct timespec dl = ft__mono_deadline(ms);
		int rc = 0;
		while (!l->stop_req && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&l->thr_cv, &l->thr_mu, &dl);
		pthread_mutex_unlock(&l->thr_mu);
		uint64_t end = ft__now_ns();
		if (ft_flowlog_flush(l, start, end) < 0)
			ft__flowlog_logf(l, LOG_ERR,
					 "flow log: out of memory, an interval was lost");
		start = end;
		pthread_mutex_lock(&l->thr_mu);
		/* Traffic during the interval re-armed pending: the next window
		 * starts where this one ended. */
		continuous = l->pending;
	}
	if (!continuous)
		start = l->pending ? l->pending_since : ft__now_ns();
	pthread_mutex_unlock(&l->thr_mu);
	uint64_t end = ft__now_ns();
	if (ft_flowlog_flush(l, start, end) < 0)
		ft__flowlog_logf(l, LOG_ERR, "flow log: out of memory, the last interval was lost");
	return NULL;
}

FT_EXPORT int ft_flowlog_start(struct ft_flowlog *l)
{
	int ret = 0;
	pthread_mutex_lock(&l->thr_mu);
	if (l->running) {
		ret = FT_ERUNNING;
		goto out;
	}
	l->stop_req = false;
	/* Counts made before the start are logged in the first interval. */
	l->pending = true;
	l->pending_since = ft__now_ns();
	ret = ft__thread_start(&l->thr, thread_main, l);
	if (!ret)
		l->running = true;
out:
	pthread_mutex_unlock(&l->thr_mu);
	return ret;
}

FT_EXPORT int ft_flowlog_stop(struct ft_flowlog *l)
{
	pthread_mutex_lock(&l->thr_mu);
	if (!l->running) {
		pthread_mutex_unlock(&l->thr_mu);
		return FT_ESTOPPED;
	}
	l->stop_req = true;
	pthread_cond_signal(&l->thr_cv);
	pthread_mutex_unlock(&l->thr_mu);
	pthread_join(l->thr, NULL);
	pthread_mutex_lock(&l->thr_mu);
	l->running = false;
	pthread_mutex_unlock(&l->thr_mu);
	return 0;
}

FT_EXPORT bool ft_flowlog_running(struct ft_flowlog *l)
{
	pthread_mutex_lock(&l->thr_mu);
	bool r = l->running;
	pthread_mutex_unlock(&l->thr_mu);
	return r;
}
