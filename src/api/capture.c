/*
 * \summary: POST /localapi/v0/debug-capture: one capture session per client,
 * streamed as a chunked HTTP response.
 *
 * evhttp parses the request and sends the response head; then the session
 * thread writes the body's chunks straight to the connection (a dup of its
 * socket), so a packet is copied once from the session's buffer into the
 * socket and the loop is not woken per chunk. When the stream ends, evhttp
 * writes the last chunk. A slow client fills its socket (at most
 * client_bufsize), the session thread waits, its bounded buffer fills and
 * the tap drops packets for that session only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "parse_num.h"

int ft__api_parse_bool(const char *s, bool *out)
{
	if (!*s || !strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
		 !strcasecmp(s, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int ft__api_parse_duration(const char *s, uint64_t *ms)
{
	double total = 0;
	bool any = false;

	while (*s) {
		char *end;
		double v, mul = 1000;

		if (*s == '-' || *s == '+' || *s == ' ')
			return -EINVAL;
		v = strtod(s, &end);
		if (end == s || v != v || v < 0)
			return -EINVAL;
		s = end;
		if (!strncmp(s, "ms", 2)) {
			mul = 1;
			s += 2;
		} else if (*s == 's') {
			s++;
		} else if (*s == 'm') {
			mul = 60000;
			s++;
		} else if (*s == 'h') {
			mul = 3600000;
			s++;
		} else if (*s) {
			return -EINVAL;
		}
		total += v * mul;
		any = true;
	}
	if (!any || total > 1e15)
		return -EINVAL;
	*ms = (uint64_t)(total + 0.5);
	return 0;
}

/* Every path asked for must be one the tap has: a capture of a path nobody
 * offers on would stay silent forever. */
static int check_paths(struct ft_tap *t, const struct ft_pathset *ps, char *err, size_t errlen)
{
	unsigned have[FT_PATH_MAX + 1];
	int n = ft_tap_paths(t, have, FT_PATH_MAX + 1);
	size_t off = 0;

	for (unsigned p = 0; p <= FT_PATH_MAX; p++) {
		bool found = false;
		if (!ft_pathset_has(ps, p))
			continue;
		for (int i = 0; i < n && !found; i++)
			found = have[i] == p;
		if (found)
			continue;
		const char *bn = ft_path_builtin_name(p);
		if (bn)
			off = (size_t)snprintf(
			    err, errlen,
			    "tap '%s' has no path '%s' (%u); its paths:", ft_tap_name(t), bn, p);
		else
			off = (size_t)snprintf(
			    err, errlen, "tap '%s' has no path %u; its paths:", ft_tap_name(t), p);
		for (int i = 0; i < n && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off, "%s %s", i ? "," : "",
						ft_tap_path_name(t, have[i]));
		return -EINVAL;
	}
	return 0;
}

/* Query parameters into session options; on error, a message in @err. */
static int parse_params(struct ft_api *api, struct evkeyvalq *q, struct ft_session_opts *so,
			struct ft_tap **tap, char *err, size_t errlen)
{
	const char *tapname = evhttp_find_header(q, "tap");
	const char *paths = NULL;
	struct evkeyval *kv;
	uint64_t v = 0;
	bool b;

	*tap = ft__api_find_tap(api, tapname);
	if (!*tap) {
		snprintf(err, errlen, tapname ? "no tap named '%s'" : "no tap to capture from",
			 tapname);
		return -ENOENT;
	}
	/* user0 (the established debug-capture stream) carries raw IP; a
	 * link-layer tap (flowtapd's interfaces) streams pcap by default. */
	so->format = ft_tap_dlt(*tap) == DLT_RAW ? FT_FORMAT_USER0 : FT_FORMAT_PCAP;
	TAILQ_FOREACH(kv, q, next)
	{
		const char *k = kv->key, *val = kv->value;
		int ret = 0;

		if (!strcmp(k, "tap")) {
			continue;
		} else if (!strcmp(k, "format")) {
			ret = ft_format_parse(val, &so->format);
		} else if (!strcmp(k, "filter")) {
			so->filter = val;
		} else if (!strcmp(k, "path")) {
			paths = val;
		} else if (!strcmp(k, "direction")) {
			ret = ft_dir_parse(val, &so->dir);
		} else if (!strcmp(k, "snaplen")) {
			ret = ft__parse_u64(val, 262144, &v);
			so->snaplen = (uint32_t)v;
			if (!ret && v == 0)
				ret = -EINVAL;
		} else if (!strcmp(k, "count")) {
			ret = ft__parse_u64(val, UINT64_MAX, &so->max_packets);
		} else if (!strcmp(k, "duration")) {
			ret = ft__api_parse_duration(val, &so->duration_ms);
		} else if (!strcmp(k, "verbose") || !strcmp(k, "ascii") || !strcmp(k, "hex")) {
			unsigned flag = k[0] == 'v'   ? FT_TEXT_VERBOSE
					: k[0] == 'a' ? FT_TEXT_ASCII
						      : FT_TEXT_HEX;
			ret = ft__api_parse_bool(val, &b);
			if (ret == 0 && b)
				so->text_flags |= flag;
		} else {
			snprintf(err, errlen, "unknown parameter '%s'", k);
			return -EINVAL;
		}
		if (ret < 0) {
			snprintf(err, errlen, "bad value for parameter '%s': '%s'", k, val);
			return -EINVAL;
		}
	}
	if (paths && ft_pathset_parse(&so->paths, paths, ft_tap_path_name, *tap, err, errlen) < 0)
		return -EINVAL;
	return paths ? check_paths(*tap, &so->paths, err, errlen) : 0;
}

