/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the flight recorder (settings, bounds, history then live, threads). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

#include "recorder.h"
#include "sink.h"

/* The packets of a classic pcap stream: (thread, sequence) from the UDP
 * payload of each, into @ids; returns how many, -1 if malformed. */
static long pcap_ids(const struct sink *k, uint32_t *ids, size_t max)
{
	size_t off = 24, n = 0;

	if (k->len < 24)
		return k->len ? -1 : 0;
	while (off + 16 <= k->len && n < max) {
		uint32_t cl, id;
		memcpy(&cl, k->buf + off + 8, 4);
		if (cl < 32 || off + 16 + cl > k->len)
			return -1;
		memcpy(&id, k->buf + off + 16 + 28, 4);
		ids[n++] = id;
		off += 16 + cl;
	}
	return off == k->len ? (long)n : -1;
}

static struct ft_tap *tap;

static int setup(void **state)
{
	(void)state;
	return ft_tap_new(&tap, "rec0");
}

static int teardown(void **state)
{
	(void)state;
	ft_tap_free(tap);
	tap = NULL;
	return 0;
}

/* Offer a UDP packet of @plen payload bytes whose payload starts with @id. */
static void hook_id(struct ft_tap *t, uint32_t id, size_t plen, const struct ft_meta *m)
{
	uint8_t pkt[1600];
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1000, 2000, plen);
	memcpy(pkt + 28, &id, 4);
	ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, n, m);
}

/* Options of a session into @k (sink initialized here) reading the past. */
static void hist_opts(struct ft_session_opts *o, struct sink *k, uint64_t since_ms,
		      bool history_only)
{
	sink_init(k);
	ft_session_opts_init(o);
	o->out = sink_out;
	o->out_ctx = k;
	o->since_ms = since_ms;
	o->history_only = history_only;
}

static struct ft_session *start(struct sink *k, uint64_t since_ms, bool history_only,
				const char *filter)
{
	struct ft_session_opts o;
	struct ft_session *s = NULL;

	hist_opts(&o, k, since_ms, history_only);
	o.filter = filter;
	o.bufsize = 32u << 20;
	assert_int_equal(ft_session_start(&s, tap, &o, NULL, 0), 0);
	return s;
}

/* Wait for a history-only session to end by itself. */
static void wait_done(struct ft_session *s)
{
	struct ft_session_stats st;
	for (int i = 0; i < 2000; i++) {
		ft_session_get_stats(s, &st);
		if (st.done)
			return;
		usleep(5000);
	}
	fail_msg("the history-only session did not end");
}

static void test_settings(void **state)
{
	struct ft_recorder_opts o;
	struct ft_recorder_stats st;

	(void)state;
	ft_tap_recorder_stats(tap, &st);
	assert_false(st.on);
	assert_int_equal(ft_tap_recorder_stop(tap), -ENOENT);
	ft_recorder_opts_init(&o);
	assert_int_equal(o.max_age_ms, 60000);
	assert_int_equal(o.max_bytes, 64u << 20);
	assert_int_equal(o.snaplen, 256);
	o.snaplen = FT_RECORDER_SNAPLEN_MAX + 1;
	assert_int_equal(ft_tap_recorder_start(tap, &o), -EINVAL);
	o.snaplen = 256;
	o.max_bytes = 1024;
	assert_int_equal(ft_tap_recorder_start(tap, &o), -EINVAL);
	o.max_bytes = 1u << 20;
	o.max_age_ms = 86400001;
	assert_int_equal(ft_tap_recorder_start(tap, &o), -EINVAL);
	o.max_age_ms = 0; /* the default */
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	assert_int_equal(ft_tap_recorder_start(tap, &o), -EBUSY);
	assert_true(ft_tap_watched(tap)); /* hooks now take the recording path */
	ft_tap_recorder_stats(tap, &st);
	assert_true(st.on);
	assert_int_equal(st.max_age_ms, 60000);
	assert_true(st.max_bytes <= 1u << 20 && st.max_bytes >= 1u << 19);
	assert_int_equal(st.recorded, 0);
	hook_id(tap, 1, 100, NULL);
	ft_tap_recorder_count(tap, 2, 1);
	ft_tap_recorder_stats(tap, &st);
	assert_int_equal(st.recorded, 1);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.triggers, 2);
	assert_int_equal(st.files, 1);
	assert_int_equal(ft_tap_recorder_stop(tap), 0);
	assert_false(ft_tap_watched(tap));
	/* A since session needs the recorder. */
	struct ft_session_opts so;
	struct ft_session *s;
	struct sink k = {0};
	ft_session_opts_init(&so);
	so.out = sink_out;
	so.out_ctx = &k;
	so.since_ms = 1000;
	assert_int_equal(ft_session_start(&s, tap, &so, NULL, 0), -ENOENT);
	so.since_ms = 0;
	so.history_only = true;
	assert_int_equal(ft_session_start(&s, tap, &so, NULL, 0), -EINVAL);
	/* On again: left for ft_tap_free() to stop. */
	assert_int_equal(ft_tap_recorder_start(tap, NULL), 0);
}

