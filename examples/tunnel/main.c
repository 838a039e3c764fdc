/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flowtap-tunnel: command-line flags; see flowtap-tunnel(8). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/anon.h>
#include <flowtap/api.h>
#include <flowtap/flows.h>
#include <flowtap/peers.h>
#include <flowtap/metrics.h>

#include "tunnel.h"

static const char usage_text[] =
    "Usage: " TUN_PROG " --addr CIDR [--peer ADDR:PORT] [options]\n"
    "\n"
    "A reference userspace datapath: a TUN device tunnelled over UDP (plain IP-in-UDP,\n"
    "no encryption: NOT a VPN) with libflowtap capture hooks, flow logs and the local API.\n"
    "\n"
    "  --tun NAME             TUN interface name (default ft0)\n"
    "  --tun-dev PATH         TUN clone device (default /dev/net/tun)\n"
    "  --addr CIDR            tunnel address, e.g. 100.64.0.1/24 (one IPv4, one IPv6)\n"
    "  --mtu N                interface MTU (default 1420)\n"
    "  --listen ADDR:PORT     UDP address to receive on (default 0.0.0.0:4242)\n"
    "  --peer ADDR:PORT       the peer's UDP endpoint (default: the last sender)\n"
    "  --peer-addr IP         the peer's tunnel address (default: learned)\n"
    "  --route CIDR           a subnet reached through the tunnel (repeatable)\n"
    "  --overlay CIDR         the overlay ranges for flow classes (repeatable;\n"
    "                         default 100.64.0.0/10 and fd7a:115c:a1e0::/48)\n"
    "  --service-addr IP      address the tunnel answers pings for (default 100.100.100.100)\n"
    "  --dnat SERVICE=REAL    send local packets for SERVICE to REAL (repeatable)\n"
    "  --deny CIDR[:PORT]     drop packets to CIDR (TCP/UDP PORT) as acl-denied, rule id =\n"
    "                         position (repeatable)\n"
    "  --keepalive SECONDS    keepalive probe interval, 0 for none (default 10)\n"
    "  --socket PATH          local API socket, \"\" for none (default " FT_API_DEFAULT_SOCKET ")\n"
    "  --group NAME           group whose members may capture through the API\n"
    "  --flow-log FILE|-      write flow-log messages as JSON lines\n"
    "  --flow-interval SECS   flow-log interval (default 5; fractions allowed; or --interval)\n"
    "  --node-id ID           nodeId of the flow-log messages\n"
    "  --peers FILE           peer table naming both ends in captures and flow logs\n"
    "                         (flowtap-peers(5)); SIGHUP re-reads it\n"
    "  --node NAME            this node's name (a table without --peers)\n"
    "  --peer-name NAME       the peer's name: its --peer-addr, --route prefixes\n"
    "                         and the rest of the --addr subnet\n"
    "  --url URL              POST flow-log messages to URL\n"
    "  --flow-format F        messages (default) or records (one row per connection)\n"
    "  --spool-dir DIR        spool directory for --url (no message lost on restart;\n"
    "                         or --spool)\n"
    "  --ipfix HOST:PORT      export flows as IPFIX over UDP\n"
    "  --log-exit-flows       log exit connections with their full tuples\n"
    "  --anonymize KEYFILE    map flow-log addresses with Crypto-PAn (see flowtap(1))\n"
    "  --metrics-listen [ADDR:]PORT  serve Prometheus metrics at /metrics over TCP\n"
    "                         (PORT alone: 127.0.0.1; off by default)\n"
    "  --recorder SECONDS[,SIZE]  keep the last SECONDS of packets (default size 64M)\n"
    "                         for flowtap capture --since and flowtap dump\n"
    "  --recorder-snaplen N   bytes kept per recorded packet (default 256)\n"
    "  --recorder-paths LIST  record only these paths (from-local,from-peer,...)\n"
    "  --trigger-dir DIR      save the recorder to pcapng files in DIR on triggers:\n"
    "                         SIGUSR2, flowtap trigger, and the two below\n"
    "  --trigger EXPR         ... a packet matching the tcpdump expression EXPR\n"
    "  --trigger-drop any|REASON[,REASON]  ... a drop (with one of the reasons)\n"
    "  --trigger-after TIME   keep saving TIME after the event (default 10s)\n"
    "  --trigger-before TIME  the window saved before it (default the recorder's)\n"
    "  --trigger-keep FILES[,SIZE]  files kept in DIR (default 10,1G)\n"
    "  -q, --quiet            no start and exit messages\n"
    "  -h, --help             this help\n";

