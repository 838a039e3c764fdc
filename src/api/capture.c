/*
 * \summary: POST /localapi/v0/debug-capture: one capture session per client,
 * streamed as a chunked HTTP response.
 *
 * The session formats packets on its own thread and writes them into a
 * socket pair; the loop reads the other end and queues chunks on the HTTP
 * connection. While more than client_bufsize bytes wait for a slow client,
 * the loop stops reading the pair, the pair fills, the session thread waits,
 * its bounded buffer fills and the tap drops packets for that session only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "parse_num.h"

#define READ_CHUNK (64 * 1024)

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
	so->format = FT_FORMAT_USER0;
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
	return 0;
}

/* The session's output: runs on the session thread. */
static int client_out(void *ctx, const void *data, size_t len)
{
	struct api_client *c = ctx;
	const char *p = data;

	while (len) {
		ssize_t n;

		if (atomic_load_explicit(&c->closing, memory_order_acquire))
			return -EPIPE;
		n = send(c->sp[1], p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			struct pollfd pfd = {.fd = c->sp[1], .events = POLLOUT};

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			/* The client is slow: wait, but look at @closing often
			 * so a stop never waits on a client that is gone. */
			poll(&pfd, 1, 100);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Session thread: the session ended by itself (count, duration, error),
 * everything is written; EOF on the pair tells the loop to end the reply. */
static void client_end(struct ft_session *s, void *ctx)
{
	struct api_client *c = ctx;

	shutdown(c->sp[1], SHUT_WR);
	ft__api_wake(c->api);
}

void ft__api_client_free(struct api_client *c, bool conn_gone)
{
	struct ft_api *api = c->api;

	ft__api_client_unlink(api, c);
	atomic_store_explicit(&c->closing, true, memory_order_release);
	if (c->kind == API_CLIENT_FLOWS)
		ft__api_flows_unlink(c);
	if (c->rev)
		event_free(c->rev);
	/* Closing our end first makes any write of the session fail at once. */
	if (c->sp[0] >= 0)
		close(c->sp[0]);
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
	if (c->sp[1] >= 0)
		close(c->sp[1]);
	if (!conn_gone && c->evcon) {
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

/* Output toward the client drained completely: read the session again. */
static void on_sent(struct evhttp_connection *evcon, void *arg)
{
	struct api_client *c = arg;

	if (c->paused && c->rev) {
		c->paused = false;
		event_add(c->rev, NULL);
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct api_client *c = arg;
	int n = evbuffer_read(c->pending, fd, READ_CHUNK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: the session ended and wrote everything. */
		ft__api_client_free(c, false);
		return;
	}
	evhttp_send_reply_chunk_with_cb(c->req, c->pending, on_sent, c);
	if (evbuffer_get_length(conn_output(c)) >= c->api->o.client_bufsize) {
		c->paused = true;
		event_del(c->rev);
	}
}

/* A client that closed its socket while no data flowed is noticed here: the
 * peer's close shows as POLLHUP on a Unix stream socket. */
void ft__api_capture_check(struct api_client *c)
{
	struct pollfd pfd = {.fd = c->conn_fd, .events = POLLIN};

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
		evhttp_connection_free(c->evcon); /* calls on_close */
}

static int client_setup(struct api_client *c, struct ft_session_opts *so, char *err, size_t errlen)
{
	struct ft_api *api = c->api;
	int ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, c->sp) < 0)
		return -errno;
	c->pending = evbuffer_new();
	c->rev = event_new(api->base, c->sp[0], EV_READ | EV_PERSIST, on_readable, c);
	if (!c->pending || !c->rev)
		return -ENOMEM;
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
	if (c->rev)
		event_free(c->rev);
	if (c->sp[0] >= 0)
		close(c->sp[0]);
	if (c->sp[1] >= 0)
		close(c->sp[1]);
	if (c->pending)
		evbuffer_free(c->pending);
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
	evhttp_send_reply_start(req, 200, "OK");
	/* A capture may stay quiet for hours: no idle timeout on the stream. */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(c->evcon), NULL, NULL);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	event_add(c->rev, NULL);
}
