/*
 * \summary: the local API server: a Unix socket, evhttp routing, access
 * control from SO_PEERCRED, and the loop thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include <flowtap/flows.h>

#include "api_int.h"

#define TICK_MS 250

static void seterr(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

uint64_t ft__api_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

FT_EXPORT void ft_api_opts_init(struct ft_api_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gid = (gid_t)-1;
}

void ft__api_reply(struct evhttp_request *req, int code, const char *reason, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	if (b)
		evbuffer_add_printf(b, "%s\n", body);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

void ft__api_reply_405(struct evhttp_request *req, const char *allow)
{
	char body[64];

	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	snprintf(body, sizeof(body), "%s required", allow);
	ft__api_reply(req, 405, "Method Not Allowed", body);
}

void ft__api_wake(struct ft_api *api)
{
	uint64_t one = 1;

	if (atomic_exchange(&api->wake_pending, true))
		return;
	/* An eventfd write never blocks short of 2^64-1 pending wakes. */
	if (write(api->wakefd, &one, sizeof(one)) < 0)
		atomic_store(&api->wake_pending, false);
}

/* The fields every streaming client starts with; the connection's fd is
 * kept for SO_PEERCRED checks and hang-up polling. */
void ft__api_client_init(struct api_client *c, struct ft_api *api, enum api_client_kind kind,
			 struct evhttp_request *req, uid_t uid, pid_t pid)
{
	c->api = api;
	c->kind = kind;
	c->wfd = -1;
	c->req = req;
	c->evcon = evhttp_request_get_connection(req);
	c->conn_fd = (int)bufferevent_getfd(evhttp_connection_get_bufferevent(c->evcon));
	c->uid = uid;
	c->pid = pid;
	c->started_ns = ft__api_now_ns();
}

void ft__api_client_link(struct ft_api *api, struct api_client *c)
{
	c->next = api->clients;
	c->prev = NULL;
	if (api->clients)
		api->clients->prev = c;
	api->clients = c;
	api->nclients++;
	atomic_store(&api->st_sessions, api->nclients);
	atomic_fetch_add(&api->st_sessions_total, 1);
}

void ft__api_client_unlink(struct ft_api *api, struct api_client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		api->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	api->nclients--;
	atomic_store(&api->st_sessions, api->nclients);
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

/* Whether the peer is root, our own uid, or in the capture group (as its
 * primary group or, via SO_PEERGROUPS, a supplementary one). */
static bool peer_may_debug(struct ft_api *api, int fd, const struct ucred *cr)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cr->uid == 0 || cr->uid == api->uid)
		return true;
	if (api->gid == (gid_t)-1)
		return false;
	if (cr->gid == api->gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == api->gid)
			return true;
	return false;
}

static int peer_fd(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	return bev ? (int)bufferevent_getfd(bev) : -1;
}

static void handle(struct evhttp_request *req, void *arg)
{
	struct ft_api *api = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct ucred cr = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
	socklen_t crlen = sizeof(cr);
	int fd = peer_fd(req);
	bool capture, flows;

	atomic_fetch_add(&api->st_requests, 1);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0) {
		ft__api_reply(req, 500, "Internal Server Error", "cannot read peer credentials");
		return;
	}
	if (!path)
		path = "";
	capture = !strcmp(path, FT_API_PATH_CAPTURE);
	flows = !strcmp(path, FT_API_PATH_FLOWS);
	if (!strcmp(path, FT_API_PATH_STATUS) || !strcmp(path, FT_API_PATH_METRICS)) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
			ft__api_reply_405(req, "GET, HEAD");
		else if (!strcmp(path, FT_API_PATH_STATUS))
			ft__api_handle_status(api, req);
		else
			ft__api_handle_metrics(api, req);
		return;
	}
	if (!capture && !flows) {
		ft__api_reply(req, 404, "Not Found", "no such endpoint");
		return;
	}
	if (capture && cmd != EVHTTP_REQ_POST) {
		ft__api_reply_405(req, "POST");
		return;
	}
	if (flows && cmd != EVHTTP_REQ_GET) {
		ft__api_reply_405(req, "GET");
		return;
	}
	if (!peer_may_debug(api, fd, &cr)) {
		atomic_fetch_add(&api->st_denied, 1);
		ft__api_reply(req, 403, "Forbidden", FT_API_MSG_DENIED);
		return;
	}
	if (api->nclients >= api->o.max_sessions) {
		atomic_fetch_add(&api->st_busy, 1);
		ft__api_reply(req, 503, "Service Unavailable", "too many capture sessions");
		return;
	}
	if (capture)
		ft__api_handle_capture(api, req, cr.uid, cr.pid);
	else
		ft__api_handle_flows(api, req, cr.uid, cr.pid);
}

