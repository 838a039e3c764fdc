/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trigger_int.h - a recorder trigger's state (flowtap/trigger.h has the
 * design).
 *
 * Three kinds of threads meet here: whoever fires (a watch session's
 * thread, the program's event loop, any thread calling ft_trigger_fire()),
 * the trigger's own thread, which alone opens, extends and completes files,
 * and readers of the counters. They meet under mu: fire() only records the
 * event and signals cv; every file operation runs on the trigger's thread,
 * without mu held, so a firing thread never waits for a disk.
 */
#ifndef FT_TRIGGER_INT_H
#define FT_TRIGGER_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <flowtap/capture.h>
#include <flowtap/trigger.h>

#define FT_TRIG_WHY_MAX	      200
#define FT_TRIG_MAX_AFTER_MS  3600000u
#define FT_TRIG_EXTEND_FACTOR 10 /* a file ends at most this many after_ms past its first event */

/* A watch session (an expression or drop trigger) and what fires it. */
struct ft_trig_watch {
	struct ft_trigger *tr;
	struct ft_session *s;
	uint64_t bytes; /* written by its session so far (session thread only) */
	bool drops;	/* pcapng: the reason is read from the EPB comment */
	char why[FT_TRIG_WHY_MAX + 1];
};

/* The file being written; trigger thread only. */
struct ft_trig_file {
	struct ft_session *s;
	int fd;
	uint64_t bytes, max_bytes; /* written, and the size bound */
	bool cut;		   /* refused bytes past max_bytes */
	uint64_t deadline_ns;	   /* CLOCK_MONOTONIC: when it ends, extended by events */
	uint64_t hard_deadline_ns; /* never later than this */
	unsigned events;
	char part[PATH_MAX], final[PATH_MAX];
	const char *name; /* in final: the name within dir */
};

struct ft_trigger {
	struct ft_tap *tap;
	struct ft_trigger_opts o; /* dir and filter point to the copies below */
	char *dir, *filter;
	char prefix[96]; /* "flowtap-TAP-", TAP reduced to [A-Za-z0-9._-] */
	struct ft_trig_watch watch_filter, watch_drop;
	pthread_t thread;
	bool thread_started;
	struct ft_trig_file file;
	unsigned seq; /* files started, names their suffix */

	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	/* Under mu: */
	bool quit;
	bool session_ended; /* the file's session ended by itself (on_end) */
	unsigned pending;   /* events not yet taken by the thread */
	char why[FT_TRIG_WHY_MAX + 1];
	struct ft_trigger_stats st;
};

/* trigger_file.c, on the trigger's thread (start_file() returns 0 or -errno). */
int ft__trig_file_start(struct ft_trigger *tr, const char *why, uint64_t now_ns);
void ft__trig_file_finish(struct ft_trigger *tr);
void ft__trig_dir_bound(struct ft_trigger *tr);
int ft__trig_dir_recover(struct ft_trigger *tr);

/* trigger_watch.c: the expression and drop sessions (0, or an error with @err). */
int ft__trig_watch_start(struct ft_trigger *tr, char *err, size_t errlen);
void ft__trig_watch_stop(struct ft_trigger *tr);

/* trigger.c */
void ft__trig_on_file_end(struct ft_session *s, void *ctx);
void ft__trig_log(struct ft_trigger *tr, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ft__trig_count(struct ft_trigger *tr, uint64_t files, uint64_t removed, uint64_t failed,
		    const char *last_file, const char *error);

#endif
