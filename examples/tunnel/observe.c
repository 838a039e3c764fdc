/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: observability around the datapath: connection counters, the flow logger and its
 * sinks, and the local API. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <flowtap/api.h>
#include <flowtap/flows.h>
#include <flowtap/metrics.h>

#include "tunnel.h"

static void flowlog_notice(void *ctx, int level, const char *msg)
{
	fprintf(stderr, TUN_PROG ": flow log: %s\n", msg);
}

static int add_routes(struct tunnel *t, char *err, size_t errlen)
{
	const struct tun_cfg *c = t->cfg;
	struct ft_prefix p[TUN_MAX_ROUTES];
	int ret;

	if (!c->nroutes)
		return 0;
	/* The routes are parsed with their host bits cleared, as ft_prefix wants. */
	for (int i = 0; i < c->nroutes; i++)
		p[i] = (struct ft_prefix){.addr = c->routes[i].addr, .bits = c->routes[i].plen};
	ret = ft_flowlog_set_routes(t->flowlog, p, (size_t)c->nroutes);
	if (ret < 0)
		snprintf(err, errlen, "cannot set the flow-log routes: %s", ft_strerror(ret));
	return ret;
}

static int set_overlay(struct tunnel *t, char *err, size_t errlen)
{
	const struct tun_cfg *c = t->cfg;
	struct ft_prefix p[TUN_MAX_ROUTES];
	int ret;

	if (!c->noverlay)
		return 0;
	for (int i = 0; i < c->noverlay; i++)
		p[i] = (struct ft_prefix){.addr = c->overlay[i].addr, .bits = c->overlay[i].plen};
	ret = ft_flowlog_set_overlay(t->flowlog, p, (size_t)c->noverlay);
	if (ret < 0)
		snprintf(err, errlen, "cannot set the overlay ranges: %s", ft_strerror(ret));
	return ret;
}

static int add_sinks(struct tunnel *t, char *err, size_t errlen)
{
	const struct tun_cfg *c = t->cfg;
	int ret;

	if (c->flow_log) {
		ret = ft_flowlog_add_sink_file(t->flowlog, c->flow_log);
		if (ret < 0) {
			snprintf(err, errlen, "cannot open flow log '%s': %s", c->flow_log,
				 ft_strerror(ret));
			return ret;
		}
		ft_flowlog_set_sink_format(t->flowlog, ret, (enum ft_flow_format)c->flow_format);
	}
	if (c->url) {
		struct ft_http_sink_opts ho = {.format = c->flow_format};
		ret = ft_flowlog_add_sink_http(t->flowlog, c->url, c->spool_dir, &ho);
		if (ret < 0) {
			snprintf(err, errlen, "cannot log flows to '%s': %s%s", c->url,
				 ft_strerror(ret),
				 ret == -EINVAL ? " (expected an http:// or https:// URL)" : "");
			return ret;
		}
	}
	if (c->ipfix) {
		ret = ft_flowlog_add_sink_ipfix(t->flowlog, c->ipfix);
		if (ret < 0) {
			snprintf(err, errlen, "cannot export IPFIX to '%s': %s%s", c->ipfix,
				 ft_strerror(ret), ret == -EINVAL ? " (expected HOST:PORT)" : "");
			return ret;
		}
	}
	return 0;
}

static int start_flowlog(struct tunnel *t, char *err, size_t errlen)
{
	const struct tun_cfg *c = t->cfg;
	int ret;

	ret = ft_flowlog_new(&t->flowlog, t->tun_flows, t->phys_flows);
	if (ret == 0)
		ft_flowlog_set_drop_tap(t->flowlog, t->tap);
	if (ret < 0)
		goto fail;
	ft_flowlog_set_log(t->flowlog, flowlog_notice, t);
	ft_flowlog_set_log_exit_flows(t->flowlog, c->log_exit_flows);
	if (c->anon && (ret = ft_flowlog_set_anonymize(t->flowlog, c->anon_key)) < 0) {
		snprintf(err, errlen, "cannot set up --anonymize: %s", ft_strerror(ret));
		return ret;
	}
	if (c->node_id && (ret = ft_flowlog_set_node_id(t->flowlog, c->node_id)) < 0) {
		snprintf(err, errlen, "bad --node-id '%s': %s", c->node_id, ft_strerror(ret));
		return ret;
	}
	if (c->flow_interval_ms &&
	    (ret = ft_flowlog_set_interval(t->flowlog, c->flow_interval_ms)) < 0) {
		snprintf(err, errlen, "bad flow-log interval %u ms: %s", c->flow_interval_ms,
			 ft_strerror(ret));
		return ret;
	}
	ret = add_routes(t, err, errlen);
	if (ret == 0)
		ret = set_overlay(t, err, errlen);
	if (ret == 0)
		ret = add_sinks(t, err, errlen);
	if (ret < 0)
		return ret;
	ret = ft_flowlog_start(t->flowlog);
	if (ret == 0)
		return 0;
fail:
	snprintf(err, errlen, "cannot start the flow logger: %s", ft_strerror(ret));
	return ret;
}

