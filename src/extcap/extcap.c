/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: flowtap-extcap: a Wireshark extcap program that lists a running
 * datapath's taps as capture interfaces and captures from them through the
 * local API.
 *
 * Wireshark calls it as (see doc/extcap.adoc in Wireshark's sources):
 *   flowtap-extcap --extcap-interfaces [--extcap-version=X]
 *   flowtap-extcap --extcap-dlts --extcap-interface IF
 *   flowtap-extcap --extcap-config --extcap-interface IF
 *   flowtap-extcap --capture --extcap-interface IF --fifo PATH
 *                  [--extcap-capture-filter EXPR] [--socket S] [--path LIST]
 *                  [--format pcapng|user0] [--direction in|out] [--snaplen N]
 * and stops a capture with SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include <flowtap/api.h>
#include <flowtap/common.h>

#define IFACE_PREFIX "flowtap"

struct opts {
	const char *iface, *fifo, *filter, *cfilter, *socket, *paths, *format, *dir, *snaplen;
	bool interfaces, dlts, config, capture;
};

struct body {
	char *p;
	size_t len;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static const char *socket_path(const struct opts *o)
{
	const char *env = getenv("FLOWTAP_SOCKET");

	if (o->socket && *o->socket)
		return o->socket;
	return env && *env ? env : FT_API_DEFAULT_SOCKET;
}

static size_t body_write(char *data, size_t sz, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = sz * nmemb;
	char *p;

	if (b->len + n > (4u << 20))
		return 0;
	p = realloc(b->p, b->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, data, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* The daemon's status document, or NULL when nothing answers. */
static json_t *get_status(const char *sock)
{
	struct body b = {0};
	CURL *h = curl_easy_init();
	json_t *root = NULL;
	long code = 0;

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, "http://local" FT_API_PATH_STATUS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
		root = json_loadb(b.p, b.len, 0, NULL);
	curl_easy_cleanup(h);
	free(b.p);
	return root;
}

static int list_interfaces(const struct opts *o)
{
	json_t *st = get_status(socket_path(o)), *t;
	size_t i, n = 0;

	printf("extcap {version=%s}{help=https://github.com/flowtap/flowtap}\n", FT_VERSION_STRING);
	json_array_foreach(json_object_get(st, "taps"), i, t)
	{
		const char *name = json_string_value(json_object_get(t, "name"));
		if (!name)
			continue;
		printf("interface {value=%s-%s}{display=flowtap tap %s}\n", IFACE_PREFIX, name,
		       name);
		n++;
	}
	/* The daemon is down (or has no tap yet): still offer the default tap,
	 * so the interface is there once it runs. */
	if (!n)
		printf("interface {value=%s}{display=flowtap (default tap)}\n", IFACE_PREFIX);
	json_decref(st);
	return 0;
}

static bool iface_ok(const char *iface)
{
	return iface && !strncmp(iface, IFACE_PREFIX, strlen(IFACE_PREFIX)) &&
	       (iface[strlen(IFACE_PREFIX)] == '\0' || iface[strlen(IFACE_PREFIX)] == '-');
}

static int list_dlts(const struct opts *o)
{
	if (!iface_ok(o->iface)) {
		fprintf(stderr, "flowtap-extcap: unknown interface '%s'\n",
			o->iface ? o->iface : "");
		return 1;
	}
	printf("dlt {number=%d}{name=RAW}{display=Raw IP, one pcapng interface per path}\n", 101);
	return 0;
}

static int list_config(const struct opts *o)
{
	printf("arg {number=0}{call=--socket}{display=Local API socket}{type=fileselect}"
	       "{mustexist=false}{default=%s}{tooltip=Unix socket of flowtapd or the datapath}\n",
	       socket_path(o));
	printf("arg {number=1}{call=--filter}{display=Filter}{type=string}"
	       "{tooltip=tcpdump filter expression, applied in the datapath}\n");
	printf("arg {number=2}{call=--path}{display=Paths}{type=string}"
	       "{tooltip=Comma-separated path names or numbers (from-local, from-peer, "
	       "synthesized-to-local, synthesized-to-peer, disco, ...); empty for all}\n");
	printf("arg {number=3}{call=--direction}{display=Direction}{type=selector}\n");
	printf("value {arg=3}{value=any}{display=both}{default=true}\n");
	printf("value {arg=3}{value=in}{display=in}\n");
	printf("value {arg=3}{value=out}{display=out}\n");
	printf("arg {number=4}{call=--format}{display=Stream format}{type=selector}\n");
	printf(
	    "value {arg=4}{value=pcapng}{display=pcapng (path as interface name)}{default=true}\n");
	printf(
	    "value {arg=4}{value=user0}{display=user0 (pre-NAT addresses; needs flowtap.lua)}\n");
	printf("arg {number=5}{call=--snaplen}{display=Snapshot length}{type=unsigned}"
	       "{range=1,262144}{default=65535}\n");
	return 0;
}

static int add_param(char *url, size_t len, const char *k, const char *v)
{
	char *e;
	size_t n = strlen(url);
	int r;

	if (!v || !*v)
		return 0;
	e = curl_easy_escape(NULL, v, 0);
	if (!e)
		return -1;
	r = snprintf(url + n, len - n, "%s%s=%s", strchr(url, '?') ? "&" : "?", k, e);
	curl_free(e);
	return r < 0 || (size_t)r >= len - n ? -1 : 0;
}

struct stream {
	int fd;
	long code;
	struct body err;
	int werr;
};

static size_t on_header(char *data, size_t sz, size_t nmemb, void *arg)
{
	struct stream *s = arg;
	int code;

	if (!strncmp(data, "HTTP/", 5) && sscanf(data, "HTTP/%*s %d", &code) == 1)
		s->code = code;
	return sz * nmemb;
}

static size_t on_data(char *data, size_t sz, size_t nmemb, void *arg)
{
	struct stream *s = arg;
	size_t n = sz * nmemb, off = 0;

	if (s->code != 200)
		return body_write(data, sz, nmemb, &s->err);
	while (off < n) {
		ssize_t w = write(s->fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->werr = errno;
			return 0;
		}
		off += (size_t)w;
	}
	return n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	return stopping ? 1 : 0;
}

static int build_url(const struct opts *o, char *url, size_t len)
{
	const char *tap =
	    o->iface[strlen(IFACE_PREFIX)] == '-' ? o->iface + strlen(IFACE_PREFIX) + 1 : NULL;
	char filter[4096];
	bool a = o->filter && *o->filter, b = o->cfilter && *o->cfilter;

	/* Both apply: the dialog's filter option and the capture filter field. */
	if (a && b)
		snprintf(filter, sizeof(filter), "(%s) and (%s)", o->filter, o->cfilter);
	else
		snprintf(filter, sizeof(filter), "%s", a ? o->filter : b ? o->cfilter : "");
	snprintf(url, len, "http://local" FT_API_PATH_CAPTURE);
	return add_param(url, len, "format", o->format ? o->format : "pcapng") ||
	       add_param(url, len, "tap", tap) || add_param(url, len, "filter", filter) ||
	       add_param(url, len, "path", o->paths) ||
	       add_param(url, len, "direction", o->dir && strcmp(o->dir, "any") ? o->dir : NULL) ||
	       add_param(url, len, "snaplen", o->snaplen);
}

static int capture(struct opts *o)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct stream s = {.fd = -1};
	char url[8192];
	CURLcode rc;
	CURL *h;
	int ret = 1;

	if (!iface_ok(o->iface) || !o->fifo) {
		fprintf(stderr, "flowtap-extcap: --capture needs --extcap-interface flowtap[-TAP] "
				"and --fifo\n");
		return 1;
	}
	if (build_url(o, url, sizeof(url))) {
		fprintf(stderr, "flowtap-extcap: options too long\n");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.fd = open(o->fifo, O_WRONLY | O_CLOEXEC);
	if (s.fd < 0) {
		fprintf(stderr, "flowtap-extcap: cannot open fifo '%s': %s\n", o->fifo,
			strerror(errno));
		return 1;
	}
	h = curl_easy_init();
	if (!h)
		goto out;
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path(o));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	if (s.code && s.code != 200) {
		while (s.err.len && s.err.p[s.err.len - 1] == '\n')
			s.err.p[--s.err.len] = '\0';
		fprintf(stderr, "flowtap-extcap: capture refused (HTTP %ld): %s\n", s.code,
			s.err.p ? s.err.p : "");
	} else if (rc == CURLE_COULDNT_CONNECT) {
		fprintf(stderr,
			"flowtap-extcap: cannot connect to %s: is flowtapd or the datapath "
			"running?\n",
			socket_path(o));
	} else if (rc == CURLE_OK || stopping || (rc == CURLE_WRITE_ERROR && s.werr == EPIPE)) {
		ret = 0;
	} else {
		fprintf(stderr, "flowtap-extcap: capture failed: %s\n", curl_easy_strerror(rc));
	}
	curl_easy_cleanup(h);
out:
	free(s.err.p);
	close(s.fd);
	return ret;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"extcap-interfaces", 0, 0, 'I'},
	    {"extcap-dlts", 0, 0, 'D'},
	    {"extcap-config", 0, 0, 'C'},
	    {"capture", 0, 0, 'c'},
	    {"extcap-interface", 1, 0, 'i'},
	    {"fifo", 1, 0, 'f'},
	    {"extcap-capture-filter", 1, 0, 'F'},
	    {"extcap-version", 2, 0, 'V'},
	    {"filter", 1, 0, 'x'},
	    {"socket", 1, 0, 'S'},
	    {"path", 1, 0, 'P'},
	    {"format", 1, 0, 'm'},
	    {"direction", 1, 0, 'd'},
	    {"snaplen", 1, 0, 's'},
	    {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'I':
			o->interfaces = true;
			break;
		case 'D':
			o->dlts = true;
			break;
		case 'C':
			o->config = true;
			break;
		case 'c':
			o->capture = true;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'f':
			o->fifo = optarg;
			break;
		case 'F':
			o->cfilter = optarg;
			break;
		case 'x':
			o->filter = optarg;
			break;
		case 'S':
			o->socket = optarg;
			break;
		case 'P':
			o->paths = optarg;
			break;
		case 'm':
			o->format = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 's':
			o->snaplen = optarg;
			break;
		case 'V':
			break;
		case 'h':
			printf("flowtap-extcap: Wireshark extcap for flowtap taps; Wireshark runs "
			       "it.\n"
			       "  --extcap-interfaces | --extcap-dlts | --extcap-config | "
			       "--capture\n");
			exit(0);
		default:
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	int ret;

	if (parse(argc, argv, &o) < 0)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (o.interfaces)
		ret = list_interfaces(&o);
	else if (o.dlts)
		ret = list_dlts(&o);
	else if (o.config)
		ret = list_config(&o);
	else if (o.capture)
		ret = capture(&o);
	else {
		fprintf(stderr, "flowtap-extcap: nothing to do (Wireshark calls this program with "
				"--extcap-interfaces)\n");
		ret = 2;
	}
	curl_global_cleanup();
	return ret;
}
