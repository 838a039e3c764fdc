/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flow-log sink: NDJSON batches POSTed with libcurl, spooled on disk.
 *
 * The logger's thread only appends: it writes each message (or each
 * message's records) to a spool file (write to a temporary name, then
 * rename, so a crash never leaves half a message under a real name) and
 * queues its name. A worker thread seals the oldest messages into a batch
 * once they are enough (batch_max, batch_bytes) or old enough
 * (batch_wait_ms), POSTs it and deletes it once the collector answered 2xx.
 * Failures back off exponentially. Files are named <ns>-<sequence>.ndjson,
 * the ns strictly increasing (the wall clock, or the last name + 1), so
 * that, after a restart, the scan of the directory sends them in their
 * original order.
 *
 * A sealed batch is one file, <stem of its newest message>.<count>.batch,
 * written before its messages' files are deleted, and is POSTed byte for
 * byte until accepted, also by a later run: a collector that deduplicates
 * inserts by content (ClickHouse's replicated tables) then drops a repeat.
 * A crash between the two leaves messages that the batch already holds;
 * the scan deletes every message file not newer than a batch.
 *
 * The spool is bounded in messages and bytes; beyond it the oldest batch or
 * message not being sent is dropped, counted and logged.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fd_write.h"
#include "sink.h"
#include "thread.h"
#include "url.h"

struct item {
	char *name; /* file name in the spool directory, or NULL */
	char *data; /* the line, for the in-memory queue */
	size_t len;
	unsigned nmsgs;	    /* messages it holds (a sealed batch: several) */
	bool sealed;	    /* a batch: sent as it is */
	uint64_t queued_ms; /* monotonic; 0 for what an earlier run left */
	struct item *next;
};

struct sink_http {
	struct ft__sink base;
	char *url;   /* as given: may hold a password (user:password@host) */
	char *shown; /* @url for messages, without its user and password (status
		      * shows the last error to every user of the API socket) */
	char *dir;
	int lock_fd;
	struct ft_http_sink_opts o;
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head, **tail;
	size_t nitems;
	size_t nmsgs; /* messages in the queue, for the bound */
	uint64_t bytes;
	size_t inflight; /* items at the head being sent; never dropped */
	bool stop;
	uint64_t fileseq;
	uint64_t last_ns; /* the newest spool name's ns */
	bool failing;
	struct ft_http_sink_opts user_o; /* as given; o adds the defaults */
	bool keep_rejected;		 /* records: a 4xx keeps the batch */
	char last_why[512];		 /* the last error logged */
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
	h->nmsgs += it->nmsgs;
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
	h->nmsgs -= it->nmsgs;
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
	while (h->nmsgs > h->o.spool_max_files || h->bytes > h->o.spool_max_bytes) {
		struct item *it = unlink_oldest_idle(h);
		char p[4096];
		if (!it)
			break;
		if (it->name) {
			path_of(h, it->name, p, sizeof(p));
			unlink(p);
		}
		char what[48] = "message";
		if (it->sealed)
			snprintf(what, sizeof(what), "batch of %u messages", it->nmsgs);
		FT__COUNT(&h->base, http_dropped, it->nmsgs);
		ft__sink_logf(&h->base, LOG_WARNING,
			      "flow log: HTTP spool full (%u messages, %llu bytes max), dropped "
			      "the oldest %s%s%s",
			      h->o.spool_max_files, (unsigned long long)h->o.spool_max_bytes, what,
			      it->name ? " " : "", it->name ? it->name : "");
		item_free(it);
	}
}

static uint64_t mono_ms(void)
{
	return ft__mono_ns() / 1000000u;
}

static struct timespec mono_at(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000u),
			      .tv_nsec = (long)(ms % 1000u) * 1000000L};
	return ts;
}

