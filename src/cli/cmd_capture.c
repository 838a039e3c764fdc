/*
 * \summary: flowtap capture: stream a live capture from a running datapath's
 * local API (POST /localapi/v0/debug-capture) to stdout, a file or Wireshark.
 *
 * The stream is cut into whole records (pcap records, pcapng blocks, text
 * lines) before it is written, so a capture stopped with Ctrl-C leaves a
 * well-formed file. Packets are counted from the records; drops come from
 * the server's status (our own session, found by our pid) or the pcapng ISB.
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

#include "cli.h"
#include "output_file.h"
#include "localapi.h"

#define MAX_UNIT (16u << 20) /* largest record or block we accept */

enum framing { FRAME_PCAP, FRAME_PCAPNG, FRAME_TEXT };

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
	int64_t dropped;   /* from status, -1 unknown */
	uint64_t nwritten; /* bytes written to the output */
	long long session; /* our session id (Flowtap-Session header), 0 unknown */
	time_t last_poll;
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
	    "Usage: flowtap capture [--socket PATH] [-w FILE | -o FILE] [--format FMT]\n"
	    "                       [--wireshark] [-c N] [-G SECONDS] [-s SNAPLEN] [--path LIST]\n"
	    "                       [--direction in|out] [--tap NAME] [-v] [-A] [-x] "
	    "[EXPRESSION...]\n"
	    "\n"
	    "Capture live from a running datapath (flowtapd, flowtap-tunnel) through its\n"
	    "local API. Without -w/-o, packets are printed as text like tcpdump.\n"
	    "  --socket PATH   local API socket (default $FLOWTAP_SOCKET or " FT_DEFAULT_SOCKET
	    ")\n"
	    "  -w FILE         write a pcap file ('-' for stdout); --format pcapng etc. to change\n"
	    "  -o FILE         write the user0 debug-capture stream ('-' for stdout);\n"
	    "                  -o \"\" opens Wireshark, like --wireshark\n"
	    "  --format FMT    pcap, pcap-ns, pcapng, user0 or text\n"
	    "  --wireshark     start Wireshark with the flowtap dissector on the stream\n"
	    "  -c N            stop after N packets\n"
	    "  -G SECONDS      stop after this long (also 500ms, 5s, 1m)\n"
	    "  -s SNAPLEN      capture at most SNAPLEN bytes per packet\n"
	    "  --path LIST     paths to capture: names or numbers, comma-separated\n"
	    "  --direction D   in or out\n"
	    "  --tap NAME      the tap, when the process has several\n"
	    "  -v, -A, -x      text: verbose, ASCII payload, hex dump\n");
}

