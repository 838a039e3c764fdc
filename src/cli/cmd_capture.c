/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: flowtap capture: stream a live capture from a running datapath's
 * local API (POST /localapi/v0/debug-capture) to stdout, a file or Wireshark.
 *
 * The stream is cut into whole records (pcap records, pcapng blocks) before
 * it is written, so a capture stopped with Ctrl-C leaves a well-formed file.
 * Text and rotated files are made here from a pcapng stream, with flowtap
 * read's reader and writers (cap_local.c), so every flag read has works
 * live too. Packets are counted from the records; drops come from the
 * server's status (our own session, found by our id), the pcapng ISB or the
 * stream's trailer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include <flowtap/writer.h>

#include "anon_cli.h"
#include "cap_local.h"
#include "cli.h"
#include "output_file.h"
#include "localapi.h"
#include "tdopts.h"

#define MAX_UNIT (16u << 20) /* largest record or block we accept */

enum framing { FRAME_PCAP, FRAME_PCAPNG };

struct cap {
	const char *socket;
	const char *outname; /* for messages */
	enum framing framing;
	int fd;	   /* output */
	char *buf; /* received bytes not yet written */
	size_t len, cap;
	size_t done;	  /* of which whole records (counted, ready to write) */
	bool header_done; /* pcap global header passed */
	bool swapped;	  /* pcap/pcapng written big-endian */
	uint64_t packets;
	uint64_t isb_drops;
	bool have_isb;
	int werr;	 /* errno of a failed output write (or EPROTO, ENOMEM) */
	bool out_failed; /* a write to the output failed */
	long http_code;
	char errbody[1024];
	size_t errlen;
	int64_t dropped;	 /* from status, -1 unknown */
	uint64_t nwritten;	 /* bytes written to the output */
	long long session;	 /* our session id (Flowtap-Session header), 0 unknown */
	bool flush_each;	 /* -l, -U: write each record as it comes */
	struct cap_local *local; /* text or rotated files made here; NULL: none */
	bool limit_reached;	 /* -G with -W wrote its last file */
	const char *local_err;	 /* why the stream was refused */
	time_t last_poll;
	/* The stream's trailers: the session's final counters. */
	bool have_trailer;
	long long t_written, t_dropped;
	char hist_partial[16]; /* Flowtap-History-Partial of a --since capture */
	long long hist_asked, hist_held;
	struct cli_anon_stream *anon; /* --anonymize, --headers-only; NULL: off */
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: flowtap capture [--socket PATH] [-i TAP] [-w FILE | -o FILE] [--format FMT]\n"
	    "                       [--wireshark] [--duration D] [--path LIST] [-Q in|out|inout]\n"
	    "                       [--drops | --no-drops] [--drop-reason NAME]...\n"
	    "                       [--since D]\n"
	    "                       [tcpdump options] [EXPRESSION...]\n"
	    "       flowtap capture -D\n"
	    "\n"
	    "Capture live from a running datapath (flowtapd, flowtap-tunnel) through its\n"
	    "local API. Without -w/-o, packets are printed as text like tcpdump.\n"
	    "Options may come before or after the expression.\n"
	    "  --socket PATH   local API socket (default $FLOWTAP_SOCKET or " FT_DEFAULT_SOCKET
	    ")\n"
	    "  -i TAP, --tap TAP  the tap, when the process has several\n"
	    "  -D              list the taps (as tcpdump -D lists interfaces)\n"
	    "  -w FILE         write a pcap file ('-' for stdout); --format pcapng etc. to change\n"
	    "  -o FILE         write the user0 debug-capture stream ('-' for stdout);\n"
	    "                  -o \"\" opens Wireshark, like --wireshark\n"
	    "  --format FMT    pcap, pcap-ns, pcapng, user0 or text\n"
	    "  --wireshark     start Wireshark with the flowtap dissector on the stream\n"
	    "  --duration D    stop after D (500ms, 5s, 1m; plain seconds)\n"
	    "  --path LIST     paths to capture: names or numbers, comma-separated\n"
	    "  -Q DIR, --direction DIR  in, out (or inout: both)\n"
	    "  --anonymize KEYFILE, --headers-only  as flowtap read does, on the stream\n"
	    "                  received (pcap, pcapng, user0)\n"
	    "  --server-anonymize  the server maps the packets with its own --anonymize key\n"
	    "                  (the key of its flow log, which stays on the server)\n"
	    "  --drops         only packets the datapath dropped (default: dropped and delivered)\n"
	    "  --no-drops      only packets the datapath delivered\n"
	    "  --drop-reason NAME  only drops for NAME (acl-denied, no-route, ...; repeatable)\n"
	    "  --since D       first the last D the tap's flight recorder holds, then live\n"
	    "                  (flowtap dump --last D: the recorded packets only)\n"
	    "\n%s"
	    "  Text and -C/-G files are made from the datapath's pcapng stream by the\n"
	    "  code of flowtap read: the same flags print the same lines. -G with -w FILE\n"
	    "  rotates files; without, as a duration, it is deprecated (--duration).\n",
	    td_help);
}

