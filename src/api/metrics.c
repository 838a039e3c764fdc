/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: Prometheus metrics: the text exposition (format 0.0.4) of the
 * counters status shows, at GET /localapi/v0/metrics and, optionally, at
 * GET /metrics on a TCP address for a scraper.
 *
 * Reference: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/listener.h>
#include <pcap/pcap.h>

#include <flowtap/flows.h>
#include <flowtap/metrics.h>
#include <flowtap/sources.h>

#include "api_int.h"

struct ft_metrics {
	struct evbuffer *b;
	char name[128]; /* the family being written */
	bool skip;	/* its name was invalid: leave its samples out */
};

static bool valid_name(const char *s)
{
	if (!s || !*s || strlen(s) >= sizeof(((struct ft_metrics *)0)->name))
		return false;
	for (const char *p = s; *p; p++) {
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
		if (!alpha && *p != ':' && !(p > s && *p >= '0' && *p <= '9'))
			return false;
	}
	return true;
}

/* HELP text escapes backslash and newline; label values also the quote. */
static void put_escaped(struct evbuffer *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (quote && *s == '"')
			evbuffer_add(b, "\\\"", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

FT_EXPORT void ft_metrics_family(struct ft_metrics *m, const char *name, enum ft_metric_type type,
				 const char *help)
{
	m->skip = !valid_name(name);
	if (m->skip)
		return;
	snprintf(m->name, sizeof(m->name), "%s", name);
	evbuffer_add_printf(m->b, "# HELP %s ", name);
	put_escaped(m->b, help ? help : "", false);
	evbuffer_add_printf(m->b, "\n# TYPE %s %s\n", name,
			    type == FT_METRIC_COUNTER ? "counter" : "gauge");
}

FT_EXPORT void ft_metrics_sample(struct ft_metrics *m, const char *const *labels, double value)
{
	bool first = true;

	if (m->skip || !m->name[0])
		return;
	evbuffer_add_printf(m->b, "%s", m->name);
	for (size_t i = 0; labels && labels[i]; i += 2) {
		if (!labels[i + 1] || !valid_name(labels[i]) || strchr(labels[i], ':'))
			continue;
		evbuffer_add_printf(m->b, "%s%s=\"", first ? "{" : ",", labels[i]);
		put_escaped(m->b, labels[i + 1], true);
		evbuffer_add(m->b, "\"", 1);
		first = false;
	}
	if (!first)
		evbuffer_add(m->b, "}", 1);
	if (isnan(value))
		evbuffer_add_printf(m->b, " NaN\n");
	else if (isinf(value))
		evbuffer_add_printf(m->b, " %sInf\n", value > 0 ? "+" : "-");
	else if (value == floor(value) && fabs(value) < 1e15)
		evbuffer_add_printf(m->b, " %.0f\n", value);
	else
		evbuffer_add_printf(m->b, " %.15g\n", value);
}

/* One family with one unlabelled sample. */
static void single(struct ft_metrics *m, const char *name, enum ft_metric_type type,
		   const char *help, double v)
{
	ft_metrics_family(m, name, type, help);
	ft_metrics_sample(m, NULL, v);
}

FT_EXPORT void ft_metrics_sources(struct ft_metrics *m, struct ft_source *const *src, int n)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fam[] = {
#define F(n, h, f) {"flowtap_source_" n, h, offsetof(struct ft_source_stats, f)}
	    F("packets_received_total", "Packets the kernel source delivered to userspace.",
	      received),
	    F("bytes_received_total", "Wire bytes of the packets received.", bytes),
	    F("kernel_drops_total", "Packets the kernel dropped (ring full, ENOBUFS).",
	      kernel_drops),
	    F("sequence_gaps_total", "psample: samples missing by group sequence number.",
	      seq_gaps),
	    F("skipped_messages_total", "Messages of another group or not decodable.", skipped),
	    F("opens_total", "Times the source's kernel socket was opened.", opens),
#undef F
	};
	struct ft_source_stats *st = calloc((size_t)(n > 0 ? n : 1), sizeof(*st));

	if (!st)
		return;
	for (int i = 0; i < n; i++)
		ft_source_get_stats(src[i], &st[i]);
	ft_metrics_family(m, "flowtap_source_up", FT_METRIC_GAUGE,
			  "1 if the source's kernel socket is open.");
	for (int i = 0; i < n; i++) {
		const char *l[] = {"tap", ft_tap_name(ft_source_tap(src[i])), "kind",
				   ft_source_kind_name(st[i].kind), NULL};
		ft_metrics_sample(m, l, st[i].open);
	}
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		ft_metrics_family(m, fam[f].name, FT_METRIC_COUNTER, fam[f].help);
		for (int i = 0; i < n; i++) {
			const char *l[] = {"tap", ft_tap_name(ft_source_tap(src[i])), "kind",
					   ft_source_kind_name(st[i].kind), NULL};
			uint64_t v;
			memcpy(&v, (const char *)&st[i] + fam[f].off, sizeof(v));
			ft_metrics_sample(m, l, (double)v);
		}
	}
	free(st);
}

