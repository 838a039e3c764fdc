/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * api_int.h - internals of the local API server (src/api/).
 *
 * The files depend only downward:
 *   server.c (socket, routing, loop, public calls) and status.c
 *     -> capture.c, flows.c (the two kinds of streaming client)
 *       -> client.c (every client's lifecycle: link, end, free)
 *         -> worker.c (blocking work off the loop, reported back to it)
 *           -> util.c (replies, parsing, escaping)
 */
#ifndef FT_API_INT_H
#define FT_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <flowtap/anon.h>
#include <flowtap/api.h>
#include <flowtap/capture.h>
#include <flowtap/metrics.h>

#include "clock.h"

#define FT__API_MAX_TAPS 64
#define FT__API_RECENT	 16 /* ended capture sessions kept for status */
#define FT__API_WORKERS	 4  /* threads that run blocking work off the loop */

/* Final counters of an ended capture session, shown in status as "recent" so
 * that a client can learn its drops after its stream ended. Loop thread. */
struct api_recent {
	uint64_t id;
	uid_t uid;
	pid_t pid;
	char tap[64]; /* escaped */
	enum ft_format format;
	struct ft_session_stats st;
};

/* One piece of blocking work: @work on a worker thread, then @done on the
 * loop thread (or, once the loop has stopped, on the thread freeing the
 * server). */
struct api_job {
	struct api_job *next;
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

enum api_client_kind { API_CLIENT_CAPTURE, API_CLIENT_FLOWS };

struct api_client;

/* What each kind of client does at the points of the shared lifecycle. */
struct api_client_ops {
	/* Loop thread, on each wake and tick: notice an ended session. */
	void (*service)(struct api_client *c);
	/* Loop thread, once: begin ending the stream; @graceful: the client
	 * gets everything and a clean end; else its connection is gone. The
	 * kind calls ft__api_client_release() when it is done. */
	void (*end)(struct api_client *c, bool graceful);
};

/*
 * ft_api_remove_tap(): the sessions it waits for. A sync remove's record is
 * on the waiting thread's stack: workers count @left down under api->jmu
 * and forget the record then. An async one is on the heap and released by
 * the loop when the last client that refers to it is done (@refs, loop).
 */
struct api_remove {
	struct ft_tap *tap;
	unsigned left; /* sessions that may still use the tap, under api->jmu */
	bool marked;   /* every client on the tap has been ended, under api->jmu */
	bool sync;     /* a thread waits on api->jdone; else @fn is called */
	unsigned refs; /* async: clients still to finish, plus one while marking */
	ft_api_done_fn fn;
	void *ctx;
};

/*
 * One streaming client: a capture session or a flows subscriber. Owned by the
 * loop thread; a flows client's @pending is also touched by publishers under
 * the server's mutex; a capture client's session is started and stopped on
 * a worker thread (see capture.c for who touches what when).
 */
struct api_client {
	struct ft_api *api;
	const struct api_client_ops *ops;
	struct api_client *next, *prev; /* api->clients, loop thread only */
	enum api_client_kind kind;
	uint64_t id;
	struct evhttp_request *req;	 /* NULL once the connection is gone */
	struct evhttp_connection *evcon; /* NULL once the connection is gone */
	int conn_fd;
	uid_t uid;
	pid_t pid;
	uint64_t started_ns;
	bool ending;			   /* end() was called (loop thread) */
	bool paused;			   /* flows: not sending because the client is slow */
	struct api_remove *remove;	   /* under api->jmu: a remove waits for the stop */
	struct api_remove *remove_async;   /* loop: an async remove to release when done */
	uint8_t anon_key[FT_ANON_KEY_LEN]; /* capture anonymize=1: the server's key, copied */

	/* Capture: once the loop has sent the response head (@head_sent),
	 * the session thread writes the body to @wfd, a dup of the
	 * connection's socket, as chunks when @chunked (HTTP/1.1). */
	int wfd;
	bool chunked;
	struct ft_tap *tap;
	struct ft_session *sess; /* loop thread: set once the start is reported */
	struct ft_session_opts so;
	char *filter;		     /* so.filter's storage */
	struct ft_session *new_sess; /* worker: the session being started */
	int start_ret;
	char start_err[FT_ERRBUF_SIZE];
	bool started;	  /* under api->jmu: the start work finished */
	bool cancelled;	  /* under api->jmu: end as soon as it starts */
	bool stopped;	  /* under api->jmu: the session no longer uses the tap */
	bool stop_queued; /* loop: a stop job owns the session */
	bool torn;	  /* the stream could not be ended cleanly: cut it */
	struct ft_session_stats final;
	_Atomic bool head_sent;
	_Atomic bool closing;  /* the client is gone: the output fails fast */
	_Atomic bool draining; /* a graceful end: a stalled client is cut */
	_Atomic bool ended;    /* the session ended by itself: end the reply */
	_Atomic bool blocked;  /* the session waits for the client (status) */

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
	int wakefd; /* eventfd: publishers, session ends and workers wake the loop */
	_Atomic bool wake_pending;
	_Atomic bool stopping;	    /* ft_api_free(): the loop thread must end */
	bool loop_stopped;	    /* ft_api_free() owns the loop's state now */
	uint64_t drain_deadline_ns; /* ft_api_free(): flows clients get until then */
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
	/* ft_api_set_anonymize(), under mu: the key anonymize=1 captures use. */
	bool anon;
	uint8_t anon_key[FT_ANON_KEY_LEN];

	/* worker.c: the job queue, the finished jobs and the threads. */
	pthread_mutex_t jmu;
	pthread_cond_t jcv;   /* work queued, or the stop flag */
	pthread_cond_t jdone; /* a job's work finished */
	struct api_job *jobs, **jobs_tail;
	struct api_job *finished, **finished_tail;
	pthread_t workers[FT__API_WORKERS];
	unsigned nworkers, nidle;
	unsigned jobs_open; /* queued, running or finished but not yet done() */
	bool jstop;

	struct api_recent recent[FT__API_RECENT]; /* ring, loop thread */
	unsigned nrecent;

	struct api_client *clients; /* every streaming client (loop thread) */
	unsigned nclients;
	unsigned nending; /* of which being ended (loop thread) */
	uint64_t next_id;

	_Atomic uint64_t st_requests, st_denied, st_sessions_total, st_busy, st_flows_dropped;
	_Atomic uint64_t st_sessions;

	/* ft_api_set_status_fn(): extra status sections, under mu. */
	struct api_status_ext {
		char key[32];
		ft_api_status_fn fn;
		void *ctx;
	} status_ext[FT_API_STATUS_MAX];

	/* metrics.c: the program's own families (under mu) and the optional
	 * TCP listener (set before its events are added, freed after the loop
	 * thread ended). */
	ft_api_metrics_fn metrics_fn;
	void *metrics_ctx;
	struct evhttp *metrics_http;
	unsigned metrics_port;
};

/* util.c */
void ft__api_reply(struct evhttp_request *req, int code, const char *reason, const char *body);
/* A 405 with the Allow header HTTP requires, e.g. @allow "GET, HEAD". */
void ft__api_reply_405(struct evhttp_request *req, const char *allow);

/*
 * ft__api_escape - copy @s into @buf (always terminated), with every byte
 * that is not printable ASCII shown as \xNN and a backslash as \\, so that
 * a client-supplied string can be shown on anyone's terminal. Returns @buf.
 */
char *ft__api_escape(char *buf, size_t len, const char *s);

/*
 * ft__api_parse_duration - "10", "2.5", "500ms", "5s", "1m", "1h", "1m30s"
 * (a bare number is seconds) into milliseconds, at most FT_API_MAX_DURATION_MS.
 * Returns 0 or -EINVAL.
 */
int ft__api_parse_duration(const char *s, uint64_t *ms);

/* ft__api_parse_bool - "", "1", "true", "yes", "on" / "0", "false", "no", "off". */
int ft__api_parse_bool(const char *s, bool *out);

/* A decoded query string: its parameters in order, each key once. */
#define FT__API_MAX_PARAMS 32
struct api_query {
	unsigned n;
	struct {
		char *k, *v;
	} kv[FT__API_MAX_PARAMS];
};

/*
 * ft__api_parse_query - decode @query (NULL: none) into @q; free it with
 * ft__api_query_free() on success. Refuses, with a message in @err: a
 * malformed escape, a NUL byte in a key or value, a key given twice, more
 * than FT__API_MAX_PARAMS parameters. Returns 0, -EINVAL or -ENOMEM.
 */
int ft__api_parse_query(const char *query, struct api_query *q, char *err, size_t errlen);
void ft__api_query_free(struct api_query *q);
/* ft__api_query_get - the value of @key, or NULL. */
const char *ft__api_query_get(const struct api_query *q, const char *key);

/*
 * ft__api_clean_filter - a filter expression as the API keeps and shows it:
 * tabs and line ends become spaces (libpcap reads them as spaces); any other
 * control byte, DEL or a non-ASCII byte is refused. Returns a malloc'ed
 * copy, or NULL with a message in @err (errno EINVAL or ENOMEM).
 */
char *ft__api_clean_filter(const char *s, char *err, size_t errlen);

/* worker.c */
void ft__api_wake(struct ft_api *api);
int ft__api_worker_init(struct ft_api *api);
/* Queues @work; returns 0 or -ENOMEM/-EAGAIN (then nothing runs). */
int ft__api_defer(struct ft_api *api, void (*work)(void *), void (*done)(void *), void *arg);
/* Loop thread: runs done() of every finished job. */
void ft__api_run_finished(struct ft_api *api);
/* Once the loop has stopped: waits for every job, running their done(). */
void ft__api_worker_drain(struct ft_api *api);
void ft__api_worker_free(struct ft_api *api);

/* client.c */
void ft__api_client_init(struct api_client *c, struct ft_api *api, enum api_client_kind kind,
			 const struct api_client_ops *ops, struct evhttp_request *req, uid_t uid,
			 pid_t pid);
void ft__api_client_link(struct ft_api *api, struct api_client *c);
/* Loop thread: end @c (once; later calls do nothing). */
void ft__api_client_end(struct api_client *c, bool graceful);
/* Loop thread: the kind has finished ending @c: unlink and free it. */
void ft__api_client_release(struct api_client *c);
/* Loop thread: the connection went away (evhttp's close callback). */
void ft__api_client_conn_gone(struct api_client *c);
/* Loop thread: whether the peer has hung up (poll, no wait). */
bool ft__api_client_hung_up(const struct api_client *c);
/* Loop thread: drop a reference to an async remove; the last calls its fn. */
void ft__api_remove_unref(struct ft_api *api, struct api_remove *rm);
/* Loop thread: each client's service(), on wake and tick. */
void ft__api_clients_service(struct ft_api *api);
struct ft_tap *ft__api_find_tap(struct ft_api *api, const char *name);

/* capture.c */
void ft__api_handle_capture(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid);
/* Ending a capture client whose tap is being removed; counts in @rm. */
void ft__api_capture_remove(struct api_client *c, struct api_remove *rm);

/* flows.c */
void ft__api_handle_flows(struct ft_api *api, struct evhttp_request *req, uid_t uid, pid_t pid);

/* metrics.c */
void ft__api_handle_metrics(struct ft_api *api, struct evhttp_request *req);
void ft__api_metrics_free(struct ft_api *api);

/* status.c */
void ft__api_handle_status(struct ft_api *api, struct evhttp_request *req);
/* trigger.c: POST recorder-trigger, and a tap's trigger for status (JSON null: none). */
void ft__api_handle_trigger(struct ft_api *api, struct evhttp_request *req, uid_t uid);
struct json_t *ft__api_trigger_json(struct ft_tap *t);

#endif
