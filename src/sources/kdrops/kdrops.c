/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kdrops.c - the kernel drop source: its thread, which owns the BPF program
 * (loaded and attached only while wanted) and reads its ring buffer, and the
 * tap "drops" the packets go to.
 *
 * Threads: the watch callback (an API or session thread) only bumps a
 * generation under the mutex and waits until the source thread has acted
 * on it, so a session's first drops are not missed; everything BPF is
 * touched by the source thread alone.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "kdrops.h"
#include "kdrops_int.h"

#define KD_WAIT_MS    5000 /* a load takes ~100 ms; the verifier more on a busy box */
#define KD_REFRESH_MS 500
#define KD_POLL_MS    20 /* the program wakes us only for 64 KiB: read the rest this often */

static void set_error(struct ft_kdrops *k, const char *msg)
{
	pthread_mutex_lock(&k->mu);
	snprintf(k->error, sizeof(k->error), "%s", msg);
	pthread_mutex_unlock(&k->mu);
}

/* Source thread: attach or detach to match what is wanted. */
static void reconcile(struct ft_kdrops *k)
{
	bool want = k->o.on_packet != NULL || ft_tap_watched(k->tap);
	char err[256] = "";

	if (want && !k->bpf) {
		if (ft__kdrops_attach(k, err, sizeof(err)) < 0)
			set_error(k, err); /* e.g. privileges lost; retried on the next watch */
		else
			set_error(k, "");
	} else if (!want && k->bpf) {
		ft__kdrops_detach(k);
	}
}

