/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: the lifecycle every streaming client shares: linked on the
 * server's list while it streams, ended once (gracefully, or because its
 * connection went away), then released by its kind (capture.c, flows.c)
 * when the kind's own ending has finished.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>

#include "api_int.h"

/* The fields every streaming client starts with; the connection's fd is
 * kept for SO_PEERCRED checks and hang-up polling. */
void ft__api_client_init(struct api_client *c, struct ft_api *api, enum api_client_kind kind,
			 const struct api_client_ops *ops, struct evhttp_request *req, uid_t uid,
			 pid_t pid)
{
	c->api = api;
	c->kind = kind;
	c->ops = ops;
	c->wfd = -1;
	c->req = req;
	c->evcon = evhttp_request_get_connection(req);
	c->conn_fd = (int)bufferevent_getfd(evhttp_connection_get_bufferevent(c->evcon));
	c->uid = uid;
	c->pid = pid;
	c->started_ns = ft__mono_ns();
}

void ft__api_client_link(struct ft_api *api, struct api_client *c)
{
	c->id = ++api->next_id;
	c->next = api->clients;
	c->prev = NULL;
	if (api->clients)
		api->clients->prev = c;
	api->clients = c;
	api->nclients++;
	atomic_store(&api->st_sessions, api->nclients);
	atomic_fetch_add(&api->st_sessions_total, 1);
}

static void unlink_client(struct ft_api *api, struct api_client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		api->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	api->nclients--;
	if (c->ending)
		api->nending--;
	atomic_store(&api->st_sessions, api->nclients);
}

void ft__api_client_end(struct api_client *c, bool graceful)
{
	if (c->ending)
		return;
	c->ending = true;
	c->api->nending++;
	c->ops->end(c, graceful);
}

void ft__api_client_release(struct api_client *c)
{
	unlink_client(c->api, c);
	if (c->evcon)
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	if (c->pending)
		evbuffer_free(c->pending);
	if (c->wfd >= 0)
		close(c->wfd);
	free(c->filter);
	explicit_bzero(c->anon_key, sizeof(c->anon_key));
	free(c);
}

void ft__api_client_conn_gone(struct api_client *c)
{
	/* evhttp frees the connection after this; a request it had not
	 * finished is either freed with it or, if evhttp detached it from
	 * the dead connection, left to us. */
	if (c->req && !evhttp_request_get_connection(c->req))
		evhttp_request_free(c->req);
	c->req = NULL;
	c->evcon = NULL;
	atomic_store_explicit(&c->closing, true, memory_order_release);
	ft__api_client_end(c, false);
}

/* A client that closed its socket while no data flowed is noticed here: the
 * peer's close shows as POLLHUP on a Unix stream socket. */
bool ft__api_client_hung_up(const struct api_client *c)
{
	struct pollfd pfd = {.fd = c->conn_fd, .events = POLLIN};

	return c->evcon && poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

void ft__api_remove_unref(struct ft_api *api, struct api_remove *rm)
{
	if (--rm->refs)
		return;
	if (rm->fn)
		rm->fn(rm->ctx);
	free(rm);
}

void ft__api_clients_service(struct ft_api *api)
{
	struct api_client *c, *next;

	for (c = api->clients; c; c = next) {
		next = c->next;
		if (!c->ending)
			c->ops->service(c);
	}
}

struct ft_tap *ft__api_find_tap(struct ft_api *api, const char *name)
{
	struct ft_tap *t = NULL;

	pthread_mutex_lock(&api->mu);
	if (!name || !*name)
		t = api->ntaps ? api->taps[0] : NULL;
	for (int i = 0; name && *name && i < api->ntaps; i++)
		if (!strcmp(ft_tap_name(api->taps[i]), name))
			t = api->taps[i];
	pthread_mutex_unlock(&api->mu);
	return t;
}
