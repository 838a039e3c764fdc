/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: a trigger's files: naming, writing, completing, the directory bound. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <flowtap/writer.h>

#include "trigger_int.h"

/* Files of one tap looked at by the directory bound: more are left alone
 * (and logged), so a directory filled by something else cannot make the
 * bound's work or memory grow without limit. */
#define DIR_SCAN_MAX 20000

/* The session's output: the file, refused past the size bound. On the
 * file session's thread; the trigger's thread reads f after joining it. */
static int file_out(void *ctx, const void *data, size_t len)
{
	struct ft_trig_file *f = ctx;
	int ret;

	if (f->bytes + len > f->max_bytes) {
		f->cut = true;
		return -EFBIG;
	}
	ret = ft_output_fd((void *)(intptr_t)f->fd, data, len);
	if (ret == 0)
		f->bytes += len;
	return ret;
}

/* DIR/.PREFIXSTAMP-SEQ.pcapng.part and DIR/PREFIXSTAMP-SEQ.pcapng. */
static int name_file(struct ft_trigger *tr, struct ft_trig_file *f)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	n = snprintf(f->final, sizeof(f->final), "%s/%s%s-%04u.pcapng", tr->dir, tr->prefix, stamp,
		     ++tr->seq % 10000);
	if (n < 0 || (size_t)n >= sizeof(f->final))
		return -ENAMETOOLONG;
	f->name = f->final + strlen(tr->dir) + 1;
	n = snprintf(f->part, sizeof(f->part), "%s/.%s.part", tr->dir, f->name);
	if (n < 0 || (size_t)n >= sizeof(f->part))
		return -ENAMETOOLONG;
	return 0;
}

static int open_session(struct ft_trigger *tr, struct ft_trig_file *f, const char *why, char *err,
			size_t errlen)
{
	struct ft_session_opts so;
	char comment[FT_TRIG_WHY_MAX + 200];
	int ret;

	snprintf(comment, sizeof(comment),
		 "flowtap trigger: %s; saves %llu.%03llu s before it and %llu.%03llu s after", why,
		 (unsigned long long)(tr->o.before_ms / 1000),
		 (unsigned long long)(tr->o.before_ms % 1000),
		 (unsigned long long)(tr->o.after_ms / 1000),
		 (unsigned long long)(tr->o.after_ms % 1000));
	ft_session_opts_init(&so);
	so.format = FT_FORMAT_PCAPNG;
	so.since_ms = tr->o.before_ms;
	so.comment = comment;
	so.out = file_out;
	so.out_ctx = f;
	so.on_end = ft__trig_on_file_end;
	so.on_end_ctx = tr;
	/* Two history copies at most live in a process (capture.h): wait a
	 * little for one to end rather than lose the event. */
	for (int tries = 0; tries < 50; tries++) {
		ret = ft_session_start(&f->s, tr->tap, &so, err, errlen);
		if (ret != -EBUSY)
			break;
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	return ret;
}

int ft__trig_file_start(struct ft_trigger *tr, const char *why, uint64_t now_ns)
{
	struct ft_trig_file *f = &tr->file;
	char err[FT_ERRBUF_SIZE] = "";
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->max_bytes = tr->o.max_bytes;
	if ((ret = name_file(tr, f)) < 0)
		goto fail;
	f->fd = open(f->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (f->fd < 0) {
		ret = -errno;
		goto fail;
	}
	if ((ret = open_session(tr, f, why, err, sizeof(err))) < 0)
		goto fail;
	f->deadline_ns = now_ns + tr->o.after_ms * 1000000u;
	f->hard_deadline_ns = now_ns + FT_TRIG_EXTEND_FACTOR * tr->o.after_ms * 1000000u;
	ft__trig_log(tr, LOG_INFO, "trigger on tap '%s' (%s): saving %s", ft_tap_name(tr->tap), why,
		     f->name);
	return 0;
fail:
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->part);
	}
	f->fd = -1;
	f->s = NULL;
	char msg[512];
	snprintf(msg, sizeof(msg), "cannot save the recorder of tap '%s' (%s): %s%s%s",
		 ft_tap_name(tr->tap), why, ft_strerror(ret), *err ? ": " : "", err);
	ft__trig_log(tr, LOG_WARNING, "%s", msg);
	ft__trig_count(tr, 0, 0, 1, NULL, msg);
	return ret;
}