/* Length of the complete unit at @p (0: need more bytes), or -1: corrupt. */
static long unit_len(struct cap *c, const uint8_t *p, size_t n)
{
	uint32_t v;

	switch (c->framing) {
	case FRAME_PCAP:
		if (!c->header_done) {
			if (n < 24)
				return 0;
			c->swapped = p[0] == 0xa1; /* a1b2c3d4 or a1b23c4d stored big-endian */
			return 24;
		}
		if (n < 16)
			return 0;
		memcpy(&v, p + 8, 4);
		if (c->swapped)
			v = __builtin_bswap32(v);
		if (v > MAX_UNIT)
			return -1;
		return n >= 16 + (size_t)v ? (long)(16 + v) : 0;
	case FRAME_PCAPNG:
		if (n < 12)
			return 0;
		if (p[0] == 0x0a && p[1] == 0x0d && p[2] == 0x0d && p[3] == 0x0a)
			c->swapped = p[8] == 0x1a; /* byte-order magic 1a2b3c4d as big-endian */
		memcpy(&v, p + 4, 4);
		if (c->swapped)
			v = __builtin_bswap32(v);
		if (v < 12 || v % 4 || v > MAX_UNIT)
			return -1;
		return n >= v ? (long)v : 0;
	}
	return -1;
}

static uint32_t get32(const struct cap *c, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return c->swapped ? __builtin_bswap32(v) : v;
}

/* pcapng ISB: sum isb_ifdrop (option 5) over all interfaces. */
static void parse_isb(struct cap *c, const uint8_t *p, size_t n)
{
	size_t off = 20; /* type, length, interface id, timestamp */

	while (off + 4 <= n - 4) {
		uint16_t code, olen;
		memcpy(&code, p + off, 2);
		memcpy(&olen, p + off + 2, 2);
		if (c->swapped) {
			code = __builtin_bswap16(code);
			olen = __builtin_bswap16(olen);
		}
		if (code == 0 || off + 4 + olen > n - 4)
			break;
		if (code == 5 && olen == 8) {
			uint64_t d;
			memcpy(&d, p + off + 4, 8);
			c->isb_drops += c->swapped ? __builtin_bswap64(d) : d;
			c->have_isb = true;
		}
		off += 4 + ((olen + 3u) & ~3u);
	}
}

static void count_unit(struct cap *c, const uint8_t *p, size_t n)
{
	if (c->framing == FRAME_PCAP) {
		if (c->header_done)
			c->packets++;
		c->header_done = true;
	} else {
		uint32_t type = get32(c, p);
		if (type == 6 || type == 3)
			c->packets++;
		else if (type == 5)
			parse_isb(c, p, n);
	}
}

/* The -w file: an existing one is emptied only when the first packets
 * arrive, and a refused capture removes only a file it created. */
static struct cli_output output = {.fd = -1};

/* Whole records are written in batches: curl hands over one HTTP chunk per
 * call, often a few KB, and a write per chunk would cost more than the rest
 * of the client. What is left is written after each round of reading (in
 * the progress callback) and at the end, so nothing waits for long. */
#define WRITE_BATCH (256u << 10)

/* The output of text made here: emptied on the first write, as -w is. */
static int local_out(void *ctx, const void *data, size_t len)
{
	struct cap *c = ctx;
	int ret = cli_output_begin(&output);

	if (ret == 0)
		ret = ft_output_fd((void *)(intptr_t)c->fd, data, len);
	if (ret == 0)
		c->nwritten += len;
	return ret;
}