enum {
	OPT_TUN = 256,
	OPT_RECORDER,
	OPT_RECORDER_SNAPLEN,
	OPT_RECORDER_PATHS,
	OPT_TRIGGER,
	OPT_TRIGGER_DROP,
	OPT_TRIGGER_DIR,
	OPT_TRIGGER_AFTER,
	OPT_TRIGGER_BEFORE,
	OPT_TRIGGER_KEEP,
	OPT_TUN_DEV,
	OPT_ADDR,
	OPT_MTU,
	OPT_LISTEN,
	OPT_PEER,
	OPT_PEER_ADDR,
	OPT_ROUTE,
	OPT_OVERLAY,
	OPT_SERVICE,
	OPT_DNAT,
	OPT_DENY,
	OPT_KEEPALIVE,
	OPT_SOCKET,
	OPT_GROUP,
	OPT_FLOW_LOG,
	OPT_FLOW_INTERVAL,
	OPT_NODE_ID,
	OPT_URL,
	OPT_SPOOL,
	OPT_FLOW_FORMAT,
	OPT_IPFIX,
	OPT_EXIT_FLOWS,
	OPT_VERSION,
	OPT_METRICS,
	OPT_ANONYMIZE,
	OPT_PEERS,
	OPT_NODE,
	OPT_PEER_NAME,
};

static const struct option options[] = {
    {"tun", required_argument, NULL, OPT_TUN},
    {"tun-dev", required_argument, NULL, OPT_TUN_DEV},
    {"addr", required_argument, NULL, OPT_ADDR},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"peer", required_argument, NULL, OPT_PEER},
    {"peer-addr", required_argument, NULL, OPT_PEER_ADDR},
    {"route", required_argument, NULL, OPT_ROUTE},
    {"overlay", required_argument, NULL, OPT_OVERLAY},
    {"service-addr", required_argument, NULL, OPT_SERVICE},
    {"dnat", required_argument, NULL, OPT_DNAT},
    {"deny", required_argument, NULL, OPT_DENY},
    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"group", required_argument, NULL, OPT_GROUP},
    {"flow-log", required_argument, NULL, OPT_FLOW_LOG},
    {"flow-interval", required_argument, NULL, OPT_FLOW_INTERVAL},
    {"interval", required_argument, NULL, OPT_FLOW_INTERVAL},
    {"node-id", required_argument, NULL, OPT_NODE_ID},
    {"url", required_argument, NULL, OPT_URL},
    {"spool-dir", required_argument, NULL, OPT_SPOOL},
    {"spool", required_argument, NULL, OPT_SPOOL},
    {"flow-format", required_argument, NULL, OPT_FLOW_FORMAT},
    {"metrics-listen", required_argument, NULL, OPT_METRICS},
    {"ipfix", required_argument, NULL, OPT_IPFIX},
    {"log-exit-flows", no_argument, NULL, OPT_EXIT_FLOWS},
    {"anonymize", required_argument, NULL, OPT_ANONYMIZE},
    {"peers", required_argument, NULL, OPT_PEERS},
    {"node", required_argument, NULL, OPT_NODE},
    {"peer-name", required_argument, NULL, OPT_PEER_NAME},
    {"recorder", required_argument, NULL, OPT_RECORDER},
    {"recorder-snaplen", required_argument, NULL, OPT_RECORDER_SNAPLEN},
    {"recorder-paths", required_argument, NULL, OPT_RECORDER_PATHS},
    {"trigger", required_argument, NULL, OPT_TRIGGER},
    {"trigger-drop", required_argument, NULL, OPT_TRIGGER_DROP},
    {"trigger-dir", required_argument, NULL, OPT_TRIGGER_DIR},
    {"trigger-after", required_argument, NULL, OPT_TRIGGER_AFTER},
    {"trigger-before", required_argument, NULL, OPT_TRIGGER_BEFORE},
    {"trigger-keep", required_argument, NULL, OPT_TRIGGER_KEEP},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* tun_parse_sockaddr - "1.2.3.4:PORT", "[v6]:PORT" or ":PORT" (any IPv4
 * address). Returns 0 or -EINVAL. */
int tun_parse_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':'), *h = host;
	struct ft_addr a;
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon || !colon[1])
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	hl = (size_t)(colon - s);
	if (*end || port > 65535 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	} else if (strchr(host, ':')) {
		return -EINVAL; /* an IPv6 address needs brackets */
	}
	if (!*h)
		h = "0.0.0.0";
	if (ft_addr_parse(h, &a) < 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (a.len == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a.b, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		memcpy(&in6->sin6_addr, a.b, 16);
		*len = sizeof(*in6);
	}
	return 0;
}

