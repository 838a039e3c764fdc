/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: POST /localapi/v0/debug-capture: one capture session per client,
 * streamed as a chunked HTTP response.
 *
 * evhttp parses the request; a worker starts the session (attaching can
 * wait for a capture source to open its kernel rings); the loop then sends
 * the response head, and the session thread writes the body's chunks
 * straight to the connection (a dup of its socket), so a packet is copied
 * once from the session's buffer into the socket and the loop is not woken
 * per chunk. A slow client fills its socket (at most client_bufsize), the
 * session thread waits, its bounded buffer fills and the tap drops packets
 * for that session only.
 *
 * Why through the writer's buffer (out) and not out_iov, which would hand
 * pcap records to sendmsg(2) where they lie in the session's rings: on a
 * Unix socket the kernel's copy from the rings (memory the producer thread
 * wrote on another core, read a batch later) cost more than the copy into
 * the writer's buffer it saves, which then leaves a cache-hot buffer for
 * the kernel to copy. Measured (issue 12): the session thread took 120 ns
 * a packet instead of 85 with out_iov (mixed sizes), and flowtapd's CPU per
 * packet streaming pcap rose from 0.64 to 0.74 s per million. Measured
 * again once the session handed records over in runs without reading
 * them (spsc.h's index): flowtapd's share 0.44-0.47 s per million with
 * out_iov against 0.38-0.48 without, so still no gain.
 *
 * Ending: a worker stops the session, which drains everything it counted
 * to the client, and writes the last chunk with trailers that give the
 * session's final counters; then the loop closes the connection. A client
 * that stalls for STALL_NS while its stream is being ended, or whose
 * stream could not be written whole, is cut (no last chunk), so it can
 * tell that it did not get everything.
 *
 * Who touches what: the loop owns the client; a worker reads the options
 * set before the job was queued and writes the start and stop results,
 * which the loop reads in the job's done() (see worker.c). started,
 * cancelled, stopped and remove are under api->jmu.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include <event2/bufferevent.h>

#include "api_int.h"
#include "iov.h"
#include <event2/http_struct.h> /* the request's HTTP version */
#include "parse_num.h"

/* How long a client whose stream is being ended may take nothing before it
 * is cut: the end of a stream never waits on a stalled reader for long. */
#define STALL_NS ((uint64_t)FT_API_STALL_MS * 1000000u)

/* snaplen=0: whole packets, as tcpdump -s 0. */
#define SNAPLEN_MAX 262144

/* Every path asked for must be one the tap has: a capture of a path nobody
 * offers on would stay silent forever. */
static int check_paths(struct ft_tap *t, const struct ft_pathset *ps, char *err, size_t errlen)
{
	unsigned have[FT_PATH_MAX + 1];
	int n = ft_tap_paths(t, have, FT_PATH_MAX + 1);
	size_t off = 0;

	for (unsigned p = 0; p <= FT_PATH_MAX; p++) {
		bool found = p == FT_PATH_DROPPED; /* every drop (tap.h) */
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

/* since= beyond this is cut to it (ft_session_opts). */
#define SINCE_MAX_MS 86400000u

/* A since capture needs the tap's flight recorder. */
static bool recorder_off(struct ft_tap *t, char *err, size_t errlen)
{
	struct ft_recorder_stats r;
	char tn[96];

	ft_tap_recorder_stats(t, &r);
	if (r.on)
		return false;
	snprintf(err, errlen,
		 "tap '%s' has no flight recorder running: start it with --recorder SECONDS "
		 "(flowtapd, flowtap-tunnel) or ft_tap_recorder_start()",
		 ft__api_escape(tn, sizeof(tn), ft_tap_name(t)));
	return true;
}

/* drops=both|only|none. */
static int parse_drops(const char *v, enum ft_drop_select *out)
{
	if (!strcmp(v, "both"))
		*out = FT_DROPS_BOTH;
	else if (!strcmp(v, "only"))
		*out = FT_DROPS_ONLY;
	else if (!strcmp(v, "none"))
		*out = FT_DROPS_EXCLUDE;
	else
		return -EINVAL;
	return 0;
}

/* drop-reason=NAME[,NAME...]: reasons of the tap (built-in or registered);
 * an unknown one is refused with the list of those the tap knows. */
static int parse_reasons(struct ft_tap *t, const char *list, struct ft_pathset *set, char *err,
			 size_t errlen)
{
	const char *p = list;
	char name[64], e1[96];

	while (*p) {
		size_t n = strcspn(p, ",");
		int id;
		snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), p);
		id = n < 63 ? ft_drop_reason_parse(t, name) : -ENOENT;
		if (id < 0) {
			size_t off =
			    (size_t)snprintf(err, errlen, "unknown drop reason '%s'; known:",
					     ft__api_escape(e1, sizeof(e1), name));
			for (unsigned r = 1; r < FT_DROP_REASON_MAX && off < errlen; r++) {
				const char *rn = ft_drop_reason_name(t, r);
				if (rn)
					off += (size_t)snprintf(err + off, errlen - off, " %s", rn);
			}
			return -EINVAL;
		}
		ft_pathset_add(set, (unsigned)id);
		p += n + (p[n] == ',');
	}
	return 0;
}

/* anonymize=1: the server's key (ft_api_set_anonymize()) for this session;
 * none is a refusal (409), not a capture that would leak real addresses. */
static int take_anon_key(struct api_client *c, char *err, size_t errlen)
{
	struct ft_api *api = c->api;
	bool have;
	char tn[96];

	if (!ft_anon_dlt_supported(ft_tap_dlt(c->tap))) {
		snprintf(err, errlen,
			 "anonymize=1: tap '%s' has link type %s, which cannot be "
			 "anonymized",
			 ft__api_escape(tn, sizeof(tn), ft_tap_name(c->tap)),
			 pcap_datalink_val_to_name(ft_tap_dlt(c->tap)));
		return -EINVAL;
	}
	pthread_mutex_lock(&api->mu);
	have = api->anon;
	if (have)
		memcpy(c->anon_key, api->anon_key, sizeof(c->anon_key));
	pthread_mutex_unlock(&api->mu);
	if (!have) {
		snprintf(err, errlen,
			 "anonymize=1: the server has no anonymization key (start flowtapd or "
			 "flowtap-tunnel with --anonymize KEYFILE, or use flowtap capture "
			 "--anonymize KEYFILE)");
		return -ENODATA;
	}
	c->so.anon_key = c->anon_key;
	return 0;
}

/* Query parameters into session options; on error, a message in @err. */
static int parse_params(struct api_client *c, struct api_query *q, char *err, size_t errlen)
{
	struct ft_session_opts *so = &c->so;
	const char *tapname = ft__api_query_get(q, "tap");
	const char *paths = NULL, *reasons = NULL;
	char e1[96], e2[160];
	uint64_t v = 0;
	bool b, anon = false;

	c->tap = ft__api_find_tap(c->api, tapname);
	if (!c->tap) {
		snprintf(err, errlen, tapname ? "no tap named '%s'" : "no tap to capture from",
			 ft__api_escape(e1, sizeof(e1), tapname));
		return -ENOENT;
	}
	/* user0 (the established debug-capture stream) carries raw IP; a
	 * link-layer tap (flowtapd's interfaces) streams pcap by default. */
	so->format = ft_tap_dlt(c->tap) == DLT_RAW ? FT_FORMAT_USER0 : FT_FORMAT_PCAP;
	for (unsigned i = 0; i < q->n; i++) {
		const char *k = q->kv[i].k, *val = q->kv[i].v;
		int ret = 0;

		if (!strcmp(k, "tap")) {
			continue;
		} else if (!strcmp(k, "format")) {
			ret = ft_format_parse(val, &so->format);
		} else if (!strcmp(k, "filter")) {
			free(c->filter);
			if (!(c->filter = ft__api_clean_filter(val, err, errlen)))
				return errno == ENOMEM ? -ENOMEM : -EINVAL;
			so->filter = c->filter;
		} else if (!strcmp(k, "path")) {
			paths = val;
		} else if (!strcmp(k, "direction")) {
			ret = ft_dir_parse(val, &so->dir);
		} else if (!strcmp(k, "drops")) {
			ret = parse_drops(val, &so->drops);
		} else if (!strcmp(k, "drop-reason")) {
			reasons = val;
		} else if (!strcmp(k, "snaplen")) {
			ret = ft__parse_u64(val, SNAPLEN_MAX, &v);
			so->snaplen = v ? (uint32_t)v : SNAPLEN_MAX;
		} else if (!strcmp(k, "count")) {
			ret = ft__parse_u64(val, UINT64_MAX, &so->max_packets);
		} else if (!strcmp(k, "duration")) {
			ret = ft__api_parse_duration(val, &so->duration_ms);
		} else if (!strcmp(k, "since")) {
			ret = ft__api_parse_duration(val, &so->since_ms);
			if (!ret && !so->since_ms) {
				snprintf(err, errlen, "since must be more than 0 (e.g. since=30s)");
				return -EINVAL;
			}
		} else if (!strcmp(k, "anonymize")) {
			ret = ft__api_parse_bool(val, &anon);
		} else if (!strcmp(k, "history_only")) {
			ret = ft__api_parse_bool(val, &so->history_only);
		} else if (!strcmp(k, "verbose") || !strcmp(k, "ascii") || !strcmp(k, "hex")) {
			unsigned flag = k[0] == 'v'   ? FT_TEXT_VERBOSE
					: k[0] == 'a' ? FT_TEXT_ASCII
						      : FT_TEXT_HEX;
			ret = ft__api_parse_bool(val, &b);
			if (ret == 0 && b)
				so->text_flags |= flag;
		} else {
			snprintf(err, errlen, "unknown parameter '%s'",
				 ft__api_escape(e1, sizeof(e1), k));
			return -EINVAL;
		}
		if (ret < 0) {
			snprintf(err, errlen, "bad value for parameter '%s': '%s'",
				 ft__api_escape(e1, sizeof(e1), k),
				 ft__api_escape(e2, sizeof(e2), val));
			return -EINVAL;
		}
	}
	if (paths &&
	    ft_pathset_parse(&so->paths, paths, ft_tap_path_name, c->tap, err, errlen) < 0) {
		/* The message quotes the client's names: shown escaped. */
		snprintf(e2, sizeof(e2), "%s", err);
		ft__api_escape(err, errlen, e2);
		return -EINVAL;
	}
	if (so->history_only && !so->since_ms) {
		snprintf(err, errlen, "history_only needs since (e.g. since=60s&history_only=1)");
		return -EINVAL;
	}
	/* The recorder holds a day at most: a longer window gets what there is. */
	if (so->since_ms > SINCE_MAX_MS)
		so->since_ms = SINCE_MAX_MS;
	if (so->since_ms && recorder_off(c->tap, err, errlen))
		return -ENODATA;
	if (reasons && parse_reasons(c->tap, reasons, &so->drop_reasons, err, errlen) < 0)
		return -EINVAL;
	if (reasons && so->drops == FT_DROPS_EXCLUDE) {
		snprintf(err, errlen, "drop-reason selects dropped packets: not with drops=none");
		return -EINVAL;
	}
	if (paths && check_paths(c->tap, &so->paths, err, errlen) < 0) {
		/* It names the tap: shown escaped. */
		snprintf(e2, sizeof(e2), "%s", err);
		ft__api_escape(err, errlen, e2);
		return -EINVAL;
	}
	return anon ? take_anon_key(c, err, errlen) : 0;
}

/* Sends @iov whole on the client's socket; on a session or worker thread.
 * Given up at once when the client is gone (@closing); while the stream is
 * being ended (@draining), given up after STALL_NS without progress. */
static int send_all(struct api_client *c, struct iovec *iov, int n)
{
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	struct pollfd pfd = {.fd = c->wfd, .events = POLLOUT};
	uint64_t stalled_since = 0;

	while (m.msg_iovlen) {
		ssize_t k;

		if (atomic_load_explicit(&c->closing, memory_order_acquire))
			return -EPIPE;
		k = sendmsg(c->wfd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno == ECONNRESET ? -EPIPE : -errno;
			/* The client is slow. Short waits, so that a stop or a
			 * gone client is noticed soon. */
			atomic_store_explicit(&c->blocked, true, memory_order_relaxed);
			if (atomic_load_explicit(&c->draining, memory_order_acquire)) {
				uint64_t now = ft__mono_ns();
				if (!stalled_since)
					stalled_since = now;
				else if (now - stalled_since >= STALL_NS)
					return -ETIMEDOUT;
			}
			poll(&pfd, 1, 10);
			continue;
		}
		atomic_store_explicit(&c->blocked, false, memory_order_relaxed);
		stalled_since = 0;
		ft__iov_advance(&m.msg_iov, &m.msg_iovlen, (size_t)k);
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
	/* The loop writes the response head right after the session has
	 * started; only a client that does not read can delay it. A stop
	 * before the head went out sets @closing. */
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

/* Worker, after the session stopped: the last chunk, with the session's
 * final counters as trailers (RFC 9112 7.1.2), if the stream is whole. */
static void send_trailer(struct api_client *c)
{
	char buf[256];
	struct iovec iov;

	iov.iov_base = buf;
	iov.iov_len = (size_t)snprintf(buf, sizeof(buf),
				       "0\r\nFlowtap-Matched: %llu\r\nFlowtap-Written: %llu\r\n"
				       "Flowtap-Dropped: %llu\r\n\r\n",
				       (unsigned long long)c->final.matched,
				       (unsigned long long)c->final.written,
				       (unsigned long long)c->final.dropped);
	if (send_all(c, &iov, 1) < 0)
		c->torn = true;
}

/* Worker: after the session stopped (or never started), a remove waiting
 * for this tap's sessions hears of it. */
static void mark_stopped(struct api_client *c)
{
	struct ft_api *api = c->api;

	pthread_mutex_lock(&api->jmu);
	c->stopped = true;
	if (c->remove && !--c->remove->left)
		pthread_cond_broadcast(&api->jdone);
	c->remove = NULL; /* a sync remove's record may be gone after this */
	pthread_mutex_unlock(&api->jmu);
}

/* Worker: end the stream. */
static void stop_work(void *arg)
{
	struct api_client *c = arg;
	struct ft_session *s = c->new_sess;
	bool head = atomic_load_explicit(&c->head_sent, memory_order_acquire);

	/* Nothing may be written before the head; a client that is gone or
	 * stalls takes nothing more. */
	if (!head)
		atomic_store_explicit(&c->closing, true, memory_order_release);
	atomic_store_explicit(&c->draining, true, memory_order_release);
	ft_session_stop(s, &c->final);
	mark_stopped(c);
	if (!head || atomic_load(&c->closing) || c->final.error)
		c->torn = true;
	else if (c->chunked)
		send_trailer(c);
	/* c->new_sess keeps its (now dangling) value: the loop reads it under
	 * jmu and only together with c->stopped, so it is never used again. */
	ft_session_free(s);
}

static void record_recent(struct api_client *c)
{
	struct ft_api *api = c->api;
	struct api_recent *r = &api->recent[api->nrecent++ % FT__API_RECENT];

	r->id = c->id;
	r->uid = c->uid;
	r->pid = c->pid;
	r->format = c->so.format;
	r->st = c->final;
	ft__api_escape(r->tap, sizeof(r->tap), ft_tap_name(c->tap));
}

/* Loop: the stream has ended; the connection ends with it. */
static void stop_done(void *arg)
{
	struct api_client *c = arg;

	record_recent(c);
	if (c->evcon && !atomic_load(&c->head_sent) && c->req) {
		/* Ended before it began (tap removed, server stopping). */
		ft__api_reply(c->req, 503, "Service Unavailable",
			      "capture ended before it started");
	} else if (c->evcon) {
		/* After the last chunk, or cut: either way the connection
		 * ("Connection: close") is done. */
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		evhttp_connection_free(c->evcon);
		c->evcon = NULL;
		c->req = NULL;
	}
	if (c->remove_async)
		ft__api_remove_unref(c->api, c->remove_async);
	ft__api_client_release(c);
}

static void queue_stop(struct api_client *c)
{
	/* The session now belongs to the stop job; status stops showing it. */
	c->sess = NULL;
	c->stop_queued = true;
	while (ft__api_defer(c->api, stop_work, stop_done, c) < 0) {
		/* No memory for a job: stop here rather than leak a session
		 * (the loop waits, but only in this rare case). */
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

/* Loop: end the stream. A session still starting is cancelled: the worker
 * starting it stops it at once. */
static void capture_end(struct api_client *c, bool graceful)
{
	struct ft_api *api = c->api;
	bool started;

	if (!graceful)
		atomic_store_explicit(&c->closing, true, memory_order_release);
	pthread_mutex_lock(&api->jmu);
	started = c->started;
	if (!started)
		c->cancelled = true;
	pthread_mutex_unlock(&api->jmu);
	if (!started)
		return; /* start_done() finishes it */
	if (c->new_sess)
		queue_stop(c);
	/* else the start failed and start_done() replies and releases. */
}

void ft__api_capture_remove(struct api_client *c, struct api_remove *rm)
{
	struct ft_api *api = c->api;

	pthread_mutex_lock(&api->jmu);
	/* Not started yet (cancelled, the worker stops it), or running, or
	 * being stopped: either way a session may still use the tap. */
	if (!c->started || (c->new_sess && !c->stopped)) {
		c->remove = rm;
		rm->left++;
	}
	pthread_mutex_unlock(&api->jmu);
	if (!rm->sync && !c->remove_async) {
		c->remove_async = rm;
		rm->refs++;
	}
	ft__api_client_end(c, true);
}

/* Worker: start the session; a client ended meanwhile is stopped here,
 * since the loop may be waiting for it. */
static void start_work(void *arg)
{
	struct api_client *c = arg;
	struct ft_tap *t = c->tap;
	char *err = c->start_err, tn[96];
	size_t errlen = sizeof(c->start_err);
	bool cancelled;
	int ret;

	ret = ft_session_start(&c->new_sess, t, &c->so, err, errlen);
	if (ret == -EINVAL && c->so.format == FT_FORMAT_USER0 && ft_tap_dlt(t) != DLT_RAW)
		snprintf(err, errlen,
			 "format user0 needs raw IP packets; tap '%s' has link type %s: "
			 "use format=pcap or format=pcapng",
			 ft__api_escape(tn, sizeof(tn), ft_tap_name(t)),
			 pcap_datalink_val_to_name(ft_tap_dlt(t)));
	else if (ret == -ENOENT && c->so.since_ms && recorder_off(t, err, errlen))
		ret = -ENODATA; /* stopped since the request was checked */
	else if (ret == -EBUSY && c->so.since_ms)
		snprintf(err, errlen,
			 "two history reads (since) are being written already; each holds a "
			 "copy of the flight recorder: try again when one has ended");
	else if (ret < 0 && ret != FT_EFILTER)
		snprintf(err, errlen, "cannot start capture: %s", ft_strerror(ret));
	c->start_ret = ret;
	pthread_mutex_lock(&c->api->jmu);
	c->started = true;
	cancelled = c->cancelled;
	pthread_mutex_unlock(&c->api->jmu);
	if (ret < 0)
		mark_stopped(c);
	else if (cancelled)
		stop_work(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	ft__api_client_conn_gone(arg);
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

static void reply_error(struct evhttp_request *req, int ret, const char *err)
{
	if (ret == -ENOENT)
		ft__api_reply(req, 404, "Not Found", err);
	else if (ret == -ENODATA)
		ft__api_reply(req, 409, "Conflict", err);
	else if (ret == -EINVAL || ret == FT_EFILTER || ret == FT_EFORMAT)
		ft__api_reply(req, 400, "Bad Request", err);
	else if (ret == -EBUSY) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		ft__api_reply(req, 503, "Service Unavailable", err);
	} else
		ft__api_reply(req, 500, "Internal Server Error", err);
}

/* A since capture says what the recorder held (the pcapng section comment
 * says it too). */
static void history_headers(struct api_client *c, struct evkeyvalq *h)
{
	struct ft_session_history hi;
	char v[32];

	if (ft_session_history(c->sess, &hi) < 0)
		return;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)hi.asked_ms);
	evhttp_add_header(h, "Flowtap-History-Asked-Ms", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(hi.held_ns / 1000000u));
	evhttp_add_header(h, "Flowtap-History-Held-Ms", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)hi.packets);
	evhttp_add_header(h, "Flowtap-History-Packets", v);
	evhttp_add_header(h, "Flowtap-History-Partial",
			  !hi.partial	? "no"
			  : hi.by_bytes ? "byte-bound"
					: "yes");
}

static void send_head(struct api_client *c)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char id[32];

	evhttp_add_header(h, "Content-Type", ft_format_content_type(c->so.format));
	evhttp_add_header(h, "Cache-Control", "no-cache");
	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->id);
	evhttp_add_header(h, "Flowtap-Session", id);
	/* The stream ends the connection: evhttp then never announces a
	 * keep-alive HTTP/1.0 reply with "Content-Length: 0", and an HTTP/1.0
	 * body ends where the connection does. */
	evhttp_remove_header(evhttp_request_get_input_headers(c->req), "Connection");
	evhttp_add_header(h, "Connection", "close");
	if (c->req->major == 1 && c->req->minor >= 1) /* evhttp then chunks */
		evhttp_add_header(h, "Trailer",
				  "Flowtap-Matched, Flowtap-Written, Flowtap-Dropped");
	history_headers(c, h);
	evhttp_send_reply_start(c->req, 200, "OK");
	/* evhttp chose chunked encoding (HTTP/1.1) or a body ended by closing
	 * the connection (HTTP/1.0); the session's writes must follow. */
	c->chunked = evhttp_find_header(h, "Transfer-Encoding") != NULL;
	/* A capture may stay quiet for hours: no idle timeout on the stream. */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(c->evcon), NULL, NULL);
	head_check(c);
}