/* A whole pcapng block for cap_local: the packets it outputs are counted. */
static int local_unit(struct cap *c, const uint8_t *p, size_t n)
{
	int ret = cap_local_block(c->local, p, n, c->swapped);

	if (ret == 1)
		c->packets++;
	else if (ret == 0 && get32(c, p) == 5)
		parse_isb(c, p, n);
	if (ret == 2) {
		c->limit_reached = true;
		return -ECANCELED;
	}
	if (ret == -EPROTO)
		c->local_err = cap_local_error(c->local);
	if (ret < 0)
		c->out_failed = ret != -EPROTO;
	return ret < 0 ? ret : 0;
}

/* Writes out the whole records counted so far. */
static int write_done(struct cap *c)
{
	int ret;

	if (c->local) {
		/* Their packets are in the writer's buffer already. */
		c->done = 0;
		ret = cap_local_flush(c->local);
		if (ret < 0)
			c->out_failed = true;
		return ret;
	}
	if (!c->done)
		return 0;
	ret = cli_output_begin(&output);
	if (ret == 0)
		ret = ft_output_fd((void *)(intptr_t)c->fd, c->buf, c->done);
	if (ret < 0) {
		c->out_failed = true;
		return ret;
	}
	c->nwritten += c->done;
	memmove(c->buf, c->buf + c->done, c->len - c->done);
	c->len -= c->done;
	c->done = 0;
	return 0;
}

/* Counts the whole records received; writes them out when @force or when a
 * batch is ready, keeping an incomplete tail. After garbage (-EPROTO) the
 * records before it stay counted, and the end of the transfer writes them. */
static int flush_units(struct cap *c, bool force)
{
	long u;

	while ((u = unit_len(c, (uint8_t *)c->buf + c->done, c->len - c->done)) > 0) {
		uint8_t *p = (uint8_t *)c->buf + c->done;
		if (c->anon) {
			/* Rewritten in place; what it cut leaves the buffer. */
			size_t k = cli_anon_unit(c->anon, p, (size_t)u, c->framing == FRAME_PCAPNG,
						 !c->header_done, c->swapped);
			memmove(p + k, p + u, c->len - c->done - (size_t)u);
			c->len -= (size_t)u - k;
			if (!k)
				continue;
			u = (long)k;
		}
		if (c->local) {
			/* Made into text or files now: the unit leaves the buffer. */
			int ret = local_unit(c, p, (size_t)u);
			memmove(p, p + u, c->len - c->done - (size_t)u);
			c->len -= (size_t)u;
			if (ret < 0)
				return ret;
			continue;
		}
		count_unit(c, p, (size_t)u);
		c->done += (size_t)u;
	}
	if (u < 0)
		return -EPROTO;
	if (force || c->done >= WRITE_BATCH)
		return write_done(c);
	return 0;
}

