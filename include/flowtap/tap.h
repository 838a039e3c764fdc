/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/tap.h - datapath taps: the one hook a datapath calls where packets
 * cross, at no cost while nobody watches.
 *
 * A datapath owns one ft_tap per engine (or per interface) and calls
 * ft_tap_hook() at each point of interest. Capture sessions (capture.h)
 * attach and detach at run time; the hook never blocks, never allocates and
 * never takes a lock, from any number of threads at once, except once per
 * thread: a thread's first hook while the tap is watched registers it (one
 * small allocation under the tap's control lock). From then on a hook
 * writes only its thread's own memory, except for the session's ring.
 * Up to 64 threads per tap get their own slot; more share one (correct,
 * but their hooks then share cache lines).
 *
 * Example: hooks in a tunnel's read and write loops.
 *
 *	struct ft_tap *tap;
 *	ft_tap_new(&tap, "tun0");
 *	ft_tap_path_register(tap, 254, "disco");
 *
 *	// TUN read loop: the local stack sends a packet into the datapath.
 *	n = read(tun_fd, buf, sizeof(buf));
 *	ft_tap_hook(tap, FT_PATH_FROM_LOCAL, buf, n, NULL);
 *
 *	// UDP receive loop, after decapsulation/decryption, before DNAT is undone:
 *	struct ft_meta m = FT_META_INIT;
 *	ft_meta_set_nat(&m, NULL, &service_addr);   // the pre-DNAT destination
 *	ft_tap_hook(tap, FT_PATH_FROM_PEER, inner, inner_len, &m);
 *
 *	// A packet the datapath throws away, with why (see "Drops" below):
 *	struct ft_meta dm = FT_META_INIT;
 *	dm.drop_rule = 12;                       // the policy rule that denied it
 *	ft_tap_drop(tap, FT_PATH_FROM_PEER, inner, inner_len, FT_DROP_ACL, &dm);
 */
#ifndef FLOWTAP_TAP_H
#define FLOWTAP_TAP_H

#include <sys/uio.h>

#include <flowtap/common.h>
#include <flowtap/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Optional per-packet metadata for ft_tap_hook(). */
struct ft_meta {
	uint64_t ts_ns;		/* 0: the hook takes CLOCK_REALTIME (vDSO, no syscall) */
	uint8_t dir;		/* enum ft_dir; FT_DIR_UNKNOWN: implied by a built-in path */
	uint32_t ifid;		/* interface or peer id, 0 if none */
	struct ft_addr nat_src; /* pre-SNAT source address, len 0 if none */
	struct ft_addr nat_dst; /* pre-DNAT destination address, len 0 if none */
	/* Drops (see ft_tap_drop()); zero for a packet that goes on. */
	uint16_t drop_reason;	/* set by ft_tap_drop() from its @reason; leave 0 */
	uint32_t drop_rule;	/* the policy rule that dropped it (1-based), 0: none */
	const char *drop_where; /* optional, where it was dropped ("ip_rcv_finish_core+0x1a");
				 * borrowed for the call, the first 63 bytes are copied */
};

/* All zero; C++ gets {} (its -Wextra warns about {0}). */
#ifdef __cplusplus
#define FT_META_INIT                                                                               \
	{                                                                                          \
	}
#else
#define FT_META_INIT                                                                               \
	{                                                                                          \
		0                                                                                  \
	}
#endif

/**
 * ft_meta_set_nat - helper to record NAT: copy the pre-SNAT source and the
 * pre-DNAT destination into @m. Either may be NULL (left absent).
 */
FT_EXPORT void ft_meta_set_nat(struct ft_meta *m, const struct ft_addr *pre_snat_src,
			       const struct ft_addr *pre_dnat_dst);

/**
 * ft_meta_set_nat_ip4 - same for IPv4 addresses in network byte order
 * (0 leaves the field absent). Hot-path safe.
 */
FT_EXPORT void ft_meta_set_nat_ip4(struct ft_meta *m, uint32_t pre_snat_src_be,
				   uint32_t pre_dnat_dst_be);

struct ft_tap;

/*
 * The first member of every tap: the number of attached sessions, read by the
 * inline hook. Not for any other use. A plain unsigned accessed only through
 * the compiler's __atomic builtins, so that this header compiles as C and as
 * C++ (C11's _Atomic and <stdatomic.h> do not exist in C++ before C++23).
 */
struct ft_tap_head {
	unsigned nsessions;
	unsigned drop_watch; /* nsessions, plus 1 while drops are counted */
};

