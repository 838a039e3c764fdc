/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap_openvpn.c - flowtap inside OpenVPN 2.7: the glue behind the five
 * calls of openvpn-2.7.6-flowtap.patch (flowtap_openvpn.h).
 *
 * It is compiled inside OpenVPN's configured tree (it reads struct context
 * and OpenVPN's options) and linked with libflowtap by build.sh.
 *
 * What OpenVPN gets:
 *  - a tap named after the tun device with the paths from-local (read from
 *    tun), from-peer (decrypted, written to tun) and synthesized-to-local /
 *    synthesized-to-peer (the ICMPv6 unreachables --block-ipv6 makes);
 *  - tunnel-layer counters (virtual/subnet/exit from --ifconfig, --ifconfig-
 *    ipv6, --route and --route-ipv6) and socket-layer counters (the peer's
 *    overlay address -> its UDP endpoint), classified by a flow logger;
 *  - the local API on its own thread, so flowtap capture/status/flows, curl
 *    and Wireshark's extcap work as against flowtap-tunnel.
 *
 * Configuration is by environment, so that OpenVPN's option parser stays
 * untouched: FLOWTAP_SOCKET (the API socket; unset or empty: flowtap off,
 * nothing is started and every call returns at its first branch),
 * FLOWTAP_GROUP (may capture), FLOWTAP_FLOW_LOG (a JSON-lines file or "-"),
 * FLOWTAP_FLOW_INTERVAL_MS, FLOWTAP_NODE_ID.
 *
 * Threads: OpenVPN calls everything here from its one thread. The API server
 * and the flow logger run threads of their own; the library starts every
 * thread with every signal blocked, so OpenVPN's signals (SIGTERM, SIGHUP,
 * SIGUSR1) keep reaching and waking OpenVPN's thread, whose event loop only
 * notices a signal by the EINTR of its own wait. Those threads only read
 * what is set before they start (the status text) and the library's own
 * objects.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "syshead.h"

#include "openvpn.h"
#include "route.h"
#include "tun.h"

#include <jansson.h>
#include <pthread.h>

#include <flowtap/api.h>
#include <flowtap/flows.h>
#include <flowtap/tap.h>

#include "flowtap_openvpn.h"

#define FTOVPN_MAX_PREFIXES 64

static struct {
	struct ft_tap *tap; /* NULL: flowtap is off */
	struct ft_flows *tun, *phys;
	struct ft_flowlog *log;
	struct ft_api *api;
	struct ft_addr peer; /* the p2p peer's overlay address (physical keys) */
	size_t l2;	     /* bytes of link-layer header: 14 with --dev tap */
	bool synth_pending;  /* the next tun write is OpenVPN's own packet */
	char *status;	     /* the "openvpn" object of GET status, fixed at start */
} g;

static int add_prefix(struct ft_prefix *p, int n, const char *addr, int bits)
{
	char buf[96];

	if (!addr || n >= FTOVPN_MAX_PREFIXES)
		return n;
	snprintf(buf, sizeof(buf), "%s/%d", addr, bits);
	return ft_prefix_parse(buf, &p[n]) == 0 ? n + 1 : n;
}

static int mask_bits(const char *mask)
{
	struct in_addr m;

	if (!mask)
		return 32;
	if (inet_pton(AF_INET, mask, &m) != 1)
		return -1;
	return __builtin_popcount(m.s_addr);
}

/* The overlay: our --ifconfig addresses (with the peer's in p2p topologies,
 * else the whole subnet) are "virtual"; --route/--route-ipv6 are "subnet". */