/* Loop: the worker has started the session (or failed to). */
static void start_done(void *arg)
{
	struct api_client *c = arg;

	if (c->start_ret < 0) {
		if (c->req)
			reply_error(c->req, c->start_ret, c->start_err);
		if (c->remove_async)
			ft__api_remove_unref(c->api, c->remove_async);
		ft__api_client_release(c);
		return;
	}
	if (c->ending) {
		/* Cancelled while starting: the worker stopped it. Otherwise a
		 * stop job is queued and its done() finishes. */
		if (!c->stop_queued)
			stop_done(c);
		return;
	}
	c->sess = c->new_sess;
	send_head(c);
}

/* Loop, on wake and tick: an ended session, a head still waiting, a client
 * that hung up. */
static void capture_service(struct api_client *c)
{
	if (!c->sess)
		return; /* still starting */
	if (atomic_load_explicit(&c->ended, memory_order_acquire)) {
		ft__api_client_end(c, true);
		return;
	}
	if (!atomic_load_explicit(&c->head_sent, memory_order_relaxed))
		head_check(c);
	if (ft__api_client_hung_up(c))
		evhttp_connection_free(c->evcon); /* calls on_close */
}

static const struct api_client_ops capture_ops = {
    .service = capture_service,
    .end = capture_end,
};