/* The one relaxed load of the inline hooks. */
static inline bool ft__tap_unwatched(const struct ft_tap *t)
{
	return __builtin_expect(
	    __atomic_load_n(&((const struct ft_tap_head *)(const void *)t)->nsessions,
			    __ATOMIC_RELAXED) == 0,
	    1);
}

/**
 * ft_tap_new - create a tap.
 * @name: shown in status and used as its identifier in the local API (copied).
 * Returns 0, -EINVAL or -ENOMEM. Free with ft_tap_free().
 */
FT_EXPORT int ft_tap_new(struct ft_tap **out, const char *name);

/**
 * ft_tap_free - end every session of @t and free @t. NULL ok.
 *
 * Lifetime rules (taps and the sessions of capture.h):
 * - A tap outlives every call that names it: no thread may be inside a hook
 *   on @t, in ft_session_start() on @t or in another ft_tap_*() call on @t
 *   once ft_tap_free() is called, and none may start one later.
 * - ft_tap_free() ends every session of @t that has not ended, as
 *   ft_session_stop() does, and also waits for a session that is ending by
 *   itself (packet count, duration, output error) to finish: when it returns
 *   no session thread of @t runs any more, every session's final counters
 *   are recorded and every on_end callback has returned.
 * - It does not free the sessions. Their owners still call
 *   ft_session_free() on each, before, after or at the same time as
 *   ft_tap_free() and from any thread; after ft_tap_free() a session of @t
 *   answers only ft_session_stop(), ft_session_get_stats(),
 *   ft_session_filter(), ft_session_format() and ft_session_free().
 * - Neither ft_tap_free() nor ft_session_stop()/ft_session_free() may be
 *   called from a session's own callbacks (output, on_end), nor from the
 *   tap's watch callback.
 */
FT_EXPORT void ft_tap_free(struct ft_tap *t);

/**
 * ft_tap_new_dlt - create a tap whose packets have link type @dlt (a libpcap
 * DLT_*), for sources that see link-layer frames (AF_PACKET on an Ethernet
 * interface, "any" with DLT_LINUX_SLL2). ft_tap_new() is DLT_RAW. Sessions
 * compile their filters for this link type; user0 output needs DLT_RAW.
 * Returns 0, -EINVAL or -ENOMEM.
 */
FT_EXPORT int ft_tap_new_dlt(struct ft_tap **out, const char *name, int dlt);

/**
 * ft_tap_set_builtin_paths - whether @t's datapath offers packets on the four
 * built-in paths (from-local, from-peer, synthesized-to-local/-peer); taps
 * start with them. A tap that only uses paths it registers (a kernel source)
 * turns them off, so ft_tap_paths() and ft_tap_path_name() leave them out:
 * status then lists only its real paths and a capture asking for a built-in
 * one is refused instead of capturing nothing. Call it before the tap is
 * shared with another thread (before ft_api_add_tap()).
 */
FT_EXPORT void ft_tap_set_builtin_paths(struct ft_tap *t, bool used);

/** ft_tap_dlt - the link type of @t's packets. */
FT_EXPORT int ft_tap_dlt(const struct ft_tap *t);

/**
 * Called after a session attached to or detached from the tap, on the thread
 * that attached or detached it, with no tap lock held. Lets a capture source
 * open its kernel socket only while watched, or attach a shared filter.
 */
typedef void (*ft_tap_watch_fn)(struct ft_tap *t, void *ctx);

/** ft_tap_set_watch - install (or with NULL remove) @fn. */
FT_EXPORT void ft_tap_set_watch(struct ft_tap *t, ft_tap_watch_fn fn, void *ctx);

/**
 * ft_tap_shared_filter - if every attached session uses the same filter
 * expression and none selects by path or direction, copy it into @buf and
 * return 1 (an empty string means "everything"); return 0 if they differ or
 * none is attached, -ENOSPC if @buf is too small. While the tap's flight
 * recorder runs, it is 1 with "" (the recorder keeps every packet).
 */
FT_EXPORT int ft_tap_shared_filter(const struct ft_tap *t, char *buf, size_t len);

/**
 * ft_tap_add_upstream_drops - count @n packets lost before they reached the
 * tap, e.g. by a capture source's kernel ring. Sessions attached meanwhile
 * include them in the interface drop count of their pcapng ISB. Any thread.
 */
FT_EXPORT void ft_tap_add_upstream_drops(struct ft_tap *t, uint64_t n);

struct ft_peers;