FT_EXPORT void ft_api_set_metrics_fn(struct ft_api *api, ft_api_metrics_fn fn, void *ctx)
{
	pthread_mutex_lock(&api->mu);
	api->metrics_fn = fn;
	api->metrics_ctx = ctx;
	pthread_mutex_unlock(&api->mu);
}

static void server_metrics(struct ft_api *api, struct ft_metrics *m)
{
	struct ft_api_stats st;
	const char *ver[] = {"version", FT_VERSION_STRING, NULL};

	ft_api_get_stats(api, &st);
	ft_metrics_family(m, "flowtap_build_info", FT_METRIC_GAUGE,
			  "Always 1; the version of libflowtap as a label.");
	ft_metrics_sample(m, ver, 1);
	single(m, "flowtap_api_uptime_seconds", FT_METRIC_GAUGE,
	       "Seconds since the local API server started.",
	       (double)(ft__mono_ns() - api->start_ns) / 1e9);
	single(m, "flowtap_api_requests_total", FT_METRIC_COUNTER,
	       "HTTP requests received on the local API socket.", (double)st.requests);
	single(m, "flowtap_api_requests_denied_total", FT_METRIC_COUNTER,
	       "Requests answered 403 (debug access denied).", (double)st.denied);
	single(m, "flowtap_api_requests_rejected_busy_total", FT_METRIC_COUNTER,
	       "Requests answered 503 (too many streams).", (double)st.rejected_busy);
	single(m, "flowtap_api_streams", FT_METRIC_GAUGE, "Capture and flow streams open now.",
	       (double)st.sessions);
	single(m, "flowtap_api_streams_opened_total", FT_METRIC_COUNTER,
	       "Capture and flow streams opened.", (double)st.sessions_total);
	single(m, "flowtap_api_flow_messages_dropped_total", FT_METRIC_COUNTER,
	       "Flow-log messages lost to full /flows client queues.", (double)st.flows_dropped);
}

/* Per-tap families; the taps' stats are read once, under the lock. */
static void tap_metrics(struct ft_api *api, struct ft_metrics *m)
{
	static const struct {
		const char *name, *help;
		enum ft_metric_type type;
		size_t off;
	} fam[] = {
#define F(n, t, h, f) {n, h, t, offsetof(struct ft_tap_stats, f)}
	    F("flowtap_tap_packets_offered_total", FT_METRIC_COUNTER,
	      "Packets offered to capture sessions (once per session).", offered),
	    F("flowtap_tap_sessions", FT_METRIC_GAUGE, "Capture sessions attached now.", sessions),
	    F("flowtap_tap_sessions_started_total", FT_METRIC_COUNTER,
	      "Capture sessions attached since the tap was created.", sessions_total),
	    F("flowtap_session_packets_matched_total", FT_METRIC_COUNTER,
	      "Packets that passed a session's path, direction and filter.", matched),
	    F("flowtap_session_packets_written_total", FT_METRIC_COUNTER,
	      "Packets written to capture clients.", written),
	    F("flowtap_session_bytes_written_total", FT_METRIC_COUNTER,
	      "Captured bytes written to capture clients (after snaplen).", bytes),
	    F("flowtap_session_dropped_packets_total", FT_METRIC_COUNTER,
	      "Matched packets lost because a session's buffer was full.", dropped),
	    F("flowtap_session_truncated_packets_total", FT_METRIC_COUNTER,
	      "Packets written cut short by the snaplen.", truncated),
#undef F
	};
	struct ft_tap_stats st[FT__API_MAX_TAPS];
	char names[FT__API_MAX_TAPS][64], lt[FT__API_MAX_TAPS][32];
	int n;

	pthread_mutex_lock(&api->mu);
	n = api->ntaps;
	for (int i = 0; i < n; i++) {
		const char *dn = pcap_datalink_val_to_name(ft_tap_dlt(api->taps[i]));
		ft_tap_get_stats(api->taps[i], &st[i]);
		snprintf(names[i], sizeof(names[i]), "%s", ft_tap_name(api->taps[i]));
		if (dn)
			snprintf(lt[i], sizeof(lt[i]), "%s", dn);
		else
			snprintf(lt[i], sizeof(lt[i]), "%d", ft_tap_dlt(api->taps[i]));
	}
	pthread_mutex_unlock(&api->mu);
	ft_metrics_family(m, "flowtap_tap_info", FT_METRIC_GAUGE,
			  "Always 1; the tap's link type as a label.");
	for (int i = 0; i < n; i++) {
		const char *l[] = {"tap", names[i], "linktype", lt[i], NULL};
		ft_metrics_sample(m, l, 1);
	}
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		ft_metrics_family(m, fam[f].name, fam[f].type, fam[f].help);
		for (int i = 0; i < n; i++) {
			const char *l[] = {"tap", names[i], NULL};
			uint64_t v;
			memcpy(&v, (const char *)&st[i] + fam[f].off, sizeof(v));
			ft_metrics_sample(m, l, (double)v);
		}
	}
}