/* History then live on one thread: every packet once, in order. */
static void test_seam(void **state)
{
	struct sink k;
	struct ft_session *s;
	struct ft_session_stats st;
	struct ft_session_history h;
	static uint32_t ids[1000];

	(void)state;
	assert_int_equal(ft_tap_recorder_start(tap, NULL), 0);
	for (uint32_t i = 0; i < 300; i++)
		hook_id(tap, i, 400, NULL); /* 428 bytes, cut to 256 in the history */
	s = start(&k, 60000, false, "udp");
	assert_int_equal(ft_session_history(s, &h), 0);
	assert_int_equal(h.packets, 300);
	assert_int_equal(h.asked_ms, 60000);
	assert_true(h.partial); /* the recorder started moments ago */
	assert_false(h.by_bytes);
	assert_non_null(strstr(h.comment, "tap rec0"));
	assert_non_null(strstr(h.comment, "window asked 60.000 s"));
	for (uint32_t i = 300; i < 600; i++)
		hook_id(tap, i, 400, NULL);
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(pcap_ids(&k, ids, 1000), 600);
	/* The first came from the recorder: cut to its 256 bytes, exactly. */
	uint32_t cl, ol;
	memcpy(&cl, k.buf + 24 + 8, 4);
	memcpy(&ol, k.buf + 24 + 12, 4);
	assert_int_equal(cl, 256);
	assert_int_equal(ol, 428);
	for (uint32_t i = 0; i < 600; i++)
		assert_int_equal(ids[i], i);
	ft_session_free(s);
	sink_free(&k);
}

/* The chosen paths only: others are neither recorded nor counted. */
static void test_paths(void **state)
{
	struct ft_recorder_opts o;
	struct ft_recorder_stats rs;
	struct ft_session *s;
	struct sink k;
	static uint32_t ids[100];
	uint8_t pkt[200];
	char err[128];

	(void)state;
	ft_recorder_opts_init(&o);
	assert_int_equal(ft_pathset_parse(&o.paths, "from-peer,synthesized-to-peer", NULL, NULL,
					  err, sizeof(err)),
			 0);
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	for (uint32_t i = 0; i < 20; i++) {
		size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1000, 2000, 64);
		memcpy(pkt + 28, &i, 4);
		ft_tap_hook(tap, i % 2 ? FT_PATH_FROM_PEER : FT_PATH_FROM_LOCAL, pkt, n, NULL);
	}
	ft_tap_recorder_stats(tap, &rs);
	assert_int_equal(rs.recorded, 10);
	assert_true(ft_pathset_has(&rs.paths, FT_PATH_FROM_PEER));
	assert_false(ft_pathset_has(&rs.paths, FT_PATH_FROM_LOCAL));
	s = start(&k, 60000, true, NULL);
	wait_done(s);
	assert_int_equal(pcap_ids(&k, ids, 100), 10);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(ids[i], 2 * i + 1);
	ft_session_free(s);
	sink_free(&k);
}

/* A small byte bound: holds at most that, says what it holds, counts what it overwrote. */
static void test_bounds(void **state)
{
	struct ft_recorder_opts o;
	struct ft_recorder_stats st;
	struct sink k;
	struct ft_session *s;
	struct ft_session_history h;
	static uint32_t ids[10000];
	long n;

	(void)state;
	ft_recorder_opts_init(&o);
	o.max_bytes = 64u << 10;
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	for (uint32_t i = 0; i < 10000; i++)
		hook_id(tap, i, 200, NULL);
	ft_tap_recorder_stats(tap, &st);
	assert_true(st.bytes <= 64u << 10);
	assert_true(st.bytes >= 32u << 10);
	assert_int_equal(st.recorded, 10000);
	assert_int_equal(st.missed, 0);
	assert_true(st.overwritten > 0);
	assert_int_equal(st.packets + st.overwritten, st.recorded);
	assert_true(st.wrapped_by_bytes);
	assert_true(st.window_ns < 60000000000ull);
	s = start(&k, 60000, true, NULL);
	assert_int_equal(ft_session_history(s, &h), 0);
	assert_true(h.partial);
	assert_true(h.by_bytes);
	assert_non_null(strstr(h.comment, "byte bound"));
	assert_int_equal(h.packets, st.packets);
	wait_done(s);
	n = pcap_ids(&k, ids, 10000);
	assert_int_equal(n, (long)st.packets);
	/* The newest, consecutive. */
	for (long i = 0; i < n; i++)
		assert_int_equal(ids[i], 10000 - n + i);
	ft_session_free(s);
	sink_free(&k);
}

