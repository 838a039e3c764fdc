/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flowtap flows: flow-log messages from a live process or a capture file.
 *
 * Live: GET /localapi/v0/flows over the local API socket, printing the NDJSON
 * stream as it arrives. File (-r): the packets are counted into a connection
 * table and a flow logger emits a message per --interval of the file's own
 * timestamps, to stdout and to any --url / --ipfix sinks.
 *
 * Which side of a connection is local, for a file: the direction recorded in
 * the file when it has one (user0 paths, pcapng direction); otherwise the end
 * inside a --local-net prefix (default: the overlay ranges) when exactly one
 * end is; otherwise the sender of the connection's first packet.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <flowtap/flows.h>
#include <flowtap/peers.h>
#include <flowtap/reader.h>

#include <flowtap/anon.h>

#include "anon_cli.h"
#include "cli.h"
#include "localapi.h"
#include "parse_num.h"
#include "rd.h"

#define MAX_NETS 64

struct opts {
	const char *socket;
	const char *file;
	double interval;
	bool log_exit;
	bool quiet;
	const char *node_id;
	const char *routes[MAX_NETS];
	int nroutes;
	struct ft_prefix local[MAX_NETS];
	int nlocal;
	const char *ipfix;
	unsigned ipfix_rate; /* --ipfix-rate + 1; 0: the default */
	const char *peers;   /* --peers FILE */
	const char *url;
	const char *spool;
	unsigned spool_max;
	const char *out;
	size_t max_conns;
	enum ft_flow_format format;
	bool anon;			   /* --anonymize */
	uint8_t anon_key[FT_ANON_KEY_LEN]; /* its key */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flowtap flows [--socket PATH]\n"
		"       flowtap flows -r FILE [--interval S] [--log-exit-flows] [--node-id ID]\n"
		"                     [--route CIDR]... [--local-net CIDR]... [--max-conns N]\n"
		"                     [--ipfix HOST:PORT] [--url URL [--spool DIR]]\n"
		"                     [--ipfix-rate N] [--spool-max N]\n"
		"                     [--flow-format records|messages]\n"
		"                     [--anonymize KEYFILE] [-w OUT] [-q]\n"
		"\n"
		"Print flow-log messages (JSON lines, see flowtap-flows(5)) streamed by a running\n"
		"datapath, or computed from a capture file using the file's timestamps.\n"
		"  --socket PATH        local API socket (default $FLOWTAP_SOCKET or %s)\n"
		"  -r FILE              read pcap, pcapng or user0 FILE ('-' for stdin)\n"
		"  --interval S         seconds per message window (default 5)\n"
		"  --log-exit-flows     keep exit connections' tuples instead of one aggregate\n"
		"  --anonymize KEYFILE  map addresses with Crypto-PAn (as flowtap read does)\n"
		"  --node-id ID         nodeId of the messages\n"
		"  --route CIDR         a subnet routed through the overlay (repeatable)\n"
		"  --local-net CIDR     addresses of the local side (repeatable; default the\n"
		"                       overlay ranges 100.64.0.0/10 and fd7a:115c:a1e0::/48)\n"
		"  --max-conns N        connections held per window (default 1048576)\n"
		"  --ipfix HOST:PORT    also export IPFIX over UDP\n"
		"  --ipfix-rate N       IPFIX datagrams per second (default 2000, 0: unpaced)\n"
		"  --peers FILE         name the nodes (srcNode, dstNodes; IPFIX names)\n"
		"  --url URL            also POST NDJSON batches to URL\n"
		"  --spool DIR          spool directory for --url (survives restarts)\n"
		"  --spool-max N        messages kept for --url at most (default 100000)\n"
		"  --flow-format F      messages (default) or records: one flat JSON object\n"
		"                       per connection, for -w/stdout and --url\n"
		"  -w OUT               write the JSON lines to OUT instead of stdout\n"
		"  -q                   do not print the JSON lines\n",
		FT_DEFAULT_SOCKET);
}

static void log_cb(void *ctx, int level, const char *msg)
{
	fprintf(stderr, "flowtap: %s\n", msg);
}

