/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * source.c - capture source lifecycle: the thread that owns the kernel
 * sockets, opening them only while watched (or always for flow counting),
 * and the in-kernel filter kept equal to what the tap's sessions share.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "source.h"
#include "thread.h"

#define SOURCE_BUFSIZE_DEFAULT (32u << 20)
#define SOURCE_WAIT_MS	       2000
#define SOURCE_REFRESH_MS      500
#define SOURCE_RETRY_MS	       1000

FT_EXPORT void ft_source_opts_init(struct ft_source_opts *o)
{
	memset(o, 0, sizeof(*o));
}

FT_EXPORT const char *ft_source_kind_name(enum ft_source_kind k)
{
	switch (k) {
	case FT_SOURCE_AFPACKET:
		return "afpacket";
	case FT_SOURCE_NFLOG:
		return "nflog";
	case FT_SOURCE_PSAMPLE:
		return "psample";
	}
	return "unknown";
}

static inline void add_relaxed(_Atomic uint64_t *c, uint64_t n)
{
	/* Single writer: a load and a store, no locked instruction. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void ft__source_count(struct ft_source *s, uint64_t ts_ns, const uint8_t *ip, uint32_t caplen,
		      uint32_t len, enum ft_dir dir, uint32_t ifindex, uint32_t scale)
{
	add_relaxed(&s->received, 1);
	add_relaxed(&s->bytes, len);
	if (!s->o.on_packet || !ip)
		return;
	struct ft_source_pkt p = {
	    .ts_ns = ts_ns,
	    .ip = ip,
	    .caplen = caplen,
	    .len = len,
	    .dir = (uint8_t)dir,
	    .ifindex = ifindex,
	    .scale = scale ? scale : 1,
	};
	s->o.on_packet(s->o.on_packet_ctx, &p);
}

int ft__pcap_errno(int e)
{
	switch (e) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

static void set_error(struct ft_source *s, const char *msg)
{
	pthread_mutex_lock(&s->mu);
	snprintf(s->error, sizeof(s->error), "%s", msg);
	pthread_mutex_unlock(&s->mu);
}

/* Source thread: close the kernel sockets, keeping their drop counts. */
static void close_sockets(struct ft_source *s)
{
	s->ops->refresh(s);
	s->kdrops_closed += s->kdrops_now;
	s->kdrops_now = 0;
	s->ops->close(s);
	s->is_open = false;
	s->kfilter[0] = 0;
}

/* Source thread: bring the sockets and the kernel filter to what is wanted. */
static void reconcile(struct ft_source *s)
{
	bool want = s->o.on_packet != NULL || ft_tap_watched(s->tap);
	char expr[sizeof(s->kfilter)] = "";

	if (!want) {
		if (s->is_open)
			close_sockets(s);
		goto out;
	}
	if (!s->is_open) {
		char err[256] = "";
		if (s->ops->open(s, err, sizeof(err)) < 0) {
			/* E.g. the interface went away; retried on the next watch. */
			set_error(s, err[0] ? err : "cannot open");
			goto out;
		}
		set_error(s, "");
		s->is_open = true;
		add_relaxed(&s->opens, 1);
		s->filter_stale = true;
	}
	/* Flow counting needs every packet: then only sessions filter. */
	if (!s->o.on_packet && ft_tap_shared_filter(s->tap, expr, sizeof(expr)) != 1)
		expr[0] = 0;
	/* A source without a kernel filter (psample) shows none in status. */
	if (!s->ops->set_filter)
		expr[0] = 0;
	if (s->filter_stale || strcmp(expr, s->kfilter) != 0) {
		s->filter_stale = false;
		if (s->ops->set_filter && s->ops->set_filter(s, expr) < 0)
			expr[0] = 0;
		snprintf(s->kfilter, sizeof(s->kfilter), "%s", expr);
	}
out:
	atomic_store(&s->open_flag, s->is_open);
	pthread_mutex_lock(&s->mu);
	snprintf(s->kfilter_pub, sizeof(s->kfilter_pub), "%s", s->is_open ? s->kfilter : "");
	pthread_mutex_unlock(&s->mu);
}

/* The kernel socket died (e.g. the interface was deleted): close it. */
static void source_lost(struct ft_source *s, const char *msg)
{
	set_error(s, msg);
	close_sockets(s);
	atomic_store(&s->open_flag, false);
}

static uint64_t now_ms(void)
{
	return ft__mono_ns() / 1000000u;
}

/* Kernel drops and psample sequence gaps: into status and the tap's ISB count. */
static void publish_drops(struct ft_source *s)
{
	uint64_t kd = s->kdrops_closed + s->kdrops_now;
	uint64_t all = kd + atomic_load_explicit(&s->seq_gaps, memory_order_relaxed);

	atomic_store_explicit(&s->kdrops, kd, memory_order_relaxed);
	if (all > s->drops_published) {
		ft_tap_add_upstream_drops(s->tap, all - s->drops_published);
		s->drops_published = all;
	}
}

static void *source_thread(void *arg)
{
	struct ft_source *s = arg;
	uint64_t last_refresh = 0, last_retry = now_ms();
	char err[256];

	while (!atomic_load(&s->stop)) {
		pthread_mutex_lock(&s->mu);
		uint64_t gen = s->want_gen;
		pthread_mutex_unlock(&s->mu);
		if (gen != s->done_gen) {
			reconcile(s);
			pthread_mutex_lock(&s->mu);
			s->done_gen = gen;
			pthread_cond_broadcast(&s->cv);
			pthread_mutex_unlock(&s->mu);
		}

		struct pollfd pfd[FT_SOURCE_MAXFD + 1];
		int timeout = SOURCE_REFRESH_MS;
		unsigned skip = 0;
		if (s->is_open && s->ops->pending) {
			int want = -1;
			if (s->ops->pending(s, err, sizeof(err), &want, &skip) < 0)
				source_lost(s, err);
			else if (want >= 0 && want < timeout)
				timeout = want;
		}
		int n = s->is_open ? s->nfds : 0;
		for (int i = 0; i < n; i++)
			/* A negative fd is ignored by poll(): a ring whose next packet
			 * is held would only wake us up for nothing. */
			pfd[i] = (struct pollfd){.fd = (skip >> i) & 1 ? -1 : s->fds[i],
						 .events = POLLIN};
		pfd[n] = (struct pollfd){.fd = s->evfd, .events = POLLIN};
		int r = poll(pfd, (nfds_t)n + 1, timeout);
		if (r > 0 && (pfd[n].revents & POLLIN)) {
			uint64_t v;
			if (read(s->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
		}
		for (int i = 0; r > 0 && i < n && s->is_open; i++)
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				if (s->ops->dispatch(s, i, err, sizeof(err)) < 0)
					source_lost(s, err);

		/* A socket lost with the interface: try again, at most once a second. */
		uint64_t t = now_ms();
		if (!s->is_open && t - last_retry >= SOURCE_RETRY_MS) {
			reconcile(s);
			last_retry = t;
		}

		if (s->is_open && t - last_refresh >= SOURCE_REFRESH_MS) {
			s->ops->refresh(s);
			last_refresh = t;
		}
		publish_drops(s);
	}
	if (s->is_open) {
		s->ops->close(s);
		s->is_open = false;
	}
	return NULL;
}

/* Ask the thread to re-evaluate and wait (bounded) until it has. */
static void source_poke(struct ft_source *s, bool wait)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->mu);
	uint64_t gen = ++s->want_gen;
	if (write(s->evfd, &one, sizeof(one)) < 0) {
		/* The eventfd counter cannot overflow in practice; the poll timeout covers it. */
	}
	if (wait && s->thr_started && !pthread_equal(pthread_self(), s->thr)) {
		struct timespec dl = ft__deadline(CLOCK_REALTIME, SOURCE_WAIT_MS);
		while (s->done_gen < gen && !atomic_load(&s->stop))
			if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&s->mu);
}

static void on_watch(struct ft_tap *t, void *ctx)
{
	source_poke(ctx, true);
}

static int source_tap(struct ft_source *s, char *errbuf, size_t errlen)
{
	char name[80], path[32];
	int ret;

	if (s->o.kind == FT_SOURCE_AFPACKET) {
		snprintf(name, sizeof(name), "%s", s->ifname);
		snprintf(path, sizeof(path), "%.31s", s->ifname);
	} else {
		snprintf(name, sizeof(name), "%s:%u", ft_source_kind_name(s->o.kind), s->o.group);
		snprintf(path, sizeof(path), "%.8s-%u", ft_source_kind_name(s->o.kind), s->o.group);
	}
	/* Path names are [A-Za-z0-9_.-]; interface names may hold more. */
	for (char *c = path; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			*c = '_';
	ret = ft_tap_new_dlt(&s->tap, name, s->dlt);
	if (ret < 0) {
		snprintf(errbuf, errlen, "cannot create tap '%s': %s", name, ft_strerror(ret));
		return ret;
	}
	/* A kernel source offers on its one path only: status lists just it,
	 * and a capture of from-peer etc. is refused rather than empty. */
	ft_tap_set_builtin_paths(s->tap, false);
	if ((ret = ft_tap_path_register(s->tap, FT_SOURCE_PATH, path)) < 0)
		snprintf(errbuf, errlen, "cannot register path '%s': %s", path, ft_strerror(ret));
	return ret;
}

static int source_check(const struct ft_source_opts *o, char *errbuf, size_t errlen)
{
	if (o->kind == FT_SOURCE_AFPACKET &&
	    (!o->ifname || !*o->ifname || strlen(o->ifname) >= 64)) {
		snprintf(errbuf, errlen, "an interface name is required");
		return -EINVAL;
	}
	if (o->kind > FT_SOURCE_PSAMPLE) {
		snprintf(errbuf, errlen, "unknown source kind %d", (int)o->kind);
		return -EINVAL;
	}
	if (o->kind == FT_SOURCE_NFLOG && o->group > 65535) {
		snprintf(errbuf, errlen, "NFLOG group %u out of range (0-65535)", o->group);
		return -EINVAL;
	}
	return 0;
}

FT_EXPORT int ft_source_new(struct ft_source **out, const struct ft_source_opts *o, char *errbuf,
			    size_t errlen)
{
	char dummy[8];
	struct ft_source *s = NULL;
	int ret;

	if (!errbuf) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	*out = NULL;
	if ((ret = source_check(o, errbuf, errlen)) < 0)
		return ret;
	ret = -ENOMEM;
	if (!(s = calloc(1, sizeof(*s))))
		goto fail;
	s->o = *o;
	if (o->ifname)
		snprintf(s->ifname, sizeof(s->ifname), "%s", o->ifname);
	s->o.ifname = s->ifname;
	if (!s->o.buffer_size)
		s->o.buffer_size = SOURCE_BUFSIZE_DEFAULT;
	if (!s->o.snaplen)
		s->o.snaplen = 262144;
	s->ops = o->kind == FT_SOURCE_AFPACKET ? &ft__afpacket_ops
		 : o->kind == FT_SOURCE_NFLOG  ? &ft__nflog_ops
					       : &ft__psample_ops;
	s->evfd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);

	/* Open once now: errors (no interface, no permission, no psample) show here. */
	if ((ret = s->ops->open(s, errbuf, errlen)) < 0)
		goto fail;
	s->is_open = true;
	add_relaxed(&s->opens, 1);
	s->filter_stale = true;
	if ((ret = source_tap(s, errbuf, errlen)) < 0)
		goto fail;
	if ((s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		ret = -errno;
		snprintf(errbuf, errlen, "cannot create an eventfd: %s", strerror(errno));
		goto fail;
	}
	s->want_gen = 1; /* the thread reconciles first thing */
	if ((ret = ft__thread_start(&s->thr, source_thread, s)) < 0) {
		snprintf(errbuf, errlen, "cannot start source thread: %s", strerror(-ret));
		goto fail;
	}
	s->thr_started = true;
	ft_tap_set_watch(s->tap, on_watch, s);
	*out = s;
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(errbuf, errlen, "out of memory");
	ft_source_free(s);
	return ret;
}

FT_EXPORT void ft_source_free(struct ft_source *s)
{
	if (!s)
		return;
	if (s->tap)
		ft_tap_set_watch(s->tap, NULL, NULL);
	if (s->thr_started) {
		atomic_store(&s->stop, true);
		source_poke(s, false);
		pthread_join(s->thr, NULL);
	} else if (s->is_open) {
		s->ops->close(s);
	}
	/* Sessions stop with the tap; the sockets are closed, so no hook runs. */
	ft_tap_free(s->tap);
	if (s->evfd >= 0)
		close(s->evfd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->buf);
	free(s);
}

FT_EXPORT struct ft_tap *ft_source_tap(const struct ft_source *s)
{
	return s->tap;
}

FT_EXPORT void ft_source_get_stats(const struct ft_source *s, struct ft_source_stats *st)
{
	struct ft_source *m = (struct ft_source *)s; /* the mutex only */

	memset(st, 0, sizeof(*st));
	st->kind = s->o.kind;
	st->open = atomic_load(&s->open_flag);
	st->received = atomic_load_explicit(&s->received, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&s->bytes, memory_order_relaxed);
	st->kernel_drops = atomic_load_explicit(&s->kdrops, memory_order_relaxed);
	st->seq_gaps = atomic_load_explicit(&s->seq_gaps, memory_order_relaxed);
	st->skipped = atomic_load_explicit(&s->skipped, memory_order_relaxed);
	st->opens = atomic_load_explicit(&s->opens, memory_order_relaxed);
	pthread_mutex_lock(&m->mu);
	snprintf(st->kernel_filter, sizeof(st->kernel_filter), "%s", s->kfilter_pub);
	snprintf(st->error, sizeof(st->error), "%s", s->error);
	pthread_mutex_unlock(&m->mu);
}