/* One tap's drops for one reason, copied under the lock. */
struct drop_count {
	char tap[64], reason[64];
	uint64_t pkts, bytes;
};

/* The drops of every tap per reason with any, for the lock's duration only:
 * the counts are read into @pk/@by (FT_DROP_REASON_MAX each) and the
 * reasons that have any are copied. Returns the count of entries in *@out
 * (malloc'ed, at most taps * FT_DROP_REASON_MAX) or -ENOMEM. */
static int collect_drops(struct ft_api *api, uint64_t *pk, uint64_t *by, struct drop_count **out)
{
	struct drop_count *v = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	pthread_mutex_lock(&api->mu);
	for (int i = 0; i < api->ntaps && ret == 0; i++) {
		struct ft_tap *t = api->taps[i];
		int used = ft_tap_drop_counts(t, pk, by, FT_DROP_REASON_MAX);
		for (int r = 1; r < used && r < FT_DROP_REASON_MAX; r++) {
			const char *rn = ft_drop_reason_name(t, (unsigned)r);
			if (!pk[r])
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct drop_count *nv = realloc(v, nc * sizeof(*nv));
				if (!nv) {
					ret = -ENOMEM;
					break;
				}
				v = nv;
				cap = nc;
			}
			snprintf(v[n].tap, sizeof(v[n].tap), "%s", ft_tap_name(t));
			snprintf(v[n].reason, sizeof(v[n].reason), "%s", rn ? rn : "other");
			v[n].pkts = pk[r];
			v[n].bytes = by[r];
			n++;
		}
	}
	pthread_mutex_unlock(&api->mu);
	*out = v;
	return ret ? ret : (int)n;
}

/* What datapaths discarded (ft_tap_drop(), flowtapd --drops), per tap and
 * reason, for the reasons counted at least once: the same numbers as the
 * taps' "drops" in status. The families are always there, so a scraper
 * sees them before the first drop. */
static void drop_metrics(struct ft_api *api, struct ft_metrics *m)
{
	uint64_t *pk = calloc(2 * FT_DROP_REASON_MAX, sizeof(*pk));
	struct drop_count *v = NULL;
	int n = pk ? collect_drops(api, pk, pk + FT_DROP_REASON_MAX, &v) : -ENOMEM;

	ft_metrics_family(m, "flowtap_tap_dropped_packets_total", FT_METRIC_COUNTER,
			  "Packets the datapath discarded, by reason (ft_tap_drop()).");
	for (int i = 0; i < n; i++) {
		const char *l[] = {"tap", v[i].tap, "reason", v[i].reason, NULL};
		ft_metrics_sample(m, l, (double)v[i].pkts);
	}
	ft_metrics_family(m, "flowtap_tap_dropped_bytes_total", FT_METRIC_COUNTER,
			  "Bytes of the packets the datapath discarded, by reason.");
	for (int i = 0; i < n; i++) {
		const char *l[] = {"tap", v[i].tap, "reason", v[i].reason, NULL};
		ft_metrics_sample(m, l, (double)v[i].bytes);
	}
	free(v);
	free(pk);
}

static void flowlog_metrics(struct ft_metrics *m, const struct ft_flowlog_stats *s)
{
	single(m, "flowtap_flowlog_messages_total", FT_METRIC_COUNTER, "Flow-log messages built.",
	       (double)s->messages);
	single(m, "flowtap_flowlog_connections_total", FT_METRIC_COUNTER,
	       "Connection entries written into flow-log messages.", (double)s->conns);
	single(m, "flowtap_flowlog_http_messages_sent_total", FT_METRIC_COUNTER,
	       "Messages accepted by HTTP collectors.", (double)s->http_sent);
	single(m, "flowtap_flowlog_http_messages_dropped_total", FT_METRIC_COUNTER,
	       "Messages dropped by the HTTP spool bound or a 4xx answer.",
	       (double)s->http_dropped);
	single(m, "flowtap_flowlog_http_retries_total", FT_METRIC_COUNTER,
	       "Failed HTTP POST attempts.", (double)s->http_retries);
	single(m, "flowtap_flowlog_ipfix_datagrams_sent_total", FT_METRIC_COUNTER,
	       "IPFIX datagrams sent.", (double)s->ipfix_sent);
	single(m, "flowtap_flowlog_ipfix_send_errors_total", FT_METRIC_COUNTER,
	       "IPFIX datagrams that failed to send.", (double)s->ipfix_errors);
}