static void set_classes(struct context *c, json_t *st)
{
	const struct options *o = &c->options;
	struct ft_prefix ov[FTOVPN_MAX_PREFIXES], rt[FTOVPN_MAX_PREFIXES];
	json_t *routes = json_array();
	int nov = 0, nrt = 0;
	bool p2p = is_tun_p2p(c->c1.tuntap);

	if (o->ifconfig_local) {
		if (p2p) {
			nov = add_prefix(ov, nov, o->ifconfig_local, 32);
			nov = add_prefix(ov, nov, o->ifconfig_remote_netmask, 32);
		} else {
			nov = add_prefix(ov, nov, o->ifconfig_local,
					 mask_bits(o->ifconfig_remote_netmask));
		}
	}
	if (o->ifconfig_ipv6_local)
		nov = add_prefix(ov, nov, o->ifconfig_ipv6_local, o->ifconfig_ipv6_netbits);
	if (o->ifconfig_ipv6_remote)
		nov = add_prefix(ov, nov, o->ifconfig_ipv6_remote, 128);
	for (const struct route_option *r = o->routes ? o->routes->routes : NULL; r; r = r->next) {
		int n = nrt, bits = mask_bits(r->netmask);
		if (bits >= 0 && (nrt = add_prefix(rt, nrt, r->network, bits)) > n)
			json_array_append_new(routes, json_sprintf("%s/%d", r->network, bits));
	}
	for (const struct route_ipv6_option *r = o->routes_ipv6 ? o->routes_ipv6->routes_ipv6
								: NULL;
	     r; r = r->next)
		if (nrt < FTOVPN_MAX_PREFIXES && r->prefix &&
		    ft_prefix_parse(r->prefix, &rt[nrt]) == 0)
			json_array_append_new(routes, json_string(r->prefix)), nrt++;
	if (nov)
		ft_flowlog_set_overlay(g.log, ov, (size_t)nov);
	ft_flowlog_set_routes(g.log, rt, (size_t)nrt);
	if (p2p && o->ifconfig_remote_netmask)
		ft_addr_parse(o->ifconfig_remote_netmask, &g.peer);
	json_object_set_new(st, "ifconfig_local", json_string(o->ifconfig_local));
	json_object_set_new(st, "ifconfig_remote", json_string(o->ifconfig_remote_netmask));
	json_object_set_new(st, "ifconfig_ipv6_local", json_string(o->ifconfig_ipv6_local));
	json_object_set_new(st, "routes", routes);
}

static char *status_json(void *ctx)
{
	return g.status ? strdup(g.status) : NULL;
}

static void flowlog_notice(void *ctx, int level, const char *m)
{
	/* From the logger's thread: OpenVPN's msg() is not thread-safe. */
	fprintf(stderr, "flowtap: flow log: %s\n", m);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The flow logger with the sinks the environment asks for. */
static int start_flowlog(const char **what)
{
	const char *v;
	int ret;

	*what = "flow counters";
	if ((ret = ft_flows_new(&g.tun, 0)) < 0 || (ret = ft_flows_new(&g.phys, 0)) < 0 ||
	    (ret = ft_flowlog_new(&g.log, g.tun, g.phys)) < 0)
		return ret;
	ft_flowlog_set_log(g.log, flowlog_notice, NULL);
	*what = "FLOWTAP_NODE_ID";
	if ((v = env("FLOWTAP_NODE_ID")) && (ret = ft_flowlog_set_node_id(g.log, v)) < 0)
		return ret;
	*what = "FLOWTAP_FLOW_INTERVAL_MS (100..86400000)";
	if ((v = env("FLOWTAP_FLOW_INTERVAL_MS")) &&
	    (ret = ft_flowlog_set_interval(g.log, (unsigned)strtoul(v, NULL, 10))) < 0)
		return ret;
	*what = "FLOWTAP_FLOW_LOG";
	if ((v = env("FLOWTAP_FLOW_LOG")) && (ret = ft_flowlog_add_sink_file(g.log, v)) < 0)
		return ret;
	*what = "the flow logger";
	return ft_flowlog_start(g.log);
}

static void stop(void)
{
	/* The final flush first, so that it also reaches /flows clients. */
	if (g.log)
		ft_flowlog_stop(g.log);
	if (g.api) {
		ft_api_set_flowlog(g.api, NULL);
		ft_api_free(g.api);
	}
	ft_flowlog_free(g.log);
	ft_tap_free(g.tap);
	ft_flows_free(g.tun);
	ft_flows_free(g.phys);
	free(g.status);
	memset(&g, 0, sizeof(g));
}

static int start(struct context *c, const char *sock, char *err, size_t errlen)
{
	const char *name = c->c1.tuntap->actual_name, *what;
	struct ft_api_opts o;
	json_t *st;
	int ret;

	g.l2 = c->c1.tuntap->type == DEV_TYPE_TAP ? 14 : 0;
	ret = g.l2 ? ft_tap_new_dlt(&g.tap, name, 1 /* DLT_EN10MB */) : ft_tap_new(&g.tap, name);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create tap %s: %s", name, ft_strerror(ret));
		return ret;
	}
	if ((ret = start_flowlog(&what)) < 0) {
		snprintf(err, errlen, "%s: %s", what, ft_strerror(ret));
		return ret;
	}
	st = json_pack("{s:s,s:s}", "interface", name, "mode",
		       c->options.mode == MODE_SERVER ? "server" : "p2p");
	set_classes(c, st);
	g.status = json_dumps(st, JSON_PRESERVE_ORDER);
	json_decref(st);
	ft_api_opts_init(&o);
	o.socket_path = sock;
	o.group = env("FLOWTAP_GROUP");
	ret = ft_api_new(&g.api, NULL, &o, err, errlen);
	if (ret < 0)
		return ret;
	ft_api_set_status_fn(g.api, "openvpn", status_json, NULL);
	if ((ret = ft_api_add_tap(g.api, g.tap)) < 0 ||
	    (ret = ft_api_set_flowlog(g.api, g.log)) < 0)
		snprintf(err, errlen, "cannot publish tap %s: %s", name, ft_strerror(ret));
	return ret;
}