/* Ended sessions and gone clients; flows messages waiting. */
static void service_clients(struct ft_api *api)
{
	struct api_client *c, *next;

	for (c = api->clients; c; c = next) {
		next = c->next;
		if (c->kind == API_CLIENT_CAPTURE)
			ft__api_capture_check(c);
		else
			ft__api_flows_pump(c);
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct ft_api *api = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	atomic_store(&api->wake_pending, false);
	if (atomic_load(&api->stopping)) {
		event_base_loopbreak(api->base);
		return;
	}
	service_clients(api);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ft_api *api = arg;

	/* Undoes a pause of on_accept_error(); a no-op otherwise. */
	evconnlistener_enable(api->listener);
	service_clients(api);
}

/* accept() failed for want of fds (EMFILE, ENFILE) or memory: the listening
 * socket stays readable, so without a pause the loop would spin and libevent
 * would print a warning per turn. Stop accepting until the next tick; the
 * connections wait in the backlog. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	evconnlistener_disable(l);
}

/* An existing socket: refuse if a server answers, remove it if stale. */
static int clear_stale(const char *path, char *errbuf, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		seterr(errbuf, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		seterr(errbuf, errlen, "%s is in use by a running server", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		ret = -errno;
		seterr(errbuf, errlen, "cannot remove stale socket %s: %s", path, strerror(-ret));
		return ret;
	}
	return 0;
}

static int make_dir(const char *path, mode_t mode, char *errbuf, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, mode) < 0 && errno != EEXIST) {
		int ret = -errno;
		seterr(errbuf, errlen, "cannot create directory %s: %s", dir, strerror(-ret));
		return ret;
	}
	return 0;
}

