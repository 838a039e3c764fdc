/* \summary: flow-log sink: NDJSON batches POSTed with libcurl, spooled on disk.
 *
 * The logger's thread only appends: it writes each message to a spool file
 * (write to a temporary name, then rename, so a crash never leaves half a
 * message under a real name) and queues its name. A worker thread POSTs the
 * oldest messages in batches and deletes their files once the collector
 * answered 2xx. Failures back off exponentially. Files are named
 * <wall-clock ns>-<sequence>.ndjson so that, after a restart, the scan of the
 * directory sends them in their original order. The spool is bounded in
 * messages and bytes; beyond it the oldest message not being sent is
 * dropped, counted and logged.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "flows_int.h"

struct item {
	char *name; /* file name in the spool directory, or NULL */
	char *data; /* the line, for the in-memory queue */
	size_t len;
	struct item *next;
};

struct sink_http {
	struct ft__sink base;
	char *url;
	char *dir;
	int lock_fd;
	struct ft_http_sink_opts o;
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head, **tail;
	size_t nitems;
	uint64_t bytes;
	size_t inflight; /* items at the head being sent; never dropped */
	bool stop;
	uint64_t fileseq;
	bool failing;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void item_free(struct item *it)
{
	free(it->name);
	free(it->data);
	free(it);
}

static void push(struct sink_http *h, struct item *it)
{
	it->next = NULL;
	*h->tail = it;
	h->tail = &it->next;
	h->nitems++;
	h->bytes += it->len;
}

/* Removes and returns the item after the in-flight ones (mu held). */
static struct item *unlink_oldest_idle(struct sink_http *h)
{
	struct item **pp = &h->head;
	for (size_t i = 0; i < h->inflight && *pp; i++)
		pp = &(*pp)->next;
	struct item *it = *pp;
	if (!it)
		return NULL;
	*pp = it->next;
	if (h->tail == &it->next)
		h->tail = pp;
	h->nitems--;
	h->bytes -= it->len;
	return it;
}

static void path_of(const struct sink_http *h, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", h->dir, name);
}

/* mu held. */
static void enforce_bound(struct sink_http *h)
{
	while (h->nitems > h->o.spool_max_files || h->bytes > h->o.spool_max_bytes) {
		struct item *it = unlink_oldest_idle(h);
		char p[4096];
		if (!it)
			break;
		if (it->name) {
			path_of(h, it->name, p, sizeof(p));
			unlink(p);
		}
		FT__COUNT(h->base.log, http_dropped, 1);
		ft__flowlog_logf(h->base.log, LOG_WARNING,
				 "flow log: HTTP spool full (%u messages, %llu bytes max), dropped "
				 "the oldest message%s%s",
				 h->o.spool_max_files, (unsigned long long)h->o.spool_max_bytes,
				 it->name ? " " : "", it->name ? it->name : "");
		item_free(it);
	}
}

static int spool_write(struct sink_http *h, const char *json, size_t len, char **name_out)
{
	char name[64], tmp[4096], fin[4096];
	int fd, ret = 0;

	snprintf(name, sizeof(name), "%020llu-%08llu.ndjson", (unsigned long long)ft__now_ns(),
		 (unsigned long long)(h->fileseq++ % 100000000u));
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", h->dir, name);
	path_of(h, name, fin, sizeof(fin));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		ret = errno ? -errno : -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, fin) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	*name_out = strdup(name);
	return *name_out ? 0 : -ENOMEM;
}

static void http_emit(struct ft__sink *s, const char *json, size_t len)
{
	struct sink_http *h = (struct sink_http *)s;
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		goto fail;
	it->len = len + 1;
	if (h->dir) {
		int r = spool_write(h, json, len, &it->name);
		if (r < 0) {
			ft__flowlog_logf(s->log, LOG_ERR,
					 "flow log: cannot write spool file in '%s': %s", h->dir,
					 ft_strerror(r));
			free(it);
			goto fail;
		}
	} else {
		it->data = malloc(len + 1);
		if (!it->data) {
			free(it);
			goto fail;
		}
		memcpy(it->data, json, len);
		it->data[len] = '\n';
	}
	pthread_mutex_lock(&h->mu);
	push(h, it);
	enforce_bound(h);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return;
fail:
	FT__COUNT(s->log, http_dropped, 1);
}

static size_t discard(char *p, size_t sz, size_t n, void *ctx)
{
	return sz * n;
}