void ftovpn_open(struct context *c)
{
	const char *sock = env("FLOWTAP_SOCKET");
	char err[256] = "";
	int ret;

	if (!sock || g.tap) /* off, or already on (a SIGUSR1 restart reopened tun) */
		return;
	ret = start(c, sock, err, sizeof(err));
	if (ret < 0) {
		msg(M_WARN, "flowtap: not started: %s", err[0] ? err : ft_strerror(ret));
		stop();
		return;
	}
	atexit(stop);
	msg(M_INFO, "flowtap: tap %s, local API on %s", ft_tap_name(g.tap), sock);
}

/* The IP packet in a tun buffer, if any (--dev tap: after an Ethernet II
 * header with an IPv4/IPv6 ethertype). */
static const uint8_t *ip_of(const struct buffer *buf, size_t *len)
{
	const uint8_t *p = BPTR(buf);
	size_t n = (size_t)BLEN(buf);

	if (g.l2) {
		if (n < 14 ||
		    !((p[12] == 0x08 && p[13] == 0x00) || (p[12] == 0x86 && p[13] == 0xdd)))
			return NULL;
		p += 14, n -= 14;
	}
	*len = n;
	return p;
}

static void tun_packet(const struct buffer *buf, unsigned path, enum ft_dir dir)
{
	const uint8_t *ip;
	size_t len;

	ft_tap_hook(g.tap, path, BPTR(buf), (size_t)BLEN(buf), NULL);
	if ((ip = ip_of(buf, &len)))
		ft_flows_add_ip(g.tun, ip, len, dir);
}

void ftovpn_tun_read(struct context *c, const struct buffer *buf)
{
	if (g.tap)
		tun_packet(buf, FT_PATH_FROM_LOCAL, FT_DIR_OUT);
}

void ftovpn_tun_write(struct context *c, const struct buffer *buf)
{
	if (!g.tap)
		return;
	tun_packet(buf, g.synth_pending ? FT_PATH_SYNTHESIZED_TO_LOCAL : FT_PATH_FROM_PEER,
		   FT_DIR_IN);
	g.synth_pending = false;
}

void ftovpn_synth(struct context *c, const struct buffer *buf, bool to_local)
{
	if (!g.tap || g.l2) /* --dev tap: the Ethernet header is added after this call */
		return;
	if (to_local) /* OpenVPN's next tun write is this packet: hooked there */
		g.synth_pending = true;
	else
		tun_packet(buf, FT_PATH_SYNTHESIZED_TO_PEER, FT_DIR_OUT);
}

void ftovpn_link(struct context *c, bool in, const struct link_socket_actual *a, int len)
{
	static const struct ft_addr unknown = {.len = 4};
	const struct sockaddr_in6 *s6 = &a->dest.addr.in6;
	struct ft_addr ep = {0};
	uint16_t port;

	if (!g.tap || len <= 0)
		return;
	if (a->dest.addr.sa.sa_family == AF_INET) {
		ep.len = 4;
		memcpy(ep.b, &a->dest.addr.in4.sin_addr, 4);
		port = ntohs(a->dest.addr.in4.sin_port);
	} else if (a->dest.addr.sa.sa_family == AF_INET6) {
		bool mapped = IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
		ep.len = mapped ? 4 : 16;
		memcpy(ep.b, s6->sin6_addr.s6_addr + (mapped ? 12 : 0), ep.len);
		port = ntohs(s6->sin6_port);
	} else {
		return;
	}
	ft_flows_add_physical(g.phys, g.peer.len ? &g.peer : &unknown, &ep, port,
			      in ? FT_DIR_IN : FT_DIR_OUT, (uint64_t)len);
}