const char *tun_format_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	}
	return buf;
}

/* tun_parse_ipnet - "ADDR/BITS" or a bare address (a host prefix). */
int tun_parse_ipnet(const char *s, struct ipnet *n)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t al = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;
	char *end;

	if (al >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, al);
	buf[al] = '\0';
	if (ft_addr_parse(buf, &n->addr) < 0)
		return -EINVAL;
	if (!slash) {
		n->plen = (uint8_t)(n->addr.len * 8);
		return 0;
	}
	bits = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || bits > n->addr.len * 8u)
		return -EINVAL;
	n->plen = (uint8_t)bits;
	return 0;
}

static void clear_host_bits(struct ipnet *n)
{
	for (unsigned i = 0; i < n->addr.len; i++) {
		unsigned bits = n->plen > i * 8 ? n->plen - i * 8 : 0;
		n->addr.b[i] &= bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
	}
}

static int bad(const char *flag, const char *arg, const char *expect)
{
	fprintf(stderr, TUN_PROG ": bad %s '%s': expected %s\n", flag, arg, expect);
	return -EINVAL;
}

static int parse_ip4(const char *flag, const char *s, uint32_t *out)
{
	struct ft_addr a;

	if (ft_addr_parse(s, &a) < 0 || a.len != 4)
		return bad(flag, s, "an IPv4 address");
	memcpy(out, a.b, 4);
	return 0;
}

static int parse_dnat(const char *s, struct tun_cfg *c)
{
	char buf[64];
	const char *eq = strchr(s, '=');
	struct dnat_rule *r = &c->dnat[c->ndnat];
	struct ft_addr svc, real;

	if (c->ndnat == TUN_MAX_DNAT)
		return bad("--dnat", s, "at most 8 rules");
	if (!eq || (size_t)(eq - s) >= sizeof(buf))
		return bad("--dnat", s, "SERVICE=REAL (IPv4 addresses)");
	memcpy(buf, s, (size_t)(eq - s));
	buf[eq - s] = '\0';
	if (ft_addr_parse(buf, &svc) < 0 || svc.len != 4 || ft_addr_parse(eq + 1, &real) < 0 ||
	    real.len != 4)
		return bad("--dnat", s, "SERVICE=REAL (IPv4 addresses)");
	memcpy(&r->service_be, svc.b, 4);
	memcpy(&r->real_be, real.b, 4);
	c->ndnat++;
	return 0;
}

static int parse_uint(const char *flag, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (!*s || *end || errno || *out > max || s[0] == '-')
		return bad(flag, s, "a whole number in range");
	return 0;
}

static int parse_interval(const char *s, unsigned *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0.1 && v <= 86400))
		return bad("--flow-interval", s, "seconds between 0.1 and 86400");
	*ms = (unsigned)(v * 1000 + 0.5);
	return 0;
}

static int parse_addr_flag(const char *s, struct tun_cfg *c)
{
	struct ipnet n;

	if (tun_parse_ipnet(s, &n) < 0)
		return bad("--addr", s, "ADDRESS/PREFIX, e.g. 100.64.0.1/24");
	for (int i = 0; i < c->naddrs; i++)
		if (c->addrs[i].addr.len == n.addr.len)
			return bad("--addr", s, "at most one IPv4 and one IPv6 address");
	c->addrs[c->naddrs++] = n;
	return 0;
}

static int parse_route(const char *s, struct tun_cfg *c)
{
	if (c->nroutes == TUN_MAX_ROUTES)
		return bad("--route", s, "at most 16 routes");
	if (tun_parse_ipnet(s, &c->routes[c->nroutes]) < 0)
		return bad("--route", s, "a prefix such as 10.1.0.0/16");
	clear_host_bits(&c->routes[c->nroutes++]);
	return 0;
}

