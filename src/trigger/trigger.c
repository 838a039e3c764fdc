/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: recorder triggers: firing, the trigger's thread, start and stop. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "tap_internal.h"
#include "trigger_int.h"

void ft__trig_log(struct ft_trigger *tr, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!tr->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tr->o.log(tr->o.log_ctx, level, msg);
}

void ft__trig_count(struct ft_trigger *tr, uint64_t files, uint64_t removed, uint64_t failed,
		    const char *last_file, const char *error)
{
	pthread_mutex_lock(&tr->mu);
	tr->st.files += files;
	tr->st.removed += removed;
	tr->st.failed += failed;
	if (last_file)
		snprintf(tr->st.last_file, sizeof(tr->st.last_file), "%s", last_file);
	if (error)
		snprintf(tr->st.last_error, sizeof(tr->st.last_error), "%s", error);
	pthread_mutex_unlock(&tr->mu);
	if (files)
		ft_tap_recorder_count(tr->tap, 0, files);
}

FT_EXPORT int ft_trigger_fire(struct ft_trigger *tr, const char *why)
{
	pthread_mutex_lock(&tr->mu);
	/* The first event not yet taken names the file; later ones extend it. */
	if (!tr->pending++)
		snprintf(tr->why, sizeof(tr->why), "%s", why && *why ? why : "requested");
	tr->st.fired++;
	pthread_cond_signal(&tr->cv);
	pthread_mutex_unlock(&tr->mu);
	ft_tap_recorder_count(tr->tap, 1, 0);
	return 0;
}

/* The file's session ended by itself (size bound, disk error): wake the
 * thread to complete it. Called on that session's thread. */
void ft__trig_on_file_end(struct ft_session *s, void *ctx)
{
	struct ft_trigger *tr = ctx;
	(void)s;
	pthread_mutex_lock(&tr->mu);
	tr->session_ended = true;
	pthread_cond_signal(&tr->cv);
	pthread_mutex_unlock(&tr->mu);
}

/* Wait on cv until @deadline_ns (CLOCK_MONOTONIC; 0: no deadline). */
static void wait_until(struct ft_trigger *tr, uint64_t deadline_ns)
{
	struct timespec ts;

	if (!deadline_ns) {
		pthread_cond_wait(&tr->cv, &tr->mu);
		return;
	}
	ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
	ts.tv_nsec = (long)(deadline_ns % 1000000000u);
	pthread_cond_timedwait(&tr->cv, &tr->mu, &ts);
}

/* A new event while a file is open: push its end, within the hard bound. */
static void extend(struct ft_trigger *tr, unsigned events, uint64_t now)
{
	struct ft_trig_file *f = &tr->file;
	uint64_t end = now + tr->o.after_ms * 1000000u;

	if (end > f->hard_deadline_ns)
		end = f->hard_deadline_ns;
	if (end > f->deadline_ns)
		f->deadline_ns = end;
	f->events += events;
}

/* The trigger's thread: every file operation happens here (see trigger_int.h). */
static void *trigger_main(void *arg)
{
	struct ft_trigger *tr = arg;

	pthread_mutex_lock(&tr->mu);
	for (;;) {
		uint64_t now = ft__mono_ns();
		bool open = tr->file.s != NULL;

		if (tr->pending && !tr->quit) {
			char why[sizeof(tr->why)];
			unsigned events = tr->pending;

			memcpy(why, tr->why, sizeof(why));
			tr->pending = 0;
			if (open) {
				extend(tr, events, now);
				continue;
			}
			tr->session_ended = false;
			pthread_mutex_unlock(&tr->mu);
			/* Failures are counted and logged there; the next event tries again. */
			if (ft__trig_file_start(tr, why, now) == 0)
				tr->file.events = events;
			pthread_mutex_lock(&tr->mu);
			tr->st.saving = tr->file.s != NULL;
			continue;
		}
		if (open && (tr->quit || tr->session_ended || now >= tr->file.deadline_ns)) {
			pthread_mutex_unlock(&tr->mu);
			ft__trig_file_finish(tr);
			ft__trig_dir_bound(tr);
			pthread_mutex_lock(&tr->mu);
			tr->st.saving = false;
			continue;
		}
		if (tr->quit)
			break;
		wait_until(tr, open ? tr->file.deadline_ns : 0);
	}
	pthread_mutex_unlock(&tr->mu);
	return NULL;
}

FT_EXPORT int ft_tap_trigger_fire(struct ft_tap *t, const char *why)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&t->trig_mu);
	if (t->trigger)
		ret = ft_trigger_fire(t->trigger, why);
	pthread_mutex_unlock(&t->trig_mu);
	return ret;
}

FT_EXPORT void ft_trigger_get_stats(struct ft_trigger *tr, struct ft_trigger_stats *st)
{
	pthread_mutex_lock(&tr->mu);
	*st = tr->st;
	pthread_mutex_unlock(&tr->mu);
}

FT_EXPORT int ft_tap_trigger_stats(struct ft_tap *t, struct ft_trigger_stats *st)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&t->trig_mu);
	if (t->trigger) {
		ft_trigger_get_stats(t->trigger, st);
		ret = 0;
	}
	pthread_mutex_unlock(&t->trig_mu);
	return ret;
}

/* "flowtap-TAP-": tap names may hold any printable character. */
static void make_prefix(struct ft_trigger *tr)
{
	const char *name = ft_tap_name(tr->tap);
	size_t n = 0;

	n += (size_t)snprintf(tr->prefix, sizeof(tr->prefix), "flowtap-");
	for (const char *p = name; *p && n < sizeof(tr->prefix) - 2; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		tr->prefix[n++] = ok ? c : '_';
	}
	tr->prefix[n++] = '-';
	tr->prefix[n] = '\0';
}