void ft__trig_file_finish(struct ft_trigger *tr)
{
	struct ft_trig_file *f = &tr->file;
	struct ft_session_stats st;
	struct ft_session_history h = {0};
	char msg[512] = "";
	int ret;

	ft_session_stop(f->s, &st);
	ft_session_history(f->s, &h);
	ft_session_free(f->s);
	f->s = NULL;
	ret = close(f->fd) < 0 ? -errno : 0;
	f->fd = -1;
	if (!ret && rename(f->part, f->final) < 0)
		ret = -errno;
	if (f->cut)
		snprintf(msg, sizeof(msg), "%s cut at the size bound (%llu bytes)", f->name,
			 (unsigned long long)f->max_bytes);
	else if (st.error || ret)
		snprintf(msg, sizeof(msg), "%s ended early: %s", f->name,
			 ft_strerror(st.error ? st.error : ret));
	ft__trig_log(tr, *msg ? LOG_WARNING : LOG_INFO,
		     "trigger on tap '%s': saved %s (%llu packets, %llu of them from before the "
		     "first event; %u events)%s%s",
		     ft_tap_name(tr->tap), f->name, (unsigned long long)st.written,
		     (unsigned long long)h.packets, f->events, *msg ? "; " : "", msg);
	ft__trig_count(tr, ret ? 0 : 1, 0, *msg ? 1 : 0, ret ? NULL : f->name, *msg ? msg : NULL);
}

/* A file of this tap in the directory. */
struct dirent_ours {
	char *name;
	uint64_t size;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dirent_ours *)a)->name, ((const struct dirent_ours *)b)->name);
}

static bool ours(const struct ft_trigger *tr, const char *name, const char *suffix)
{
	size_t n = strlen(name), np = strlen(tr->prefix), ns = strlen(suffix);
	return n > np + ns && !strncmp(name, tr->prefix, np) && !strcmp(name + n - ns, suffix);
}

/* The files of this tap, oldest first (their names sort by time). */
static size_t scan(struct ft_trigger *tr, struct dirent_ours **out)
{
	DIR *d = opendir(tr->dir);
	struct dirent *e;
	size_t n = 0, cap = 0;
	struct dirent_ours *v = NULL;

	*out = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < DIR_SCAN_MAX) {
		struct stat sb;
		if (!ours(tr, e->d_name, ".pcapng") ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct dirent_ours *nv = realloc(v, nc * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			cap = nc;
		}
		if (!(v[n].name = strdup(e->d_name)))
			break;
		v[n++].size = (uint64_t)sb.st_size;
	}
	closedir(d);
	if (n) /* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	return n;
}

void ft__trig_dir_bound(struct ft_trigger *tr)
{
	struct dirent_ours *v;
	size_t n = scan(tr, &v), first = 0;
	uint64_t total = 0;
	uint64_t removed = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i].size;
	/* The newest stays even alone over the bound (it was cut to it). */
	while (n - first > 1 && (n - first > tr->o.max_files || total > tr->o.max_bytes)) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", tr->dir, v[first].name);
		if (unlink(path) == 0) {
			removed++;
			ft__trig_log(
			    tr, LOG_INFO,
			    "trigger on tap '%s': removed %s (%llu bytes) to keep %u files, "
			    "%llu bytes",
			    ft_tap_name(tr->tap), v[first].name, (unsigned long long)v[first].size,
			    tr->o.max_files, (unsigned long long)tr->o.max_bytes);
		} else {
			ft__trig_log(tr, LOG_WARNING, "trigger on tap '%s': cannot remove %s: %s",
				     ft_tap_name(tr->tap), v[first].name, strerror(errno));
		}
		total -= v[first].size;
		first++;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	if (removed)
		ft__trig_count(tr, 0, removed, 0, NULL, NULL);
}

int ft__trig_dir_recover(struct ft_trigger *tr)
{
	DIR *d = opendir(tr->dir);
	struct dirent *e;
	unsigned kept = 0;

	if (!d)
		return -errno;
	/* ".flowtap-TAP-....pcapng.part": a file a crash did not complete. */
	while ((e = readdir(d)) && kept < DIR_SCAN_MAX) {
		char from[PATH_MAX], to[PATH_MAX];
		const char *name = e->d_name + 1;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] != '.' || n < 6 || strcmp(e->d_name + n - 5, ".part") ||
		    strncmp(name, tr->prefix, strlen(tr->prefix)))
			continue;
		snprintf(from, sizeof(from), "%s/%s", tr->dir, e->d_name);
		snprintf(to, sizeof(to), "%s/%.*s", tr->dir, (int)(n - 6), name);
		if (rename(from, to) == 0) {
			kept++;
			ft__trig_log(tr, LOG_WARNING,
				     "trigger on tap '%s': kept %.*s, left incomplete by a stop",
				     ft_tap_name(tr->tap), (int)(n - 6), name);
		}
	}
	closedir(d);
	return (int)kept;
}