/* C: a counter, with an optional "reason" label; K: with an "origin" label. */
#define C(l, m, r, h, f)                                                                           \
	{                                                                                          \
		l, "flowtap_tunnel_" m, r, h, offsetof(struct tunnel, f), NULL                     \
	}
#define K(l, m, r, h, f)                                                                           \
	{                                                                                          \
		l, "flowtap_tunnel_" m, r, h, offsetof(struct tunnel, f), "origin"                 \
	}
const struct tun_counter tun_counters[] = {
    C("tun_rx", "tun_received_packets_total", NULL, "Packets read from the TUN device.", st.tun_rx),
    C("tun_tx", "tun_sent_packets_total", NULL, "Packets written to the TUN device.", st.tun_tx),
    C("udp_rx", "udp_received_datagrams_total", NULL, "Datagrams received from the peer.",
      st.udp_rx),
    C("udp_tx", "udp_sent_datagrams_total", NULL, "Datagrams sent to the peer.", st.udp_tx),
    K("echo_local", "echo_answered_total", "local",
      "Echo requests answered for the service address, by origin.", st.echo_local),
    K("echo_peer", "echo_answered_total", "peer", NULL, st.echo_peer),
    C("keepalive_tx", "keepalives_sent_total", NULL, "Keepalive probes sent.", st.keepalive_tx),
    C("keepalive_rx", "keepalives_answered_total", NULL, "Keepalive probes answered.",
      st.keepalive_rx),
    C("dropped_invalid", "dropped_packets_total", "invalid", "Packets dropped, by reason.",
      st.drop_invalid),
    C("dropped_no_peer", "dropped_packets_total", "no_peer", NULL, st.drop_nopeer),
    C("dropped_foreign", "dropped_packets_total", "foreign", NULL, st.drop_foreign),
    C("dropped_service", "dropped_packets_total", "service", NULL, st.drop_service),
    C("dropped_tx_full", "dropped_packets_total", "tx_full", NULL, st.drop_tx),
    C("dropped_acl", "dropped_packets_total", "acl", NULL, st.drop_acl),
    C("dnat_translated", "dnat_translated_packets_total", NULL,
      "Packets whose service destination --dnat rewrote.", nat.translated),
    C("dnat_replies", "dnat_replies_total", NULL, "Replies rewritten back to the service address.",
      nat.untranslated),
};
#undef C
#undef K
const size_t tun_ncounters = sizeof(tun_counters) / sizeof(tun_counters[0]);

uint64_t tun_counter_get(const struct tunnel *t, const struct tun_counter *c)
{
	const stat_t *p = (const stat_t *)((const char *)t + c->off);

	return STAT_GET(*p);
}

/* The flowtap_tunnel_* families for GET /metrics; a family's rows with a
 * reason follow one another in the table. */
static void tunnel_metrics(void *ctx, struct ft_metrics *m)
{
	const struct tunnel *t = ctx;
	struct ft_flows_stats fs;

	for (size_t i = 0; i < tun_ncounters; i++) {
		const struct tun_counter *c = &tun_counters[i];
		const char *l[] = {"interface", t->ifname, c->key ? c->key : "reason", c->reason,
				   NULL};
		if (c->help)
			ft_metrics_family(m, c->metric, FT_METRIC_COUNTER, c->help);
		ft_metrics_sample(m, l, (double)tun_counter_get(t, c));
	}
	ft_flows_stats(t->tun_flows, &fs);
	ft_metrics_family(m, "flowtap_tunnel_connections", FT_METRIC_GAUGE,
			  "Connections the flow counters track now.");
	const char *l[] = {"interface", t->ifname, NULL};
	ft_metrics_sample(m, l, (double)fs.conns);
}

static json_t *stats_json(const struct tun_stats *s)
{
	return json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "tun_rx",
	    (json_int_t)STAT_GET(s->tun_rx), "tun_tx", (json_int_t)STAT_GET(s->tun_tx), "udp_rx",
	    (json_int_t)STAT_GET(s->udp_rx), "udp_tx", (json_int_t)STAT_GET(s->udp_tx),
	    "echo_local", (json_int_t)STAT_GET(s->echo_local), "echo_peer",
	    (json_int_t)STAT_GET(s->echo_peer), "keepalive_tx",
	    (json_int_t)STAT_GET(s->keepalive_tx), "keepalive_rx",
	    (json_int_t)STAT_GET(s->keepalive_rx), "dropped", "invalid",
	    (json_int_t)STAT_GET(s->drop_invalid), "no_peer", (json_int_t)STAT_GET(s->drop_nopeer),
	    "foreign", (json_int_t)STAT_GET(s->drop_foreign), "service",
	    (json_int_t)STAT_GET(s->drop_service), "tx_full", (json_int_t)STAT_GET(s->drop_tx),
	    "acl", (json_int_t)STAT_GET(s->drop_acl));
}

/* The "tunnel" object of GET /localapi/v0/status, built on the API's
 * thread: counters are relaxed atomics, the peer is read under its lock. */