static size_t on_data(char *data, size_t sz, size_t nmemb, void *arg)
{
	struct cap *c = arg;
	size_t n = sz * nmemb;

	if (c->http_code != 200) {
		size_t room = sizeof(c->errbody) - 1 - c->errlen;
		memcpy(c->errbody + c->errlen, data, n < room ? n : room);
		c->errlen += n < room ? n : room;
		return n;
	}
	if (c->len + n > c->cap) {
		size_t ncap = c->cap ? c->cap : 65536;
		while (ncap < c->len + n)
			ncap *= 2;
		if (ncap > 2 * MAX_UNIT) {
			c->werr = EPROTO;
			return 0;
		}
		char *nb = realloc(c->buf, ncap);
		if (!nb) {
			c->werr = ENOMEM;
			return 0;
		}
		c->buf = nb;
		c->cap = ncap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	int ret = flush_units(c, c->flush_each);
	if (ret < 0) {
		c->werr = -ret;
		return 0;
	}
	return n;
}

/* A --since capture: say when the recorder held less than asked. */
static void history_header(struct cap *c, const char *h, size_t n)
{
	if (n > 25 && !strncasecmp(h, "Flowtap-History-Asked-Ms:", 25))
		c->hist_asked = strtoll(h + 25, NULL, 10);
	if (n > 24 && !strncasecmp(h, "Flowtap-History-Held-Ms:", 24))
		c->hist_held = strtoll(h + 24, NULL, 10);
	if (n > 24 && !strncasecmp(h, "Flowtap-History-Partial:", 24) &&
	    sscanf(h + 24, " %15s", c->hist_partial) == 1 && strcmp(c->hist_partial, "no"))
		fprintf(stderr,
			"flowtap capture: the recorder holds %.3f s of the %.3f s asked for%s\n",
			(double)c->hist_held / 1e3, (double)c->hist_asked / 1e3,
			!strcmp(c->hist_partial, "byte-bound")
			    ? " (its byte bound overwrote older packets)"
			    : "");
}

static size_t on_header(char *data, size_t sz, size_t nmemb, void *arg)
{
	struct cap *c = arg;
	int code;

	if (sz * nmemb > 9 && !strncmp(data, "HTTP/", 5) && sscanf(data, "HTTP/%*s %d", &code) == 1)
		c->http_code = code;
	if (sz * nmemb > 16 && !strncasecmp(data, "Flowtap-Session:", 16))
		c->session = strtoll(data + 16, NULL, 10);
	if (sz * nmemb > 16 && !strncasecmp(data, "Flowtap-Written:", 16)) {
		c->t_written = strtoll(data + 16, NULL, 10);
		c->have_trailer = true;
	}
	if (sz * nmemb > 16 && !strncasecmp(data, "Flowtap-Dropped:", 16))
		c->t_dropped = strtoll(data + 16, NULL, 10);
	history_header(c, data, sz * nmemb);
	return sz * nmemb;
}

/* Our session's drop count from GET /status: live in "sessions", or among
 * the "recent" ones once it has ended. */
static void poll_dropped(struct cap *c)
{
	static const char *const lists[] = {"sessions", "recent"};
	struct cli_buf b = {0};
	json_t *root = NULL, *s;
	size_t i;

	if (!c->session || cli_http_get(c->socket, "/localapi/v0/status", &b, NULL) != 0)
		goto out;
	root = json_loadb(b.p, b.len, 0, NULL);
	for (int l = 0; l < 2; l++)
		json_array_foreach(json_object_get(root, lists[l]), i, s)
		{
			if (json_integer_value(json_object_get(s, "id")) != c->session)
				continue;
			if (json_is_integer(json_object_get(s, "dropped")))
				c->dropped = json_integer_value(json_object_get(s, "dropped"));
		}
out:
	json_decref(root);
	free(b.p);
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct cap *c = arg;
	time_t now = time(NULL);
	int ret;

	if (c->http_code == 200 && c->buf && (c->done || c->local) &&
	    (ret = flush_units(c, true)) < 0) {
		c->werr = -ret;
		return 1;
	}
	if (c->http_code == 200 && (interrupted || now - c->last_poll >= 1)) {
		c->last_poll = now;
		poll_dropped(c);
	}
	return interrupted ? 1 : 0;
}

static int add_param(char *url, size_t len, const char *k, const char *v)
{
	char *e = curl_easy_escape(NULL, v, 0);
	size_t n = strlen(url);
	int ret;

	if (!e)
		return -ENOMEM;
	ret = snprintf(url + n, len - n, "%s%s=%s", strchr(url, '?') ? "&" : "?", k, e);
	curl_free(e);
	return ret < 0 || (size_t)ret >= len - n ? -ENOSPC : 0;
}

struct capopts {
	struct td_opts td;
	const char *socket, *format, *paths, *dir, *tap, *duration, *drops, *since;
	bool history_only; /* flowtap dump */
	bool server_anon;  /* --server-anonymize: anonymize=1, the server's key */
	char reasons[512];
	char count[24], snaplen[24];
	bool wireshark, out_is_o;
	const char *outfile;
	struct cli_anon anon;
};

static int build_url(const struct capopts *o, const char *format, char *url, size_t len)
{
	int ret = 0;

	snprintf(url, len, "http://local/localapi/v0/debug-capture");
	ret |= add_param(url, len, "format", format);
	if (o->td.expr[0])
		ret |= add_param(url, len, "filter", o->td.expr);
	if (o->count[0])
		ret |= add_param(url, len, "count", o->count);
	if (o->duration)
		ret |= add_param(url, len, "duration", o->duration);
	if (o->since)
		ret |= add_param(url, len, "since", o->since);
	if (o->history_only)
		ret |= add_param(url, len, "history_only", "1");
	if (o->server_anon)
		ret |= add_param(url, len, "anonymize", "1");
	if (o->snaplen[0])
		ret |= add_param(url, len, "snaplen", o->snaplen);
	if (o->paths)
		ret |= add_param(url, len, "path", o->paths);
	if (o->dir)
		ret |= add_param(url, len, "direction", o->dir);
	if (o->drops)
		ret |= add_param(url, len, "drops", o->drops);
	if (o->reasons[0])
		ret |= add_param(url, len, "drop-reason", o->reasons);
	if (o->tap)
		ret |= add_param(url, len, "tap", o->tap);
	return ret ? -ENOSPC : 0;
}

/* Whether @name is an executable in $PATH: checked before capturing, so a
 * missing Wireshark stops the command instead of capturing into nothing. */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");
		if (n && n + 1 + strlen(name) < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n + (path[n] == ':');
	}
	return false;
}