/**
 * ft_tap_set_peers - name the ends of captured packets with peer table @p
 * (peers.h; NULL: no names), in every session of @t, running or future:
 * text lines, pcapng comments and Name Resolution Blocks. The tap takes
 * its own reference. Replacing a table never stops or blocks a capture or
 * the hook: sessions pick the new table up at their next batch (lock-free),
 * and the old one is freed when the last session let go of it. Any thread.
 * Returns 0 or -EINVAL (@p not built by ft_peers_build()).
 */
FT_EXPORT int ft_tap_set_peers(struct ft_tap *t, struct ft_peers *p);

/** ft_tap_name - the name given to ft_tap_new(). */
FT_EXPORT const char *ft_tap_name(const struct ft_tap *t);

/**
 * ft_tap_path_register - name a datapath-defined path (4..255), e.g. 254
 * "disco". Names are 1..31 characters of [A-Za-z0-9_.-].
 * Returns 0, -EINVAL or -EEXIST (number or name taken).
 */
FT_EXPORT int ft_tap_path_register(struct ft_tap *t, unsigned path, const char *name);

/**
 * ft_tap_path_name - the name of @path on tap @ctx (a const struct ft_tap *),
 * built-in or registered; NULL if unknown. Usable as an ft_path_name_fn.
 */
FT_EXPORT const char *ft_tap_path_name(const void *ctx, unsigned path);

/**
 * ft_tap_paths - list the known paths of @t: fills up to @max numbers into
 * @paths and returns how many exist.
 */
FT_EXPORT int ft_tap_paths(const struct ft_tap *t, unsigned *paths, int max);

/** Counters of a tap since it was created, summed over all its sessions
 * (live and ended); see struct ft_session_stats for their meaning. */
struct ft_tap_stats {
	uint64_t offered; /* packets offered to a session (counted once per session) */
	uint64_t matched;
	uint64_t written;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t truncated;
	uint64_t hooked;   /* hook calls that reached the slow path (some session attached) */
	uint64_t sessions; /* sessions attached now */
	uint64_t sessions_total;
};

/** ft_tap_get_stats - read @t's counters. */
FT_EXPORT void ft_tap_get_stats(const struct ft_tap *t, struct ft_tap_stats *st);

/*
 * The flight recorder: "what crossed this datapath in the last minute?".
 * Off by default. Once started, every packet offered to the tap (ft_tap_hook()
 * and the other hooks, and drops offered with ft_tap_drop()) is also kept,
 * cut to the recorder's snap length, in memory allocated once by
 * ft_tap_recorder_start(), overwriting the oldest packets: the recorder
 * holds at most max_bytes, and readers take only the last max_age_ms of it.
 * Capture sessions read it with ft_session_opts.since_ms (capture.h): the
 * recorded past, then live packets, with none missing or twice at the seam.
 *
 * Cost: the hook then always takes its out-of-line path (as with a session
 * attached that rejects the packet) and copies up to snaplen bytes into its
 * thread's block: no lock, no allocation, no system call, and no wait for
 * a reader (readers copy blocks out and discard what a producer overwrote
 * meanwhile). Threads past the tap's 64 producer slots share one slot and
 * skip a packet rather than wait for each other (counted as missed).
 */

/** Recorder settings; zero fields take the defaults. */
struct ft_recorder_opts {
	uint64_t max_age_ms; /* keep this long; 0: 60000 (60 s) */
	uint64_t max_bytes;  /* memory for records; 0: 64 MiB; at least 64 KiB, at most 16 GiB */
	uint32_t snaplen;    /* bytes kept per packet; 0: 256; at most 65535 */
	struct ft_pathset paths; /* the paths kept (ft_pathset_parse()); all-zero: every path */
};

/** Largest recorder snap length. */
#define FT_RECORDER_SNAPLEN_MAX 65535u

/** ft_recorder_opts_init - the defaults: 60 s, 64 MiB, snap length 256. */
FT_EXPORT void ft_recorder_opts_init(struct ft_recorder_opts *o);

/**
 * ft_recorder_opts_parse - set @o's window and size from @spec, the
 * "SECONDS[,SIZE]" of the programs' --recorder option: a window of seconds
 * (or with a unit: 500ms, 90s, 2m, 1h; 1 ms to 24 h) and optionally a
 * size in bytes (or with K, M, G: binary; 64K to 16G), e.g. "60,64M".
 * Other fields are left as they are. Returns 0, or -EINVAL with a message
 * naming the bad part in @err.
 */