static char *status_json(void *ctx)
{
	struct tunnel *t = ctx;
	char peer[80] = "", ov[64], svc[INET_ADDRSTRLEN];
	struct ft_flows_stats fs;
	json_t *o;
	char *text;

	pthread_mutex_lock(&t->peer_mu);
	if (t->peer_len)
		tun_format_sockaddr((const struct sockaddr *)&t->peer, peer, sizeof(peer));
	ft_addr_format(&t->peer_overlay, ov, sizeof(ov));
	pthread_mutex_unlock(&t->peer_mu);
	inet_ntop(AF_INET, &t->cfg->service_be, svc, sizeof(svc));
	ft_flows_stats(t->tun_flows, &fs);
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:o}", "interface", t->ifname, "peer", peer,
		      "peer_addr", ov, "service_addr", svc, "dnat_translated",
		      (json_int_t)STAT_GET(t->nat.translated), "dnat_replies",
		      (json_int_t)STAT_GET(t->nat.untranslated), "connections",
		      (json_int_t)fs.conns, "counters", stats_json(&t->st));
	text = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return text;
}

static int start_api(struct tunnel *t, char *err, size_t errlen)
{
	const struct tun_cfg *c = t->cfg;
	struct ft_api_opts o;
	char why[256] = "";
	int ret;

	ft_api_opts_init(&o);
	o.socket_path = c->socket_path;
	o.group = c->api_group;
	/* The API gets its own thread: sharing the datapath's loop would starve
	 * capture streams under load (the loop is busy with packets), so their
	 * sessions would fill and drop. */
	ret = ft_api_new(&t->api, NULL, &o, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "cannot start the local API on %s: %s", c->socket_path,
			 why[0] ? why : ft_strerror(ret));
		return ret;
	}
	if (c->anon) /* anonymize=1 captures map as the flow log does */
		ft_api_set_anonymize(t->api, c->anon_key);
	ft_api_set_status_fn(t->api, "tunnel", status_json, t);
	ft_api_set_metrics_fn(t->api, tunnel_metrics, t);
	if (c->metrics_listen &&
	    (ret = ft_api_listen_metrics(t->api, c->metrics_listen, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s", why);
		return ret;
	}
	ret = ft_api_add_tap(t->api, t->tap);
	if (ret == 0)
		ret = ft_api_set_flowlog(t->api, t->flowlog);
	if (ret < 0)
		snprintf(err, errlen, "cannot publish tap %s on the local API: %s", t->ifname,
			 ft_strerror(ret));
	return ret;
}

/*
 * observe_start - the tunnel-layer and socket-layer counters, the flow
 * logger (always: the local API streams its messages) with the sinks that
 * --flow-log, --url and --ipfix ask for, and the local API on a thread of
 * its own (unless --socket is empty).
 * Returns 0 or -errno with a message in @err.
 */
int observe_start(struct tunnel *t, char *err, size_t errlen)
{
	const struct tun_cfg *c = t->cfg;
	int ret;

	ret = ft_flows_new(&t->tun_flows, 0);
	if (ret == 0)
		ret = ft_flows_new(&t->phys_flows, 0);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create connection counters: %s", ft_strerror(ret));
		return ret;
	}
	ret = start_flowlog(t, err, errlen);
	if (ret < 0)
		return ret;
	if (!c->socket_path || !*c->socket_path)
		return 0;
	return start_api(t, err, errlen);
}

/* observe_stop - the logger's final flush, then the API (it borrows the tap
 * and the logger), then the logger's sinks and the counters. */
void observe_stop(struct tunnel *t)
{
	/* The final flush first, so that it also reaches /flows clients. */
	if (t->flowlog && ft_flowlog_running(t->flowlog))
		ft_flowlog_stop(t->flowlog);
	if (t->api) {
		ft_api_set_flowlog(t->api, NULL);
		ft_api_free(t->api);
		t->api = NULL;
	}
	ft_flowlog_free(t->flowlog);
	t->flowlog = NULL;
	ft_flows_free(t->tun_flows);
	ft_flows_free(t->phys_flows);
	t->tun_flows = t->phys_flows = NULL;
}

/*
 * observe_physical - count @bytes of UDP payload exchanged with the peer at
 * the socket layer, keyed by the peer's overlay address and its endpoint.
 * Hot path.
 */
void observe_physical(struct tunnel *t, int dir, size_t bytes)
{
	static const struct ft_addr unknown = {.len = 4};
	struct ft_addr ep = {0};
	uint16_t port;

	if (t->peer.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&t->peer;
		ep.len = 4;
		memcpy(ep.b, &s->sin_addr, 4);
		port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&t->peer;
		ep.len = 16;
		memcpy(ep.b, &s->sin6_addr, 16);
		port = ntohs(s->sin6_port);
	}
	ft_flows_add_physical(t->phys_flows, t->peer_overlay.len ? &t->peer_overlay : &unknown, &ep,
			      port, (enum ft_dir)dir, bytes);
}