static pid_t start_wireshark(int *fd)
{
	const char *lua = cli_dissector_path();
	char arg[4200];
	int p[2];
	pid_t pid;

	if (!in_path("wireshark")) {
		fprintf(stderr, "flowtap: cannot start wireshark: not found in PATH (install "
				"wireshark, or write a file with -w)\n");
		return -1;
	}
	if (!lua) {
		fprintf(stderr, "flowtap: cannot find the flowtap Lua dissector (flowtap.lua)\n");
		return -1;
	}
	snprintf(arg, sizeof(arg), "lua_script:%s", lua);
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		execlp("wireshark", "wireshark", "-X", arg, "-k", "-i", "-", (char *)NULL);
		fprintf(stderr, "flowtap: cannot start wireshark: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	*fd = p[1];
	return pid;
}

enum {
	OPT_SOCKET = 256,
	OPT_FORMAT,
	OPT_WIRESHARK,
	OPT_PATH,
	OPT_DIRECTION,
	OPT_TAP,
	OPT_DURATION,
	OPT_VERSION,
	OPT_O,
	OPT_ANONYMIZE,
	OPT_HEADERS_ONLY,
	OPT_DROPS,
	OPT_NO_DROPS,
	OPT_DROP_REASON,
	OPT_SINCE,
	OPT_HISTORY_ONLY,
	OPT_SERVER_ANONYMIZE,
};

/* --drop-reason NAME, repeatable: names are checked by the server, which
 * knows the datapath's own; here only their form. */
static int add_reason(struct capopts *o, const char *name)
{
	size_t n = strlen(o->reasons);

	if (!*name || strchr(name, ',') || strlen(name) > 31) {
		fprintf(stderr, "flowtap capture: --drop-reason: invalid '%s'\n", name);
		return 2;
	}
	if (n + strlen(name) + 2 > sizeof(o->reasons)) {
		fprintf(stderr, "flowtap capture: --drop-reason: too many\n");
		return 2;
	}
	snprintf(o->reasons + n, sizeof(o->reasons) - n, "%s%s", n ? "," : "", name);
	return 0;
}

static int long_opt(void *ctx, int c, const char *arg)
{
	struct capopts *o = ctx;

	switch (c) {
	case OPT_SOCKET:
		o->socket = arg;
		return 0;
	case OPT_FORMAT:
		o->format = arg;
		return 0;
	case OPT_WIRESHARK:
		o->wireshark = true;
		return 0;
	case OPT_PATH:
		o->paths = arg;
		return 0;
	case OPT_DIRECTION:
		o->dir = arg;
		return 0;
	case OPT_TAP:
		o->tap = arg;
		return 0;
	case OPT_DURATION:
		o->duration = arg;
		return 0;
	case OPT_O:
		o->outfile = arg;
		o->out_is_o = true;
		return 0;
	case OPT_ANONYMIZE:
		o->anon.keyfile = arg;
		return 0;
	case OPT_HEADERS_ONLY:
		o->anon.headers_only = true;
		return 0;
	case OPT_DROPS:
	case OPT_NO_DROPS:
		if (o->drops) {
			fprintf(stderr,
				"flowtap capture: --drops and --no-drops exclude each other\n");
			return 2;
		}
		o->drops = c == OPT_DROPS ? "only" : "none";
		return 0;
	case OPT_DROP_REASON:
		return add_reason(o, arg);
	case OPT_SINCE:
		o->since = arg;
		return 0;
	case OPT_HISTORY_ONLY:
		o->history_only = true;
		return 0;
	case OPT_SERVER_ANONYMIZE:
		o->server_anon = true;
		return 0;
	case OPT_VERSION:
		printf("flowtap %s\n", FT_VERSION_STRING);
		return 1;
	case 'h':
		usage(stdout);
		return 1;
	}
	return 2;
}

/* A duration as the CLI takes it: a positive number of seconds, or with a
 * unit: ms, s, m, h. */
static bool valid_duration(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v == 0 || v > 100000000ull)
		return false;
	return !*end || !strcmp(end, "ms") || !strcmp(end, "s") || !strcmp(end, "m") ||
	       !strcmp(end, "h");
}