FT_EXPORT int ft_recorder_opts_parse(struct ft_recorder_opts *o, const char *spec, char *err,
				     size_t errlen);

/**
 * ft_tap_recorder_start - start @t's flight recorder with @o (NULL: the
 * defaults; copied). Allocates and populates all of its memory now. Any
 * thread; not from a hook or a session callback. Returns 0, -EINVAL (a
 * setting out of range), -EBUSY (already recording) or -ENOMEM.
 */
FT_EXPORT int ft_tap_recorder_start(struct ft_tap *t, const struct ft_recorder_opts *o);

/**
 * ft_tap_recorder_stop - stop @t's recorder and free its memory, once no hook
 * and no reader uses it (it waits for hooks in progress to leave, and for a
 * session start reading the recorder to finish its copy). Sessions already
 * started keep the history they copied. Any thread; not from a hook.
 * ft_tap_free() stops it too. Returns 0 or -ENOENT (not recording).
 */
FT_EXPORT int ft_tap_recorder_stop(struct ft_tap *t);

/** What a recorder holds now, and its counters since it started. */
struct ft_recorder_stats {
	bool on;	     /* recording; the rest is zero when not */
	uint64_t max_age_ms; /* its settings */
	uint64_t max_bytes;  /* memory it may hold (its blocks, rounded down) */
	uint32_t snaplen;
	uint64_t window_ns;	 /* from the oldest packet held (within max_age_ms) to now */
	uint64_t bytes;		 /* record bytes held in that window */
	uint64_t packets;	 /* packets held in that window */
	uint64_t recorded;	 /* packets recorded since start */
	uint64_t overwritten;	 /* packets overwritten to make room (the byte bound) */
	uint64_t missed;	 /* packets not recorded: shared slot busy, no block free */
	uint64_t triggers;	 /* triggers fired (counted by ft_tap_recorder_count()) */
	uint64_t files;		 /* files written by triggers (idem) */
	bool wrapped_by_bytes;	 /* the byte bound is what limits the window now */
	struct ft_pathset paths; /* the paths it keeps (all-zero: every path) */
};

/**
 * ft_tap_recorder_stats - fill @st for @t's recorder ({.on = false} if off).
 * Any thread; reads block headers only, never waits on a hook.
 */
FT_EXPORT void ft_tap_recorder_stats(const struct ft_tap *t, struct ft_recorder_stats *st);

/**
 * ft_tap_recorder_count - add @triggers and @files to @t's recorder counters
 * (shown by ft_tap_recorder_stats()), for a program that saves the recorder
 * on triggers. Any thread. No effect while the recorder is off.
 */
FT_EXPORT void ft_tap_recorder_count(struct ft_tap *t, uint64_t triggers, uint64_t files);

/**
 * ft_tap_hook_frame - like ft_tap_hook() for a frame of the tap's link type
 * with its captured and wire lengths (caplen <= len), e.g. from AF_PACKET.
 */
FT_EXPORT void ft_tap_offer_frame(struct ft_tap *t, unsigned path, const void *pkt, size_t caplen,
				  size_t len, const struct ft_meta *m);

static inline void ft_tap_hook_frame(struct ft_tap *t, unsigned path, const void *pkt,
				     size_t caplen, size_t len, const struct ft_meta *m)
{
	if (ft__tap_unwatched(t))
		return;
	ft_tap_offer_frame(t, path, pkt, caplen, len, m);
}

/** ft_tap_watched - whether any session is attached (relaxed; a hint). */
static inline bool ft_tap_watched(const struct ft_tap *t)
{
	return !ft__tap_unwatched(t);
}

/** Out-of-line part of ft_tap_hook(); call ft_tap_hook() instead. */
FT_EXPORT void ft_tap_offer(struct ft_tap *t, unsigned path, const void *pkt, size_t len,
			    const struct ft_meta *m);

/**
 * ft_tap_hook - offer an IP packet (IPv4 or IPv6, no link-layer header)
 * crossing @path to the tap's capture sessions. Hot path.
 * @t: the tap. @path: enum ft_path or a registered path.
 * @pkt, @len: the packet, borrowed for the duration of the call.
 * @m: optional metadata (NULL: direction from the path, time taken now).
 *
 * With no session attached this is one relaxed atomic load and a branch.
 * Otherwise each session's path, direction and filter are applied and a
 * matching packet is copied into that session's bounded buffer; a full buffer
 * drops the packet for that session only and counts it.
 */