static int open_socket(struct ft_api *api, int *fdp, char *errbuf, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = -1, ret;

	if (strlen(api->path) >= sizeof(sa.sun_path)) {
		seterr(errbuf, errlen, "socket path %s is too long", api->path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, api->path);
	ret = make_dir(api->path, api->o.dir_mode, errbuf, errlen);
	if (ret < 0)
		return ret;
	ret = clear_stale(api->path, errbuf, errlen);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		seterr(errbuf, errlen, "cannot bind %s: %s", api->path, strerror(errno));
		goto fail;
	}
	/* Permissions are set before listen(), so no one connects meanwhile. */
	if (chmod(api->path, api->o.socket_mode) < 0 ||
	    (api->gid != (gid_t)-1 && chown(api->path, (uid_t)-1, api->gid) < 0) ||
	    listen(fd, 128) < 0) {
		ret = -errno;
		seterr(errbuf, errlen, "cannot set up socket %s: %s", api->path, strerror(errno));
		unlink(api->path);
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int resolve_group(struct ft_api *api, const struct ft_api_opts *o, char *errbuf,
			 size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[4096];

	api->gid = o->gid;
	if (!o->group || !*o->group)
		return 0;
	if (getgrnam_r(o->group, &gr, buf, sizeof(buf), &res) != 0 || !res) {
		seterr(errbuf, errlen, "unknown group '%s'", o->group);
		return -ENOENT;
	}
	api->gid = res->gr_gid;
	return 0;
}

static void *loop_thread(void *arg)
{
	struct ft_api *api = arg;
	sigset_t set;

	/* Writing to a client that went away must give EPIPE, not kill the
	 * process: SIGPIPE from a write is delivered to this thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!atomic_load(&api->stopping))
		event_base_loop(api->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int setup_events(struct ft_api *api, int lfd, char *errbuf, size_t errlen)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = TICK_MS * 1000};

	api->http = evhttp_new(api->base);
	api->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!api->http || api->wakefd < 0)
		return -ENOMEM;
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						  EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						  EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(api->http, 30);
	evhttp_set_max_headers_size(api->http, 16384);
	evhttp_set_max_body_size(api->http, 65536);
	evhttp_set_gencb(api->http, handle, api);
	struct evhttp_bound_socket *bound = evhttp_accept_socket_with_handle(api->http, lfd);
	if (!bound) {
		seterr(errbuf, errlen, "cannot listen on %s", api->path);
		return -ENOMEM;
	}
	api->listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(api->listener, on_accept_error);
	api->wake = event_new(api->base, api->wakefd, EV_READ | EV_PERSIST, on_wake, api);
	api->tick = event_new(api->base, -1, EV_PERSIST, on_tick, api);
	if (!api->wake || !api->tick || event_add(api->wake, NULL) < 0 ||
	    event_add(api->tick, &tv) < 0)
		return -ENOMEM;
	return 0;
}

FT_EXPORT int ft_api_new(struct ft_api **out, struct event_base *base, const struct ft_api_opts *o,
			 char *errbuf, size_t errlen)
{
	struct ft_api_opts def;
	struct ft_api *api;
	int lfd = -1, ret = -ENOMEM;

	*out = NULL;
	if (!o) {
		ft_api_opts_init(&def);
		o = &def;
	}
	api = calloc(1, sizeof(*api));
	if (!api)
		return -ENOMEM;
	api->wakefd = -1;
	api->o = *o;
	api->o.socket_path = NULL;
	api->o.group = NULL;
	api->o.socket_mode = o->socket_mode ? o->socket_mode : 0660;
	api->o.dir_mode = o->dir_mode ? o->dir_mode : 0750;
	api->o.max_sessions = o->max_sessions ? o->max_sessions : 16;
	api->o.client_bufsize = o->client_bufsize ? o->client_bufsize : 1u << 20;
	api->uid = geteuid();
	api->start_ns = ft__api_now_ns();
	pthread_mutex_init(&api->mu, NULL);
	api->path =
	    strdup(o->socket_path && *o->socket_path ? o->socket_path : FT_API_DEFAULT_SOCKET);
	if (!api->path)
		goto fail;
	ret = resolve_group(api, o, errbuf, errlen);
	if (ret < 0)
		goto fail;
	if (base) {
		api->base = base;
	} else {
		evthread_use_pthreads();
		api->base = event_base_new();
		api->own_base = true;
		ret = -ENOMEM;
		if (!api->base)
			goto fail;
	}
	ret = open_socket(api, &lfd, errbuf, errlen);
	if (ret < 0)
		goto fail;
	ret = setup_events(api, lfd, errbuf, errlen);
	lfd = -1; /* owned by evhttp once accepted, closed by us on failure below */
	if (ret < 0)
		goto fail_unlink;
	if (api->own_base) {
		ret = -pthread_create(&api->thr, NULL, loop_thread, api);
		if (ret < 0) {
			seterr(errbuf, errlen, "cannot start the API thread: %s", strerror(-ret));
			goto fail_unlink;
		}
		api->has_thread = true;
	}
	*out = api;
	return 0;
fail_unlink:
	unlink(api->path);
fail:
	if (lfd >= 0)
		close(lfd);
	if (ret == -ENOMEM)
		seterr(errbuf, errlen, "out of memory");
	ft_api_free(api);
	return ret;
}

FT_EXPORT int ft_api_add_tap(struct ft_api *api, struct ft_tap *t)
{
	int ret = 0;

	pthread_mutex_lock(&api->mu);
	for (int i = 0; i < api->ntaps; i++)
		if (api->taps[i] == t || !strcmp(ft_tap_name(api->taps[i]), ft_tap_name(t)))
			ret = -EEXIST;
	if (!ret && api->ntaps == FT__API_MAX_TAPS)
		ret = -ENOSPC;
	if (!ret)
		api->taps[api->ntaps++] = t;
	pthread_mutex_unlock(&api->mu);
	return ret;
}

struct remove_call {
	struct ft_api *api;
	struct ft_tap *tap;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void remove_tap_sessions(struct ft_api *api, struct ft_tap *t)
{
	struct api_client *c, *next;

	for (c = api->clients; c; c = next) {
		next = c->next;
		if (c->kind == API_CLIENT_CAPTURE && c->tap == t)
			ft__api_client_free(c, false);
	}
}

static void remove_in_loop(evutil_socket_t fd, short what, void *arg)
{
	struct remove_call *rc = arg;

	remove_tap_sessions(rc->api, rc->tap);
	pthread_mutex_lock(&rc->mu);
	rc->done = true;
	pthread_cond_signal(&rc->cv);
	pthread_mutex_unlock(&rc->mu);
}

/* Sessions live on the loop thread: with our own thread, run it there. */
static int run_remove(struct ft_api *api, struct ft_tap *t)
{
	struct remove_call rc = {.api = api, .tap = t};
	struct timeval zero = {0, 0};

	if (!api->has_thread || pthread_equal(pthread_self(), api->thr)) {
		remove_tap_sessions(api, t);
		return 0;
	}
	pthread_mutex_init(&rc.mu, NULL);
	pthread_cond_init(&rc.cv, NULL);
	if (event_base_once(api->base, -1, EV_TIMEOUT, remove_in_loop, &rc, &zero) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&rc.mu);
	while (!rc.done)
		pthread_cond_wait(&rc.cv, &rc.mu);
	pthread_mutex_unlock(&rc.mu);
	pthread_cond_destroy(&rc.cv);
	pthread_mutex_destroy(&rc.mu);
	return 0;
}

FT_EXPORT int ft_api_remove_tap(struct ft_api *api, struct ft_tap *t)
{
	int i, ret = -ENOENT;

	pthread_mutex_lock(&api->mu);
	for (i = 0; i < api->ntaps; i++)
		if (api->taps[i] == t)
			break;
	if (i < api->ntaps) {
		memmove(&api->taps[i], &api->taps[i + 1],
			(size_t)(api->ntaps - i - 1) * sizeof(api->taps[0]));
		api->ntaps--;
		ret = 0;
	}
	pthread_mutex_unlock(&api->mu);
	if (ret == 0)
		ret = run_remove(api, t);
	return ret;
}

FT_EXPORT const char *ft_api_socket_path(const struct ft_api *api)
{
	return api->path;
}

FT_EXPORT void ft_api_get_stats(const struct ft_api *api, struct ft_api_stats *st)
{
	struct ft_api *a = (struct ft_api *)api;

	st->requests = atomic_load(&a->st_requests);
	st->denied = atomic_load(&a->st_denied);
	st->sessions = atomic_load(&a->st_sessions);
	st->sessions_total = atomic_load(&a->st_sessions_total);
	st->rejected_busy = atomic_load(&a->st_busy);
	st->flows_dropped = atomic_load(&a->st_flows_dropped);
}

FT_EXPORT void ft_api_free(struct ft_api *api)
{
	if (!api)
		return;
	if (api->has_thread) {
		uint64_t one = 1;

		/* A loopbreak before the thread entered the loop would be lost;
		 * the flag and the eventfd make the loop notice in any case. */
		atomic_store(&api->stopping, true);
		if (write(api->wakefd, &one, sizeof(one)) < 0)
			event_base_loopbreak(api->base);
		pthread_join(api->thr, NULL);
	}
	ft_api_set_flowlog(api, NULL);
	while (api->clients)
		ft__api_client_free(api->clients, false);
	if (api->http)
		evhttp_free(api->http);
	ft__api_metrics_free(api);
	if (api->tick)
		event_free(api->tick);
	if (api->wake)
		event_free(api->wake);
	if (api->wakefd >= 0)
		close(api->wakefd);
	if (api->http && api->path)
		unlink(api->path);
	if (api->own_base && api->base)
		event_base_free(api->base);
	pthread_mutex_destroy(&api->mu);
	free(api->path);
	free(api);
}