/* Appends @it's line to @body; a spool file that vanished is skipped. */
static int append_item(struct sink_http *h, const struct item *it, char **body, size_t *blen,
		       size_t *bcap)
{
	char p[4096];
	const char *src = it->data;
	char *fbuf = NULL;
	size_t n = it->len;

	if (it->name) {
		path_of(h, it->name, p, sizeof(p));
		FILE *f = fopen(p, "re");
		if (!f)
			return 0;
		fbuf = malloc(it->len);
		n = fbuf ? fread(fbuf, 1, it->len, f) : 0;
		fclose(f);
		src = fbuf;
	}
	if (*blen + n > *bcap) {
		size_t nc = (*blen + n) * 2;
		char *nb = realloc(*body, nc);
		if (!nb) {
			free(fbuf);
			return -ENOMEM;
		}
		*body = nb;
		*bcap = nc;
	}
	if (n)
		memcpy(*body + *blen, src, n);
	*blen += n;
	free(fbuf);
	return 0;
}

/* POSTs @body; returns 0 (accepted), 1 (retry later) or 2 (rejected). */
static int post(struct sink_http *h, CURL *c, const char *body, size_t len, char *why,
		size_t whylen)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	long code = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	snprintf(why, whylen, "HTTP status %ld", code);
	if (code >= 200 && code < 300)
		return 0;
	if (code == 429 || code >= 500 || code < 200)
		return 1;
	return 2;
}

/* Removes the @k in-flight items (mu held). */
static void finish_batch(struct sink_http *h, size_t k)
{
	char p[4096];
	for (size_t i = 0; i < k && h->head; i++) {
		struct item *it = h->head;
		h->head = it->next;
		if (!h->head)
			h->tail = &h->head;
		h->nitems--;
		h->bytes -= it->len;
		if (it->name) {
			path_of(h, it->name, p, sizeof(p));
			unlink(p);
		}
		item_free(it);
	}
	h->inflight = 0;
}

/* Waits until @dl; while not stopping, a stop request cuts the wait short. */
static void wait_until(struct sink_http *h, const struct timespec *dl, bool draining)
{
	int rc = 0;
	while ((draining || !h->stop) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&h->cv, &h->mu, dl);
}

static struct timespec mono_after(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool mono_passed(const struct timespec *dl)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

/* One batch: returns the POST verdict (see post()), or -ENOMEM. */
static int send_batch(struct sink_http *h, CURL *c, size_t *k)
{
	char *body = NULL, why[256];
	size_t blen = 0, bcap = 0;
	struct item *it;
	int ret = 0;

	pthread_mutex_lock(&h->mu);
	*k = h->nitems < h->o.batch_max ? h->nitems : h->o.batch_max;
	h->inflight = *k;
	it = h->head;
	pthread_mutex_unlock(&h->mu);
	/* In-flight items are never dropped or freed by others: safe unlocked. */
	for (size_t i = 0; i < *k && it; i++) {
		if (append_item(h, it, &body, &blen, &bcap) < 0) {
			free(body);
			pthread_mutex_lock(&h->mu);
			h->inflight = 0;
			pthread_mutex_unlock(&h->mu);
			return -ENOMEM;
		}
		/* The last in-flight item's link may be written by a concurrent
		 * push or drop: only follow links between in-flight items. */
		if (i + 1 < *k)
			it = it->next;
	}
	if (blen)
		ret = post(h, c, body, blen, why, sizeof(why));
	free(body);
	pthread_mutex_lock(&h->mu);
	if (ret == 0) {
		FT__COUNT(h->base.log, http_sent, *k);
		if (h->failing)
			ft__flowlog_logf(h->base.log, LOG_NOTICE,
					 "flow log: collector %s reachable again", h->url);
		h->failing = false;
	} else if (ret == 2) {
		FT__COUNT(h->base.log, http_dropped, *k);
		ft__flowlog_logf(h->base.log, LOG_ERR,
				 "flow log: collector %s rejected %zu messages (%s); dropped",
				 h->url, *k, why);
	} else {
		FT__COUNT(h->base.log, http_retries, 1);
		if (!h->failing)
			ft__flowlog_logf(h->base.log, LOG_WARNING,
					 "flow log: cannot POST to %s: %s; retrying with backoff",
					 h->url, why);
		h->failing = true;
	}
	if (ret == 0 || ret == 2)
		finish_batch(h, *k);
	else
		h->inflight = 0;
	pthread_mutex_unlock(&h->mu);
	return ret;
}

static void *worker(void *arg)
{
	struct sink_http *h = arg;
	CURL *c = curl_easy_init();
	unsigned backoff = h->o.retry_min_ms;
	struct timespec drain_dl = {0, 0};
	bool draining = false;

	if (!c) {
		ft__flowlog_logf(h->base.log, LOG_ERR, "flow log: cannot initialise libcurl");
		return NULL;
	}
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->nitems && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stop && !draining) {
			draining = true;
			drain_dl = mono_after(h->o.drain_ms);
		}
		if (!h->nitems || (draining && mono_passed(&drain_dl)))
			break;
		pthread_mutex_unlock(&h->mu);
		size_t k;
		int r = send_batch(h, c, &k);
		pthread_mutex_lock(&h->mu);
		if (r == 0 || r == 2) {
			backoff = h->o.retry_min_ms;
			continue;
		}
		struct timespec dl = mono_after(backoff);
		if (draining && (dl.tv_sec > drain_dl.tv_sec ||
				 (dl.tv_sec == drain_dl.tv_sec && dl.tv_nsec > drain_dl.tv_nsec)))
			dl = drain_dl;
		wait_until(h, &dl, draining);
		backoff = backoff * 2 > h->o.retry_max_ms ? h->o.retry_max_ms : backoff * 2;
	}
	pthread_mutex_unlock(&h->mu);
	curl_easy_cleanup(c);
	return NULL;
}

