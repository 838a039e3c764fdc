/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/trigger.h - save a tap's flight recorder to files when something
 * happens: "keep the minute before the failure, automatically".
 *
 * A trigger belongs to one tap whose recorder runs (tap.h). It fires on a
 * packet matching a tcpdump expression, on a packet reported with
 * ft_tap_drop() (any reason, or some), and on ft_trigger_fire() (a signal
 * handler's event, an API call). Each firing saves the recorder's window
 * before the event (before_ms) and keeps writing live packets for after_ms
 * after it, into one pcapng file in a directory:
 *
 *	DIR/flowtap-TAP-20261203T101502Z-0001.pcapng
 *
 * (characters of the tap's name other than letters, digits, '.', '_' and
 * '-' are written '_'). *
 * The section comment names what fired first ("flowtap trigger: packet
 * matched 'tcp[tcpflags] & tcp-rst != 0'") and the window held. A trigger
 * that fires again while a file is open extends that file (up to 10 times
 * after_ms past the first event, so a trigger that never stops firing still
 * closes its files) instead of starting another. A file is written under a
 * hidden name (".flowtap-TAP-....pcapng.part") and renamed when complete,
 * so a file that appears under its name is whole.
 *
 * The directory is bounded: after each file, the oldest files of this tap
 * are removed until at most max_files are left and together they take at
 * most max_bytes (one file is cut at max_bytes). Removals are counted and
 * logged.
 *
 * Cost: an expression or drop trigger attaches a capture session (filter
 * on the datapath threads, the match on the session's thread), so the tap
 * is watched, as with a capture session running. Saving a file is a
 * capture session with since_ms (capture.h), on the trigger's own thread.
 */
#ifndef FLOWTAP_TRIGGER_H
#define FLOWTAP_TRIGGER_H

#include <flowtap/common.h>
#include <flowtap/filter.h>
#include <flowtap/tap.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_trigger;

/** What a trigger tells its program: @level is a syslog priority (LOG_INFO
 * for a file saved or removed, LOG_WARNING for one cut or not written).
 * Called from the trigger's thread; must not call back into the trigger. */
typedef void (*ft_trigger_log_fn)(void *ctx, int level, const char *msg);

/** Trigger settings; zero fields take the defaults. */
struct ft_trigger_opts {
	const char *dir;    /* the files' directory (must exist); required; copied */
	uint64_t before_ms; /* window saved before the event; 0: the recorder's */
	uint64_t after_ms;  /* live packets saved after it; 0: 10 s; at most 1 h */
	unsigned max_files; /* files of this tap kept in dir; 0: 10; at most 10000 */
	uint64_t max_bytes; /* bytes of those files together; 0: 1 GiB; at least 64 KiB */
	const char *filter; /* a packet matching this tcpdump expression fires; NULL: none */
	bool on_drop;	    /* a packet reported with ft_tap_drop() fires ... */
	struct ft_pathset drop_reasons; /* ... with one of these reasons (all-zero: any) */
	struct ft_tap *drop_tap;	/* ... on this tap (NULL: the trigger's own; a daemon
					 * may report kernel drops on a tap of their own);
					 * it must outlive the trigger */
	ft_trigger_log_fn log;		/* optional */
	void *log_ctx;
};

/** ft_trigger_opts_init - the defaults (no directory yet: set dir). */
FT_EXPORT void ft_trigger_opts_init(struct ft_trigger_opts *o);

/**
 * ft_trigger_opts_parse - set one of @o's settings from a program option's
 * text: @name "after" or "before" (a duration: seconds, or 500ms, 90s, 2m,
 * 1h) or "keep" ("FILES[,SIZE]": a count, then bytes or with K, M, G).
 * Returns 0, or -EINVAL with a message naming the bad value in @err.
 */
FT_EXPORT int ft_trigger_opts_parse(struct ft_trigger_opts *o, const char *name, const char *value,
				    char *err, size_t errlen);

/**
 * ft_trigger_start - start a trigger on @t with @o (copied). Finished files
 * a crash left under their hidden names are renamed to be kept. Any
 * thread; not from a hook or a session callback. Returns 0, or with a
 * message in @err: -ENOENT (the tap's recorder is off), -EBUSY (the tap
 * has a trigger), -EINVAL (a setting out of range), FT_EFILTER (the
 * expression), -ENOTDIR/-EACCES (dir), -ENOMEM or -EAGAIN (no thread).
 * Only one trigger per tap; free it before its tap.
 */
FT_EXPORT int ft_trigger_start(struct ft_trigger **out, struct ft_tap *t,
			       const struct ft_trigger_opts *o, char *err, size_t errlen);

/**
 * ft_trigger_fire - fire @tr now, @why (copied, up to 200 bytes; NULL:
 * "requested") saying what happened for the file's comment. Never blocks
 * on I/O: the trigger's thread starts or extends the file. Any thread, but
 * not a hook and not a signal handler (take the signal as an event first).
 * Returns 0.
 */
FT_EXPORT int ft_trigger_fire(struct ft_trigger *tr, const char *why);

/**
 * ft_tap_trigger_fire - fire the trigger started on @t, if any (an API
 * server knows taps, not triggers). Any thread, not a hook. Returns 0 or
 * -ENOENT (no trigger on @t).
 */
FT_EXPORT int ft_tap_trigger_fire(struct ft_tap *t, const char *why);

/** A trigger's counters and state. */
struct ft_trigger_stats {
	char dir[256];	    /* its directory (cut if longer) */
	uint64_t before_ms; /* the settings in effect */
	uint64_t after_ms;
	unsigned max_files;
	uint64_t max_bytes;
	uint64_t fired;	      /* events, including those that extended a file (packets
			       * that matched within one watch flush count once) */
	uint64_t files;	      /* files completed */
	uint64_t removed;     /* files removed by the directory bound */
	uint64_t failed;      /* files not started, or cut by an error or the size bound */
	bool saving;	      /* a file is being written */
	char last_file[256];  /* the name (in dir) of the last file completed, "" none */
	char last_error[256]; /* what went wrong last, "" nothing */
};

/** ft_trigger_get_stats - fill @st for @tr. Any thread. */
FT_EXPORT void ft_trigger_get_stats(struct ft_trigger *tr, struct ft_trigger_stats *st);

/**
 * ft_tap_trigger_stats - fill @st for the trigger on @t. Any thread.
 * Returns 0 or -ENOENT (no trigger on @t).
 */
FT_EXPORT int ft_tap_trigger_stats(struct ft_tap *t, struct ft_trigger_stats *st);

/**
 * ft_trigger_free - stop @tr: a file being written is completed now (what
 * it holds so far, renamed and counted), then everything is freed. NULL
 * ok. Any thread, not a hook or a callback of the trigger.
 */
FT_EXPORT void ft_trigger_free(struct ft_trigger *tr);

#ifdef __cplusplus
}
#endif
#endif