static int spool_write(struct sink_http *h, const char *json, size_t len, char **name_out)
{
	char name[64], tmp[4096], fin[4096];
	int fd, ret = 0;

	uint64_t ns = ft__now_ns();
	/* Strictly increasing, so that name order is queue order even when
	 * the wall clock steps back (the scan relies on it). */
	h->last_ns = ns > h->last_ns ? ns : h->last_ns + 1;
	snprintf(name, sizeof(name), "%020llu-%08llu.ndjson", (unsigned long long)h->last_ns,
		 (unsigned long long)(h->fileseq++ % 100000000u));
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", h->dir, name);
	path_of(h, name, fin, sizeof(fin));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct iovec iov[2] = {{(void *)json, len}, {(void *)"\n", 1}};
	ret = ft__output_fdv(fd, iov, 2);
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
	it->nmsgs = 1;
	it->queued_ms = mono_ms();
	if (h->dir) {
		int r = spool_write(h, json, len, &it->name);
		if (r < 0) {
			ft__sink_logf(s, LOG_ERR, "flow log: cannot write spool file in '%s': %s",
				      h->dir, ft_strerror(r));
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
	FT__COUNT(s, http_dropped, 1);
}

/* The start of an error answer's body: the collector's message. */
struct answer {
	char text[400];
	size_t len;
};

static size_t keep_answer(char *p, size_t sz, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t k = sizeof(a->text) - 1 - a->len;
	k = k < sz * n ? k : sz * n;
	memcpy(a->text + a->len, p, k);
	a->len += k;
	a->text[a->len] = '\0';
	return sz * n;
}

/* Reads @it's bytes into @body at *@blen (grown); a spool file that
 * vanished adds nothing. */
static int append_item(struct sink_http *h, const struct item *it, char **body, size_t *blen,
		       size_t *bcap)
{
	char p[4096];
	size_t n = it->len;
	FILE *f = NULL;

	if (*blen + n + 1 > *bcap) {
		size_t nc = (*blen + n + 1) * 2;
		char *nb = realloc(*body, nc);
		if (!nb)
			return -ENOMEM;
		*body = nb;
		*bcap = nc;
	}
	if (!it->name) {
		memcpy(*body + *blen, it->data, n);
	} else {
		path_of(h, it->name, p, sizeof(p));
		if (!(f = fopen(p, "re")))
			return 0;
		n = fread(*body + *blen, 1, it->len, f);
		fclose(f);
	}
	*blen += n;
	return 0;
}

/* The collector's answer as one line: "HTTP status N: message". */
static void fmt_why(char *why, size_t whylen, long code, struct answer *a)
{
	/* One line of printable ASCII: it goes to logs and into status JSON. */
	for (size_t i = 0; i < a->len; i++)
		if (a->text[i] == '\n' || a->text[i] == '\r' || a->text[i] == '\t')
			a->text[i] = ' ';
		else if ((unsigned char)a->text[i] < 0x20 || (unsigned char)a->text[i] >= 0x7f)
			a->text[i] = '?';
	while (a->len && a->text[a->len - 1] == ' ')
		a->text[--a->len] = '\0';
	snprintf(why, whylen, "HTTP status %ld%s%s", code, a->len ? ": " : "", a->text);
}

/* POSTs @body; returns 0 (accepted), 1 (retry later) or 2 (rejected). */
static int post(struct sink_http *h, CURL *c, const char *body, size_t len, long timeout_ms,
		char *why, size_t whylen)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	struct answer ans = {.len = 0};
	long code = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return 0;
	fmt_why(why, whylen, code, &ans);
	if (code == 429 || code >= 500 || code < 200)
		return 1;
	return 2;
}

/* Removes the sealed batch at the head (mu held). */
static void finish_batch(struct sink_http *h)
{
	char p[4096];
	struct item *it = h->head;
	h->inflight = 0;
	if (!it)
		return;
	h->head = it->next;
	if (!h->head)
		h->tail = &h->head;
	h->nitems--;
	h->nmsgs -= it->nmsgs;
	h->bytes -= it->len;
	if (it->name) {
		path_of(h, it->name, p, sizeof(p));
		unlink(p);
	}
	item_free(it);
}

/* Waits until @dl; while not stopping, a stop request cuts the wait short. */
static void wait_until(struct sink_http *h, const struct timespec *dl, bool draining)
{
	int rc = 0;
	while ((draining || !h->stop) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&h->cv, &h->mu, dl);
}

/* How many head items the next batch takes (mu held). */
static size_t batch_count(const struct sink_http *h)
{
	size_t k = 0;
	uint64_t bytes = 0;
	if (h->head && h->head->sealed)
		return 1;
	for (const struct item *it = h->head; it && !it->sealed && k < h->o.batch_max;
	     it = it->next) {
		if (k && bytes + it->len > h->o.batch_bytes)
			break;
		bytes += it->len;
		k++;
	}
	return k;
}

/* Whether the head can be sealed now; otherwise *@ready_ms is when (mu held). */
static bool batch_ready(const struct sink_http *h, uint64_t *ready_ms)
{
	const struct item *it = h->head;
	if (!it || it->sealed || h->stop)
		return true;
	if (h->nmsgs >= h->o.batch_max || h->bytes >= h->o.batch_bytes)
		return true;
	*ready_ms = it->queued_ms + h->o.batch_wait_ms;
	return !it->queued_ms || mono_ms() >= *ready_ms;
}

/*
 * Seals the @k head items (in flight, so nobody else frees them) into one
 * batch whose bytes are in @body: written as a file before the messages'
 * files go, then put in their place in the queue. Returns 0 or -errno (the
 * items stay as they were).
 */
static int seal(struct sink_http *h, size_t k, char *body, size_t blen)
{
	struct item *first = h->head, *last = first, *b;
	char name[96], tmp[4096], fin[4096], p[4096];
	unsigned nmsgs = first->nmsgs;
	int ret = 0;

	for (size_t i = 1; i < k; i++) {
		last = last->next;
		nmsgs += last->nmsgs;
	}
	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	b->len = blen;
	b->nmsgs = nmsgs;
	b->sealed = true;
	if (h->dir) {
		/* Named after its newest message, so it sorts where they were. */
		snprintf(name, sizeof(name), "%.29s.%u.batch", last->name, nmsgs);
		snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", h->dir, name);
		path_of(h, name, fin, sizeof(fin));
		if (k == 1) {
			path_of(h, first->name, p, sizeof(p));
			ret = rename(p, fin) < 0 ? -errno : 0;
		} else {
			int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			struct iovec iov = {body, blen};
			ret = fd < 0 ? -errno : ft__output_fdv(fd, &iov, 1);
			if (!ret && fsync(fd) < 0)
				ret = -errno;
			if (fd >= 0 && close(fd) < 0 && !ret)
				ret = -errno;
			if (!ret && rename(tmp, fin) < 0)
				ret = -errno;
			if (ret)
				unlink(tmp);
		}
		if (!ret && !(b->name = strdup(name)))
			ret = -ENOMEM;
	} else if (!(b->data = malloc(blen ? blen : 1))) {
		ret = -ENOMEM;
	} else {
		memcpy(b->data, body, blen);
	}
	if (ret) {
		item_free(b);
		return ret;
	}
	pthread_mutex_lock(&h->mu);
	b->next = last->next;
	if (h->tail == &last->next)
		h->tail = &b->next;
	h->head = b;
	h->nitems -= k - 1;
	/* The batch is on disk: its messages' files can go (a single one was
	 * renamed, so its old name is gone already). */
	for (struct item *it = first, *nx; k--; it = nx) {
		nx = it->next;
		h->bytes -= it->len;
		if (it->name) {
			path_of(h, it->name, p, sizeof(p));
			unlink(p);
		}
		item_free(it);
	}
	h->bytes += b->len;
	h->inflight = 1;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

/* Takes the head batch's bytes into @body, sealing it first if needed. */
static int load_batch(struct sink_http *h, char **body, size_t *blen)
{
	size_t bcap = 0, k;
	struct item *it;
	int ret = 0;

	pthread_mutex_lock(&h->mu);
	k = batch_count(h);
	h->inflight = k;
	it = h->head;
	pthread_mutex_unlock(&h->mu);
	/* In-flight items are never dropped or freed by others: safe unlocked.
	 * The last one's link may be written by a concurrent push or drop:
	 * only links between in-flight items are followed. */
	for (size_t i = 0; i < k && it && !ret; i++) {
		ret = append_item(h, it, body, blen, &bcap);
		if (i + 1 < k)
			it = it->next;
	}
	if (!ret && k && !h->head->sealed)
		ret = seal(h, k, *body, *blen);
	if (ret && k > 1) {
		/* Sealing several messages writes a new file; on a full disk it
		 * cannot, and nothing would ever be delivered to make room. One
		 * message is sealed by a rename, which needs no space. */
		*blen = 0;
		pthread_mutex_lock(&h->mu);
		h->inflight = 1;
		it = h->head;
		pthread_mutex_unlock(&h->mu);
		ret = append_item(h, it, body, blen, &bcap);
		if (!ret)
			ret = seal(h, 1, *body, *blen);
	}
	if (ret) {
		pthread_mutex_lock(&h->mu);
		h->inflight = 0;
		pthread_mutex_unlock(&h->mu);
	}
	return ret;
}

/* Logs @why unless it was the last error logged (mu held). */
static bool new_error(struct sink_http *h, const char *why)
{
	char full[640];
	snprintf(full, sizeof(full), "%s: %s", h->shown, why);
	ft__sink_http_error(&h->base, full);
	if (!strcmp(h->last_why, why))
		return false;
	snprintf(h->last_why, sizeof(h->last_why), "%s", why);
	return true;
}

/* One batch: returns the POST verdict (see post()), or -errno. */
static int send_batch(struct sink_http *h, CURL *c)
{
	char *body = NULL, why[512] = "";
	size_t blen = 0;
	int ret = load_batch(h, &body, &blen);

	if (ret < 0) {
		pthread_mutex_lock(&h->mu);
		if (new_error(h, ft_strerror(ret)))
			ft__sink_logf(&h->base, LOG_ERR,
				      "flow log: cannot prepare a batch for %s: %s", h->shown,
				      ft_strerror(ret));
		pthread_mutex_unlock(&h->mu);
		free(body);
		return ret;
	}
	pthread_mutex_lock(&h->mu);
	long timeout_ms = (long)h->o.timeout_ms;
	pthread_mutex_unlock(&h->mu);
	ret = post(h, c, body ? body : "", blen, timeout_ms, why, sizeof(why));
	free(body);
	pthread_mutex_lock(&h->mu);
	unsigned n = h->head ? h->head->nmsgs : 0;
	if (ret == 0) {
		FT__COUNT(&h->base, http_sent, n);
		if (h->failing)
			ft__sink_logf(&h->base, LOG_NOTICE,
				      "flow log: collector %s reachable again", h->shown);
		h->failing = false;
		h->last_why[0] = '\0';
		ft__sink_http_error(&h->base, "");
		finish_batch(h);
	} else if (ret == 2 && !h->keep_rejected) {
		FT__COUNT(&h->base, http_dropped, n);
		new_error(h, why);
		ft__sink_logf(&h->base, LOG_ERR,
			      "flow log: collector %s rejected %u messages (%s); dropped", h->shown,
			      n, why);
		finish_batch(h);
	} else {
		FT__COUNT(&h->base, http_retries, 1);
		if (new_error(h, why))
			ft__sink_logf(&h->base, ret == 2 ? LOG_ERR : LOG_WARNING,
				      ret == 2 ? "flow log: collector %s rejected a batch (%s); "
						 "kept in the spool, retrying with backoff"
					       : "flow log: cannot POST to %s: %s; retrying with "
						 "backoff",
				      h->shown, why);
		h->failing = true;
		h->inflight = 0;
		ret = 1;
	}
	pthread_mutex_unlock(&h->mu);
	return ret;
}

static void *worker(void *arg)
{
	struct sink_http *h = arg;
	CURL *c = curl_easy_init();
	unsigned backoff = 0;
	struct timespec drain_dl = {0, 0};
	bool draining = false;
	uint64_t ready_ms = 0;

	if (!c) {
		ft__sink_logf(&h->base, LOG_ERR, "flow log: cannot initialise libcurl");
		return NULL;
	}
	pthread_mutex_lock(&h->mu);
	backoff = h->o.retry_min_ms;
	for (;;) {
		while (!h->nitems && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stop && !draining) {
			draining = true;
			drain_dl = ft__mono_deadline(h->o.drain_ms);
		}
		if (!h->nitems || (draining && ft__mono_passed(&drain_dl)))
			break;
		if (!batch_ready(h, &ready_ms)) {
			/* A push or a stop wakes us to check again. */
			struct timespec dl = mono_at(ready_ms);
			pthread_cond_timedwait(&h->cv, &h->mu, &dl);
			continue;
		}
		pthread_mutex_unlock(&h->mu);
		int r = send_batch(h, c);
		pthread_mutex_lock(&h->mu);
		if (r == 0 || r == 2) {
			backoff = h->o.retry_min_ms;
			continue;
		}
		struct timespec dl = ft__mono_deadline(backoff);
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
	if (!h->dir && h->nitems && s->host)
		ft__sink_logf(s, LOG_WARNING,
			      "flow log: %zu messages for %s not delivered (no spool directory)",
			      h->nitems, h->shown);
	while (h->head) {
		struct item *it = h->head;
		h->head = it->next;
		item_free(it);
	}
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	if (h->url)
		explicit_bzero(h->url, strlen(h->url)); /* its password */
	free(h->url);
	free(h->shown);
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
	int ret = ft__thread_start(&h->thr, worker, h);
	if (!ret)
		h->thr_started = true;
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t l = strlen(s), n = strlen(suf);
	return l > n && !strcmp(s + l - n, suf);
}

/* Queues what an earlier run left in the spool (@names, sorted), oldest
 * first; message files that a batch already holds are deleted. */
static int spool_queue(struct sink_http *h, char **names, size_t n)
{
	char newest_batch[32] = "";
	for (size_t i = 0; i < n; i++)
		if (has_suffix(names[i], ".batch"))
			snprintf(newest_batch, sizeof(newest_batch), "%.29s", names[i]);
	for (size_t i = 0; i < n; i++) {
		char p[4096];
		struct stat st;
		bool batch = has_suffix(names[i], ".batch");
		uint64_t ns = strtoull(names[i], NULL, 10);
		path_of(h, names[i], p, sizeof(p));
		h->last_ns = ns > h->last_ns ? ns : h->last_ns;
		if (!batch && strncmp(names[i], newest_batch, 29) <= 0) {
			unlink(p); /* sealed into a batch, then the run ended */
			continue;
		}
		struct item *it = calloc(1, sizeof(*it));
		if (!it)
			return -ENOMEM;
		it->name = names[i];
		names[i] = NULL;
		it->len = stat(p, &st) == 0 ? (size_t)st.st_size : 0;
		it->sealed = batch;
		it->nmsgs = batch ? (unsigned)strtoul(it->name + 30, NULL, 10) : 1;
		it->nmsgs = it->nmsgs ? it->nmsgs : 1;
		push(h, it);
	}
	return 0;
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
		/* A half-written message of a run that was killed: we hold the
		 * spool's lock, so nobody is writing it any more. */
		if (!strncmp(de->d_name, ".tmp-", 5))
			unlinkat(dirfd(d), de->d_name, 0);
		if (de->d_name[0] == '.' || strlen(de->d_name) < 30 ||
		    (!has_suffix(de->d_name, ".ndjson") && !has_suffix(de->d_name, ".batch")))
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
	ret = spool_queue(h, names, n);
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

/* The options given, with the defaults of format @f for the rest. */
static void resolve_opts(struct sink_http *h, enum ft_flow_format f)
{
	struct ft_http_sink_opts *o = &h->o;
	*o = h->user_o;
	if (!o->batch_max)
		o->batch_max = f == FT_FLOW_FORMAT_RECORDS ? 1000 : 64;
	if (!o->batch_bytes)
		o->batch_bytes = 8u << 20;
	if (!o->batch_wait_ms && f == FT_FLOW_FORMAT_RECORDS)
		o->batch_wait_ms = 1000;
	if (!o->retry_min_ms)
		o->retry_min_ms = 500;
	if (!o->retry_max_ms)
		o->retry_max_ms = 30000;
	if (o->retry_max_ms < o->retry_min_ms)
		o->retry_max_ms = o->retry_min_ms;
	if (!o->timeout_ms)
		o->timeout_ms = 10000;
	if (!o->spool_max_bytes)
		o->spool_max_bytes = 64u << 20;
	if (!o->spool_max_files)
		o->spool_max_files = 100000;
	if (!o->drain_ms)
		o->drain_ms = 2000;
}

/* Called with the logger's sink lock held, before any message (so before
 * the worker reads the options for a batch of this run's messages). */
static void http_set_format(struct ft__sink *s, enum ft_flow_format f)
{
	struct sink_http *h = (struct sink_http *)s;
	pthread_mutex_lock(&h->mu);
	resolve_opts(h, f);
	h->keep_rejected = f == FT_FLOW_FORMAT_RECORDS;
	pthread_mutex_unlock(&h->mu);
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
		h->user_o = *opts;
	ret = -EINVAL;
	if (h->user_o.format > FT_FLOW_FORMAT_RECORDS)
		goto fail;
	h->base.format = (uint8_t)h->user_o.format;
	http_set_format(&h->base, h->user_o.format);
	ret = -ENOMEM;
	if (!(h->url = strdup(url)) || !(h->shown = malloc(strlen(url) + 4)))
		goto fail;
	ft__url_redact(h->shown, strlen(url) + 4, url); /* "***" may be longer */
	if (spool_dir && (ret = spool_open(h, spool_dir)) < 0)
		goto fail;
	h->base.start = http_start;
	h->base.emit_json = http_emit;
	h->base.close = http_close;
	h->base.set_format = http_set_format;
	*out = &h->base;
	return 0;
fail:
	http_close(&h->base);
	return ret;
}