/* The time bound applies when reading; drops are recorded too. */
static void test_age_and_drops(void **state)
{
	struct ft_recorder_opts o;
	struct ft_meta m = FT_META_INIT;
	struct timespec ts;
	struct sink k;
	struct ft_session *s;
	uint32_t ids[16];
	uint8_t pkt[200];
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1000, 2000, 100);

	(void)state;
	ft_recorder_opts_init(&o);
	o.max_age_ms = 2000;
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	m.ts_ns = ((uint64_t)ts.tv_sec - 10) * 1000000000u; /* older than the bound */
	hook_id(tap, 7, 100, &m);
	hook_id(tap, 8, 100, NULL);
	uint32_t id = 9;
	memcpy(pkt + 28, &id, 4);
	ft_tap_drop(tap, FT_PATH_FROM_PEER, pkt, n, FT_DROP_ACL, NULL);
	s = start(&k, 60000, true, NULL);
	wait_done(s);
	assert_int_equal(pcap_ids(&k, ids, 16), 2);
	assert_int_equal(ids[0], 8);
	assert_int_equal(ids[1], 9);
	ft_session_free(s);
	sink_free(&k);
	/* Only drops. */
	struct ft_session_opts so;
	hist_opts(&so, &k, 60000, true);
	so.drops = FT_DROPS_ONLY;
	assert_int_equal(ft_session_start(&s, tap, &so, NULL, 0), 0);
	wait_done(s);
	assert_int_equal(pcap_ids(&k, ids, 16), 1);
	assert_int_equal(ids[0], 9);
	ft_session_free(s);
	sink_free(&k);
}

/* The hook's clock (tsclock.h) stays with CLOCK_REALTIME. */
static uint64_t real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_clock(void **state)
{
	enum { N = 3000 };
	static uint64_t lo[N], hi[N];
	struct sink k;
	struct ft_session *s;
	size_t off = 24;

	(void)state;
	assert_int_equal(ft_tap_recorder_start(tap, NULL), 0);
	for (uint32_t i = 0; i < N; i++) {
		lo[i] = real_now();
		hook_id(tap, i, 10, NULL);
		hi[i] = real_now();
		if (i % 100 == 0)
			usleep(200); /* the clock is read again now and then */
	}
	s = start(&k, 60000, true, NULL);
	wait_done(s);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t sec, usec, cl, id;
		memcpy(&sec, k.buf + off, 4);
		memcpy(&usec, k.buf + off + 4, 4);
		memcpy(&cl, k.buf + off + 8, 4);
		memcpy(&id, k.buf + off + 16 + 28, 4);
		assert_int_equal(id, i);
		uint64_t us = (uint64_t)sec * 1000000u + usec;
		/* Within 20 us of the clock around the hook. */
		if (us + 20 < lo[i] / 1000 || us > hi[i] / 1000 + 20)
			fail_msg("packet %u at %llu us, the clock said %llu..%llu", i,
				 (unsigned long long)us, (unsigned long long)(lo[i] / 1000),
				 (unsigned long long)(hi[i] / 1000));
		off += 16 + cl;
	}
	ft_session_free(s);
	sink_free(&k);
}

/* Threads: producers write while a since session joins and readers copy. */
enum { NPROD = 2, PER = 20000 };
static _Atomic bool go_on;

static void *producer(void *p)
{
	uint32_t t = (uint32_t)(uintptr_t)p;
	for (uint32_t i = 0; i < PER; i++)
		hook_id(tap, t << 24 | i, 40, NULL);
	return NULL;
}