static inline void ft_tap_hook(struct ft_tap *t, unsigned path, const void *pkt, size_t len,
			       const struct ft_meta *m)
{
	if (ft__tap_unwatched(t))
		return;
	ft_tap_offer(t, path, pkt, len, m);
}

/** Out-of-line part of ft_tap_hook_iov(); call ft_tap_hook_iov() instead. */
FT_EXPORT void ft_tap_offer_iov(struct ft_tap *t, unsigned path, const struct iovec *iov,
				int iovcnt, const struct ft_meta *m);

/**
 * ft_tap_hook_iov - like ft_tap_hook() for a packet held in @iovcnt buffers
 * (e.g. a header and a payload), captured as their concatenation: the
 * same records as ft_tap_hook() on one buffer holding the bytes. Up to
 * 64 KiB in all is captured whole. Hot path; with no session attached one
 * relaxed load and a branch. A negative or zero @iovcnt offers nothing.
 */
static inline void ft_tap_hook_iov(struct ft_tap *t, unsigned path, const struct iovec *iov,
				   int iovcnt, const struct ft_meta *m)
{
	if (ft__tap_unwatched(t))
		return;
	ft_tap_offer_iov(t, path, iov, iovcnt, m);
}

/** Out-of-line part of ft_tap_hook_batch(); call ft_tap_hook_batch() instead. */
FT_EXPORT void ft_tap_offer_batch(struct ft_tap *t, unsigned path, const struct iovec *pkts,
				  unsigned n, const struct ft_meta *m);

/**
 * ft_tap_hook_batch - offer @n packets crossing one @path, e.g. one
 * recvmmsg() or TUN read batch: packet i is pkts[i].iov_base, of
 * pkts[i].iov_len bytes. @m (optional) applies to every packet; without a
 * timestamp in it the clock is read once for the whole batch. The records
 * are those of @n ft_tap_hook() calls with that timestamp, in order.
 * Hot path; with no session attached one relaxed load and a branch.
 */
static inline void ft_tap_hook_batch(struct ft_tap *t, unsigned path, const struct iovec *pkts,
				     unsigned n, const struct ft_meta *m)
{
	if (ft__tap_unwatched(t))
		return;
	ft_tap_offer_batch(t, path, pkts, n, m);
}

/*
 * Drops. A datapath reports a packet it discards with ft_tap_drop(), on the
 * path where it died, with a reason. Sessions see it like any packet on that
 * path (unless they select delivered packets only, capture.h), marked as
 * dropped in every output: pcapng gets an EPB comment "drop: acl-denied
 * rule 12" and a custom option (flowtap-capture(1)), text a
 * "DROP(acl-denied rule 12)" marker (flowtap-text(7)), and the user0
 * stream, which has no verdict field, carries it on path FT_PATH_DROPPED
 * ("dropped"). Classic pcap has no place for the mark.
 *
 * The built-in reasons, shared by tunnels, and their names:
 *   FT_DROP_NO_ROUTE    "no-route"        no route or no peer for the destination
 *   FT_DROP_ACL         "acl-denied"      a policy/ACL rule denied it (drop_rule: which)
 *   FT_DROP_INVALID     "invalid"         malformed, unauthenticated or undecryptable
 *   FT_DROP_FOREIGN     "foreign-source"  a source address the sender may not use
 *   FT_DROP_MTU         "mtu-exceeded"    too large for the path
 *   FT_DROP_QUEUE_FULL  "queue-full"      a queue or buffer was full
 *   FT_DROP_RATE_LIMIT  "rate-limited"    over a rate limit
 *   FT_DROP_TTL         "ttl-expired"     TTL or hop limit reached zero
 *   FT_DROP_OTHER       "other"           none of these
 * A datapath (or a kernel source) registers its own with
 * ft_tap_add_drop_reason(); ids are below FT_DROP_REASON_MAX.
 *
 * Counting: with ft_tap_set_drop_counting() on (ft_api_add_tap() turns it
 * on, so that status shows them), every ft_tap_drop() is counted per reason
 * (ft_tap_drop_counts()), watched or not. With counting off and no session
 * attached, ft_tap_drop() costs what ft_tap_hook() costs: one relaxed load.
 */
enum ft_drop_reason {
	FT_DROP_NONE = 0,
	FT_DROP_NO_ROUTE,
	FT_DROP_ACL,
	FT_DROP_INVALID,
	FT_DROP_FOREIGN,
	FT_DROP_MTU,
	FT_DROP_QUEUE_FULL,
	FT_DROP_RATE_LIMIT,
	FT_DROP_TTL,
	FT_DROP_OTHER,
	FT_DROP_BUILTIN_MAX /* ids >= this are registered with ft_tap_add_drop_reason() */
};