static int parse_one(int opt, const char *arg, struct tun_cfg *c)
{
	unsigned long v;

	switch (opt) {
	case OPT_TUN:
		if (!*arg || strlen(arg) >= 16)
			return bad("--tun", arg, "an interface name of 1..15 characters");
		c->tun_name = arg;
		return 0;
	case OPT_TUN_DEV:
		c->tun_dev = arg;
		return 0;
	case OPT_ADDR:
		return parse_addr_flag(arg, c);
	case OPT_MTU:
		if (parse_uint("--mtu", arg, 65535, &v) < 0)
			return -EINVAL;
		if (v < 576)
			return bad("--mtu", arg, "576..65535");
		c->mtu = (int)v;
		return 0;
	case OPT_LISTEN:
		if (tun_parse_sockaddr(arg, &c->listen, &c->listen_len) < 0)
			return bad("--listen", arg, "ADDR:PORT, e.g. 0.0.0.0:4242 or [::]:4242");
		return 0;
	case OPT_PEER:
		if (tun_parse_sockaddr(arg, &c->peer, &c->peer_len) < 0)
			return bad("--peer", arg, "ADDR:PORT, e.g. 192.0.2.1:4242");
		return 0;
	case OPT_PEER_ADDR:
		if (ft_addr_parse(arg, &c->peer_overlay) < 0)
			return bad("--peer-addr", arg, "an IPv4 or IPv6 address");
		return 0;
	case OPT_ROUTE:
		return parse_route(arg, c);
	case OPT_OVERLAY:
		if (c->noverlay == TUN_MAX_ROUTES)
			return bad("--overlay", arg, "at most 16 overlay ranges");
		if (tun_parse_ipnet(arg, &c->overlay[c->noverlay]) < 0)
			return bad("--overlay", arg, "a prefix such as 10.64.0.0/16");
		clear_host_bits(&c->overlay[c->noverlay++]);
		return 0;
	case OPT_SERVICE:
		return parse_ip4("--service-addr", arg, &c->service_be);
	case OPT_DNAT:
		return parse_dnat(arg, c);
	case OPT_DENY:
		return deny_parse(arg, c);
	case OPT_KEEPALIVE:
		if (parse_uint("--keepalive", arg, 86400, &v) < 0)
			return -EINVAL;
		c->keepalive_s = (unsigned)v;
		return 0;
	case OPT_FLOW_INTERVAL:
		return parse_interval(arg, &c->flow_interval_ms);
	case OPT_FLOW_FORMAT: {
		enum ft_flow_format f;
		if (ft_flow_format_parse(arg, &f) < 0)
			return bad("--flow-format", arg, "records or messages");
		c->flow_format = f;
		return 0;
	}
	case OPT_ANONYMIZE: {
		char err[FT_ERRBUF_SIZE];
		if (ft_anon_key_load(arg, c->anon_key, err) < 0) {
			fprintf(stderr, TUN_PROG ": --anonymize: %s\n", err);
			return -EINVAL;
		}
		c->anon = true;
		return 0;
	}
	case OPT_RECORDER: {
		char err[128];
		if (ft_recorder_opts_parse(&c->rec, arg, err, sizeof(err)) < 0) {
			fprintf(stderr, TUN_PROG ": --recorder: %s\n", err);
			return -EINVAL;
		}
		c->recorder = true;
		return 0;
	}
	case OPT_RECORDER_SNAPLEN: {
		char *end;
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || v < 1 ||
		    v > FT_RECORDER_SNAPLEN_MAX)
			return bad("--recorder-snaplen", arg, "bytes, 1-65535");
		c->rec.snaplen = (uint32_t)v;
		return 0;
	}
	case OPT_RECORDER_PATHS: {
		char err[128];
		if (ft_pathset_parse(&c->rec.paths, arg, NULL, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, TUN_PROG ": --recorder-paths: %s\n", err);
			return -EINVAL;
		}
		c->recorder_paths = true;
		return 0;
	}
	case OPT_TRIGGER_AFTER:
	case OPT_TRIGGER_BEFORE:
	case OPT_TRIGGER_KEEP: {
		const char *name = opt == OPT_TRIGGER_AFTER    ? "after"
				   : opt == OPT_TRIGGER_BEFORE ? "before"
							       : "keep";
		char err[160];
		if (ft_trigger_opts_parse(&c->trig, name, arg, err, sizeof(err)) < 0) {
			fprintf(stderr, TUN_PROG ": --trigger-%s: %s\n", name, err);
			return -EINVAL;
		}
		c->trigger_opts = true;
		return 0;
	}
	case OPT_METRICS:
		if (ft_metrics_parse_listen(arg) < 0)
			return bad("--metrics-listen", arg,
				   "PORT, IPV4:PORT or [IPV6]:PORT (PORT alone: 127.0.0.1)");
		c->metrics_listen = arg;
		return 0;
	default:
		return 1; /* not a flag that needs parsing */
	}
}

