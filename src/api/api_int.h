/* api_int.h - internals of the local API server (src/api/). */
#ifndef FT_API_INT_H
#define FT_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <flowtap/api.h>
#include <flowtap/capture.h>
#include <flowtap/metrics.h>

#define FT__API_MAX_TAPS 64
#define FT__API_RECENT	 16 /* ended capture sessions kept for status */

/* Final counters of an ended capture session, shown in status as "recent" so
 * that a client can learn its drops after its stream ended. Loop thread. */
struct api_recent {
	uint64_t id;
	uid_t uid;
	pid_t pid;
	char tap[32];
	enum ft_format format;
	struct ft_session_stats st;
};

enum api_client_kind { API_CLIENT_CAPTURE, API_CLIENT_FLOWS };

/*
 * One streaming client: a capture session or a flows subscriber. Owned by the
 * loop thread; a flows client's @pending is also touched by publishers under
 * the server's mutex.
 */
struct api_client {
	struct ft_api *api;
	struct api_client *next, *prev; /* api->clients, loop thread only */
	enum api_client_kind kind;
	uint64_t id;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	int conn_fd;
	uid_t uid;
	pid_t pid;
	uint64_t started_ns;
	bool paused; /* not reading from the session because the client is slow */

	/* Capture: once the loop has sent the response head (@head_sent),
	 * the session thread writes the body to @wfd, a dup of the
	 * connection's socket, as chunks when @chunked (HTTP/1.1). */
	int wfd;
	bool chunked;
	bool torn; /* session thread, read after it ends: a chunk was cut */
	struct ft_tap *tap;
	struct ft_session *sess;
	_Atomic bool head_sent;
	_Atomic bool closing; /* the client is gone: the output fails fast */
	_Atomic bool ended;   /* the session ended by itself: end the reply */
	_Atomic bool blocked; /* the session waits for the client (status) */

	/* Flows: messages waiting for the loop, bounded (under api->mu). */
	struct evbuffer *pending;
	struct api_client *fnext; /* api->flow_clients, under api->mu */
	uint64_t flows_dropped;
};

struct ft_api {
	struct event_base *base;
	bool own_base;
	bool has_thread;
	pthread_t thr;
	struct evhttp *http;
	struct evconnlistener *listener; /* owned by @http; paused while out of fds */
	struct event *tick;
	struct event *wake;
	int wakefd; /* eventfd: publishers and session ends wake the loop */
	_Atomic bool wake_pending;
	_Atomic bool stopping; /* ft_api_free(): the loop thread must end */
	char *path;
	uid_t uid;
	gid_t gid; /* (gid_t)-1: no capture group */
	struct ft_api_opts o;
	uint64_t start_ns;

	pthread_mutex_t mu; /* taps, flow_clients, flowlog */
	struct ft_tap *taps[FT__API_MAX_TAPS];
	int ntaps;
	struct api_client *flow_clients;
	struct ft_flowlog *flowlog;
	int flowlog_sink;

	struct api_recent recent[FT__API_RECENT]; /* ring, loop thread */
	unsigned nrecent;

	struct api_client *clients; /* every streaming client (loop thread) */
	unsigned nclients;
	uint64_t next_id;

	_Atomic uint64_t st_requests, st_denied, st_sessions_total, st_busy, st_flows_dropped;
	_Atomic uint64_t st_sessions;

	/* ft_api_set_status_fn(): extra status, under mu. */
	char status_key[32];
	ft_api_status_fn status_fn;
	void *status_ctx;

	/* metrics.c: the program's own families (under mu) and the optional
	 * TCP listener (set before its events are added, freed after the loop
	 * thread ended). */
	ft_api_metrics_fn metrics_fn;
	void *metrics_ctx;
	struct evhttp *metrics_http;
	unsigned metrics_port;
};

/* server.c */
uint64_t ft__api_now_ns(void);
void ft__api_reply(struct evhttp_request *req, int code, const char *reason, const char *body);
/* A 405 with the Allow header HTTP requires, e.g. @allow "GET, HEAD". */
void ft__api_reply_405(struct evhttp_request *req, const char *allow);
void ft__api_wake(struct ft_api *api);
void ft__api_client_init(struct api_client *c, struct ft_api *api, enum api_client_kind kind,
			 struct evhttp_request *req, uid_t uid, pid_t pid);
void ft__api_client_link(struct ft_api *api, struct api_client *c);
void ft__api_client_unlink(struct ft_api *api, struct api_client *c);
struct ft_tap *ft__api_find_tap(struct ft_api *api, const char *name);

/* capture.c */
void ft__api_handle_capture(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid);
void ft__api_capture_check(struct api_client *c); /* on wake/tick: ended? gone? */
void ft__api_client_free(struct api_client *c, bool conn_gone);

/*
 * ft__api_parse_duration - "10", "2.5", "500ms", "5s", "1m", "1h", "1m30s"
 * (a bare number is seconds) into milliseconds. Returns 0 or -EINVAL.
 */
int ft__api_parse_duration(const char *s, uint64_t *ms);

/* ft__api_parse_bool - "", "1", "true", "yes", "on" / "0", "false", "no", "off". */
int ft__api_parse_bool(const char *s, bool *out);

/* flows.c */
void ft__api_handle_flows(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid);
void ft__api_flows_pump(struct api_client *c);
void ft__api_flows_unlink(struct api_client *c);

/* metrics.c */
void ft__api_handle_metrics(struct ft_api *api, struct evhttp_request *req);
void ft__api_metrics_free(struct ft_api *api);

/* status.c */
void ft__api_handle_status(struct ft_api *api, struct evhttp_request *req);

#endif