static void *reader(void *p)
{
	(void)p;
	while (atomic_load(&go_on)) {
		struct ft_recorder_stats st;
		struct sink k;
		struct ft_session *s = start(&k, 60000, true, NULL);
		wait_done(s);
		ft_session_free(s);
		free(k.buf);
		pthread_mutex_destroy(&k.mu);
		ft_tap_recorder_stats(tap, &st);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct ft_recorder_opts o;
	pthread_t th[NPROD], rd;
	struct sink k;
	struct ft_session *s;
	struct ft_session_stats st;
	uint32_t *ids = calloc(NPROD * PER, sizeof(*ids));
	uint32_t next[NPROD] = {0};
	long n;

	(void)state;
	ft_recorder_opts_init(&o);
	o.max_bytes = 32u << 20; /* holds everything: the seam is checked whole */
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	atomic_store(&go_on, true);
	assert_int_equal(pthread_create(&rd, NULL, reader, NULL), 0);
	for (uintptr_t i = 0; i < NPROD; i++)
		assert_int_equal(pthread_create(&th[i], NULL, producer, (void *)i), 0);
	usleep(2000);
	s = start(&k, 60000, false, NULL);
	for (int i = 0; i < NPROD; i++)
		pthread_join(th[i], NULL);
	atomic_store(&go_on, false);
	pthread_join(rd, NULL);
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_int_equal(st.dropped, 0);
	n = pcap_ids(&k, ids, NPROD * PER);
	assert_int_equal(n, NPROD * PER);
	/* Each thread's packets exactly once, in its order. */
	for (long i = 0; i < n; i++) {
		uint32_t t = ids[i] >> 24, q = ids[i] & 0xffffff;
		assert_true(t < NPROD);
		assert_int_equal(q, next[t]);
		next[t]++;
	}
	ft_session_free(s);
	sink_free(&k);
	free(ids);
}

/* Readers racing producers that overwrite: every copy is whole (each
 * thread's packets in order, none torn), under TSan too. */
static void *checking_reader(void *p)
{
	static uint32_t ids[4096];
	(void)p;
	while (atomic_load(&go_on)) {
		struct sink k;
		uint32_t last[NPROD];
		long n;
		struct ft_session *s = start(&k, 60000, true, NULL);
		wait_done(s);
		n = pcap_ids(&k, ids, 4096);
		assert_true(n >= 0);
		memset(last, 0xff, sizeof(last));
		for (long i = 0; i < n; i++) {
			uint32_t t = ids[i] >> 24, q = ids[i] & 0xffffff;
			assert_true(t < NPROD);
			assert_true(last[t] == UINT32_MAX || q > last[t]);
			last[t] = q;
		}
		ft_session_free(s);
		free(k.buf);
		pthread_mutex_destroy(&k.mu);
	}
	return NULL;
}

static void test_threads_wrap(void **state)
{
	struct ft_recorder_opts o;
	struct ft_recorder_stats st;
	pthread_t th[NPROD], rd;

	(void)state;
	ft_recorder_opts_init(&o);
	o.max_bytes = 64u << 10;
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	atomic_store(&go_on, true);
	assert_int_equal(pthread_create(&rd, NULL, checking_reader, NULL), 0);
	for (uintptr_t i = 0; i < NPROD; i++)
		assert_int_equal(pthread_create(&th[i], NULL, producer, (void *)i), 0);
	for (int i = 0; i < NPROD; i++)
		pthread_join(th[i], NULL);
	atomic_store(&go_on, false);
	pthread_join(rd, NULL);
	ft_tap_recorder_stats(tap, &st);
	assert_int_equal(st.recorded + st.missed, NPROD * PER);
	assert_true(st.overwritten > 0);
	assert_true(st.bytes <= 64u << 10);
}

/* At most FT__RECSNAP_MAX history copies are alive in the process, each as
 * large as the recorder: one more is -EBUSY (ft_session_start too, which
 * the API answers with 503), and freeing one lets the next in. */
static void test_snapshot_bound(void **state)
{
	struct ft_recorder_opts o;
	struct ft_recsnap sn[FT__RECSNAP_MAX + 1];
	struct ft_session_opts so;
	struct ft_session *x = NULL;
	struct sink k;
	uint32_t ids[16];

	(void)state;
	ft_recorder_opts_init(&o);
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	for (uint32_t i = 0; i < 10; i++)
		hook_id(tap, i, 100, NULL);
	for (int i = 0; i < FT__RECSNAP_MAX; i++)
		assert_int_equal(ft__recorder_snapshot(tap, 0, false, 0, NULL, NULL, &sn[i]), 0);
	assert_int_equal(ft__recorder_snapshot(tap, 0, false, 0, NULL, NULL, &sn[FT__RECSNAP_MAX]),
			 -EBUSY);
	hist_opts(&so, &k, 60000, true);
	assert_int_equal(ft_session_start(&x, tap, &so, NULL, 0), -EBUSY);
	sink_free(&k);
	ft__recsnap_free(&sn[0]);
	assert_int_equal(ft__recorder_snapshot(tap, 0, false, 0, NULL, NULL, &sn[FT__RECSNAP_MAX]),
			 0);
	assert_int_equal(sn[FT__RECSNAP_MAX].n, 10);
	for (int i = 1; i <= FT__RECSNAP_MAX; i++)
		ft__recsnap_free(&sn[i]);
	/* A session's copy is given back once written: sessions one after
	 * another never run out. */
	for (int i = 0; i < 2 * FT__RECSNAP_MAX + 1; i++) {
		x = start(&k, 60000, true, NULL);
		wait_done(x);
		assert_int_equal(pcap_ids(&k, ids, 16), 10);
		ft_session_free(x);
		sink_free(&k);
	}
	assert_int_equal(ft_tap_recorder_stop(tap), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seam, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_age_and_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads_wrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot_bound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