/* Offset of the IP header in a frame of link type @dlt, or -1. */
static int ip_offset(int dlt, const uint8_t *p, uint32_t caplen)
{
	struct ft_rd r = ft_rd_init(p, caplen);
	uint16_t et;

	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		return caplen >= 4 ? 4 : -1;
	case DLT_EN10MB:
		ft_rd_skip(&r, 12);
		et = ft_rd_be16(&r);
		for (int i = 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++) {
			ft_rd_skip(&r, 2);
			et = ft_rd_be16(&r);
		}
		break;
	case DLT_LINUX_SLL:
		ft_rd_skip(&r, 14);
		et = ft_rd_be16(&r);
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		et = ft_rd_be16(&r);
		ft_rd_skip(&r, 18);
		break;
#endif
	default:
		return -1;
	}
	if (r.err || (et != 0x0800 && et != 0x86dd))
		return -1;
	return (int)(r.p - p);
}

static bool in_local(const struct opts *o, const struct ft_addr *a)
{
	for (int i = 0; i < o->nlocal; i++)
		if (ft_prefix_contains(&o->local[i], a))
			return true;
	return false;
}

/* The direction of a packet when the file does not record one. */
static enum ft_dir guess_dir(const struct opts *o, const uint8_t *ip, uint32_t len)
{
	struct ft_flow_key k;
	uint32_t bytes;
	if (ft_flows_key_from_ip(&k, &bytes, ip, len, FT_DIR_OUT) < 0)
		return FT_DIR_UNKNOWN;
	bool s = in_local(o, &k.src), d = in_local(o, &k.dst);
	if (s != d)
		return s ? FT_DIR_OUT : FT_DIR_IN;
	return FT_DIR_UNKNOWN;
}

static int setup_logger(const struct opts *o, struct ft_flows *tun, struct ft_flowlog **out)
{
	struct ft_flowlog *l;
	int ret = ft_flowlog_new(&l, tun, NULL);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot create the flow logger: %s\n", ft_strerror(ret));
		return ret;
	}
	ft_flowlog_set_log(l, log_cb, NULL);
	ft_flowlog_set_log_exit_flows(l, o->log_exit);
	if (o->anon && (ret = ft_flowlog_set_anonymize(l, o->anon_key)) < 0) {
		fprintf(stderr, "flowtap: --anonymize: %s\n", ft_strerror(ret));
		goto fail;
	}
	if (o->node_id && (ret = ft_flowlog_set_node_id(l, o->node_id)) < 0) {
		fprintf(stderr, "flowtap: invalid --node-id '%s': %s\n", o->node_id,
			ft_strerror(ret));
		goto fail;
	}
	for (int i = 0; i < o->nroutes; i++)
		ft_flowlog_add_route_str(l, o->routes[i]); /* validated while parsing */
	if (o->peers) {
		struct ft_peers *p;
		char err[512];
		if ((ret = ft_peers_load_file(o->peers, &p, err, sizeof(err))) < 0) {
			fprintf(stderr, "flowtap: %s\n", err);
			goto fail;
		}
		ft_flowlog_set_peers(l, p);
		ft_peers_free(p);
	}
	if (!o->quiet && (ret = ft_flowlog_add_sink_file(l, o->out ? o->out : "-")) < 0) {
		fprintf(stderr, "flowtap: cannot open '%s': %s\n", o->out, ft_strerror(ret));
		goto fail;
	}
	if (!o->quiet)
		ft_flowlog_set_sink_format(l, ret, o->format);
	struct ft_ipfix_sink_opts io;
	ft_ipfix_sink_opts_init(&io);
	if (o->ipfix_rate)
		io.rate = o->ipfix_rate - 1;
	if (o->ipfix && (ret = ft_flowlog_add_sink_ipfix_opts(l, o->ipfix, &io)) < 0) {
		fprintf(stderr, "flowtap: invalid --ipfix '%s': %s\n", o->ipfix,
			ret == -EINVAL ? "expected HOST:PORT" : ft_strerror(ret));
		goto fail;
	}
	struct ft_http_sink_opts ho = {.spool_max_files = o->spool_max, .format = o->format};
	if (o->url && (ret = ft_flowlog_add_sink_http(l, o->url, o->spool, &ho)) < 0) {
		if (ret == -EINVAL)
			fprintf(stderr, "flowtap: invalid --url '%s': expected an http(s) URL\n",
				o->url);
		else
			fprintf(stderr, "flowtap: cannot use spool directory '%s': %s\n", o->spool,
				ret == -EBUSY ? "in use by another process" : ft_strerror(ret));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	ft_flowlog_free(l);
	return ret;
}