FT_EXPORT long ft_api_metrics_text(struct ft_api *api, char **out)
{
	struct ft_metrics m = {.b = evbuffer_new()};
	struct ft_flowlog_stats fs;
	bool has_flowlog;
	long len = -ENOMEM;

	*out = NULL;
	if (!m.b)
		return -ENOMEM;
	server_metrics(api, &m);
	tap_metrics(api, &m);
	drop_metrics(api, &m);
	pthread_mutex_lock(&api->mu);
	has_flowlog = api->flowlog != NULL;
	if (has_flowlog)
		ft_flowlog_get_stats(api->flowlog, &fs);
	if (api->metrics_fn)
		api->metrics_fn(api->metrics_ctx, &m);
	pthread_mutex_unlock(&api->mu);
	if (has_flowlog)
		flowlog_metrics(&m, &fs);
	size_t n = evbuffer_get_length(m.b);
	*out = malloc(n + 1);
	if (*out) {
		evbuffer_remove(m.b, *out, n);
		(*out)[n] = '\0';
		len = (long)n;
	}
	evbuffer_free(m.b);
	return len;
}

void ft__api_handle_metrics(struct ft_api *api, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	char *text = NULL;
	long n = ft_api_metrics_text(api, &text);

	if (n < 0 || !b) {
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		goto out;
	}
	evbuffer_add(b, text, (size_t)n);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  FT_METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, 200, "OK", b);
out:
	free(text);
	if (b)
		evbuffer_free(b);
}

/* GET /metrics on the TCP listener; nothing else is served there. */
static void on_tcp_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!path || strcmp(path, "/metrics"))
		ft__api_reply(req, 404, "Not Found", "no such endpoint: metrics are at /metrics");
	else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
		ft__api_reply_405(req, "GET, HEAD");
	else
		ft__api_handle_metrics(arg, req);
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64] = "127.0.0.1";
	const char *colon = s ? strrchr(s, ':') : NULL, *p = colon ? colon + 1 : s;
	char *end;
	unsigned long port;

	if (!s || !*p)
		return -EINVAL;
	port = strtoul(p, &end, 10);
	if (*end || port > 65535 || *p < '0' || *p > '9')
		return -EINVAL;
	if (colon && colon > s) {
		size_t hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -EINVAL;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	return 0;
}

FT_EXPORT int ft_metrics_parse_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_listen(addr, &ss, &len);
}

static int open_tcp(const char *addr, unsigned *port, char *errbuf, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (parse_listen(addr, &ss, &len) < 0) {
		snprintf(errbuf, errlen,
			 "bad metrics address '%s': expected PORT, IPV4:PORT or [IPV6]:PORT "
			 "(numeric; PORT alone listens on 127.0.0.1)",
			 addr ? addr : "");
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
fail:;
	int ret = -errno;
	snprintf(errbuf, errlen, "cannot listen for metrics on %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

FT_EXPORT int ft_api_listen_metrics(struct ft_api *api, const char *addr, char *errbuf,
				    size_t errlen)
{
	char dummy[1];
	unsigned port = 0;
	struct evhttp *http;
	int fd;

	if (!errbuf || !errlen) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	if (api->metrics_http) {
		snprintf(errbuf, errlen, "metrics are already served on port %u",
			 api->metrics_port);
		return -EALREADY;
	}
	fd = open_tcp(addr, &port, errbuf, errlen);
	if (fd < 0)
		return fd;
	/* The evhttp is complete before its listener's event is added (under
	 * the base's lock, which the loop thread takes before running any
	 * callback), so a loop already running on another thread sees it
	 * whole. The loop never touches @api->metrics_http itself. */
	http = evhttp_new(api->base);
	if (!http) {
		close(fd);
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
					     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
					     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(http, 10);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_max_body_size(http, 4096);
	evhttp_set_gencb(http, on_tcp_request, api);
	if (!evhttp_accept_socket_with_handle(http, fd)) {
		close(fd);
		evhttp_free(http);
		snprintf(errbuf, errlen, "cannot listen for metrics on %s", addr);
		return -ENOMEM;
	}
	api->metrics_port = port;
	api->metrics_http = http;
	return 0;
}

FT_EXPORT unsigned ft_api_metrics_port(const struct ft_api *api)
{
	return api->metrics_port;
}

void ft__api_metrics_free(struct ft_api *api)
{
	if (api->metrics_http)
		evhttp_free(api->metrics_http);
	api->metrics_http = NULL;
}