/* Returns 0, 1 after --help/--version/-D handled, or 2. */
static int parse_args(int argc, char **argv, struct capopts *o)
{
	static const struct option lo[] = {{"socket", 1, 0, OPT_SOCKET},
					   {"format", 1, 0, OPT_FORMAT},
					   {"wireshark", 0, 0, OPT_WIRESHARK},
					   {"path", 1, 0, OPT_PATH},
					   {"direction", 1, 0, OPT_DIRECTION},
					   {"tap", 1, 0, OPT_TAP},
					   {"duration", 1, 0, OPT_DURATION},
					   {"version", 0, 0, OPT_VERSION},
					   {"output", 1, 0, OPT_O},
					   {"anonymize", 1, 0, OPT_ANONYMIZE},
					   {"headers-only", 0, 0, OPT_HEADERS_ONLY},
					   {"drops", 0, 0, OPT_DROPS},
					   {"no-drops", 0, 0, OPT_NO_DROPS},
					   {"drop-reason", 1, 0, OPT_DROP_REASON},
					   {"since", 1, 0, OPT_SINCE},
					   {"history-only", 0, 0, OPT_HISTORY_ONLY},
					   {"server-anonymize", 0, 0, OPT_SERVER_ANONYMIZE},
					   {"help", 0, 0, 'h'},
					   {0, 0, 0, 0}};
	char *argv2[argc + 1];
	int ret;

	/* -o FILE is capture's own (tcpdump has no -o): spelled as --output
	 * for the shared parser, so -o "" still opens Wireshark. */
	for (int i = 0; i < argc; i++)
		argv2[i] = !strcmp(argv[i], "-o") ? "--output" : argv[i];
	argv2[argc] = NULL;
	o->td.cmd = TD_CAPTURE;
	ret = td_parse(&o->td, argc, argv2, lo, long_opt, o);
	if (ret)
		return ret;
	if (o->td.wfile) {
		o->outfile = o->td.wfile;
		o->out_is_o = false;
	}
	if (o->td.iface)
		o->tap = o->td.iface;
	if (o->td.direction_q && strcmp(o->td.direction_q, "inout"))
		o->dir = o->td.direction_q;
	if (o->dir && strcmp(o->dir, "in") && strcmp(o->dir, "out") && strcmp(o->dir, "any")) {
		fprintf(stderr, "flowtap capture: --direction: invalid '%s' (in or out)\n", o->dir);
		return 2;
	}
	if (o->td.old_duration) {
		fprintf(stderr, "flowtap capture: -G SECONDS as \"stop after\" is deprecated: use "
				"--duration (with -w FILE, -G rotates files as in tcpdump)\n");
		if (!o->duration)
			o->duration = o->td.old_duration;
	}
	if (o->duration && !valid_duration(o->duration)) {
		fprintf(
		    stderr,
		    "flowtap capture: --duration: invalid '%s' (a positive number of seconds, or "
		    "with ms, s, m, h)\n",
		    o->duration);
		return 2;
	}
	if ((o->since && !valid_duration(o->since)) || (o->history_only && !o->since)) {
		fprintf(stderr,
			"flowtap capture: --since: %s '%s' (a positive number of seconds, or with "
			"ms, s, m, h)\n",
			o->since ? "invalid" : "missing", o->since ? o->since : "");
		return 2;
	}
	if (o->server_anon && o->anon.keyfile) {
		fprintf(stderr, "flowtap capture: --server-anonymize and --anonymize exclude each "
				"other (one mapping, not two)\n");
		return 2;
	}
	if (o->reasons[0] && o->drops && !strcmp(o->drops, "none")) {
		fprintf(stderr, "flowtap capture: --drop-reason selects dropped packets: not with "
				"--no-drops\n");
		return 2;
	}
	if (o->td.count)
		snprintf(o->count, sizeof(o->count), "%llu", (unsigned long long)o->td.count);
	if (o->td.snaplen_set)
		snprintf(o->snaplen, sizeof(o->snaplen), "%u", o->td.snaplen);
	if (o->outfile && !*o->outfile && o->out_is_o)
		o->wireshark = true;
	return 0;
}

/* The format asked of the server. Text and rotated files are made here
 * (@local, in format @out) from pcapng, which carries all they need. */
static const char *pick_format(const struct capopts *o, enum framing *fr, bool *local,
			       enum ft_format *out)
{
	const char *f = o->format;