/** Reason ids are below this (built-in and registered together). */
#define FT_DROP_REASON_MAX 256

/**
 * ft_tap_add_drop_reason - register a datapath-specific drop reason @name
 * (1..31 characters of [A-Za-z0-9_.+-], copied). Idempotent by name: the
 * same name gives the same id. Any thread, before or while sessions run.
 * Returns the id (>= FT_DROP_BUILTIN_MAX), -EINVAL (bad name), -EEXIST (the
 * name of a built-in reason) or -ENOSPC (FT_DROP_REASON_MAX ids in use).
 */
FT_EXPORT int ft_tap_add_drop_reason(struct ft_tap *t, const char *name);

/**
 * ft_drop_reason_name - the name of drop reason @reason on @t ("acl-denied",
 * or a registered name); @t may be NULL for the built-in names. Returns
 * "none" for FT_DROP_NONE and NULL for an id nobody registered. The string
 * lives as long as @t (built-in ones for ever).
 */
FT_EXPORT const char *ft_drop_reason_name(const struct ft_tap *t, unsigned reason);

/**
 * ft_drop_reason_parse - the id of reason @name on @t (@t NULL: built-in
 * names only). Returns the id (> 0) or -ENOENT.
 */
FT_EXPORT int ft_drop_reason_parse(const struct ft_tap *t, const char *name);

/**
 * ft_tap_set_drop_counting - count every ft_tap_drop() on @t per reason
 * (@on true), or not (false, the default). While on, a drop takes
 * the out-of-line path even with nobody watching (a function call and two
 * counter updates on the thread's own cache line). Any thread.
 */
FT_EXPORT void ft_tap_set_drop_counting(struct ft_tap *t, bool on);

/**
 * ft_tap_drop_counts - drops counted on @t per reason id (while counting was
 * on): fills pkts[i] and bytes[i] (either may be NULL) for ids 0..@max-1.
 * Returns the number of ids in use (FT_DROP_BUILTIN_MAX plus those
 * registered); ids past it are 0.
 */
FT_EXPORT int ft_tap_drop_counts(const struct ft_tap *t, uint64_t *pkts, uint64_t *bytes,
				 unsigned max);

/* The word ft_tap_drop() loads: sessions attached plus 1 while counting. */
static inline bool ft__tap_drop_unwatched(const struct ft_tap *t)
{
	return __builtin_expect(
	    __atomic_load_n(&((const struct ft_tap_head *)(const void *)t)->drop_watch,
			    __ATOMIC_RELAXED) == 0,
	    1);
}

/** Out-of-line part of ft_tap_drop(); call ft_tap_drop() instead. */
FT_EXPORT void ft_tap_offer_drop(struct ft_tap *t, unsigned path, const void *pkt, size_t caplen,
				 size_t len, unsigned reason, const struct ft_meta *m);

/**
 * ft_tap_drop - report that the datapath discards the IP packet @pkt of @len
 * bytes on @path, for @reason (enum ft_drop_reason or a registered id; an id
 * of FT_DROP_REASON_MAX or more, or 0, is counted as FT_DROP_OTHER).
 * @m: optional metadata as for ft_tap_hook(), plus drop_rule and
 * drop_where (its drop_reason is ignored: @reason counts).
 * Hot path: with no session attached and counting off, one relaxed atomic
 * load and a branch; otherwise as ft_tap_hook() plus the count.
 */
static inline void ft_tap_drop(struct ft_tap *t, unsigned path, const void *pkt, size_t len,
			       unsigned reason, const struct ft_meta *m)
{
	if (ft__tap_drop_unwatched(t))
		return;
	ft_tap_offer_drop(t, path, pkt, len, len, reason, m);
}

/**
 * ft_tap_drop_frame - ft_tap_drop() for a frame of the tap's link type of
 * which @caplen of @len bytes were kept (e.g. the headers a kernel source
 * copied). Hot path, as ft_tap_drop().
 */
static inline void ft_tap_drop_frame(struct ft_tap *t, unsigned path, const void *pkt,
				     size_t caplen, size_t len, unsigned reason,
				     const struct ft_meta *m)
{
	if (ft__tap_drop_unwatched(t))
		return;
	ft_tap_offer_drop(t, path, pkt, caplen, len, reason, m);
}

#ifdef __cplusplus
}
#endif
#endif
