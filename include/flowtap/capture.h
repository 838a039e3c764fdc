/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/capture.h - capture sessions on a tap.
 *
 * A session selects packets (paths, direction, tcpdump filter), copies them
 * into its own bounded buffer on the datapath thread, and formats and writes
 * them on its own thread, so a slow output only ever costs that session
 * dropped packets. Any number of sessions may be attached to one tap.
 */
#ifndef FLOWTAP_CAPTURE_H
#define FLOWTAP_CAPTURE_H

#include <sys/uio.h>

#include <flowtap/common.h>
#include <flowtap/filter.h>
#include <flowtap/tap.h>
#include <flowtap/writer.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_session;

/** Session counters. offered = matched + filtered out; once the session has
 * ended and drained, matched = written + dropped + discarded. */
struct ft_session_stats {
	uint64_t offered;   /* packets crossing the tap while attached */
	uint64_t matched;   /* passed path, direction and filter */
	uint64_t written;   /* handed to the output */
	uint64_t bytes;	    /* captured bytes written (after snaplen) */
	uint64_t dropped;   /* matched but lost because the buffer was full */
	uint64_t truncated; /* written but cut by the snaplen */
	uint64_t discarded; /* matched but not written because the session had already
			     * ended (packet count reached, output failed) */
	int error;	    /* 0, or the -errno that ended the session (EPIPE, ENOSPC) */
	bool done;	    /* the session has ended (count, duration, error or stop) */
};

/** Called from the session thread once when the session ends by itself. */
typedef void (*ft_session_end_fn)(struct ft_session *s, void *ctx);

/**
 * Vectored output callback (ft_session_opts.out_iov): consume the bytes of
 * @iov[0..@cnt) entirely, in order, or fail. Called on the session thread.
 *
 * Ownership: the iovecs and the bytes they point to are the session's and
 * valid only during the call: for pcap, pcap-ns and user0 most point
 * straight into the session's buffer (one iovec for a run of records a
 * producer thread wrote in a row), whose space producers reuse once the
 * call returned.
 * Neither may be changed (copy the array to advance past a partial write).
 * 1 <= @cnt <= FT_SESSION_IOV_MAX, so a callback that adds framing of its
 * own (an HTTP chunk's size line and CRLF) stays within IOV_MAX (1024) in
 * one writev(2)/sendmsg(2). The bytes in all are never 0 (a single iovec
 * may be empty).
 *
 * Whether that saves CPU depends on the output: the kernel then copies
 * from memory a producer wrote on another core, a batch later, instead of
 * from a cache-hot buffer. On a Unix socket it cost more than the copy it
 * saves (flowtap's local API keeps out for that reason, measured again
 * once records were handed over in runs); measure.
 *
 * Returns 0 or a negative errno (e.g. -EPIPE), which ends the session with
 * that error as an out callback's would. Like out, it must bound its own
 * waits once ft_session_stop() was called (the session thread is joined).
 */
typedef int (*ft_output_iov_fn)(void *ctx, const struct iovec *iov, int cnt);

/** The most iovecs one ft_output_iov_fn call gets. */
#define FT_SESSION_IOV_MAX 1020

/** Which packets a session takes by verdict (see ft_tap_drop() in tap.h). */
enum ft_drop_select {
	FT_DROPS_BOTH = 0, /* delivered and dropped packets (the default) */
	FT_DROPS_ONLY,	   /* only packets reported with ft_tap_drop() */
	FT_DROPS_EXCLUDE,  /* only packets that went on (ft_tap_hook()) */
};

struct ft_session_opts {
	enum ft_format format;	 /* output format (default pcap) */
	const char *filter;	 /* tcpdump expression, NULL/"" for all (copied) */
	struct ft_pathset paths; /* paths to capture; an all-zero set means all */
	enum ft_dir dir;	 /* FT_DIR_UNKNOWN: both directions */
	uint32_t snaplen;	 /* 0: 262144 (65535 for user0), whole 64 KiB packets */
	uint64_t max_packets;	 /* stop after this many written; 0: no limit */
	uint64_t duration_ms;	 /* stop after this long; 0 (or beyond ~580 years): no limit */
	size_t bufsize;		 /* bounded buffer in bytes; 0: 4 MiB; min 64 KiB, max 1 GiB;
				  * half of it is shared by all producer threads, the
				  * first thread that sends the session packets gets a
				  * buffer of this size, the next three a quarter of it
				  * each, and an index an eighth of its size (at most
				  * 2.5 times bufsize in all); a packet takes at most a
				  * quarter of it (an eighth on those three threads),
				  * and a thread's buffer holds at most one packet per
				  * 128 bytes of it */
	unsigned text_flags;	 /* FT_TEXT_* for FT_FORMAT_TEXT */
	enum ft_time_mode time;	 /* for FT_FORMAT_TEXT */
	/* The output: out_iov, out, or out_fd, each called or written on the
	 * session thread, in the order the bytes belong in the stream.
	 * With out_iov set, pcap and pcap-ns records go to it without a copy
	 * into a buffer, where they lie in the session's buffer (a batch of up
	 * to 1 MiB per call); what the writer formats (the file header, the
	 * history, other formats) goes to out if that is set too, else to
	 * out_iov as one iovec per chunk. Without out_iov: out, or if out is
	 * NULL out_fd (written with writev(2), pcap records likewise without
	 * a copy). out_fd is ignored when out or out_iov is set. */
	ft_output_fn out;	  /* chunks the writer formatted */
	ft_output_iov_fn out_iov; /* records where they lie (and chunks without out) */
	void *out_ctx;		  /* passed to out and out_iov */
	int out_fd; /* if out and out_iov are NULL: this fd (not closed by the session) */
	ft_session_end_fn on_end; /* optional */
	void *on_end_ctx;
	enum ft_drop_select drops; /* by verdict; default both */
	/* Reason ids (the 256-bit set type of paths, reused) a dropped packet
	 * must have; all-zero: any. A non-empty set takes dropped packets
	 * only, so it needs drops FT_DROPS_BOTH or FT_DROPS_ONLY (-EINVAL with
	 * FT_DROPS_EXCLUDE). */
	struct ft_pathset drop_reasons;
	/* The past (tap.h: the flight recorder). since_ms > 0: first the
	 * packets the tap's recorder holds from the last since_ms ms that the
	 * session selects, in time order, then live packets; every packet
	 * offered around the seam comes once. The recorded packets are cut to
	 * the recorder's snap length. */
	uint64_t since_ms;
	bool history_only; /* with since_ms: end (by itself) after the history */
	/* NULL, or a Crypto-PAn key of FT_ANON_KEY_LEN bytes (anon.h), read
	 * only by ft_session_start(): the session then pseudonymizes every
	 * packet it writes with ft_anon_packet() on its own thread (never on
	 * the producers'), and the pre-NAT addresses with ft_anon_addr(). A
	 * packet it cannot parse is cut where ft_anon_packet() cuts it; peer
	 * names (and pcapng Name Resolution Blocks) are left out, since they
	 * would name the real ends. The tap's link type must be one
	 * ft_anon_dlt_supported() accepts (-EINVAL otherwise). */
	const uint8_t *anon_key;
	/* NULL, or what the pcapng section comment says first (copied, up to
	 * 1000 bytes), before what the history adds: why this capture was
	 * taken ("flowtap trigger: ..."). Other formats ignore it. */
	const char *comment;
};