/* Loop: what can be checked without blocking, before the worker starts it. */
static int client_prepare(struct api_client *c, const char *query, char *err, size_t errlen)
{
	struct api_query q;
	int ret, sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	ft_session_opts_init(&c->so);
	ret = ft__api_parse_query(query, &q, err, errlen);
	if (ret < 0)
		return ret;
	ret = parse_params(c, &q, err, errlen);
	ft__api_query_free(&q);
	if (ret < 0)
		return ret;
	/* Our own descriptor: evhttp closes its own when the connection fails,
	 * and the number could be reused while the session still writes. */
	c->wfd = fcntl(c->conn_fd, F_DUPFD_CLOEXEC, 0);
	if (c->wfd < 0) {
		snprintf(err, errlen, "cannot start capture: %s", strerror(errno));
		return -errno;
	}
	/* The bound on what waits for a slow client is the socket's buffer. */
	if (getsockopt(c->wfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) == 0 &&
	    (size_t)sndbuf > c->api->o.client_bufsize) {
		sndbuf = (int)(c->api->o.client_bufsize / 2); /* the kernel doubles it */
		setsockopt(c->wfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	c->so.out = client_out;
	c->so.out_ctx = c;
	c->so.on_end = client_end;
	c->so.on_end_ctx = c;
	c->so.bufsize = c->api->o.session_bufsize;
	return 0;
}

void ft__api_handle_capture(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct api_client *c = calloc(1, sizeof(*c));
	char err[FT_ERRBUF_SIZE] = "";
	int ret;

	if (!c) {
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	ft__api_client_init(c, api, API_CLIENT_CAPTURE, &capture_ops, req, uid, pid);
	ret = client_prepare(c, query, err, sizeof(err));
	if (ret < 0) {
		reply_error(req, ret, err);
		if (c->wfd >= 0)
			close(c->wfd);
		free(c->filter);
		explicit_bzero(c->anon_key, sizeof(c->anon_key)); /* taken before a later refusal */
		free(c);
		return;
	}
	ft__api_client_link(api, c);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	if (ft__api_defer(api, start_work, start_done, c) < 0) {
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		ft__api_client_release(c);
	}
}
