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
	if (ret < 0)
		goto fail;
	ft_flowlog_set_log(t->flowlog, flowlog_notice, t);
	ft_flowlog_set_log_exit_flows(t->flowlog, c->log_exit_flows);
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

static json_t *stats_json(const struct tun_stats *s)
{
	return json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I}}", "tun_rx",
	    (json_int_t)STAT_GET(s->tun_rx), "tun_tx", (json_int_t)STAT_GET(s->tun_tx), "udp_rx",
	    (json_int_t)STAT_GET(s->udp_rx), "udp_tx", (json_int_t)STAT_GET(s->udp_tx),
	    "echo_local", (json_int_t)STAT_GET(s->echo_local), "echo_peer",
	    (json_int_t)STAT_GET(s->echo_peer), "keepalive_tx",
	    (json_int_t)STAT_GET(s->keepalive_tx), "keepalive_rx",
	    (json_int_t)STAT_GET(s->keepalive_rx), "dropped", "invalid",
	    (json_int_t)STAT_GET(s->drop_invalid), "no_peer", (json_int_t)STAT_GET(s->drop_nopeer),
	    "foreign", (json_int_t)STAT_GET(s->drop_foreign), "service",
	    (json_int_t)STAT_GET(s->drop_service), "tx_full", (json_int_t)STAT_GET(s->drop_tx));
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
	ft_api_set_status_fn(t->api, "tunnel", status_json, t);
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
