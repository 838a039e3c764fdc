/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: GET /localapi/v0/flows: flow-log messages as an NDJSON stream.
 *
 * Publishers (the flow logger's thread) append to each subscriber's bounded
 * pending buffer under the server's mutex and wake the loop; the loop moves
 * pending bytes onto the connection while the client keeps up.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>

#include <flowtap/flows.h>

#include "api_int.h"

FT_EXPORT int ft_api_publish_flow(struct ft_api *api, const char *json, size_t len)
{
	struct api_client *c;
	int n = 0;

	pthread_mutex_lock(&api->mu);
	for (c = api->flow_clients; c; c = c->fnext) {
		if (evbuffer_get_length(c->pending) + len + 1 > api->o.client_bufsize) {
			c->flows_dropped++;
			atomic_fetch_add(&api->st_flows_dropped, 1);
			continue;
		}
		evbuffer_add(c->pending, json, len);
		evbuffer_add(c->pending, "\n", 1);
		n++;
	}
	pthread_mutex_unlock(&api->mu);
	if (n)
		ft__api_wake(api);
	return n;
}

static void sink(void *ctx, const char *json, size_t len)
{
	ft_api_publish_flow(ctx, json, len);
}

FT_EXPORT void ft_api_set_anonymize(struct ft_api *api, const uint8_t *key)
{
	pthread_mutex_lock(&api->mu);
	api->anon = key != NULL;
	if (key)
		memcpy(api->anon_key, key, sizeof(api->anon_key));
	else
		explicit_bzero(api->anon_key, sizeof(api->anon_key));
	pthread_mutex_unlock(&api->mu);
}

FT_EXPORT int ft_api_set_flowlog(struct ft_api *api, struct ft_flowlog *fl)
{
	struct ft_flowlog *old;
	int old_id, id = 0;

	if (fl) {
		id = ft_flowlog_add_sink_fn(fl, sink, api);
		if (id < 0)
			return id;
	}
	pthread_mutex_lock(&api->mu);
	old = api->flowlog;
	old_id = api->flowlog_sink;
	api->flowlog = fl;
	api->flowlog_sink = id;
	pthread_mutex_unlock(&api->mu);
	if (old)
		ft_flowlog_remove_sink(old, old_id);
	return 0;
}

static void flows_unlink(struct api_client *c)
{
	struct ft_api *api = c->api;
	struct api_client **pp;

	pthread_mutex_lock(&api->mu);
	for (pp = &api->flow_clients; *pp; pp = &(*pp)->fnext)
		if (*pp == c) {
			*pp = c->fnext;
			break;
		}
	pthread_mutex_unlock(&api->mu);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	ft__api_client_conn_gone(arg);
}

static void pump(struct api_client *c);

static void on_sent(struct evhttp_connection *evcon, void *arg)
{
	struct api_client *c = arg;

	if (c->paused) {
		c->paused = false;
		pump(c);
	}
}

/* Moves what waits in @c->pending onto the connection as one chunk. */
static void send_pending(struct api_client *c, bool with_cb)
{
	struct evbuffer *chunk = evbuffer_new();

	if (!chunk)
		return;
	pthread_mutex_lock(&c->api->mu);
	evbuffer_add_buffer(chunk, c->pending);
	pthread_mutex_unlock(&c->api->mu);
	if (evbuffer_get_length(chunk))
		evhttp_send_reply_chunk_with_cb(c->req, chunk, with_cb ? on_sent : NULL, c);
	evbuffer_free(chunk);
}

/* Loop thread: pass pending messages on unless the client is behind; notice
 * a client that went away. */
static void pump(struct api_client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);

	if (ft__api_client_hung_up(c)) {
		evhttp_connection_free(c->evcon); /* calls on_close */
		return;
	}
	if (c->paused ||
	    evbuffer_get_length(bufferevent_get_output(bev)) >= c->api->o.client_bufsize) {
		c->paused = true;
		return;
	}
	send_pending(c, true);
}

/* Writes the connection's output buffer to its socket until it is empty or
 * @deadline_ns passes; for ft_api_free(), after the loop stopped. */
static void flush_socket(struct api_client *c, uint64_t deadline_ns)
{
	struct evbuffer *out = bufferevent_get_output(evhttp_connection_get_bufferevent(c->evcon));
	struct pollfd pfd = {.fd = c->conn_fd, .events = POLLOUT};

	/* Seen here: the bufferevent can leave its output's front frozen
	 * (evbuffer_write then fails without an errno); with the loop
	 * stopped we are the buffer's only user. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0) {
		uint64_t now = ft__mono_ns();

		if (now >= deadline_ns)
			return;
		errno = 0;
		if (evbuffer_write(out, c->conn_fd) > 0)
			continue;
		if (errno != EAGAIN)
			return;
		poll(&pfd, 1, (int)((deadline_ns - now) / 1000000u) + 1);
	}
}

/* Loop thread (or ft_api_free() once the loop stopped): a graceful end
 * sends what waits and the last chunk. */
static void flows_end(struct api_client *c, bool graceful)
{
	flows_unlink(c);
	if (graceful && c->evcon) {
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		send_pending(c, false);
		if (!c->api->loop_stopped) {
			evhttp_send_reply_end(c->req);
		} else {
			/* No loop to write it: the last chunk goes out here, and
			 * the connection is closed after it. */
			struct evbuffer *out =
			    bufferevent_get_output(evhttp_connection_get_bufferevent(c->evcon));
			if (evhttp_find_header(evhttp_request_get_output_headers(c->req),
					       "Transfer-Encoding"))
				evbuffer_add(out, "0\r\n\r\n", 5);
			flush_socket(c, c->api->drain_deadline_ns);
			evhttp_connection_free(c->evcon);
		}
		c->evcon = NULL;
		c->req = NULL;
	}
	ft__api_client_release(c);
}

static void flows_service(struct api_client *c)
{
	pump(c);
}

static const struct api_client_ops flows_ops = {
    .service = flows_service,
    .end = flows_end,
};

void ft__api_handle_flows(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid)
{
	struct api_client *c = calloc(1, sizeof(*c));

	if (c)
		c->pending = evbuffer_new();
	if (!c || !c->pending) {
		free(c);
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	ft__api_client_init(c, api, API_CLIENT_FLOWS, &flows_ops, req, uid, pid);
	ft__api_client_link(api, c);
	pthread_mutex_lock(&api->mu);
	c->fnext = api->flow_clients;
	api->flow_clients = c;
	pthread_mutex_unlock(&api->mu);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/x-ndjson");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, 200, "OK");
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(c->evcon), NULL, NULL);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
}