	if (!f)
		f = o->wireshark || (o->outfile && o->out_is_o) ? "user0"
		    : o->outfile				? "pcap"
								: "text";
	if (ft_format_parse(f, out) < 0) {
		fprintf(stderr,
			"flowtap: unknown format '%s' (pcap, pcap-ns, pcapng, user0, text)\n", f);
		return NULL;
	}
	*local = !o->wireshark && (*out == FT_FORMAT_TEXT || o->td.file_size || o->td.rotate_secs);
	if (*local)
		f = "pcapng";
	*fr = *local || *out == FT_FORMAT_PCAPNG ? FRAME_PCAPNG : FRAME_PCAP;
	return f;
}

static int open_output(const struct capopts *o, pid_t *ws)
{
	int fd;

	if (o->wireshark) {
		*ws = start_wireshark(&fd);
		return *ws < 0 ? -1 : fd;
	}
	if (!o->outfile || !strcmp(o->outfile, "-"))
		return 1;
	return cli_output_open(&output, o->outfile, NULL) ? -1 : output.fd;
}

static int report_http_error(struct cap *c)
{
	while (c->errlen &&
	       (c->errbody[c->errlen - 1] == '\n' || c->errbody[c->errlen - 1] == '\r'))
		c->errlen--;
	c->errbody[c->errlen] = '\0';
	fprintf(stderr, "flowtap: capture refused (HTTP %ld): %s\n", c->http_code,
		c->errlen ? c->errbody : "no reason given");
	/* A --drop-reason the datapath does not know is a bad option. */
	if (c->http_code == 400 && !strncmp(c->errbody, "unknown drop reason", 19))
		return 2;
	return 1;
}

static int run(struct cap *c, const char *url)
{
	CURL *h = curl_easy_init();
	CURLcode rc;
	int ret = 1;

	if (!h)
		return 1;
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* Take what the socket holds in one read and one file write, not
	 * 16 KB at a time: at line rate that is most of the client's cost. */
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	rc = curl_easy_perform(h);
	/* Whole records still buffered go out, also after a malformed stream
	 * or a full buffer: only a failed output loses them. */
	if (c->http_code == 200 && c->done && !c->out_failed) {
		int err = write_done(c);
		if (err < 0 && !c->werr) {
			c->werr = -err;
			rc = CURLE_WRITE_ERROR;
		}
	}
	if (c->http_code == 200 && !interrupted)
		poll_dropped(c); /* the session ended by itself: final counters */
	if (c->http_code && c->http_code != 200) {
		ret = report_http_error(c);
	} else if (rc == CURLE_COULDNT_CONNECT) {
		cli_connect_error(c->socket);
	} else if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) && c->werr) {
		if (c->werr == EPIPE || c->werr == ECANCELED)
			ret = 0; /* the reader (wireshark, head) went away; -W's end */
		else if (c->werr == EPROTO)
			fprintf(stderr, "flowtap: cannot write the capture: %s%s%s\n",
				"malformed stream from the server", c->local_err ? ": " : "",
				c->local_err ? c->local_err : "");
		else
			fprintf(stderr, "flowtap: cannot write to '%s': %s\n", c->outname,
				strerror(c->werr));
	} else if (rc == CURLE_OK || (rc == CURLE_ABORTED_BY_CALLBACK && interrupted)) {
		ret = 0;
	} else {
		fprintf(stderr, "flowtap: capture from %s failed: %s\n", c->socket,
			curl_easy_strerror(rc));
	}
	curl_easy_cleanup(h);
	return ret;
}

/* -D: the taps of the running process, numbered as tcpdump -D numbers
 * interfaces ("1.tun0"); -i takes the name. */
static int list_taps(const char *sock)
{
	struct cli_buf b = {0};
	json_t *root, *t;
	long code = 0;
	size_t i;
	int ret;

	ret = cli_http_get(sock, "/localapi/v0/status", &b, &code);
	if (ret == -ECONNREFUSED || ret == -ENOENT || ret == -EACCES) {
		cli_connect_error(sock);
		free(b.p);
		return 1;
	}
	if (ret < 0 || code != 200) {
		fprintf(stderr, "flowtap: cannot list the taps of %s: %s\n", sock,
			ret < 0 ? strerror(-ret) : "bad status reply");
		free(b.p);
		return 1;
	}
	root = json_loadb(b.p, b.len, 0, NULL);
	json_array_foreach(json_object_get(root, "taps"), i, t)
	{
		printf("%zu.%s\n", i + 1, json_string_value(json_object_get(t, "name")));
	}
	json_decref(root);
	free(b.p);
	return 0;
}