/** ft_session_opts_init - defaults: pcap, all paths and directions, no limits, out_fd -1. */
FT_EXPORT void ft_session_opts_init(struct ft_session_opts *o);

/**
 * ft_session_start - attach a new session to @t.
 * @o: options (copied; the filter string too).
 * @errbuf: on FT_EFILTER, libpcap's message about the filter.
 * Returns 0, FT_EFILTER, FT_EFORMAT, -EINVAL, -ENOMEM, -EAGAIN (no thread)
 * -ENOENT (since_ms with the tap's recorder off) or -EBUSY (since_ms while
 * two other sessions of the process still hold their history copies: try
 * again when one has written its history).
 * With since_ms the history is copied here, on the calling thread (a copy
 * of at most the recorder's memory, sorted), before the session thread
 * starts; the recorder is never blocked meanwhile. The copy is freed once
 * the session has written it; at most two are alive in a process, so
 * memory is bounded whatever the number of clients.
 * Returns once the session's thread runs (a wait for the scheduler, not
 * for the output): packets are captured from the moment the session is
 * attached, and until its thread drains them a fast datapath would fill
 * the buffer.
 * The session runs until it ends by itself or ft_session_stop(); free it with
 * ft_session_free().
 */
FT_EXPORT int ft_session_start(struct ft_session **out, struct ft_tap *t,
			       const struct ft_session_opts *o, char *errbuf, size_t errlen);

/**
 * ft_session_stop - detach @s, drain what is buffered to the output, write the
 * pcapng ISB with the drop count, and return the final counters in @st (may be
 * NULL). Idempotent: later calls return the same counters. Must not be called
 * from the session's own callbacks. Returns 0 or the session's error.
 *
 * Bounded: once stop is called, an output that takes no more bytes gets
 * FT_SESSION_STOP_WAIT_MS in all to drain. For an out_fd output that
 * would block (a full non-blocking pipe or socket) the session then ends
 * with -ETIMEDOUT and what was left is counted as discarded; an output
 * callback must bound its own waits the same way (it is called on the
 * session thread, which stop joins).
 * Any thread; see ft_tap_free() in tap.h for the lifetime rules.
 */
FT_EXPORT int ft_session_stop(struct ft_session *s, struct ft_session_stats *st);

/** What a session with since_ms got from the recorder. */
struct ft_session_history {
	uint64_t asked_ms; /* since_ms */
	uint64_t held_ns;  /* how much of it the recorder held (<= asked) */
	uint64_t packets;  /* recorded packets the session selected (written first) */
	bool partial;	   /* held less than asked */
	bool by_bytes;	   /* ... because the byte bound overwrote older packets */
	char comment[512]; /* what the pcapng section comment says */
};

/**
 * ft_session_history - fill @h for @s, started with since_ms. Any thread.
 * Returns 0, or -ENOENT if @s was started without since_ms.
 */
FT_EXPORT int ft_session_history(const struct ft_session *s, struct ft_session_history *h);

/** ft_session_get_stats - current counters (any thread). */
FT_EXPORT void ft_session_get_stats(const struct ft_session *s, struct ft_session_stats *st);

/** ft_session_filter - the session's filter expression ("" for all). */
FT_EXPORT const char *ft_session_filter(const struct ft_session *s);

/** ft_session_format - the session's output format. */
FT_EXPORT enum ft_format ft_session_format(const struct ft_session *s);

/** How long ft_session_stop() lets a blocked out_fd output drain. */
#define FT_SESSION_STOP_WAIT_MS 1000

/**
 * ft_session_free - stop (if needed) and free @s. NULL ok. Any thread,
 * also while ft_tap_free() runs on its tap, or after it returned; never
 * twice, and no other call on @s may run at the same time.
 */
FT_EXPORT void ft_session_free(struct ft_session *s);

#ifdef __cplusplus
}
#endif
#endif