static void http_close(struct ft__sink *s)
{
	struct sink_http *h = (struct sink_http *)s;
	if (h->thr_started) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thr, NULL);
	}
	if (!h->dir && h->nitems && s->log)
		ft__flowlog_logf(s->log, LOG_WARNING,
				 "flow log: %zu messages for %s not delivered (no spool directory)",
				 h->nitems, h->url);
	while (h->head) {
		struct item *it = h->head;
		h->head = it->next;
		item_free(it);
	}
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->url);
	free(h->dir);
	free(h);
}

/* Called once the sink is registered, so its thread can log and count. */
static int http_start(struct ft__sink *s)
{
	struct sink_http *h = (struct sink_http *)s;
	pthread_mutex_lock(&h->mu);
	enforce_bound(h);
	pthread_mutex_unlock(&h->mu);
	int ret = -pthread_create(&h->thr, NULL, worker, h);
	if (!ret)
		h->thr_started = true;
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Queues the messages an earlier run left in the spool, oldest first. */
static int spool_scan(struct sink_http *h)
{
	DIR *d = opendir(h->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		/* A half-written message of a run that was killed: we hold the
		 * spool's lock, so nobody is writing it any more. */
		if (!strncmp(de->d_name, ".tmp-", 5))
			unlinkat(dirfd(d), de->d_name, 0);
		if (de->d_name[0] == '.' || l < 8 || strcmp(de->d_name + l - 7, ".ndjson"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				ret = -ENOMEM;
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char p[4096];
		struct stat st;
		struct item *it = calloc(1, sizeof(*it));
		if (!it) {
			ret = -ENOMEM;
			goto out;
		}
		path_of(h, names[i], p, sizeof(p));
		it->name = names[i];
		names[i] = NULL;
		it->len = stat(p, &st) == 0 ? (size_t)st.st_size : 0;
		push(h, it);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

static int spool_open(struct sink_http *h, const char *dir)
{
	char p[4096];
	if (!(h->dir = strdup(dir)))
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* One writer per spool: a second process would send the same files. */
	snprintf(p, sizeof(p), "%s/.lock", dir);
	h->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (h->lock_fd < 0)
		return -errno;
	if (flock(h->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return spool_scan(h);
}

static int check_url(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ret = -EINVAL;
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (!strcmp(scheme, "http") || !strcmp(scheme, "https")))
		ret = 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}

int ft__sink_http_new(struct ft__sink **out, const char *url, const char *spool_dir,
		      const struct ft_http_sink_opts *opts)
{
	struct sink_http *h;
	int ret;

	pthread_once(&curl_once, curl_init_once);
	if (!url || check_url(url) < 0)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->lock_fd = -1;
	h->tail = &h->head;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (opts)
		h->o = *opts;
	if (!h->o.batch_max)
		h->o.batch_max = 64;
	if (!h->o.retry_min_ms)
		h->o.retry_min_ms = 500;
	if (!h->o.retry_max_ms)
		h->o.retry_max_ms = 30000;
	if (h->o.retry_max_ms < h->o.retry_min_ms)
		h->o.retry_max_ms = h->o.retry_min_ms;
	if (!h->o.timeout_ms)
		h->o.timeout_ms = 10000;
	if (!h->o.spool_max_bytes)
		h->o.spool_max_bytes = 64u << 20;
	if (!h->o.spool_max_files)
		h->o.spool_max_files = 100000;
	if (!h->o.drain_ms)
		h->o.drain_ms = 2000;
	ret = -ENOMEM;
	if (!(h->url = strdup(url)))
		goto fail;
	if (spool_dir && (ret = spool_open(h, spool_dir)) < 0)
		goto fail;
	h->base.start = http_start;
	h->base.emit_json = http_emit;
	h->base.close = http_close;
	*out = &h->base;
	return 0;
fail:
	http_close(&h->base);
	return ret;
}
