/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/api.h - the local API: an HTTP/1.1 server on a Unix domain socket
 * through which users reach a running process's taps and flow logs.
 *
 * Any process that owns taps embeds one (flowtapd, flowtap-tunnel, a VPN
 * engine). It is built on libevent's evhttp and either joins the caller's
 * event loop or runs its own thread. Endpoints:
 *
 *   POST /localapi/v0/debug-capture   stream a capture for as long as the
 *        client stays (chunked). Without parameters the stream is the
 *        established user0 debug-capture stream (pcap, linktype 147, records
 *        prefixed by path and pre-NAT addresses). Query parameters:
 *          format=pcap|pcap-ns|pcapng|user0|text   filter=<tcpdump expression>
 *          path=<comma list of names or numbers>   direction=in|out
 *          snaplen=N  count=N  duration=N|5s|1m|500ms
 *          verbose=1  ascii=1  hex=1  tap=<name> (required only with several taps)
 *          drops=both|only|none   packets the datapath dropped (ft_tap_drop()),
 *                                 delivered, or both (the default)
 *          drop-reason=<comma list of reason names>   only those drops; 400
 *                                 naming the tap's reasons for an unknown one
 *        A limit of 0 means no limit: count=0 and duration=0 stream until
 *        the client leaves, snaplen=0 captures whole packets (262144 bytes).
 *        duration is at most FT_API_MAX_DURATION_MS. Each parameter may be
 *        given once. The filter is printable ASCII; tabs and line ends in it
 *        are read as spaces.
 *        Errors: 405 "POST required", 400 with the filter or parameter error
 *        (also for a parameter given twice, a NUL byte or a control
 *        character in a value), 403 "debug access denied", 404 unknown tap,
 *        503 over the session limit or when the stream was ended before it
 *        began (tap removed, server stopping).
 *        The stream ends with the last chunk, whose trailers give the
 *        session's final counters: Flowtap-Matched (packets that passed
 *        the filter), Flowtap-Written (in the stream) and Flowtap-Dropped
 *        (lost to a full buffer). A stream that could not be sent whole
 *        ends without a last chunk, by closing the connection.
 *   GET  /localapi/v0/status          JSON: version, uptime, taps and their
 *        paths, their drops per reason (counted from ft_api_add_tap(), which
 *        turns ft_tap_set_drop_counting() on), active sessions (peer uid and pid, format, filter,
 *packets, bytes, dropped), the last ended sessions and, with a flow logger set
 *(ft_api_set_flowlog), its delivery counters under "flowlog" (messages, HTTP sent/dropped/retries,
 *IPFIX sent/errors). Readable by anyone who can connect. GET  /localapi/v0/flows           NDJSON
 *stream of flow-log messages.
 *
 * Access control: the peer's credentials come from SO_PEERCRED (and
 * SO_PEERGROUPS). Root, the server's own uid and members of the configured
 * group may capture and read flows; anyone else gets 403 on those and may
 * read status. Who may connect at all is decided by the socket's mode
 * (default 0660, owned by the configured group when there is one).
 *
 * A client that stops reading only loses packets of its own session (counted,
 * shown in status): after evhttp has sent the response head, the session's
 * own thread writes the body to the connection, so a full socket (at most
 * client_bufsize) makes that session wait, its bounded buffer fills and
 * drops. Neither the datapath nor the server's loop ever waits for a client:
 * starting a session (which may wait for a capture source to open its
 * kernel socket) and ending one (which drains it to its client) run on the
 * server's worker threads, and the loop answers everyone else meanwhile.
 * A client that disconnects is noticed and freed within a second; when the
 * last session of a tap ends the tap is back to its no-session cost.
 *
 * Ending a stream (the session ended by itself, ft_api_remove_tap(),
 * ft_api_free()) is clean: the client gets everything the session counted,
 * then the last chunk with the counters. Only a client that takes nothing
 * for FT_API_STALL_MS while its stream is being ended is cut.
 *
 * Example: a datapath with its own loop thread for the API.
 *
 *	struct ft_api_opts o;
 *	struct ft_api *api;
 *	ft_api_opts_init(&o);
 *	o.socket_path = "/run/mytun/flowtap.sock";
 *	o.group = "netdev";
 *	if (ft_api_new(&api, NULL, &o, err, sizeof(err)) < 0)
 *		die("cannot start local API: %s", err);
 *	ft_api_add_tap(api, tap);
 *	...
 *	ft_api_free(api);
 */
#ifndef FLOWTAP_API_H
#define FLOWTAP_API_H

#include <sys/types.h>

#include <flowtap/common.h>
#include <flowtap/tap.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct ft_api;
struct ft_flowlog;

/** The default socket path of the local API. */
#define FT_API_DEFAULT_SOCKET "/run/flowtap/flowtap.sock"