/* The settings, their defaults and bounds; the directory must be writable. */
static int check_opts(struct ft_trigger *tr, const struct ft_trigger_opts *o, char *err,
		      size_t errlen)
{
	struct ft_recorder_stats rs;
	struct stat sb;

	ft_tap_recorder_stats(tr->tap, &rs);
	if (!rs.on) {
		snprintf(err, errlen, "tap '%s' has no flight recorder running",
			 ft_tap_name(tr->tap));
		return -ENOENT;
	}
	if (!o->dir || !*o->dir) {
		snprintf(err, errlen, "no directory for the trigger's files");
		return -EINVAL;
	}
	if (stat(o->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		int e = stat(o->dir, &sb) < 0 ? errno : ENOTDIR;
		snprintf(err, errlen, "trigger directory '%s': %s", o->dir, strerror(e));
		return -e;
	}
	if (access(o->dir, W_OK | X_OK) < 0) {
		int e = errno;
		snprintf(err, errlen, "trigger directory '%s': %s", o->dir, strerror(e));
		return -e;
	}
	tr->o.before_ms = o->before_ms ? o->before_ms : rs.max_age_ms;
	tr->o.after_ms = o->after_ms ? o->after_ms : 10000;
	tr->o.max_files = o->max_files ? o->max_files : 10;
	tr->o.max_bytes = o->max_bytes ? o->max_bytes : 1ull << 30;
	if (tr->o.before_ms > 86400000u || tr->o.after_ms > FT_TRIG_MAX_AFTER_MS ||
	    tr->o.max_files > 10000 || tr->o.max_bytes < (64u << 10)) {
		snprintf(err, errlen,
			 "trigger settings out of range (before up to 24h, after up to 1h, "
			 "up to 10000 files, at least 64K)");
		return -EINVAL;
	}
	return 0;
}

static int setup(struct ft_trigger *tr, const struct ft_trigger_opts *o, char *err, size_t errlen)
{
	int ret;

	tr->o = *o;
	tr->file.fd = -1;
	if ((ret = check_opts(tr, o, err, errlen)) < 0)
		return ret;
	tr->dir = strdup(o->dir);
	tr->filter = o->filter && *o->filter ? strdup(o->filter) : NULL;
	if (!tr->dir || (o->filter && *o->filter && !tr->filter))
		return -ENOMEM;
	tr->o.dir = tr->dir;
	tr->o.filter = tr->filter;
	make_prefix(tr);
	snprintf(tr->st.dir, sizeof(tr->st.dir), "%s", tr->dir);
	tr->st.before_ms = tr->o.before_ms;
	tr->st.after_ms = tr->o.after_ms;
	tr->st.max_files = tr->o.max_files;
	tr->st.max_bytes = tr->o.max_bytes;
	ft__trig_dir_recover(tr);
	ft__trig_dir_bound(tr);
	return 0;
}

static int init_sync(struct ft_trigger *tr)
{
	pthread_condattr_t ca;
	int ret;

	pthread_mutex_init(&tr->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&tr->cv, &ca);
	pthread_condattr_destroy(&ca);
	return -ret;
}

FT_EXPORT int ft_trigger_start(struct ft_trigger **out, struct ft_tap *t,
			       const struct ft_trigger_opts *o, char *err, size_t errlen)
{
	struct ft_trigger *tr = calloc(1, sizeof(*tr));
	int ret;

	*out = NULL;
	if (errlen)
		*err = '\0';
	if (!tr)
		return -ENOMEM;
	tr->tap = t;
	if ((ret = init_sync(tr)) < 0) {
		free(tr);
		return ret;
	}
	pthread_mutex_lock(&t->trig_mu);
	if (t->trigger) {
		pthread_mutex_unlock(&t->trig_mu);
		snprintf(err, errlen, "tap '%s' has a trigger already", ft_tap_name(t));
		ret = -EBUSY;
		goto fail_unregistered;
	}
	t->trigger = tr; /* reserves the tap; fire() only signals a thread not yet started */
	pthread_mutex_unlock(&t->trig_mu);
	if ((ret = setup(tr, o, err, errlen)) < 0)
		goto fail;
	ret = -pthread_create(&tr->thread, NULL, trigger_main, tr);
	if (ret < 0) {
		snprintf(err, errlen, "cannot start the trigger's thread");
		goto fail;
	}
	tr->thread_started = true;
	if ((ret = ft__trig_watch_start(tr, err, errlen)) < 0)
		goto fail;
	*out = tr;
	return 0;
fail:
	ft_trigger_free(tr);
	return ret;
fail_unregistered:
	pthread_cond_destroy(&tr->cv);
	pthread_mutex_destroy(&tr->mu);
	free(tr);
	return ret;
}

FT_EXPORT void ft_trigger_free(struct ft_trigger *tr)
{
	if (!tr)
		return;
	pthread_mutex_lock(&tr->tap->trig_mu);
	if (tr->tap->trigger == tr)
		tr->tap->trigger = NULL;
	pthread_mutex_unlock(&tr->tap->trig_mu);
	/* The watch sessions fire into tr: joined before the thread goes. */
	ft__trig_watch_stop(tr);
	if (tr->thread_started) {
		pthread_mutex_lock(&tr->mu);
		tr->quit = true;
		pthread_cond_signal(&tr->cv);
		pthread_mutex_unlock(&tr->mu);
		pthread_join(tr->thread, NULL);
	}
	pthread_cond_destroy(&tr->cv);
	pthread_mutex_destroy(&tr->mu);
	free(tr->dir);
	free(tr->filter);
	free(tr);
}