/* How long a stop lets a chunk that is partly sent finish: a client that
 * reads gets its stream ended cleanly, a stalled one is cut. */
#define FINISH_CHUNK_NS 300000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sends @iov whole on the client's socket; on the session thread. Given up
 * when the client is freed (@closing), except that a chunk partly sent may
 * finish for a moment; if it cannot, @torn tells the loop that the stream
 * can only be cut, not ended. */
static int send_all(struct api_client *c, struct iovec *iov, int n)
{
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	struct pollfd pfd = {.fd = c->wfd, .events = POLLOUT};
	bool partial = false;
	uint64_t give_up = 0;

	while (m.msg_iovlen) {
		ssize_t k;

		if (atomic_load_explicit(&c->closing, memory_order_acquire)) {
			if (!give_up)
				give_up = mono_ns() + FINISH_CHUNK_NS;
			if (!partial || mono_ns() >= give_up) {
				c->torn = partial; /* read after the session is joined */
				return -EPIPE;
			}
		}
		k = sendmsg(c->wfd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno == ECONNRESET ? -EPIPE : -errno;
			/* The client is slow. Short waits: freeing a client (on
			 * the loop thread) waits for its session to notice. */
			atomic_store_explicit(&c->blocked, true, memory_order_relaxed);
			poll(&pfd, 1, 10);
			continue;
		}
		atomic_store_explicit(&c->blocked, false, memory_order_relaxed);
		partial = true;
		while (m.msg_iovlen && (size_t)k >= m.msg_iov->iov_len) {
			k -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + k;
			m.msg_iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* The session's output, on the session thread: one HTTP chunk per flush of
 * the session's writer. */
static int client_out(void *ctx, const void *data, size_t len)
{
	struct api_client *c = ctx;
	char head[20];
	struct iovec iov[3] = {
	    {head, (size_t)snprintf(head, sizeof(head), "%zx\r\n", len)},
	    {(void *)data, len},
	    {"\r\n", 2},
	};

	if (!len)
		return 0; /* a zero-length chunk would end the stream */
	/* The loop writes the response head right after starting the
	 * session; only a client that does not read can delay it. */
	while (!atomic_load_explicit(&c->head_sent, memory_order_acquire)) {
		struct timespec ts = {0, 10000000};

		if (atomic_load_explicit(&c->closing, memory_order_acquire))
			return -EPIPE;
		nanosleep(&ts, NULL);
	}
	if (!c->chunked)
		return send_all(c, iov + 1, 1);
	return send_all(c, iov, 3);
}

/* Session thread: the session ended by itself (count, duration, error) and
 * wrote everything; the loop ends the reply. */
static void client_end(struct ft_session *s, void *ctx)
{
	struct api_client *c = ctx;

	atomic_store_explicit(&c->ended, true, memory_order_release);
	ft__api_wake(c->api);
}

void ft__api_client_free(struct api_client *c, bool conn_gone)
{
	struct ft_api *api = c->api;

	ft__api_client_unlink(api, c);
	atomic_store_explicit(&c->closing, true, memory_order_release);
	if (c->kind == API_CLIENT_FLOWS)
		ft__api_flows_unlink(c);
	if (c->sess) {
		struct api_recent *r = &api->recent[api->nrecent++ % FT__API_RECENT];

		ft_session_stop(c->sess, &r->st);
		r->id = c->id;
		r->uid = c->uid;
		r->pid = c->pid;
		r->format = ft_session_format(c->sess);
		snprintf(r->tap, sizeof(r->tap), "%s", ft_tap_name(c->tap));
		ft_session_free(c->sess);
	}
	if (c->wfd >= 0)
		close(c->wfd);
	if (!conn_gone && c->evcon && c->torn) {
		/* A chunk was cut short: a terminating chunk now would be read
		 * as its data, so the client learns of the end by the close. */
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		evhttp_connection_free(c->evcon);
	} else if (!conn_gone && c->evcon) {
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		/* The stream ends here: no trailer we could add would be seen
		 * by a client that needs it, so just end the chunked reply. */
		evhttp_send_reply_end(c->req);
	} else if (conn_gone && c->req && !evhttp_request_get_connection(c->req)) {
		/* evhttp detached the unfinished request from the dead
		 * connection and left it to us. */
		evhttp_request_free(c->req);
	}
	if (c->pending)
		evbuffer_free(c->pending);
	free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	ft__api_client_free(arg, true);
}

static struct evbuffer *conn_output(struct api_client *c)
{
	return bufferevent_get_output(evhttp_connection_get_bufferevent(c->evcon));
}

/* Once evhttp has written the response head (and anything before it), the
 * session may write the body. Normally the socket takes the head at once,
 * here; if the client does not read, libevent writes it later and the tick
 * looks again. */
static void head_check(struct api_client *c)
{
	struct evbuffer *out = conn_output(c);

	while (evbuffer_get_length(out) > 0)
		if (evbuffer_write(out, c->conn_fd) <= 0)
			return;
	atomic_store_explicit(&c->head_sent, true, memory_order_release);
}

/* A client that closed its socket while no data flowed is noticed here: the
 * peer's close shows as POLLHUP on a Unix stream socket. */
void ft__api_capture_check(struct api_client *c)
{
	struct pollfd pfd = {.fd = c->conn_fd, .events = POLLIN};

	if (atomic_load_explicit(&c->ended, memory_order_acquire)) {
		ft__api_client_free(c, false);
		return;
	}
	if (!atomic_load_explicit(&c->head_sent, memory_order_relaxed))
		head_check(c);
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
		evhttp_connection_free(c->evcon); /* calls on_close */
}

static int client_setup(struct api_client *c, struct ft_session_opts *so, char *err, size_t errlen)
{
	struct ft_api *api = c->api;
	int ret, sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	/* Our own descriptor: evhttp closes its own when the connection fails,
	 * and the number could be reused while the session still writes. */
	c->wfd = fcntl(c->conn_fd, F_DUPFD_CLOEXEC, 0);
	if (c->wfd < 0)
		return -errno;
	/* The bound on what waits for a slow client is the socket's buffer. */
	if (getsockopt(c->wfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) == 0 &&
	    (size_t)sndbuf > api->o.client_bufsize) {
		sndbuf = (int)(api->o.client_bufsize / 2); /* the kernel doubles it */
		setsockopt(c->wfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	so->out = client_out;
	so->out_ctx = c;
	so->on_end = client_end;
	so->on_end_ctx = c;
	so->bufsize = api->o.session_bufsize;
	ret = ft_session_start(&c->sess, c->tap, so, err, errlen);
	if (ret == -EINVAL && so->format == FT_FORMAT_USER0 && ft_tap_dlt(c->tap) != DLT_RAW)
		snprintf(err, errlen,
			 "format user0 needs raw IP packets; tap '%s' has link type %s: "
			 "use format=pcap or format=pcapng",
			 ft_tap_name(c->tap), pcap_datalink_val_to_name(ft_tap_dlt(c->tap)));
	else if (ret < 0 && ret != FT_EFILTER)
		snprintf(err, errlen, "cannot start capture: %s", ft_strerror(ret));
	return ret;
}

static void client_discard(struct api_client *c)
{
	if (c->wfd >= 0)
		close(c->wfd);
	free(c);
}

void ft__api_handle_capture(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq q = {0};
	struct ft_session_opts so;
	struct api_client *c = calloc(1, sizeof(*c));
	char err[FT_ERRBUF_SIZE] = "";
	int ret;

	TAILQ_INIT(&q);
	if (!c) {
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	ft__api_client_init(c, api, API_CLIENT_CAPTURE, req, uid, pid);
	ft_session_opts_init(&so);
	if (query && evhttp_parse_query_str(query, &q) < 0) {
		snprintf(err, sizeof(err), "malformed query string");
		ret = -EINVAL;
	} else {
		ret = parse_params(api, &q, &so, &c->tap, err, sizeof(err));
	}
	if (ret == 0)
		ret = client_setup(c, &so, err, sizeof(err));
	evhttp_clear_headers(&q);
	if (ret < 0) {
		if (ret == -ENOENT)
			ft__api_reply(req, 404, "Not Found", err);
		else if (ret == -EINVAL || ret == FT_EFILTER || ret == FT_EFORMAT)
			ft__api_reply(req, 400, "Bad Request", err);
		else
			ft__api_reply(req, 500, "Internal Server Error", err);
		client_discard(c);
		return;
	}
	c->id = ++api->next_id;
	ft__api_client_link(api, c);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  ft_format_content_type(so.format));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
	snprintf(err, sizeof(err), "%llu", (unsigned long long)c->id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Flowtap-Session", err);
	/* The stream ends the connection: evhttp then never announces a
	 * keep-alive HTTP/1.0 reply with "Content-Length: 0", and an HTTP/1.0
	 * body ends where the connection does. */
	evhttp_remove_header(evhttp_request_get_input_headers(req), "Connection");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	evhttp_send_reply_start(req, 200, "OK");
	/* evhttp chose chunked encoding (HTTP/1.1) or a body ended by closing
	 * the connection (HTTP/1.0); the session's writes must follow. */
	c->chunked =
	    evhttp_find_header(evhttp_request_get_output_headers(req), "Transfer-Encoding") != NULL;
	/* A capture may stay quiet for hours: no idle timeout on the stream. */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(c->evcon), NULL, NULL);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	head_check(c);
}