/** The URL paths of the endpoints (the host part of a URL is ignored). */
#define FT_API_PATH_CAPTURE "/localapi/v0/debug-capture"
#define FT_API_PATH_STATUS  "/localapi/v0/status"
#define FT_API_PATH_FLOWS   "/localapi/v0/flows"
#define FT_API_PATH_TRIGGER "/localapi/v0/recorder-trigger" /* POST: save the recorder now */

/** Body of the 403 answer. */
#define FT_API_MSG_DENIED "debug access denied"

/** The longest duration= a capture accepts (about ten years; 0 = no limit). */
#define FT_API_MAX_DURATION_MS (3650ull * 86400 * 1000)

/** While a stream is being ended, a client that takes nothing for this long is cut. */
#define FT_API_STALL_MS 5000

/** Bounds of the options below, checked by ft_api_new(). */
#define FT_API_MIN_BUFSIZE	  (64u << 10)
#define FT_API_MAX_BUFSIZE	  (1u << 30)
#define FT_API_MIN_CLIENT_BUFSIZE (4u << 10)
#define FT_API_MAX_SESSIONS	  4096

struct ft_api_opts {
	const char *socket_path; /* NULL: FT_API_DEFAULT_SOCKET (copied) */
	const char *group;	 /* group whose members may capture; NULL: none (copied) */
	gid_t gid;		 /* used when @group is NULL; (gid_t)-1: none */
	mode_t socket_mode;	 /* permissions of the socket; 0: 0660 */
	mode_t dir_mode;	 /* permissions of a socket directory we create; 0: 0750 */
	unsigned max_sessions;	 /* concurrent capture + flow streams; 0: 16;
				    at most FT_API_MAX_SESSIONS */
	size_t session_bufsize;	 /* each capture session's bounded buffer; 0: 4 MiB;
				    else FT_API_MIN_BUFSIZE..FT_API_MAX_BUFSIZE;
				    a session holds up to 2.25 times it
				    (ft_session_opts.bufsize, capture.h) */
	size_t client_bufsize;	 /* bytes queued toward one client: a capture
				    connection's socket buffer is lowered to it,
				    a flows client's queue is bounded by it;
				    0: 1 MiB; else 4 KiB..1 GiB */
};

/** ft_api_opts_init - the defaults above. */
FT_EXPORT void ft_api_opts_init(struct ft_api_opts *o);

/**
 * ft_api_new - create a local API server and start listening.
 * @out: receives the server; free with ft_api_free().
 * @base: an event base the caller dispatches; the server then lives on that
 *        loop's thread and every ft_api_* call but ft_api_publish_flow() must
 *        be made from it; the process must ignore SIGPIPE (libevent writes to
 *        clients with plain writev()). NULL: the server runs its own thread
 *        with its own base (SIGPIPE blocked there), and every ft_api_* call
 *        is safe from any thread.
 * @o: options (copied), NULL for the defaults.
 * @errbuf: on failure, a message naming what failed and why (may be NULL).
 *
 * The socket's directory is created with @o->dir_mode if missing. A stale
 * socket (a file nobody listens on) is replaced; if a live server answers on
 * it, -EADDRINUSE is returned and nothing is touched.
 * Returns 0, -EINVAL (an option out of its range), -EADDRINUSE, -EEXIST
 * (the path is not a socket), -ENOENT (unknown group), -ENAMETOOLONG, -ENOMEM,
 * -EAGAIN (no thread) or the -errno of a failed socket, bind or chmod.
 */
FT_EXPORT int ft_api_new(struct ft_api **out, struct event_base *base, const struct ft_api_opts *o,
			 char *errbuf, size_t errlen);

/**
 * ft_api_add_tap - make tap @t reachable through the API. @t stays owned by
 * the caller and must outlive the server, or be removed with
 * ft_api_remove_tap() first. The first tap added is the default for clients
 * that do not name one.
 * Returns 0, -EEXIST (a tap of that name is there), -ENOSPC (64 taps) or -ENOMEM.
 */
FT_EXPORT int ft_api_add_tap(struct ft_api *api, struct ft_tap *t);

/** Called on the server's loop thread when asynchronous work has finished. */
typedef void (*ft_api_done_fn)(void *ctx);

/**
 * ft_api_remove_tap - forget @t and end every client session on it. Each
 * stream ends cleanly: its client gets everything its session had buffered
 * (a pcapng stream its final statistics block), then the last chunk with the
 * counters (see above); a client that stalls meanwhile is cut after
 * FT_API_STALL_MS. Returns 0 or -ENOENT once no session uses @t any more,
 * so @t may be freed then. The server's worker threads end the sessions:
 * called from another thread than the loop's, the loop keeps serving while
 * this waits; called on the loop thread (a caller's base) it blocks that
 * loop until the streams have ended: use ft_api_remove_tap_async() there.
 */
FT_EXPORT int ft_api_remove_tap(struct ft_api *api, struct ft_tap *t);