static int read_file(const struct opts *o)
{
	char errbuf[FT_ERRBUF_SIZE] = "";
	struct ft_reader *rd = NULL;
	struct ft_flows *tun = NULL;
	struct ft_flowlog *l = NULL;
	struct ft_pkt p;
	uint64_t ivl = (uint64_t)(o->interval * 1e9), start = 0, last = 0;
	bool have = false;
	int ret, rc = 1;

	ret = ft_reader_open(&rd, o->file, errbuf);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot read '%s': %s\n", o->file,
			*errbuf ? errbuf : ft_strerror(ret));
		return 1;
	}
	ret = ft_flows_new(&tun, o->max_conns);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot create the connection table: %s\n",
			ft_strerror(ret));
		goto out;
	}
	if (setup_logger(o, tun, &l) < 0)
		goto out;
	int dlt = ft_reader_dlt(rd);
	while ((ret = ft_reader_next(rd, &p)) == 1) {
		if (!have) {
			start = p.ts_ns;
			have = true;
		}
		/* Windows follow the file's clock; empty windows are skipped. */
		if (p.ts_ns >= start + ivl) {
			ft_flowlog_flush(l, start, start + ivl);
			start += (p.ts_ns - start) / ivl * ivl;
		}
		last = p.ts_ns > last ? p.ts_ns : last;
		int off = ip_offset(p.dlt ? p.dlt : dlt, p.data, p.caplen);
		if (off < 0)
			continue;
		const uint8_t *ip = p.data + off;
		uint32_t len = p.caplen - (uint32_t)off;
		enum ft_dir dir = (enum ft_dir)p.dir;
		if (dir != FT_DIR_IN && dir != FT_DIR_OUT)
			dir = guess_dir(o, ip, len);
		ft_flows_add_ip(tun, ip, len, dir);
	}
	if (ret < 0) {
		fprintf(stderr, "flowtap: '%s': %s\n", o->file, ft_reader_error(rd));
		goto out;
	}
	if (have)
		ft_flowlog_flush(l, start, last > start ? last : start);
	struct ft_flows_stats st;
	ft_flows_stats(tun, &st);
	if (st.overflow)
		fprintf(stderr,
			"flowtap: %llu packets not counted: more than %llu connections in one "
			"window (--max-conns)\n",
			(unsigned long long)st.overflow, (unsigned long long)st.max);
	rc = 0;
out:
	ft_flowlog_free(l); /* HTTP sinks drain here */
	ft_flows_free(tun);
	ft_reader_close(rd);
	return rc;
}

struct live_ctx {
	CURL *c;
	char err[256]; /* start of an error answer's body */
	size_t errlen;
	struct ft_anon *anon; /* --anonymize: lines are mapped, */
	struct cli_buf line;  /* the incomplete one kept here */
};

/* --anonymize on a live stream: each whole line (a message or a record)
 * is parsed, mapped and printed; a line that does not parse is left out,
 * since what it holds cannot be mapped. */
static size_t print_mapped(struct live_ctx *lc, const char *p, size_t n)
{
	char *nl;

	if (cli_buf_add(&lc->line, p, n) < 0)
		return 0;
	while ((nl = memchr(lc->line.p, '\n', lc->line.len))) {
		size_t len = (size_t)(nl - lc->line.p) + 1;
		json_t *j = json_loadb(lc->line.p, len, 0, NULL);
		if (j) {
			cli_anon_json(lc->anon, j);
			char *s = json_dumps(j, JSON_COMPACT);
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(j);
		}
		memmove(lc->line.p, lc->line.p + len, lc->line.len - len);
		lc->line.len -= len;
	}
	fflush(stdout);
	return n;
}