/* Length of the complete unit at @p (0: need more bytes), or -1: corrupt. */
static long unit_len(struct cap *c, const uint8_t *p, size_t n)
{
	uint32_t v;

	switch (c->framing) {
	case FRAME_TEXT: {
		const uint8_t *nl = memchr(p, '\n', n);
		return nl ? (long)(nl - p + 1) : 0;
	}
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
	if (c->framing == FRAME_TEXT) {
		if (p[0] != ' ' && p[0] != '\t')
			c->packets++;
	} else if (c->framing == FRAME_PCAP) {
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

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Whole records are written in batches: curl hands over one HTTP chunk per
 * call, often a few KB, and a write per chunk would cost more than the rest
 * of the client. What is left is written after each round of reading (in
 * the progress callback) and at the end, so nothing waits for long. */
#define WRITE_BATCH (256u << 10)

/* Writes out the whole records counted so far. */
static int write_done(struct cap *c)
{
	int ret;

	if (!c->done)
		return 0;
	ret = cli_output_begin(&output);
	if (ret == 0)
		ret = write_all(c->fd, c->buf, c->done);
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
		count_unit(c, (uint8_t *)c->buf + c->done, (size_t)u);
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
	int ret = flush_units(c, false);
	if (ret < 0) {
		c->werr = -ret;
		return 0;
	}
	return n;
}

static size_t on_header(char *data, size_t sz, size_t nmemb, void *arg)
{
	struct cap *c = arg;
	int code;

	if (sz * nmemb > 9 && !strncmp(data, "HTTP/", 5) && sscanf(data, "HTTP/%*s %d", &code) == 1)
		c->http_code = code;
	if (sz * nmemb > 16 && !strncasecmp(data, "Flowtap-Session:", 16))
		c->session = strtoll(data + 16, NULL, 10);
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
			if (json_integer_value(json_object_get(s, "id")) == c->session &&
			    json_is_integer(json_object_get(s, "dropped")))
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

	if (c->http_code == 200 && c->done && (ret = flush_units(c, true)) < 0) {
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
	const char *socket, *outfile, *format, *count, *duration, *snaplen, *paths, *dir, *tap;
	bool wireshark, verbose, ascii, hex, out_is_o;
	char filter[4096];
};

static int build_url(const struct capopts *o, const char *format, char *url, size_t len)
{
	int ret = 0;

	snprintf(url, len, "http://local/localapi/v0/debug-capture");
	ret |= add_param(url, len, "format", format);
	if (o->filter[0])
		ret |= add_param(url, len, "filter", o->filter);
	if (o->count)
		ret |= add_param(url, len, "count", o->count);
	if (o->duration)
		ret |= add_param(url, len, "duration", o->duration);
	if (o->snaplen)
		ret |= add_param(url, len, "snaplen", o->snaplen);
	if (o->paths)
		ret |= add_param(url, len, "path", o->paths);
	if (o->dir)
		ret |= add_param(url, len, "direction", o->dir);
	if (o->tap)
		ret |= add_param(url, len, "tap", o->tap);
	if (o->verbose)
		ret |= add_param(url, len, "verbose", "1");
	if (o->ascii)
		ret |= add_param(url, len, "ascii", "1");
	if (o->hex)
		ret |= add_param(url, len, "hex", "1");
	return ret ? -ENOSPC : 0;
}

static pid_t start_wireshark(int *fd)
{
	const char *lua = cli_dissector_path();
	char arg[4200];
	int p[2];
	pid_t pid;

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

static int parse_args(int argc, char **argv, struct capopts *o)
{
	static const struct option lo[] = {{"socket", 1, 0, 'S'},    {"format", 1, 0, 'F'},
					   {"wireshark", 0, 0, 'W'}, {"path", 1, 0, 'P'},
					   {"direction", 1, 0, 'D'}, {"tap", 1, 0, 'T'},
					   {"help", 0, 0, 'h'},	     {0, 0, 0, 0}};
	size_t flen = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "+w:o:c:G:s:vAxXh", lo, NULL)) != -1) {
		switch (ch) {
		case 'S':
			o->socket = optarg;
			break;
		case 'F':
			o->format = optarg;
			break;
		case 'W':
			o->wireshark = true;
			break;
		case 'P':
			o->paths = optarg;
			break;
		case 'D':
			o->dir = optarg;
			break;
		case 'T':
			o->tap = optarg;
			break;
		case 'w':
			o->outfile = optarg;
			o->out_is_o = false;
			break;
		case 'o':
			o->outfile = optarg;
			o->out_is_o = true;
			break;
		case 'c':
			o->count = optarg;
			break;
		case 'G':
			o->duration = optarg;
			break;
		case 's':
			o->snaplen = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'A':
			o->ascii = true;
			break;
		case 'x':
		case 'X':
			o->hex = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	for (int i = optind; i < argc; i++) {
		int n = snprintf(o->filter + flen, sizeof(o->filter) - flen, "%s%s",
				 flen ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(o->filter) - flen) {
			fprintf(stderr, "flowtap: filter expression too long\n");
			return -EINVAL;
		}
		flen += (size_t)n;
	}
	if (o->outfile && !*o->outfile && o->out_is_o)
		o->wireshark = true;
	return 0;
}

static const char *pick_format(const struct capopts *o, enum framing *fr)
{
	const char *f = o->format;
	enum ft_format ff;

	if (!f)
		f = o->wireshark || (o->outfile && o->out_is_o) ? "user0"
		    : o->outfile				? "pcap"
								: "text";
	if (ft_format_parse(f, &ff) < 0) {
		fprintf(stderr,
			"flowtap: unknown format '%s' (pcap, pcap-ns, pcapng, user0, text)\n", f);
		return NULL;
	}
	*fr = ff == FT_FORMAT_TEXT     ? FRAME_TEXT
	      : ff == FT_FORMAT_PCAPNG ? FRAME_PCAPNG
				       : FRAME_PCAP;
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
		fprintf(stderr,
			"flowtap: cannot connect to %s: is flowtapd or the datapath running?\n",
			c->socket);
	} else if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) && c->werr) {
		if (c->werr == EPIPE)
			ret = 0; /* the reader (wireshark, head) went away */
		else if (c->werr == EPROTO)
			fprintf(stderr, "flowtap: cannot write the capture: %s\n",
				"malformed stream from the server");
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

int cmd_capture_main(int argc, char **argv)
{
	struct capopts o = {0};
	struct cap c = {.dropped = -1};
	struct sigaction sa = {.sa_handler = on_sigint};
	const char *format;
	char url[8192];
	pid_t ws = -1;
	int ret;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	format = pick_format(&o, &c.framing);
	if (!format)
		return 2;
	if (build_url(&o, format, url, sizeof(url)) < 0) {
		fprintf(stderr, "flowtap: capture options too long\n");
		return 2;
	}
	c.socket = cli_socket_path(o.socket);
	c.outname = o.wireshark				    ? "wireshark"
		    : !o.outfile || !strcmp(o.outfile, "-") ? "standard output"
							    : o.outfile;
	c.fd = open_output(&o, &ws);
	if (c.fd < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((o.outfile || o.wireshark) && isatty(2))
		fprintf(stderr, "Press Ctrl-C to stop the capture.\n");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = run(&c, url);
	if (output.fd >= 0)
		cli_output_close(&output, ret != 0); /* a refused capture leaves no file */
	else if (c.fd > 2)
		close(c.fd);
	if (ws > 0)
		while (waitpid(ws, NULL, 0) < 0 && errno == EINTR)
			;
	if (ret == 0) {
		int64_t d = c.have_isb ? (int64_t)c.isb_drops : c.dropped;
		if (d >= 0)
			fprintf(stderr, "%llu packets captured, %lld dropped\n",
				(unsigned long long)c.packets, (long long)d);
		else
			fprintf(stderr, "%llu packets captured\n", (unsigned long long)c.packets);
	}
	free(c.buf);
	curl_global_cleanup();
	return ret;
}
