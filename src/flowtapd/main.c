/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtapd - capture and flow logs for kernel datapaths.
 *
 * Hosts one tap per kernel source (AF_PACKET interfaces, NFLOG groups,
 * psample groups), the local API through which `flowtap capture`, `flows`
 * and `status` reach them, and a flow logger fed by the same sources.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include <flowtap/anon.h>
#include <flowtap/api.h>
#include <flowtap/capture.h>
#include <flowtap/flows.h>
#include <flowtap/peers.h>
#include <flowtap/metrics.h>
#include <flowtap/sources.h>

#include "flowtapd.h"
#include "kdrops.h"
#include "parse_num.h"
#include "wg_watch.h"
#include "thread.h"
#include "url.h"

#define MAX_SOURCES (3 * FTD_MAX_LIST)
#define MAX_SINKS   (3 * FTD_MAX_LIST)

/* A flow-log sink flowtapd added, as its configuration named it. */
struct sink_ref {
	int id;
	enum { SK_FILE, SK_HTTP, SK_IPFIX } kind;
	char *target; /* path, URL or HOST:PORT (owned) */
	char *spool;  /* HTTP: the spool directory or NULL (owned) */
	int format;   /* enum ft_flow_format */
};

/* A --write TAP=FILE capture. Owns its strings: the configuration they came
 * from is replaced by a reload. error and ended are written by the session
 * thread (on_end) and read by status: atomics. */
struct write_ref {
	char *tap;
	char *file;
	int fd;
	struct ft_session *sess;
	atomic_int error;
	atomic_bool ended;
};

struct daemon {
	struct ftd_config cmd; /* from the command line */
	struct ftd_config cfg; /* file + command line */
	const char *config_path;
	bool config_required;
	bool anon;			   /* --anonymize: */
	uint8_t anon_key[FT_ANON_KEY_LEN]; /* its key, read once at start */
	struct event_base *base;
	struct ft_api *api;
	struct ft_source *src[MAX_SOURCES];
	int nsrc;
	struct ft_kdrops *kdrops;      /* --drops, NULL if not asked for */
	struct ftd_triggers *triggers; /* --trigger-dir, NULL if not asked for */
	struct ft_flows *flows;
	struct ft_flows *phys; /* socket-layer traffic: WireGuard peers' counters */
	struct ft_flowlog *log;
	struct ft_peers *peers;	     /* --peers, loaded at start and on SIGHUP */
	_Atomic(struct ftd_wg *) wg; /* set after the sources start */
	struct sink_ref sinks[MAX_SINKS];
	int nsinks;
	struct write_ref writes[FTD_MAX_LIST];
	int nwrites;
	bool counting;
	bool stopping; /* SIGTERM or SIGINT seen (loop thread) */
	int removing;  /* taps whose streams are still ending, +1 while starting */
	/* SIGHUP: the loop only asks; the reload thread does the work (closing
	 * an HTTP sink can wait for a POST to time out), so status and captures
	 * are served meanwhile. d->cfg and d->sinks belong to that thread once
	 * it runs, and to the main thread again after it was joined. */
	pthread_t reload_thr;
	bool reload_started;
	pthread_mutex_t reload_mu;
	pthread_cond_t reload_cv;
	bool reload_req, reload_stop;
};

static const struct option long_opts[] = {
    {"socket", required_argument, NULL, 0},
    {"group", required_argument, NULL, 0},
    {"interface", required_argument, NULL, 'i'},
    {"nflog", required_argument, NULL, 0},
    {"psample", required_argument, NULL, 0},
    {"flow-log", required_argument, NULL, 0},
    {"url", required_argument, NULL, 0},
    {"ipfix", required_argument, NULL, 0},
    {"ipfix-rate", required_argument, NULL, 0},
    {"route", required_argument, NULL, 0},
    {"overlay", required_argument, NULL, 0},
    {"write", required_argument, NULL, 'w'},
    {"spool-dir", required_argument, NULL, 0},
    {"flow-format", required_argument, NULL, 0},
    {"spool", required_argument, NULL, 0},
    {"metrics-listen", required_argument, NULL, 0},
    {"anonymize", required_argument, NULL, 0},
    {"recorder", required_argument, NULL, 0},
    {"recorder-snaplen", required_argument, NULL, 0},
    {"trigger", required_argument, NULL, 0},
    {"trigger-drop", required_argument, NULL, 0},
    {"trigger-dir", required_argument, NULL, 0},
    {"trigger-after", required_argument, NULL, 0},
    {"trigger-before", required_argument, NULL, 0},
    {"trigger-keep", required_argument, NULL, 0},
    {"node-id", required_argument, NULL, 0},
    {"peers", required_argument, NULL, 0},
    {"user", required_argument, NULL, 0},
    {"buffer-size", required_argument, NULL, 'B'},
    {"interval", required_argument, NULL, 0},
    {"flow-interval", required_argument, NULL, 0},
    {"wg-stale", required_argument, NULL, 0},
    {"syslog", no_argument, NULL, 0},
    {"flows", no_argument, NULL, 0},
    {"log-exit-flows", no_argument, NULL, 0},
    {"drops", no_argument, NULL, 0},
    {"drops-netns", required_argument, NULL, 0},
    {"drops-interface", required_argument, NULL, 0},
    {"drops-snaplen", required_argument, NULL, 0},
    {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flowtapd [--socket PATH] [--interface IF]... [--nflog GROUP]...\n"
		"                [--psample GROUP]... [--flow-log FILE|-] [--url URL]\n"
		"                [--ipfix HOST:PORT] [--ipfix-rate N] [--config FILE]\n"
		"                [--route CIDR]... [--overlay CIDR]...\n"
		"                [--node-id ID] [--buffer-size BYTES] [--flow-interval SECONDS]\n"
		"                [--flows] [--log-exit-flows] [--spool-dir DIR] [--group GROUP]\n"
		"                [--syslog] [--user USER] [--write TAP=FILE]...\n"
		"                [--flow-format records|messages]\n"
		"                [--metrics-listen [ADDR:]PORT]\n"
		"                [--drops] [--drops-netns NS]... [--drops-interface IF]...\n"
		"                [--drops-snaplen BYTES] [--anonymize KEYFILE]\n"
		"                [--peers FILE] [--recorder SECONDS[,SIZE]]\n"
		"                [--recorder-snaplen BYTES] [--trigger-dir DIR]\n"
		"                [--trigger EXPR] [--trigger-drop any|REASON[,...]]\n"
		"                [--trigger-after TIME] [--trigger-before TIME]\n"
		"                [--trigger-keep FILES[,SIZE]]\n"
		"                [--wg-stale SECONDS]\n"
		"Capture and flow logs for kernel datapaths; see flowtapd(8).\n");
}