/* Prints the stream only after a 200; an error body is kept for the message. */
static size_t print_chunk(char *p, size_t sz, size_t n, void *ctx)
{
	struct live_ctx *lc = ctx;
	long code = 0;
	curl_easy_getinfo(lc->c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		size_t k = sizeof(lc->err) - 1 - lc->errlen;
		k = k < sz * n ? k : sz * n;
		memcpy(lc->err + lc->errlen, p, k);
		lc->errlen += k;
		lc->err[lc->errlen] = '\0';
		return sz * n;
	}
	if (lc->anon)
		return print_mapped(lc, p, sz * n);
	size_t w = fwrite(p, 1, sz * n, stdout);
	fflush(stdout);
	return w;
}

static int live(const struct opts *o)
{
	const char *sock = cli_socket_path(o->socket);
	char errbuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	struct live_ctx lc = {0};
	int rc = 1;

	if (o->anon && ft_anon_new(&lc.anon, o->anon_key) < 0) {
		fprintf(stderr, "flowtap: --anonymize: cannot set up libcrypto\n");
		return 1;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = curl_easy_init();
	if (!c) {
		fprintf(stderr, "flowtap: cannot initialise libcurl\n");
		return 1;
	}
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL,
			 "http://local"
			 "/localapi/v0/flows");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, print_chunk);
	lc.c = c;
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &lc);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
	CURLcode r = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (r == CURLE_COULDNT_CONNECT) {
		fprintf(stderr,
			"flowtap: cannot connect to '%s': no datapath is listening (is flowtapd or "
			"the tunnel running? --socket or $FLOWTAP_SOCKET)\n",
			sock);
	} else if (r != CURLE_OK) {
		fprintf(stderr, "flowtap: flows from '%s': %s\n", sock,
			*errbuf ? errbuf : curl_easy_strerror(r));
	} else if (code == 403) {
		fprintf(stderr,
			"flowtap: flows from '%s': permission denied (HTTP 403): run as root, "
			"the datapath's user or a member of its group\n",
			sock);
	} else if (code != 200) {
		lc.err[strcspn(lc.err, "\r\n")] = '\0';
		fprintf(stderr, "flowtap: flows from '%s': HTTP status %ld%s%s\n", sock, code,
			*lc.err ? ": " : "", lc.err);
	} else {
		rc = 0;
	}
	curl_easy_cleanup(c);
	ft_anon_free(lc.anon);
	free(lc.line.p);
	return rc;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_SOCKET = 256,
		O_INTERVAL,
		O_EXIT,
		O_NODE,
		O_ROUTE,
		O_LOCAL,
		O_IPFIX,
		O_URL,
		O_SPOOL,
		O_SPOOLMAX,
		O_MAX,
		O_FORMAT,
		O_ANON,
		O_PEERS,
		O_IPFIX_RATE
	};
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, O_SOCKET},
	    {"interval", required_argument, NULL, O_INTERVAL},
	    {"log-exit-flows", no_argument, NULL, O_EXIT},
	    {"node-id", required_argument, NULL, O_NODE},
	    {"route", required_argument, NULL, O_ROUTE},
	    {"local-net", required_argument, NULL, O_LOCAL},
	    {"ipfix", required_argument, NULL, O_IPFIX},
	    {"ipfix-rate", required_argument, NULL, O_IPFIX_RATE},
	    {"url", required_argument, NULL, O_URL},
	    {"spool", required_argument, NULL, O_SPOOL},
	    {"spool-max", required_argument, NULL, O_SPOOLMAX},
	    {"max-conns", required_argument, NULL, O_MAX},
	    {"flow-format", required_argument, NULL, O_FORMAT},
	    {"anonymize", required_argument, NULL, O_ANON},
	    {"peers", required_argument, NULL, O_PEERS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ft_prefix pf;
	char *end;
	int c;

	o->interval = 5;
	o->max_conns = 1u << 20;
	while ((c = getopt_long(argc, argv, "r:w:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->file = optarg;
			break;
		case 'w':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case O_SOCKET:
			o->socket = optarg;
			break;
		case O_INTERVAL:
			o->interval = strtod(optarg, &end);
			if (*end || !(o->interval >= 0.001 && o->interval <= 86400)) {
				fprintf(stderr,
					"flowtap: invalid --interval '%s': expected seconds "
					"between 0.001 and 86400\n",
					optarg);
				return -1;
			}
			break;
		case O_EXIT:
			o->log_exit = true;
			break;
		case O_ANON: {
			char err[FT_ERRBUF_SIZE];
			if (ft_anon_key_load(optarg, o->anon_key, err) < 0) {
				fprintf(stderr, "flowtap flows: --anonymize: %s\n", err);
				return -1;
			}
			o->anon = true;
			break;
		}
		case O_NODE:
			o->node_id = optarg;
			break;
		case O_ROUTE:
		case O_LOCAL:
			if (ft_prefix_parse(optarg, &pf) < 0) {
				fprintf(stderr, "flowtap: invalid --%s '%s': expected ADDR/BITS\n",
					c == O_ROUTE ? "route" : "local-net", optarg);
				return -1;
			}
			if ((c == O_ROUTE ? o->nroutes : o->nlocal) >= MAX_NETS) {
				fprintf(stderr, "flowtap: too many --%s (at most %d)\n",
					c == O_ROUTE ? "route" : "local-net", MAX_NETS);
				return -1;
			}
			if (c == O_ROUTE)
				o->routes[o->nroutes++] = optarg;
			else
				o->local[o->nlocal++] = pf;
			break;
		case O_IPFIX:
			o->ipfix = optarg;
			break;
		case O_PEERS:
			o->peers = optarg;
			break;
		case O_IPFIX_RATE: {
			uint64_t v;
			if (ft__parse_u64(optarg, 1000000, &v) < 0) {
				fprintf(stderr,
					"flowtap: invalid --ipfix-rate '%s': expected 0..1000000 "
					"datagrams per second\n",
					optarg);
				return -1;
			}
			o->ipfix_rate = (unsigned)v + 1;
			break;
		}
		case O_URL:
			o->url = optarg;
			break;
		case O_SPOOL:
			o->spool = optarg;
			break;
		case O_SPOOLMAX: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > 10000000) {
				fprintf(stderr,
					"flowtap: invalid --spool-max '%s': expected 1..10000000 "
					"messages\n",
					optarg);
				return -1;
			}
			o->spool_max = (unsigned)v;
			break;
		}
		case O_MAX: {
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > (1u << 24)) {
				fprintf(stderr,
					"flowtap: invalid --max-conns '%s': expected 1..%u\n",
					optarg, 1u << 24);
				return -1;
			}
			o->max_conns = (size_t)v;
			break;
		}
		case O_FORMAT:
			if (ft_flow_format_parse(optarg, &o->format) < 0) {
				fprintf(stderr,
					"flowtap: invalid --flow-format '%s': expected records or "
					"messages\n",
					optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtap: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if ((o->spool || o->spool_max) && !o->url) {
		fprintf(stderr, "flowtap: --spool and --spool-max need --url\n");
		return -1;
	}
	if (o->ipfix_rate && !o->ipfix) {
		fprintf(stderr, "flowtap: --ipfix-rate needs --ipfix\n");
		return -1;
	}
	if (!o->nlocal) {
		ft_prefix_parse("100.64.0.0/10", &o->local[o->nlocal++]);
		ft_prefix_parse("fd7a:115c:a1e0::/48", &o->local[o->nlocal++]);
	}
	return 0;
}

int cmd_flows_main(int argc, char **argv)
{
	struct opts o = {0};
	int r = parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : 2;
	if (o.file)
		return read_file(&o);
	if (o.log_exit || o.node_id || o.nroutes || o.ipfix || o.url || o.out || o.format ||
	    o.peers) {
		fprintf(stderr,
			"flowtap: --log-exit-flows, --node-id, --route, --ipfix, --url, --peers, "
			"--flow-format and -w apply to -r FILE; a live datapath is configured "
			"with its own flags\n");
		return 2;
	}
	return live(&o);
}