static void *kd_thread(void *arg)
{
	struct ft_kdrops *k = arg;
	uint64_t last = 0;

	while (!atomic_load(&k->stop)) {
		pthread_mutex_lock(&k->mu);
		uint64_t gen = k->want_gen;
		pthread_mutex_unlock(&k->mu);
		if (gen != k->done_gen) {
			reconcile(k);
			pthread_mutex_lock(&k->mu);
			k->done_gen = gen;
			pthread_cond_broadcast(&k->cv);
			pthread_mutex_unlock(&k->mu);
		}
		struct pollfd p[2] = {{.fd = k->evfd, .events = POLLIN},
				      {.fd = ft__kdrops_fd(k), .events = POLLIN}};
		int r = poll(p, p[1].fd >= 0 ? 2 : 1, k->bpf ? KD_POLL_MS : KD_REFRESH_MS);
		if (r > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			if (read(k->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
		}
		if (k->bpf)
			ft__kdrops_consume(k);
		uint64_t t = ft__mono_ns() / 1000000u;
		if (k->bpf && t - last >= KD_REFRESH_MS) {
			ft__kdrops_refresh(k);
			last = t;
		}
	}
	if (k->bpf)
		ft__kdrops_detach(k);
	return NULL;
}

static void poke(struct ft_kdrops *k, bool wait)
{
	uint64_t one = 1;

	pthread_mutex_lock(&k->mu);
	uint64_t gen = ++k->want_gen;
	if (write(k->evfd, &one, sizeof(one)) < 0) {
		/* Cannot overflow in practice; the poll timeout covers it. */
	}
	if (wait && k->thr_started && !pthread_equal(pthread_self(), k->thr)) {
		struct timespec dl = ft__deadline(CLOCK_REALTIME, KD_WAIT_MS);
		while (k->done_gen < gen && !atomic_load(&k->stop))
			if (pthread_cond_timedwait(&k->cv, &k->mu, &dl) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&k->mu);
}

static void on_watch(struct ft_tap *t, void *ctx)
{
	poke(ctx, true);
}

static int make_tap(struct ft_kdrops *k, char *err, size_t errlen)
{
	int r = ft_tap_new(&k->tap, FT_KDROPS_TAP); /* DLT_RAW: IP from the network header */
	if (r < 0) {
		snprintf(err, errlen, "cannot create tap '%s': %s", FT_KDROPS_TAP, ft_strerror(r));
		return r;
	}
	ft_tap_set_builtin_paths(k->tap, false);
	if ((r = ft_tap_path_register(k->tap, FT_KDROPS_PATH_OTHER, "drops")) < 0)
		goto fail;
	for (int i = 0; i < k->scope.nifs; i++)
		if ((r = ft_tap_path_register(k->tap, k->scope.ifs[i].path, k->scope.ifs[i].name)) <
		    0)
			goto fail;
	return ft__kdrops_register_reasons(k, err, errlen);
fail:
	snprintf(err, errlen, "cannot register the drop paths: %s", ft_strerror(r));
	return r;
}

static int load_names(struct ft_kdrops *k, char *err, size_t errlen)
{
	int r = ft__kreasons_load(&k->reasons);
	if (r == -ESRCH) {
		snprintf(err, errlen,
			 "the kernel's BTF has no enum skb_drop_reason: "
			 "kernel drop reasons need Linux 5.17 or later");
		return -ENOTSUP;
	}
	if (r < 0) {
		snprintf(err, errlen,
			 "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): %s; "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF=y is needed",
			 strerror(-r));
		return -ENOENT;
	}
	FILE *f = fopen("/proc/kallsyms", "re");
	if (f) {
		/* Without symbols the locations print as addresses. */
		ft__ksyms_load(&k->ksyms, f);
		fclose(f);
	}
	return 0;
}

int ft__kdrops_new(struct ft_kdrops **out, const struct ft_kdrops_opts *o, char *err, size_t errlen)
{
	struct ft_kdrops *k;
	int r = -ENOMEM;

	*out = NULL;
	if (o->snaplen > KDROPS_SNAP_MAX) {
		snprintf(err, errlen, "snap length %u too large (at most %d)", o->snaplen,
			 KDROPS_SNAP_MAX);
		return -EINVAL;
	}
	if (!(k = calloc(1, sizeof(*k)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->o = *o;
	if (!k->o.snaplen)
		k->o.snaplen = FT_KDROPS_SNAP_DEFAULT;
	if (!k->o.ring_bytes)
		k->o.ring_bytes = 4u << 20;
	k->evfd = -1;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	if ((r = ft__kscope_resolve(&k->scope, o->netns, o->nnetns, o->ifnames, o->nifnames, err,
				    errlen)) < 0 ||
	    (r = load_names(k, err, errlen)) < 0 || (r = make_tap(k, err, errlen)) < 0)
		goto fail;
	/* Load and attach once now: no privilege, lockdown or a verifier
	 * refusal show here, at start, not at the first capture. */
	if ((r = ft__kdrops_attach(k, err, errlen)) < 0)
		goto fail;
	if (!k->o.on_packet)
		ft__kdrops_detach(k);
	if ((k->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create an eventfd: %s", strerror(errno));
		goto fail;
	}
	*out = k;
	return 0;
fail:
	ft__kdrops_free(k);
	return r;
}

int ft__kdrops_start(struct ft_kdrops *k, char *err, size_t errlen)
{
	int r;

	k->want_gen = 1; /* the thread reconciles first thing */
	if ((r = pthread_create(&k->thr, NULL, kd_thread, k))) {
		snprintf(err, errlen, "cannot start the drops thread: %s", strerror(r));
		return -r;
	}
	k->thr_started = true;
	ft_tap_set_watch(k->tap, on_watch, k);
	return 0;
}

void ft__kdrops_free(struct ft_kdrops *k)
{
	if (!k)
		return;
	if (k->tap)
		ft_tap_set_watch(k->tap, NULL, NULL);
	if (k->thr_started) {
		atomic_store(&k->stop, true);
		poke(k, false);
		pthread_join(k->thr, NULL);
	} else if (k->bpf) {
		ft__kdrops_detach(k);
	}
	ft_tap_free(k->tap);
	if (k->evfd >= 0)
		close(k->evfd);
	ft__ksyms_free(k->ksyms);
	ft__kreasons_free(&k->reasons);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

struct ft_tap *ft__kdrops_tap(struct ft_kdrops *k)
{
	return k->tap;
}

int ft__kdrops_attached(struct ft_kdrops *k)
{
	return atomic_load(&k->attached) ? 1 : 0;
}

static uint64_t rd(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

char *ft__kdrops_status(struct ft_kdrops *k)
{
	json_t *o, *rs = json_object();
	char *text;

	for (unsigned v = 0; v < KD_NREASONS; v++) {
		uint64_t n = rd(&k->by_reason[v]);
		if (n)
			json_object_set_new(
			    rs, v == KD_NREASONS - 1 ? "OTHER" : ft__kreasons_name(&k->reasons, v),
			    json_integer((json_int_t)n));
	}
	pthread_mutex_lock(&k->mu);
	o = json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:s}", "attached",
		      atomic_load(&k->attached), "scope", k->scope.desc, "snaplen",
		      (json_int_t)k->o.snaplen, "attaches", (json_int_t)rd(&k->attaches),
		      "received", (json_int_t)rd(&k->received), "bytes", (json_int_t)rd(&k->bytes),
		      "lost", (json_int_t)rd(&k->lost), "no_header", (json_int_t)rd(&k->nohdr),
		      "not_ip", (json_int_t)rd(&k->not_ip), "reason_names",
		      (json_int_t)k->reasons.named, "reasons", rs, "error", k->error);
	pthread_mutex_unlock(&k->mu);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}