/**
 * ft_api_remove_tap_async - as ft_api_remove_tap(), but returns at once;
 * @fn(@ctx) (may be NULL) is called on the loop thread once no session
 * uses @t any more, possibly before this returns. @t must not be freed
 * before. Returns 0, -ENOENT or -ENOMEM (then @t is still served).
 */
FT_EXPORT int ft_api_remove_tap_async(struct ft_api *api, struct ft_tap *t, ft_api_done_fn fn,
				      void *ctx);

/** Work for ft_api_run_async(), run on a worker thread. */
typedef void (*ft_api_work_fn)(void *ctx);

/**
 * ft_api_run_async - run blocking work (closing a sink, joining a thread)
 * off the server's loop: @work(@ctx) runs on one of the server's worker
 * threads (up to four run at once), then @done(@ctx) (may be
 * NULL) on the loop thread, which sees everything @work wrote. For a
 * datapath or daemon that shares its loop with the server and must not
 * stall it. ft_api_free() waits for work still queued. Any thread.
 * Returns 0, -EINVAL (no @work), -ENOMEM or -EAGAIN (no thread).
 */
FT_EXPORT int ft_api_run_async(struct ft_api *api, ft_api_work_fn work, ft_api_done_fn done,
			       void *ctx);

/**
 * ft_api_set_flowlog - serve GET /localapi/v0/flows from @fl's messages: the
 * server attaches a callback sink to @fl (NULL detaches). @fl is borrowed and
 * must outlive the server or be detached first. Returns 0 or -errno.
 */
FT_EXPORT int ft_api_set_flowlog(struct ft_api *api, struct ft_flowlog *fl);

/**
 * ft_api_set_anonymize - the Crypto-PAn key (FT_ANON_KEY_LEN bytes, copied;
 * NULL: none) with which a capture asked for with anonymize=1 is
 * pseudonymized (ft_session_opts.anon_key, anon.h): the same mapping as
 * flowtap capture --anonymize and ft_flowlog_set_anonymize() with that key.
 * The key never leaves the server. Without a key, anonymize=1 is refused
 * (409). Any thread; sessions already running keep the key they started
 * with.
 */
FT_EXPORT void ft_api_set_anonymize(struct ft_api *api, const uint8_t *key);

/**
 * ft_api_publish_flow - hand one flow-log message (a JSON object, without a
 * trailing newline) to every /flows client. Safe from any thread; never
 * blocks: a client whose queue is over its bound loses the message (counted
 * in status). Returns the number of clients it was queued for.
 */
FT_EXPORT int ft_api_publish_flow(struct ft_api *api, const char *json, size_t len);

/**
 * Adds to the status document: returns a malloc'ed JSON value (text) that
 * GET /localapi/v0/status shows under the key given to ft_api_set_status_fn(),
 * or NULL for none. Called on the server's loop thread for each request.
 */
typedef char *(*ft_api_status_fn)(void *ctx);

/** How many status sections ft_api_set_status_fn() can install. */
#define FT_API_STATUS_MAX 8

/**
 * ft_api_set_status_fn - install (or with NULL remove) @fn, whose JSON is
 * shown under @key (copied, at most 31 bytes), e.g. flowtapd's "sources".
 * Each key has its own function; installing a key again replaces it. At
 * most FT_API_STATUS_MAX keys; beyond that the call is ignored. After a
 * removal returns, @fn is not called again for a new request (one that
 * already runs it may still finish: remove from the loop thread, or before
 * ft_api_free(), to be sure none runs).
 */
FT_EXPORT void ft_api_set_status_fn(struct ft_api *api, const char *key, ft_api_status_fn fn,
				    void *ctx);

/** ft_api_socket_path - the path the server listens on. */
FT_EXPORT const char *ft_api_socket_path(const struct ft_api *api);

/** Counters of the server, since it started. */
struct ft_api_stats {
	uint64_t requests;	 /* HTTP requests received */
	uint64_t denied;	 /* answered 403 */
	uint64_t sessions;	 /* capture and flow streams open now */
	uint64_t sessions_total; /* streams opened since start */
	uint64_t rejected_busy;	 /* answered 503 */
	uint64_t flows_dropped;	 /* flow messages lost to full client queues */
};

/** ft_api_get_stats - read @api's counters (any thread). */
FT_EXPORT void ft_api_get_stats(const struct ft_api *api, struct ft_api_stats *st);

/**
 * ft_api_free - stop listening, end every stream cleanly, remove the socket
 * file and free @api (and its threads). Capture clients get everything their
 * sessions counted and the last chunk (a stalled one is cut after
 * FT_API_STALL_MS); /flows clients get the messages published before this
 * call (stop the flow logger first, so its final message is among them),
 * for up to 2 s, then the last chunk. Blocks the caller meanwhile. With a
 * caller's base, call it from the loop thread, after the loop has returned
 * or from one of its callbacks. NULL ok.
 */
FT_EXPORT void ft_api_free(struct ft_api *api);

#ifdef __cplusplus
}
#endif
#endif
