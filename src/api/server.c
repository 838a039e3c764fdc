/* SPDX-License-Identifier: BSD-2-Clause */
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
#include "thread.h"

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

FT_EXPORT void ft_api_opts_init(struct ft_api_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gid = (gid_t)-1;
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
	if (!strcmp(path, FT_API_PATH_TRIGGER)) {
		/* Writes files: a debug right, like a capture. */
		if (cmd != EVHTTP_REQ_POST) {
			ft__api_reply_405(req, "POST");
		} else if (!peer_may_debug(api, fd, &cr)) {
			atomic_fetch_add(&api->st_denied, 1);
			ft__api_reply(req, 403, "Forbidden", FT_API_MSG_DENIED);
		} else {
			ft__api_handle_trigger(api, req, cr.uid);
		}
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
	/* Streams being ended (a worker stops them) leave their place to new
	 * ones at once, within a bound on both together. */
	if (api->nclients - api->nending >= api->o.max_sessions ||
	    api->nclients >= 2 * api->o.max_sessions) {
		atomic_fetch_add(&api->st_busy, 1);
		ft__api_reply(req, 503, "Service Unavailable", "too many capture sessions");
		return;
	}
	if (capture)
		ft__api_handle_capture(api, req, cr.uid, cr.pid);
	else
		ft__api_handle_flows(api, req, cr.uid, cr.pid);
}

/* Finished work, ended sessions and gone clients; flows messages waiting. */
static void service_clients(struct ft_api *api)
{
	ft__api_run_finished(api);
	ft__api_clients_service(api);
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

	/* Started with every signal blocked (thread.h): writing to a client
	 * that went away gives EPIPE instead of killing the process. */
	while (!atomic_load(&api->stopping))
		event_base_loop(api->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Takes @lfd: evhttp owns it once it accepts on it, and it is closed here
 * on any failure before that. */
static int setup_events(struct ft_api *api, int lfd, char *errbuf, size_t errlen)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = TICK_MS * 1000};
	int ret;

	api->http = evhttp_new(api->base);
	if (!api->http) {
		close(lfd);
		return -ENOMEM;
	}
	api->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (api->wakefd < 0) {
		ret = -errno;
		seterr(errbuf, errlen, "cannot create an eventfd: %s", strerror(-ret));
		close(lfd);
		return ret;
	}
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
		close(lfd);
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

/* Limits are checked when given, not when the first client trips on them. */
static int check_opts(const struct ft_api_opts *o, char *errbuf, size_t errlen)
{
	if (o->session_bufsize &&
	    (o->session_bufsize < FT_API_MIN_BUFSIZE || o->session_bufsize > FT_API_MAX_BUFSIZE)) {
		seterr(errbuf, errlen, "session buffer size %zu out of range (64 KiB to 1 GiB)",
		       o->session_bufsize);
		return -EINVAL;
	}
	if (o->client_bufsize && (o->client_bufsize < FT_API_MIN_CLIENT_BUFSIZE ||
				  o->client_bufsize > FT_API_MAX_BUFSIZE)) {
		seterr(errbuf, errlen, "client buffer size %zu out of range (4 KiB to 1 GiB)",
		       o->client_bufsize);
		return -EINVAL;
	}
	if (o->max_sessions > FT_API_MAX_SESSIONS) {
		seterr(errbuf, errlen, "at most %d sessions, not %u", FT_API_MAX_SESSIONS,
		       o->max_sessions);
		return -EINVAL;
	}
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
	if ((ret = check_opts(o, errbuf, errlen)) < 0)
		return ret;
	api = calloc(1, sizeof(*api));
	if (!api) {
		seterr(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	api->wakefd = -1;
	ft__api_worker_init(api);
	api->o = *o;
	api->o.socket_path = NULL;
	api->o.group = NULL;
	api->o.socket_mode = o->socket_mode ? o->socket_mode : 0660;
	api->o.dir_mode = o->dir_mode ? o->dir_mode : 0750;
	api->o.max_sessions = o->max_sessions ? o->max_sessions : 16;
	api->o.client_bufsize = o->client_bufsize ? o->client_bufsize : 1u << 20;
	api->uid = geteuid();
	api->start_ns = ft__mono_ns();
	pthread_mutex_init(&api->mu, NULL);
	ret = -ENOMEM;
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
	lfd = -1; /* setup_events() took it */
	if (ret < 0)
		goto fail_unlink;
	if (api->own_base) {
		ret = ft__thread_start(&api->thr, loop_thread, api);
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
	if (ret == -ENOMEM && errbuf && errlen && !*errbuf)
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
	/* Status shows the tap's drops per reason: count them from now on. */
	if (!ret)
		ft_tap_set_drop_counting(t, true);
	return ret;
}

/* Loop thread: end every capture on @rm->tap; then the record is marked. */
static void remove_mark(struct ft_api *api, struct api_remove *rm)
{
	struct api_client *c, *next;

	for (c = api->clients; c; c = next) {
		next = c->next;
		if (c->kind == API_CLIENT_CAPTURE && c->tap == rm->tap)
			ft__api_capture_remove(c, rm);
	}
	pthread_mutex_lock(&api->jmu);
	rm->marked = true;
	pthread_cond_broadcast(&api->jdone);
	pthread_mutex_unlock(&api->jmu);
	if (!rm->sync)
		ft__api_remove_unref(api, rm); /* the marking's own reference */
}

struct mark_call {
	struct ft_api *api;
	struct api_remove *rm;
};

static void mark_in_loop(evutil_socket_t fd, short what, void *arg)
{
	struct mark_call *mc = arg;

	remove_mark(mc->api, mc->rm);
	free(mc);
}

/* Clients live on the loop thread: with our own thread and a caller on
 * another, the marking runs there, so the loop never waits for it. */
static int run_mark(struct ft_api *api, struct api_remove *rm)
{
	struct timeval zero = {0, 0};
	struct mark_call *mc;

	if (!api->has_thread || api->loop_stopped || pthread_equal(pthread_self(), api->thr)) {
		remove_mark(api, rm);
		return 0;
	}
	if (!(mc = malloc(sizeof(*mc))))
		return -ENOMEM;
	mc->api = api;
	mc->rm = rm;
	if (event_base_once(api->base, -1, EV_TIMEOUT, mark_in_loop, mc, &zero) < 0) {
		free(mc);
		return -ENOMEM;
	}
	return 0;
}

/* Forgets @t; -ENOENT if it was not there. */
static int forget_tap(struct ft_api *api, struct ft_tap *t)
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
	return ret;
}

FT_EXPORT int ft_api_remove_tap(struct ft_api *api, struct ft_tap *t)
{
	struct api_remove rm = {.tap = t, .sync = true};
	int ret = forget_tap(api, t);

	if (ret < 0)
		return ret;
	while ((ret = run_mark(api, &rm)) < 0) {
		struct timespec ts = {0, 1000000}; /* out of memory: the sessions must end */
		nanosleep(&ts, NULL);
	}
	/* The workers stop the sessions and count down without the loop, so
	 * this wait also ends when the caller is the loop thread. */
	pthread_mutex_lock(&api->jmu);
	while (!rm.marked || rm.left)
		pthread_cond_wait(&api->jdone, &api->jmu);
	pthread_mutex_unlock(&api->jmu);
	return 0;
}

FT_EXPORT int ft_api_remove_tap_async(struct ft_api *api, struct ft_tap *t, ft_api_done_fn fn,
				      void *ctx)
{
	struct api_remove *rm;
	int ret = forget_tap(api, t);

	if (ret < 0)
		return ret;
	if (!(rm = calloc(1, sizeof(*rm)))) {
		ft_api_add_tap(api, t); /* as if never called */
		return -ENOMEM;
	}
	rm->tap = t;
	rm->fn = fn;
	rm->ctx = ctx;
	rm->refs = 1;
	ret = run_mark(api, rm);
	if (ret < 0) {
		free(rm);
		ft_api_add_tap(api, t);
	}
	return ret;
}

FT_EXPORT int ft_api_run_async(struct ft_api *api, ft_api_work_fn work, ft_api_done_fn done,
			       void *ctx)
{
	if (!work)
		return -EINVAL;
	return ft__api_defer(api, work, done, ctx);
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

/* How long ft_api_free() lets flows clients take what waits for them. */
#define DRAIN_FLOWS_NS 2000000000ull

/* ft_api_free(), the loop stopped: every stream ends cleanly (captures get
 * everything their sessions counted, bounded by the stall limit in
 * capture.c; flows clients what was published, within DRAIN_FLOWS_NS). */
static void end_all(struct ft_api *api)
{
	struct api_client *c, *next;

	api->loop_stopped = true;
	api->drain_deadline_ns = ft__mono_ns() + DRAIN_FLOWS_NS;
	for (c = api->clients; c; c = next) {
		next = c->next;
		ft__api_client_end(c, true);
	}
	ft__api_worker_drain(api);
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
	/* No new publishers; what they queued so far still goes out. */
	ft_api_set_flowlog(api, NULL);
	end_all(api);
	ft_api_set_anonymize(api, NULL); /* the key must not stay in freed memory */
	ft__api_worker_free(api);
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