static void set_string(int opt, const char *arg, struct tun_cfg *c)
{
	switch (opt) {
	case OPT_TRIGGER:
		c->trigger = arg;
		break;
	case OPT_TRIGGER_DROP:
		c->trigger_drop = arg;
		break;
	case OPT_TRIGGER_DIR:
		c->trigger_dir = arg;
		break;
	case OPT_SOCKET:
		c->socket_path = arg;
		break;
	case OPT_GROUP:
		c->api_group = arg;
		break;
	case OPT_FLOW_LOG:
		c->flow_log = arg;
		break;
	case OPT_NODE_ID:
		c->node_id = arg;
		break;
	case OPT_PEERS:
		c->peers_file = arg;
		break;
	case OPT_NODE:
		c->node_name = arg;
		break;
	case OPT_PEER_NAME:
		c->peer_name = arg;
		break;
	case OPT_URL:
		c->url = arg;
		break;
	case OPT_SPOOL:
		c->spool_dir = arg;
		break;
	case OPT_IPFIX:
		c->ipfix = arg;
		break;
	case OPT_EXIT_FLOWS:
		c->log_exit_flows = true;
		break;
	case 'q':
		c->quiet = true;
		break;
	}
}

static void defaults(struct tun_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->tun_name = "ft0";
	c->tun_dev = "/dev/net/tun";
	c->mtu = TUN_DEFAULT_MTU;
	c->keepalive_s = 10;
	c->socket_path = FT_API_DEFAULT_SOCKET;
	ft_recorder_opts_init(&c->rec);
	ft_trigger_opts_init(&c->trig);
	tun_parse_sockaddr("0.0.0.0:4242", &c->listen, &c->listen_len);
	parse_ip4("--service-addr", "100.100.100.100", &c->service_be);
}

/* Checks across flags. */
static int check(const struct tun_cfg *c)
{
	if (!c->naddrs) {
		fprintf(stderr, TUN_PROG ": --addr is required (e.g. --addr 100.64.0.1/24)\n");
		return -EINVAL;
	}
	for (int i = 0; i < c->ndnat; i++)
		if (c->dnat[i].service_be == c->service_be) {
			fprintf(stderr, TUN_PROG ": --dnat cannot rewrite the service address\n");
			return -EINVAL;
		}
	if ((c->rec.snaplen != 256 || c->recorder_paths) && !c->recorder) {
		fprintf(stderr,
			TUN_PROG ": --recorder-snaplen and --recorder-paths need --recorder "
				 "SECONDS\n");
		return -EINVAL;
	}
	if ((c->trigger || c->trigger_drop || c->trigger_opts) && !c->trigger_dir) {
		fprintf(stderr, TUN_PROG ": --trigger options need --trigger-dir DIR\n");
		return -EINVAL;
	}
	if (c->trigger_dir && !c->recorder) {
		fprintf(stderr, TUN_PROG ": --trigger-dir needs --recorder SECONDS\n");
		return -EINVAL;
	}
	if (c->peers_file && (c->node_name || c->peer_name)) {
		fprintf(stderr, TUN_PROG ": --node and --peer-name build a table without --peers; "
					 "with a file, name the nodes in it\n");
		return -EINVAL;
	}
	if (c->spool_dir && !c->url) {
		fprintf(stderr, TUN_PROG ": --spool-dir needs --url\n");
		return -EINVAL;
	}
	if (c->metrics_listen && (!c->socket_path || !*c->socket_path)) {
		fprintf(stderr, TUN_PROG ": --metrics-listen needs the local API (--socket)\n");
		return -EINVAL;
	}
	return 0;
}

/* Exit codes: 0 after a clean stop (SIGINT, SIGTERM), 1 when the tunnel
 * could not be set up or failed, 2 for bad usage. */
int main(int argc, char **argv)
{
	struct tun_cfg c;
	int opt, ret;

	defaults(&c);
	while ((opt = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (opt == OPT_VERSION) {
			printf(TUN_PROG " %s\n", FT_VERSION_STRING);
			return 0;
		}
		if (opt == '?') {
			fprintf(stderr, "Run '" TUN_PROG " --help' for the options.\n");
			return 2;
		}
		ret = parse_one(opt, optarg, &c);
		if (ret < 0)
			return 2;
		if (ret > 0)
			set_string(opt, optarg, &c);
	}
	if (optind < argc) {
		fprintf(stderr, TUN_PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (check(&c) < 0)
		return 2;
	/* A bad peer table is bad usage: found before anything is set up. */
	struct ft_peers *peers;
	char err[512];
	if (tun_peers_load(&c, &peers, err, sizeof(err)) < 0) {
		fprintf(stderr, TUN_PROG ": %s\n", err);
		return 2;
	}
	ft_peers_free(peers);
	/* A capture client that hangs up must cost its stream, not the process:
	 * writes to its socket then fail with EPIPE instead of killing us. */
	signal(SIGPIPE, SIG_IGN);
	return tunnel_run(&c) < 0 ? 1 : 0;
}