int cmd_capture_main(int argc, char **argv)
{
	struct capopts o = {0};
	struct cap c = {.dropped = -1};
	struct sigaction sa = {.sa_handler = on_sigint};
	const char *format;
	bool local = false;
	enum ft_format lfmt;
	char url[8192];
	pid_t ws = -1;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret == 0 && o.td.list_taps)
		ret = list_taps(cli_socket_path(o.socket));
	else if (ret == 1)
		ret = 0;
	else if (ret == 0)
		ret = -1;
	if (ret >= 0) {
		free(o.td.expr);
		return ret;
	}
	c.flush_each = o.td.line_buffered || o.td.packet_buffered;
	format = pick_format(&o, &c.framing, &local, &lfmt);
	if (!format) {
		ret = 2;
		goto out;
	}
	struct cli_anon_stream as = {.c = &o.anon};
	if (o.anon.keyfile || o.anon.headers_only) {
		if ((ret = cli_anon_open(&o.anon, "flowtap capture")) != 0)
			goto out;
		/* Made here, packets are rewritten as flowtap read rewrites
		 * them (pre-NAT addresses too); else the stream, record by
		 * record. */
		if (!local)
			c.anon = &as;
	}
	if (build_url(&o, format, url, sizeof(url)) < 0) {
		fprintf(stderr, "flowtap: capture options too long\n");
		ret = 2;
		goto out;
	}
	c.socket = cli_socket_path(o.socket);
	c.outname = o.wireshark				    ? "wireshark"
		    : !o.outfile || !strcmp(o.outfile, "-") ? "standard output"
							    : o.outfile;
	if (local && (o.td.file_size || o.td.rotate_secs))
		c.fd = -1; /* the rotated files are opened as packets come */
	else if ((c.fd = open_output(&o, &ws)) < 0) {
		ret = 1;
		goto out;
	}
	if (local) {
		struct cap_local_opts lo = {
		    .td = &o.td, .format = lfmt, .out = local_out, .out_ctx = &c, .anon = &o.anon};
		if (cap_local_new(&c.local, &lo) < 0) {
			fprintf(stderr, "flowtap: out of memory\n");
			ret = 1;
			goto out_close;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((o.outfile || o.wireshark) && isatty(2))
		fprintf(stderr, "Press Ctrl-C to stop the capture.\n");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = run(&c, url);
	if (c.local) {
		int err = cap_local_finish(c.local);
		/* The reader that went away (head) was told of already. */
		if (err < 0 && ret == 0 && err != -EPIPE) {
			const char *name = cap_local_outname(c.local);
			fprintf(stderr, "flowtap: cannot write to '%s': %s\n",
				name ? name : c.outname, ft_strerror(err));
			ret = 1;
		}
		if (c.limit_reached)
			fprintf(stderr, "Maximum file limit reached: %u\n", o.td.file_count);
	}
out_close:
	if (output.fd >= 0)
		cli_output_close(&output, ret != 0); /* a refused capture leaves no file */
	else if (c.fd > 2)
		close(c.fd);
	if (ws > 0) {
		int st = 0;
		while (waitpid(ws, &st, 0) < 0 && errno == EINTR)
			;
		/* Wireshark that could not start is a failed capture. */
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			ret = 1;
	}
	if (ret == 0) {
		int64_t d = c.have_isb ? (int64_t)c.isb_drops : c.dropped;
		uint64_t n = c.packets;
		/* The last chunk's counters are final: what the session lost,
		 * plus what it wrote that did not reach us (unless we stopped
		 * reading: -W's last file written). */
		if (c.have_trailer)
			d = c.t_dropped + (c.t_written > (long long)n && !c.limit_reached
					       ? c.t_written - (long long)n
					       : 0);
		if (d >= 0)
			fprintf(stderr, "%llu packets captured, %lld dropped\n",
				(unsigned long long)n, (long long)d);
		else
			fprintf(stderr, "%llu packets captured\n", (unsigned long long)n);
	}
	curl_global_cleanup();
out: /* every way out after parsing frees what parsing made */
	free(o.td.expr);
	free(c.buf);
	cap_local_free(c.local);
	cli_anon_free(&o.anon);
	return ret;
}