static int parse_args(struct daemon *d, int argc, char **argv)
{
	char err[512];
	int c, idx;

	while ((c = getopt_long(argc, argv, "i:B:c:w:hV", long_opts, &idx)) != -1) {
		const char *name;
		switch (c) {
		case 0:
			name = long_opts[idx].name;
			break;
		case 'i':
			name = "interface";
			break;
		case 'B':
			name = "buffer-size";
			break;
		case 'w':
			name = "write";
			break;
		case 'c':
			d->config_path = optarg;
			d->config_required = true;
			continue;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("flowtapd %s\n", FT_VERSION_STRING);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (ftd_config_set(&d->cmd, name, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "flowtapd: %s\n", err);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtapd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Build file + command line into @out. Returns 0 or -1 (@err). */
static int load_config(struct daemon *d, struct ftd_config *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (d->config_required || access(d->config_path, F_OK) == 0) {
		if (ftd_config_load(out, d->config_path, err, errlen) < 0)
			goto fail;
	}
	if (ftd_config_merge(out, &d->cmd, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	ftd_config_free(out);
	return -1;
}

static void count_packet(void *ctx, const struct ft_source_pkt *p)
{
	struct daemon *d = ctx;
	struct ft_flow_key k;
	uint32_t bytes;

	if (ft_flows_key_from_ip(&k, &bytes, p->ip, p->caplen, (enum ft_dir)p->dir) < 0)
		return;
	/* A WireGuard peer's encrypted datagrams on a captured underlay are
	 * its physical traffic, counted from WireGuard's own counters. */
	if (ftd_wg_is_underlay(atomic_load_explicit(&d->wg, memory_order_acquire), &k))
		return;
	ft_flows_add(d->flows, &k, (enum ft_dir)p->dir, p->scale, (uint64_t)bytes * p->scale);
}

static int add_source(struct daemon *d, enum ft_source_kind kind, const char *arg)
{
	struct ft_source_opts o;
	char err[512];
	int ret;

	ft_source_opts_init(&o);
	o.kind = kind;
	if (kind == FT_SOURCE_AFPACKET) {
		o.ifname = arg;
	} else {
		uint64_t g;
		if (ft__parse_u64(arg, 65535, &g) < 0) {
			ftd_log(LOG_ERR, "bad %s group '%s': expected a number 0-65535",
				ft_source_kind_name(kind), arg);
			return -EINVAL;
		}
		o.group = (unsigned)g;
	}
	o.buffer_size = d->cfg.buffer_size;
	if (d->counting) {
		o.on_packet = count_packet;
		o.on_packet_ctx = d;
	}
	ret = ft_source_new(&d->src[d->nsrc], &o, err, sizeof(err));
	if (ret < 0) {
		ftd_log(LOG_ERR, "cannot capture from %s %s: %s",
			kind == FT_SOURCE_AFPACKET ? "interface"
			: kind == FT_SOURCE_NFLOG  ? "NFLOG group"
						   : "psample group",
			arg, err);
		return -1;
	}
	d->nsrc++;
	return 0;
}

static int open_sources(struct daemon *d)
{
	const struct ftd_config *c = &d->cfg;

	if (c->interfaces.n + c->nflog.n + c->psample.n == 0 && !d->kdrops) {
		ftd_log(LOG_ERR,
			"nothing to capture: give --interface, --nflog, --psample or --drops");
		return -1;
	}
	for (int i = 0; i < c->interfaces.n; i++)
		if (add_source(d, FT_SOURCE_AFPACKET, c->interfaces.v[i]) < 0)
			return -1;
	for (int i = 0; i < c->nflog.n; i++)
		if (add_source(d, FT_SOURCE_NFLOG, c->nflog.v[i]) < 0)
			return -1;
	for (int i = 0; i < c->psample.n; i++)
		if (add_source(d, FT_SOURCE_PSAMPLE, c->psample.v[i]) < 0)
			return -1;
	return 0;
}

/* The library's messages already say "flow log: ...". */
static void flowlog_notice(void *ctx, int level, const char *msg)
{
	ftd_log(level, "%s", msg);
}

static bool same_id(const struct daemon *d, int id)
{
	for (int j = 0; j < d->nsinks; j++)
		if (d->sinks[j].id == id)
			return true;
	return false;
}

static const char *sink_kind_name(int kind)
{
	return kind == SK_FILE ? "file" : kind == SK_HTTP ? "URL" : "IPFIX collector";
}

static void sink_ref_free(struct sink_ref *r)
{
	if (r->kind == SK_HTTP && r->target)
		explicit_bzero(r->target, strlen(r->target)); /* may hold a password */
	free(r->target);
	free(r->spool);
	memset(r, 0, sizeof(*r));
}

/* A sink's target for the log: a URL without its user and password. */
static const char *shown(const struct sink_ref *r, char *buf, size_t len)
{
	return r->kind == SK_HTTP ? ft__url_redact(buf, len, r->target) : r->target;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The sinks @c asks for, in order, without ids yet. Returns the count or -1. */
static int wanted_sinks(const struct ftd_config *c, struct sink_ref *w)
{
	enum ft_flow_format ff = FT_FLOW_FORMAT_MESSAGES;
	int n = 0;
	if (c->flow_format)
		ft_flow_format_parse(c->flow_format, &ff); /* validated by the parser */
	for (int i = 0; i < c->flow_log.n; i++)
		w[n++] = (struct sink_ref){-1, SK_FILE, strdup(c->flow_log.v[i]), NULL, ff};
	for (int i = 0; i < c->url.n; i++)
		w[n++] = (struct sink_ref){-1, SK_HTTP, strdup(c->url.v[i]),
					   c->spool_dir ? strdup(c->spool_dir) : NULL, ff};
	for (int i = 0; i < c->ipfix.n; i++)
		w[n++] = (struct sink_ref){-1, SK_IPFIX, strdup(c->ipfix.v[i]), NULL, 0};
	for (int i = 0; i < n; i++)
		if (!w[i].target || (w[i].kind == SK_HTTP && c->spool_dir && !w[i].spool)) {
			while (n > 0)
				sink_ref_free(&w[--n]);
			return -1;
		}
	return n;
}

static int add_sink(struct daemon *d, const struct ftd_config *c, struct sink_ref *r)
{
	struct ft_ipfix_sink_opts io;
	struct ft_http_sink_opts ho = {.format = (enum ft_flow_format)r->format};
	int id;
	switch (r->kind) {
	case SK_FILE:
		id = ft_flowlog_add_sink_file(d->log, r->target);
		if (id >= 0)
			ft_flowlog_set_sink_format(d->log, id, (enum ft_flow_format)r->format);
		return id;
	case SK_HTTP:
		return ft_flowlog_add_sink_http(d->log, r->target, r->spool, &ho);
	default:
		ft_ipfix_sink_opts_init(&io);
		if (c->ipfix_rate)
			io.rate = c->ipfix_rate - 1;
		return ft_flowlog_add_sink_ipfix_opts(d->log, r->target, &io);
	}
}

/* Whether running sink @old holds a spool that new sink @w needs. */
static bool holds_spool(const struct sink_ref *old, const struct sink_ref *w)
{
	return old->kind == SK_HTTP && w->kind == SK_HTTP && old->spool &&
	       same_str(old->spool, w->spool);
}

/*
 * Routes and sinks from @c. HTTP sinks whose URL and spool are unchanged are
 * kept as they run (their queue and spool untouched); files and IPFIX
 * collectors are opened anew (so a reload reopens rotated files). A new HTTP
 * sink that takes over the spool of one being removed is added after that
 * one let go of it (its files stay on disk and are sent by the new sink).
 * Everything else new is added before anything old is removed: on an error
 * there, nothing changes. Logs what changed. Returns 0 or -1.
 */
static int apply_flow_config(struct daemon *d, const struct ftd_config *c)
{
	struct ft_prefix routes[FTD_MAX_LIST], overlay[FTD_MAX_LIST];
	struct sink_ref w[MAX_SINKS];
	bool keep[MAX_SINKS] = {false}, later[MAX_SINKS] = {false};
	int n, added = 0, removed = 0, kept = 0, failed = 0;
	char sb[512];

	for (int i = 0; i < c->overlay.n; i++)
		if (ft_prefix_parse(c->overlay.v[i], &overlay[i]) < 0) {
			ftd_log(LOG_ERR, "bad overlay '%s' (want ADDR/BITS)", c->overlay.v[i]);
			return -1;
		}

	for (int i = 0; i < c->routes.n; i++)
		if (ft_prefix_parse(c->routes.v[i], &routes[i]) < 0) {
			ftd_log(LOG_ERR, "bad route '%s' (want ADDR/BITS)", c->routes.v[i]);
			return -1;
		}
	if ((n = wanted_sinks(c, w)) < 0) {
		ftd_log(LOG_ERR, "cannot apply the flow log configuration: out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < d->nsinks; j++)
			if (!keep[j] && w[i].kind == SK_HTTP && d->sinks[j].kind == SK_HTTP &&
			    same_str(w[i].target, d->sinks[j].target) &&
			    same_str(w[i].spool, d->sinks[j].spool) &&
			    w[i].format == d->sinks[j].format) {
				keep[j] = true;
				w[i].id = d->sinks[j].id;
				break;
			}
		if (w[i].id >= 0)
			continue;
		for (int j = 0; j < d->nsinks; j++)
			if (!keep[j] && holds_spool(&d->sinks[j], &w[i]))
				later[i] = true;
		if (later[i])
			continue;
		if ((w[i].id = add_sink(d, c, &w[i])) < 0) {
			ftd_log(LOG_ERR, "cannot add flow log %s '%s': %s",
				sink_kind_name(w[i].kind), shown(&w[i], sb, sizeof(sb)),
				ft_strerror(w[i].id));
			goto undo;
		}
	}
	if (ft_flowlog_set_routes(d->log, routes, (size_t)c->routes.n) < 0) {
		ftd_log(LOG_ERR, "cannot apply the routes: out of memory");
		goto undo;
	}
	if (c->overlay.n && ft_flowlog_set_overlay(d->log, overlay, (size_t)c->overlay.n) < 0)
		ftd_log(LOG_ERR, "cannot set the overlay ranges: out of memory");
	ftd_wg_set_routes(atomic_load(&d->wg), routes, (size_t)c->routes.n);
	for (int j = 0; j < d->nsinks; j++) {
		if (keep[j]) {
			kept++;
			continue;
		}
		ft_flowlog_remove_sink(d->log, d->sinks[j].id);
		if (d->reload_started)
			ftd_log(LOG_INFO, "flow log %s '%s' removed",
				sink_kind_name(d->sinks[j].kind),
				shown(&d->sinks[j], sb, sizeof(sb)));
		removed++;
	}
	for (int i = 0; i < n; i++) {
		if (later[i] && (w[i].id = add_sink(d, c, &w[i])) < 0) {
			ftd_log(LOG_ERR,
				"cannot add flow log URL '%s' after its spool '%s' was released: "
				"%s; its messages stay in the spool",
				shown(&w[i], sb, sizeof(sb)), w[i].spool, ft_strerror(w[i].id));
			failed++;
			continue;
		}
		if (d->reload_started && (later[i] || !same_id(d, w[i].id)))
			ftd_log(LOG_INFO, "flow log %s '%s' added%s%s", sink_kind_name(w[i].kind),
				shown(&w[i], sb, sizeof(sb)), w[i].spool ? " with spool " : "",
				w[i].spool ? w[i].spool : "");
		added += later[i] || !same_id(d, w[i].id);
	}
	for (int j = 0; j < d->nsinks; j++)
		sink_ref_free(&d->sinks[j]);
	d->nsinks = 0;
	for (int i = 0; i < n; i++)
		if (w[i].id >= 0)
			d->sinks[d->nsinks++] = w[i];
		else
			sink_ref_free(&w[i]);
	if (d->reload_started)
		ftd_log(LOG_INFO,
			"reloaded: %d routes, %d flow log sinks (%d kept, %d added, %d removed%s)",
			c->routes.n, d->nsinks, kept, added, removed,
			failed ? ", some failed" : "");
	return 0;
undo:
	for (int i = 0; i < n; i++) {
		bool old = false;
		for (int j = 0; j < d->nsinks; j++)
			old |= keep[j] && d->sinks[j].id == w[i].id;
		if (w[i].id >= 0 && !old)
			ft_flowlog_remove_sink(d->log, w[i].id);
		sink_ref_free(&w[i]);
	}
	return -1;
}

static int setup_flows(struct daemon *d)
{
	const struct ftd_config *c = &d->cfg;

	d->counting = c->flows || c->flow_log.n || c->url.n || c->ipfix.n;
	if (ft_flows_new(&d->flows, 0) < 0 || ft_flows_new(&d->phys, 0) < 0 ||
	    ft_flowlog_new(&d->log, d->flows, d->phys) < 0) {
		ftd_log(LOG_ERR, "cannot create the flow logger: out of memory");
		return -1;
	}
	ft_flowlog_set_log(d->log, flowlog_notice, d);
	if (c->node_id && ft_flowlog_set_node_id(d->log, c->node_id) < 0) {
		ftd_log(LOG_ERR, "bad node id '%s' (at most 255 bytes)", c->node_id);
		return -1;
	}
	if (c->interval_ms)
		ft_flowlog_set_interval(d->log, c->interval_ms);
	ft_flowlog_set_log_exit_flows(d->log, c->log_exit_flows);
	if (d->anon && ft_flowlog_set_anonymize(d->log, d->anon_key) < 0) {
		ftd_log(LOG_ERR, "cannot set up --anonymize (libcrypto)");
		return -1;
	}
	return apply_flow_config(d, c);
}

/* The --write capture of @tap as JSON, or NULL. */
static json_t *write_status(struct daemon *d, const char *tap)
{
	for (int i = 0; i < d->nwrites; i++) {
		struct write_ref *w = &d->writes[i];
		struct ft_session_stats st = {0};
		if (strcmp(w->tap, tap))
			continue;
		if (w->sess)
			ft_session_get_stats(w->sess, &st);
		int err = atomic_load(&w->error);
		return json_pack("{s:s,s:b,s:I,s:I,s:s}", "file", w->file, "running",
				 w->sess && !atomic_load(&w->ended), "packets",
				 (json_int_t)st.written, "dropped", (json_int_t)st.dropped, "error",
				 err ? ft_strerror(err) : "");
	}
	return NULL;
}

static char *sources_status(void *ctx)
{
	struct daemon *d = ctx;
	json_t *a = json_array();
	char *text;

	for (int i = 0; i < d->nsrc; i++) {
		struct ft_source_stats st;
		const char *tap = ft_tap_name(ft_source_tap(d->src[i]));
		ft_source_get_stats(d->src[i], &st);
		json_t *o = json_pack(
		    "{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "tap", tap, "kind",
		    ft_source_kind_name(st.kind), "open", st.open, "received",
		    (json_int_t)st.received, "bytes", (json_int_t)st.bytes, "kernel_drops",
		    (json_int_t)st.kernel_drops, "seq_gaps", (json_int_t)st.seq_gaps, "skipped",
		    (json_int_t)st.skipped, "opens", (json_int_t)st.opens, "kernel_filter",
		    st.kernel_filter, "error", st.error);
		json_t *w = write_status(d, tap);
		if (o && w)
			json_object_set_new(o, "write", w);
		json_array_append_new(a, o);
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* flowtap_source_* for GET /metrics: kernel drops above all. */
static void sources_metrics(void *ctx, struct ft_metrics *m)
{
	struct daemon *d = ctx;

	ft_metrics_sources(m, d->src, d->nsrc);
	ftd_wg_metrics(atomic_load(&d->wg), m);
}

static int open_api(struct daemon *d)
{
	struct ft_api_opts o;
	char err[512];
	int ret;

	ft_api_opts_init(&o);
	o.socket_path = d->cfg.socket;
	o.group = d->cfg.group;
	/* Kernel sources deliver bursts at line rate: give each capture client
	 * a buffer the size of the kernel ring rather than the 4 MiB default. */
	o.session_bufsize = d->cfg.buffer_size ? d->cfg.buffer_size : 32u << 20;
	if ((ret = ft_api_new(&d->api, d->base, &o, err, sizeof(err))) < 0) {
		ftd_log(LOG_ERR, "cannot start the local API: %s", err);
		return -1;
	}
	if (d->anon) /* anonymize=1 captures map as the flow log does */
		ft_api_set_anonymize(d->api, d->anon_key);
	ft_api_set_status_fn(d->api, "sources", sources_status, d);
	ft_api_set_metrics_fn(d->api, sources_metrics, d);
	if (d->cfg.metrics_listen &&
	    ft_api_listen_metrics(d->api, d->cfg.metrics_listen, err, sizeof(err)) < 0) {
		ftd_log(LOG_ERR, "%s", err);
		return -1;
	}
	if ((ret = ft_api_set_flowlog(d->api, d->log)) < 0) {
		ftd_log(LOG_ERR, "cannot serve flow logs: %s", ft_strerror(ret));
		return -1;
	}
	return 0;
}

/* --write TAP=FILE: open the files now, before privileges drop. */
static int open_writes(struct daemon *d)
{
	for (int i = 0; i < d->cfg.write.n; i++) {
		const char *spec = d->cfg.write.v[i], *eq = strrchr(spec, '=');
		struct write_ref *w = &d->writes[i];
		if (!eq || eq == spec || !eq[1]) {
			ftd_log(LOG_ERR, "bad --write '%s' (want TAP=FILE, e.g. eth0=eth0.pcapng)",
				spec);
			return -1;
		}
		w->tap = strndup(spec, (size_t)(eq - spec));
		w->file = strdup(eq + 1);
		w->fd = -1;
		d->nwrites++;
		if (!w->tap || !w->file) {
			ftd_log(LOG_ERR, "--write: out of memory");
			return -1;
		}
		w->fd = open(w->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (w->fd < 0) {
			ftd_log(LOG_ERR, "cannot open capture file '%s': %s", w->file,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A --write session ended by itself (session thread): a full disk or an
 * I/O error must not stop the capture silently. */
static void on_write_end(struct ft_session *s, void *ctx)
{
	struct write_ref *w = ctx;
	struct ft_session_stats st;
	ft_session_get_stats(s, &st);
	atomic_store(&w->error, st.error);
	atomic_store(&w->ended, true);
	ftd_log(LOG_ERR, "%s: capture file '%s' stopped after %llu packets: %s", w->tap, w->file,
		(unsigned long long)st.written, st.error ? ft_strerror(st.error) : "session ended");
}

static struct ft_tap *find_tap(struct daemon *d, const char *name)
{
	if (d->kdrops && !strcmp(name, FT_KDROPS_TAP))
		return ft__kdrops_tap(d->kdrops);
	for (int i = 0; i < d->nsrc; i++)
		if (!strcmp(ft_tap_name(ft_source_tap(d->src[i])), name))
			return ft_source_tap(d->src[i]);
	return NULL;
}

/* A FILE named *.pcap gets classic pcap (what tcpdump -w writes, one link
 * type): the session then writes its records straight from the rings, a
 * copy and a conversion per packet less than pcapng, which is what every
 * other name gets (an interface statistics block at the end). */
static enum ft_format write_format(const char *file)
{
	size_t n = strlen(file);

	return n > 5 && !strcmp(file + n - 5, ".pcap") ? FT_FORMAT_PCAP : FT_FORMAT_PCAPNG;
}

/* Start the --write sessions: everything, into the files. */
static int start_writes(struct daemon *d)
{
	for (int i = 0; i < d->nwrites; i++) {
		struct ft_session_opts o;
		char err[FT_ERRBUF_SIZE];
		struct write_ref *w = &d->writes[i];
		struct ft_tap *t = find_tap(d, w->tap);
		int ret;

		if (!t) {
			ftd_log(LOG_ERR,
				"--write: no source '%s' (give it with --interface, "
				"--nflog or --psample)",
				d->writes[i].tap);
			return -1;
		}
		ft_session_opts_init(&o);
		o.format = write_format(w->file);
		o.out_fd = w->fd;
		o.bufsize = d->cfg.buffer_size ? d->cfg.buffer_size : 32u << 20;
		o.on_end = on_write_end;
		o.on_end_ctx = w;
		if ((ret = ft_session_start(&w->sess, t, &o, err, sizeof(err))) < 0) {
			ftd_log(LOG_ERR, "cannot capture '%s' to a file: %s", d->writes[i].tap,
				ft_strerror(ret));
			return -1;
		}
	}
	return 0;
}

static void stop_writes(struct daemon *d)
{
	for (int i = 0; i < d->nwrites; i++) {
		struct write_ref *w = &d->writes[i];
		struct ft_session_stats st;
		if (w->sess) {
			ft_session_stop(w->sess, &st);
			ftd_log(LOG_INFO, "%s: %llu packets written to its file, %llu dropped%s%s",
				w->tap, (unsigned long long)st.written,
				(unsigned long long)st.dropped, st.error ? ": " : "",
				st.error ? ft_strerror(st.error) : "");
			ft_session_free(w->sess);
		}
		if (w->fd >= 0)
			close(w->fd);
		free(w->tap);
		free(w->file);
	}
	d->nwrites = 0;
}

/* --recorder: every interface tap keeps its last SECONDS (flowtap capture
 * --since, flowtap dump); the values were checked when given. */
static int start_recorders(struct daemon *d)
{
	struct ft_recorder_opts o;
	char err[128];
	int ret;

	if (!d->cfg.recorder)
		return 0;
	ft_recorder_opts_init(&o);
	ft_recorder_opts_parse(&o, d->cfg.recorder, err, sizeof(err));
	if (d->cfg.recorder_snaplen)
		o.snaplen = (uint32_t)strtoul(d->cfg.recorder_snaplen, NULL, 10);
	for (int i = 0; i < d->nsrc; i++)
		if ((ret = ft_tap_recorder_start(ft_source_tap(d->src[i]), &o)) < 0) {
			ftd_log(LOG_ERR, "cannot start the flight recorder of tap '%s': %s%s",
				ft_tap_name(ft_source_tap(d->src[i])), ft_strerror(ret),
				ret == -EINVAL ? " (the size must hold 8 packets of "
						 "--recorder-snaplen)"
					       : "");
			return -1;
		}
	return 0;
}

/* --trigger-dir: after the recorders (and the kernel drop tap) started. */
static int start_triggers(struct daemon *d)
{
	struct ft_tap *taps[MAX_SOURCES];

	for (int i = 0; i < d->nsrc; i++)
		taps[i] = ft_source_tap(d->src[i]);
	return ftd_triggers_start(&d->triggers, &d->cfg, taps, d->nsrc,
				  d->kdrops ? ft__kdrops_tap(d->kdrops) : NULL);
}

static int serve_taps(struct daemon *d)
{
	int ret;

	for (int i = 0; i < d->nsrc; i++)
		if ((ret = ft_api_add_tap(d->api, ft_source_tap(d->src[i]))) < 0) {
			ftd_log(LOG_ERR, "cannot serve tap '%s': %s",
				ft_tap_name(ft_source_tap(d->src[i])), ft_strerror(ret));
			return -1;
		}
	return start_recorders(d);
}

static void wg_log(int level, const char *msg)
{
	ftd_log(level, "%s", msg);
}

static void set_peers_everywhere(struct daemon *d, struct ft_peers *p)
{
	for (int i = 0; i < d->nsrc; i++)
		ft_tap_set_peers(ft_source_tap(d->src[i]), p);
	if (d->log)
		ft_flowlog_set_peers(d->log, p);
}

/* The watcher's merged table (WireGuard peers and the peer file). */
static void wg_peers(void *ctx, struct ft_peers *p)
{
	set_peers_everywhere(ctx, p);
}

/* Every --interface that turns out to be WireGuard gets its classes,
 * physical traffic, peer status and peer names from the device
 * (wg_watch.h). */
static int start_wireguard(struct daemon *d)
{
	const struct ftd_config *c = &d->cfg;
	struct ft_prefix routes[FTD_MAX_LIST];
	struct ftd_wg_opts o = {
	    .ifnames = (const char *const *)c->interfaces.v,
	    .nifnames = c->interfaces.n,
	    .interval_ms = c->interval_ms,
	    .log = d->log,
	    .physical = d->phys,
	    .routes = routes,
	    .overlay_fixed = c->overlay.n > 0,
	    .stale_sec = c->wg_stale_ms / 1000,
	    .log_fn = wg_log,
	    .peers = d->peers,
	    .peers_fn = wg_peers,
	    .peers_ctx = d,
	};
	for (int i = 0; i < c->routes.n; i++)
		if (ft_prefix_parse(c->routes.v[i], &routes[i]) == 0)
			o.nroutes++;
	struct ftd_wg *wg;
	int r = ftd_wg_new(&wg, &o);
	if (r < 0) {
		ftd_log(LOG_ERR, "cannot watch WireGuard devices: %s", ft_strerror(r));
		return -1;
	}
	/* The sources' threads already count packets: they see the watcher
	 * only once it is whole (release; they load with acquire). */
	atomic_store_explicit(&d->wg, wg, memory_order_release);
	if (wg)
		ft_api_set_status_fn(d->api, "wireguard", ftd_wg_status, wg);
	return 0;
}

/* Name packets and flow-log nodes with d->peers (NULL: none) everywhere:
 * every source's tap and the flow logger. Captures and the logger keep
 * running; each picks the table up at its next batch or window. Once the
 * WireGuard watcher runs, it alone sets tables: it merges this one with its
 * devices' peers (the same table where there are none) right away, so a
 * capture never sees the file's table without the peers' keys. */
static void apply_peers(struct daemon *d)
{
	struct ftd_wg *wg = atomic_load(&d->wg);
	if (!wg) {
		set_peers_everywhere(d, d->peers);
		return;
	}
	ftd_wg_set_peers(wg, d->peers);
	ftd_wg_refresh(wg);
}

/* (Re)read the peer file of @c into d->peers. Returns 0 or -1 (logged). */
static int load_peers(struct daemon *d, const struct ftd_config *c, bool at_start)
{
	struct ft_peers *p = NULL;
	char err[512];

	if (c->peers && ft_peers_load_file(c->peers, &p, err, sizeof(err)) < 0) {
		if (at_start)
			fprintf(stderr, "flowtapd: %s\n", err);
		else
			ftd_log(LOG_ERR, "reload: %s; keeping the running peer table", err);
		return -1;
	}
	ft_peers_free(d->peers);
	d->peers = p;
	if (!at_start)
		ftd_log(LOG_INFO, "peer table %s%s: %zu nodes", c->peers ? "now from " : "removed",
			c->peers ? c->peers : "", ft_peers_count(p));
	return 0;
}

static void reload(struct daemon *d)
{
	struct ftd_config c;
	char err[512];

	ftd_log(LOG_INFO, "SIGHUP: reloading the configuration");
	if (load_config(d, &c, err, sizeof(err)) < 0) {
		ftd_log(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
		return;
	}
	if (apply_flow_config(d, &c) < 0) {
		ftd_log(LOG_ERR, "reload failed, keeping the running routes and sinks");
		ftd_config_free(&c);
		return;
	}
	if (!same_str(c.node_id, d->cfg.node_id) &&
	    ft_flowlog_set_node_id(d->log, c.node_id ? c.node_id : "") == 0)
		ftd_log(LOG_INFO, "node id now '%s'", c.node_id ? c.node_id : "");
	if (c.interval_ms != d->cfg.interval_ms &&
	    ft_flowlog_set_interval(d->log, c.interval_ms ? c.interval_ms
							  : FT_FLOWLOG_DEFAULT_INTERVAL_MS) == 0)
		ftd_log(LOG_INFO, "flow log interval now %u ms",
			c.interval_ms ? c.interval_ms : FT_FLOWLOG_DEFAULT_INTERVAL_MS);
	if (c.wg_stale_ms != d->cfg.wg_stale_ms) {
		unsigned s = ftd_wg_set_stale(atomic_load(&d->wg), c.wg_stale_ms / 1000);
		if (s)
			ftd_log(LOG_INFO, "WireGuard stale threshold now %u s", s);
	}
	if (c.log_exit_flows != d->cfg.log_exit_flows) {
		ft_flowlog_set_log_exit_flows(d->log, c.log_exit_flows);
		ftd_log(LOG_INFO, "exit flows now %s", c.log_exit_flows ? "logged" : "aggregated");
	}
	if (!d->counting && (c.flow_log.n || c.url.n || c.ipfix.n))
		ftd_log(LOG_WARNING, "flow log sinks added, but flows are only counted when "
				     "flowtapd starts with a sink or --flows: restart to count");
	if ((c.peers || d->cfg.peers) && load_peers(d, &c, false) == 0)
		apply_peers(d);
	ftd_wg_refresh(atomic_load(&d->wg));
	ftd_config_free(&d->cfg);
	d->cfg = c;
}

static void *reload_main(void *arg)
{
	struct daemon *d = arg;
	pthread_mutex_lock(&d->reload_mu);
	for (;;) {
		while (!d->reload_req && !d->reload_stop)
			pthread_cond_wait(&d->reload_cv, &d->reload_mu);
		if (d->reload_stop)
			break;
		d->reload_req = false;
		pthread_mutex_unlock(&d->reload_mu);
		reload(d);
		pthread_mutex_lock(&d->reload_mu);
	}
	pthread_mutex_unlock(&d->reload_mu);
	return NULL;
}

static int start_reloader(struct daemon *d)
{
	pthread_mutex_init(&d->reload_mu, NULL);
	pthread_cond_init(&d->reload_cv, NULL);
	/* Set before the thread exists: from now on d->cfg and d->sinks are its. */
	d->reload_started = true;
	int ret = -ft__thread_start(&d->reload_thr, reload_main, d);
	if (ret) {
		d->reload_started = false;
		ftd_log(LOG_ERR, "cannot start the reload thread: %s", strerror(ret));
		return -1;
	}
	return 0;
}

/* Waits for a reload in progress; none starts after. */
static void stop_reloader(struct daemon *d)
{
	if (!d->reload_started)
		return;
	pthread_mutex_lock(&d->reload_mu);
	d->reload_stop = true;
	pthread_cond_signal(&d->reload_cv);
	pthread_mutex_unlock(&d->reload_mu);
	pthread_join(d->reload_thr, NULL);
	d->reload_started = false;
	pthread_mutex_destroy(&d->reload_mu);
	pthread_cond_destroy(&d->reload_cv);
}

/* Loop thread: one tap's streams have ended; the last one leaves the loop
 * (shortly after, so that the last chunks are flushed). */
static void on_tap_removed(void *arg)
{
	struct daemon *d = arg;
	struct timeval drain = {0, 300 * 1000};

	if (--d->removing == 0)
		event_base_loopexit(d->base, &drain);
}

static void on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon *d = arg;

	if (sig == SIGUSR2) {
		if (d->triggers)
			ftd_triggers_fire(d->triggers, "SIGUSR2");
		else
			ftd_log(LOG_WARNING,
				"SIGUSR2: no recorder trigger (--trigger-dir) to fire");
		return;
	}
	if (sig == SIGHUP) {
		/* Several SIGHUPs during one reload make one more reload. */
		pthread_mutex_lock(&d->reload_mu);
		d->reload_req = true;
		pthread_cond_signal(&d->reload_cv);
		pthread_mutex_unlock(&d->reload_mu);
		return;
	}
	if (d->stopping)
		return; /* a second SIGTERM: the first one's removals still run */
	d->stopping = true;
	ftd_log(LOG_INFO, "%s: stopping", strsignal((int)sig));
	/* End every tap's capture streams at once while the loop still runs, so
	 * the last chunks reach the clients (a stalled client is cut after
	 * FT_API_STALL_MS, all taps in parallel), and leave the loop when the
	 * last tap is done. A removal that cannot start is left to
	 * ft_api_free(), which ends the streams as cleanly. */
	d->removing = 1; /* held until every removal has started */
	for (int i = 0; i <= d->nsrc; i++) {
		struct ft_tap *t = i < d->nsrc ? ft_source_tap(d->src[i])
				   : d->kdrops ? ft__kdrops_tap(d->kdrops)
					       : NULL;
		d->removing++;
		if (!t || ft_api_remove_tap_async(d->api, t, on_tap_removed, d) < 0)
			d->removing--;
	}
	on_tap_removed(d);
}

static void shutdown_all(struct daemon *d)
{
	/* Final flow-log message first, then the API ends every stream (each
	 * session drains and writes its statistics), then the sources close. */
	stop_reloader(d);
	/* Files being written are completed while the sources still run. */
	ftd_triggers_free(d->triggers);
	d->triggers = NULL;
	/* The WireGuard watcher reads the counters one last time first, so the
	 * final message carries the last interval's physical traffic. */
	ftd_wg_stop(atomic_load(&d->wg));
	if (d->log && ft_flowlog_running(d->log))
		ft_flowlog_stop(d->log);
	if (d->api)
		ft_api_set_status_fn(d->api, "wireguard", NULL, NULL);
	if (d->api && d->kdrops)
		ft_api_set_status_fn(d->api, "kernel_drops", NULL, NULL);
	ft_api_free(d->api);
	stop_writes(d);
	ftd_drops_free(d->kdrops); /* detaches the program; its tap ends its sessions */
	d->kdrops = NULL;
	for (int i = 0; i < d->nsrc; i++) {
		struct ft_source_stats st;
		struct ft_tap_stats ts;
		ft_source_get_stats(d->src[i], &st);
		ft_tap_get_stats(ft_source_tap(d->src[i]), &ts);
		ftd_log(LOG_INFO,
			"%s: %llu packets received, %llu dropped by the kernel, %llu capture "
			"sessions served",
			ft_tap_name(ft_source_tap(d->src[i])), (unsigned long long)st.received,
			(unsigned long long)(st.kernel_drops + st.seq_gaps),
			(unsigned long long)ts.sessions_total);
		ft_source_free(d->src[i]);
	}
	/* Freed only now that no source thread can be in ftd_wg_is_underlay(). */
	ftd_wg_free(atomic_exchange(&d->wg, NULL));
	ft_flowlog_free(d->log);
	for (int i = 0; i < d->nsinks; i++)
		sink_ref_free(&d->sinks[i]);
	ft_flows_free(d->flows);
	ft_flows_free(d->phys);
	ft_peers_free(d->peers);
	ftd_config_free(&d->cfg);
	ftd_config_free(&d->cmd);
}

static int run(struct daemon *d)
{
	struct event *sigs[4];
	const int signums[4] = {SIGTERM, SIGINT, SIGHUP, SIGUSR2};
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (!(d->base = event_base_new())) {
		ftd_log(LOG_ERR, "cannot create the event loop");
		return 1;
	}
	for (int i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(d->base, signums[i], on_signal, d);
		evsignal_add(sigs[i], NULL);
	}
	ret = 1;
	/* Root is needed for the sinks' files and the API socket's directory;
	 * the kernel sockets only need CAP_NET_RAW and CAP_NET_ADMIN. Capabilities
	 * are per thread, so privileges drop before any source thread starts:
	 * the source threads inherit the two capabilities they reopen sockets with. */
	/* The drop source reads BTF, kallsyms and other namespaces as root. */
	if (setup_flows(d) < 0 || open_writes(d) < 0 || open_api(d) < 0 ||
	    ftd_drops_open(&d->kdrops, &d->cfg, d->counting ? d->flows : NULL) < 0)
		goto out;
	if (d->cfg.user) {
		char err[512];
		if (ftd_drop_privileges(d->cfg.user, d->kdrops != NULL, err, sizeof(err)) < 0) {
			ftd_log(LOG_ERR, "%s", err);
			goto out;
		}
	}
	if (open_sources(d) < 0)
		goto out;
	apply_peers(d); /* before any capture or flow window starts */
	if (serve_taps(d) < 0 || ftd_drops_serve(d->kdrops, d->api) < 0 || start_writes(d) < 0 ||
	    start_wireguard(d) < 0 || start_triggers(d) < 0)
		goto out;
	if (d->counting && (ret = ft_flowlog_start(d->log)) < 0) {
		ftd_log(LOG_ERR, "cannot start the flow logger: %s", ft_strerror(ret));
		ret = 1;
		goto out;
	}
	if (start_reloader(d) < 0) {
		ret = 1;
		goto out;
	}
	ftd_log(LOG_INFO, "listening on %s with %d sources%s%s", ft_api_socket_path(d->api),
		d->nsrc, d->kdrops ? " and kernel drops" : "",
		d->counting ? ", counting flows" : "");
	event_base_dispatch(d->base);
	ret = 0;
out:
	shutdown_all(d);
	for (int i = 0; i < 4; i++)
		event_free(sigs[i]);
	event_base_free(d->base);
	return ret;
}

/* Values the config parser keeps as text, checked before anything starts:
 * a bad one is a usage error (exit 2) like a bad flag, not a failed start. */
static int check_values(const struct ftd_config *c)
{
	struct ft_prefix p;
	char err[256];

	for (int i = 0; i < c->routes.n; i++)
		if (ft_prefix_parse(c->routes.v[i], &p) < 0) {
			fprintf(stderr, "flowtapd: bad route '%s' (want ADDR/BITS)\n",
				c->routes.v[i]);
			return -1;
		}
	for (int i = 0; i < c->write.n; i++) {
		const char *eq = strrchr(c->write.v[i], '=');
		if (!eq || eq == c->write.v[i] || !eq[1]) {
			fprintf(
			    stderr,
			    "flowtapd: bad --write '%s' (want TAP=FILE, e.g. eth0=eth0.pcapng)\n",
			    c->write.v[i]);
			return -1;
		}
	}
	if (ftd_triggers_check(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowtapd: %s\n", err);
		return -1;
	}
	if (c->node_id && strlen(c->node_id) > 255) {
		fprintf(stderr, "flowtapd: bad node id '%s' (at most 255 bytes)\n", c->node_id);
		return -1;
	}
	if (c->metrics_listen && ft_metrics_parse_listen(c->metrics_listen) < 0) {
		fprintf(stderr,
			"flowtapd: bad --metrics-listen '%s' (want PORT, IPV4:PORT or "
			"[IPV6]:PORT; PORT alone listens on 127.0.0.1)\n",
			c->metrics_listen);
		return -1;
	}
	return 0;
}

/* The key is read once, before privileges are dropped; a reload keeps it. */
static int load_anon_key(struct daemon *d)
{
	char err[FT_ERRBUF_SIZE];

	if (!d->cfg.anonymize)
		return 0;
	if (ft_anon_key_load(d->cfg.anonymize, d->anon_key, err) < 0) {
		fprintf(stderr, "flowtapd: --anonymize: %s\n", err);
		return -1;
	}
	d->anon = true;
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d;
	char err[512];

	/* Capture clients come and go, each session with a writer buffer of
	 * about 512 KiB. glibc raises its mmap threshold to the largest block
	 * freed, so after the first session ends such buffers come from the
	 * threads' arenas and their pages stay resident when freed (about
	 * 2 MiB more RSS after a minute of clients). A fixed threshold keeps
	 * them mapped and gives them back when each session ends. */
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	memset(&d, 0, sizeof(d));
	d.config_path = FTD_DEFAULT_CONFIG;
	if (parse_args(&d, argc, argv) < 0) {
		ftd_config_free(&d.cmd); /* what the flags before the bad one set */
		return 2;
	}
	if (load_config(&d, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowtapd: %s\n", err);
		ftd_config_free(&d.cmd);
		return 2;
	}
	/* A bad peer file is a usage error too, found before anything starts. */
	if (check_values(&d.cfg) < 0 || load_anon_key(&d) < 0 || load_peers(&d, &d.cfg, true) < 0) {
		ftd_config_free(&d.cfg);
		ftd_config_free(&d.cmd);
		return 2;
	}
	ftd_log_open(d.cfg.syslog);
	return run(&d);
}
