/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: taps and capture sessions (selection, limits, stop, errors, drops, stats). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

#include "sink.h"

/* Count pcap records in a classic little-endian pcap stream; checks orig lengths. */
static int pcap_records(const struct sink *k, uint32_t *first_caplen, uint32_t *first_len)
{
	size_t off = 24;
	int n = 0;
	if (k->len < 24)
		return k->len == 0 ? 0 : -1;
	while (off + 16 <= k->len) {
		uint32_t cl, ol;
		memcpy(&cl, k->buf + off + 8, 4);
		memcpy(&ol, k->buf + off + 12, 4);
		if (n == 0 && first_caplen) {
			*first_caplen = cl;
			*first_len = ol;
		}
		off += 16 + cl;
		n++;
	}
	return off == k->len ? n : -1;
}

static struct ft_tap *tap;
static uint8_t udp_pkt[128], icmp_pkt[128];
static size_t udp_len, icmp_len;
static int watch_calls;

static void on_watch(struct ft_tap *t, void *ctx)
{
	(*(int *)ctx)++;
}

static int setup(void **state)
{
	assert_int_equal(ft_tap_new(&tap, "test0"), 0);
	udp_len = tb_ip4(udp_pkt, "100.64.0.1", "100.64.0.2", 17, 5000, 53, 20);
	icmp_len = tb_ip4(icmp_pkt, "100.64.0.2", "100.64.0.1", 1, 1, 1, 56);
	watch_calls = 0;
	ft_tap_set_watch(tap, on_watch, &watch_calls);
	return 0;
}

static int teardown(void **state)
{
	ft_tap_free(tap);
	return 0;
}

static void start(struct ft_session **s, struct sink *k, const char *filter,
		  struct ft_session_opts *extra)
{
	struct ft_session_opts o;
	char err[FT_ERRBUF_SIZE];
	if (extra)
		o = *extra;
	else
		ft_session_opts_init(&o);
	o.out = sink_out;
	o.out_ctx = k;
	o.filter = filter;
	int ret = ft_session_start(s, tap, &o, err, sizeof(err));
	if (ret)
		fail_msg("ft_session_start: %s (%s)", ft_strerror(ret), err);
}

static void test_unwatched(void **state)
{
	struct ft_tap_stats st;
	assert_false(ft_tap_watched(tap));
	for (int i = 0; i < 100; i++)
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
	ft_tap_get_stats(tap, &st);
	assert_int_equal(st.hooked, 0);
	assert_int_equal(st.sessions, 0);
}

static void test_match_all_pcap(void **state)
{
	struct ft_session *s;
	struct ft_session_stats st, st2;
	struct sink k;
	uint32_t cl = 0, ol = 0;

	sink_init(&k);
	start(&s, &k, NULL, NULL);
	assert_true(ft_tap_watched(tap));
	assert_int_equal(watch_calls, 1);
	for (int i = 0; i < 10; i++)
		ft_tap_hook(tap, i % 2 ? FT_PATH_FROM_PEER : FT_PATH_FROM_LOCAL, udp_pkt, udp_len,
			    NULL);
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_false(ft_tap_watched(tap));
	assert_int_equal(watch_calls, 2);
	assert_int_equal(st.offered, 10);
	assert_int_equal(st.matched, 10);
	assert_int_equal(st.written, 10);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.bytes, 10 * udp_len);
	assert_true(st.done);
	assert_int_equal(pcap_records(&k, &cl, &ol), 10);
	assert_int_equal(cl, udp_len);
	/* Stop is idempotent and keeps the final counters. */
	assert_int_equal(ft_session_stop(s, &st2), 0);
	assert_memory_equal(&st, &st2, sizeof(st));
	ft_session_free(s);
	sink_free(&k);
}

static void test_filter_path_dir(void **state)
{
	struct ft_session *s_icmp, *s_peer, *s_out;
	struct ft_session_opts o;
	struct ft_session_stats a, b, c;
	struct sink k1, k2, k3;
	char err[FT_ERRBUF_SIZE];

	sink_init(&k1);
	sink_init(&k2);
	sink_init(&k3);
	start(&s_icmp, &k1, "icmp", NULL);
	ft_session_opts_init(&o);
	assert_int_equal(ft_pathset_parse(&o.paths, "from-peer", NULL, NULL, err, sizeof(err)), 0);
	start(&s_peer, &k2, NULL, &o);
	ft_session_opts_init(&o);
	o.dir = FT_DIR_OUT;
	start(&s_out, &k3, NULL, &o);

	ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);  /* out */
	ft_tap_hook(tap, FT_PATH_FROM_PEER, icmp_pkt, icmp_len, NULL); /* in */
	ft_tap_hook(tap, FT_PATH_FROM_PEER, udp_pkt, udp_len, NULL);   /* in */
	struct ft_meta m = FT_META_INIT;
	m.dir = FT_DIR_OUT;
	ft_tap_hook(tap, FT_PATH_SYNTHESIZED_TO_LOCAL, icmp_pkt, icmp_len, &m); /* forced out */

	ft_session_stop(s_icmp, &a);
	ft_session_stop(s_peer, &b);
	ft_session_stop(s_out, &c);
	assert_int_equal(a.offered, 4);
	assert_int_equal(a.matched, 2);
	assert_int_equal(a.written, 2);
	assert_int_equal(b.matched, 2);
	assert_int_equal(c.matched, 2);
	assert_int_equal(pcap_records(&k1, NULL, NULL), 2);
	assert_string_equal(ft_session_filter(s_icmp), "icmp");
	ft_session_free(s_icmp);
	ft_session_free(s_peer);
	ft_session_free(s_out);
	sink_free(&k1);
	sink_free(&k2);
	sink_free(&k3);
}

static void test_bad_filter(void **state)
{
	struct ft_session *s;
	struct ft_session_opts o;
	char err[FT_ERRBUF_SIZE];
	ft_session_opts_init(&o);
	o.out_fd = 1;
	o.filter = "tcp port";
	assert_int_equal(ft_session_start(&s, tap, &o, err, sizeof(err)), FT_EFILTER);
	assert_null(s);
	assert_true(strlen(err) > 0);
	assert_false(ft_tap_watched(tap));
	o.filter = NULL;
	o.out_fd = -1;
	assert_int_equal(ft_session_start(&s, tap, &o, err, sizeof(err)), -EINVAL);
	o.out_fd = 1;
	o.bufsize = 1000;
	assert_int_equal(ft_session_start(&s, tap, &o, err, sizeof(err)), -EINVAL);
	/* user0 carries bare IP packets: refused on an Ethernet tap. */
	struct ft_tap *eth;
	assert_int_equal(ft_tap_new_dlt(&eth, "eth0", 1 /* DLT_EN10MB */), 0);
	o.bufsize = 0;
	o.format = FT_FORMAT_USER0;
	assert_int_equal(ft_session_start(&s, eth, &o, err, sizeof(err)), -EINVAL);
	assert_false(ft_tap_watched(eth));
	ft_tap_free(eth);
}

static _Atomic int ended; /* set by the session thread */
static void on_end(struct ft_session *s, void *ctx)
{
	ended++;
}

static void test_count_and_snaplen(void **state)
{
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct sink k;
	uint32_t cl = 0, ol = 0;

	sink_init(&k);
	ft_session_opts_init(&o);
	o.max_packets = 3;
	o.snaplen = 30;
	o.on_end = on_end;
	ended = 0;
	start(&s, &k, NULL, &o);
	for (int i = 0; i < 10; i++)
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
	for (int i = 0; i < 200 && !ended; i++)
		usleep(5000);
	assert_int_equal(ended, 1);
	ft_session_stop(s, &st);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.truncated, 3);
	assert_int_equal(st.bytes, 3 * 30);
	assert_int_equal(st.matched, st.written + st.dropped + st.discarded);
	assert_int_equal(pcap_records(&k, &cl, &ol), 3);
	assert_int_equal(cl, 30);
	assert_int_equal(ol, udp_len);
	ft_session_free(s);
	sink_free(&k);
}

static void test_duration(void **state)
{
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct sink k;

	sink_init(&k);
	ft_session_opts_init(&o);
	o.duration_ms = 150;
	o.on_end = on_end;
	ended = 0;
	start(&s, &k, NULL, &o);
	ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
	for (int i = 0; i < 200 && !ended; i++)
		usleep(5000);
	assert_int_equal(ended, 1);
	assert_false(ft_tap_watched(tap));
	ft_session_get_stats(s, &st);
	assert_true(st.done);
	assert_int_equal(st.written, 1);
	ft_session_free(s);
	sink_free(&k);
}

static void test_epipe_ends_only_that_session(void **state)
{
	struct ft_session *bad, *good;
	struct ft_session_opts o;
	struct ft_session_stats sb, sg;
	struct sink k;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	ft_session_opts_init(&o);
	o.out_fd = fds[1];
	char err[FT_ERRBUF_SIZE];
	assert_int_equal(ft_session_start(&bad, tap, &o, err, sizeof(err)), 0);
	sink_init(&k);
	start(&good, &k, NULL, NULL);
	for (int i = 0; i < 5; i++) {
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
		usleep(20000);
	}
	ft_session_stop(bad, &sb);
	ft_session_stop(good, &sg);
	assert_int_equal(sb.error, -EPIPE);
	assert_true(sb.done);
	assert_int_equal(sb.matched, sb.written + sb.dropped + sb.discarded);
	assert_int_equal(sg.error, 0);
	assert_int_equal(sg.written, 5);
	ft_session_free(bad);
	ft_session_free(good);
	close(fds[1]);
	sink_free(&k);
}

static void test_stalled_drops(void **state)
{
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct ft_tap_stats ts;
	struct sink k;
	sem_t gate;

	sem_init(&gate, 0, 0);
	sink_init(&k);
	k.gate = &gate;
	ft_session_opts_init(&o);
	o.bufsize = 64 << 10;
	start(&s, &k, NULL, &o);
	/* 20000 records are several times what the 64 KiB ring and the writer's
	 * own 256 KiB buffer hold together, so drops do not depend on how far the
	 * session thread got before its first write blocked. */
	for (int i = 0; i < 20000; i++)
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
	ft_session_get_stats(s, &st);
	uint64_t dropped_stalled = st.dropped, matched = st.matched;
	/* Unstall before asserting: a failed assertion must not leave the session
	 * thread blocked on this stack's semaphore (teardown would hang on it). */
	for (int i = 0; i < 100000; i++)
		sem_post(&gate);
	ft_session_stop(s, &st);
	assert_true(dropped_stalled > 0);
	assert_int_equal(matched, 20000);
	assert_int_equal(st.written + st.dropped, 20000);
	assert_int_equal(pcap_records(&k, NULL, NULL), (int)st.written);
	ft_tap_get_stats(tap, &ts);
	assert_int_equal(ts.dropped, st.dropped);
	assert_int_equal(ts.written, st.written);
	ft_session_free(s);
	sink_free(&k);
	sem_destroy(&gate);
}

static void test_paths(void **state)
{
	unsigned paths[8];
	assert_int_equal(ft_tap_path_register(tap, 254, "disco"), 0);
	assert_int_equal(ft_tap_path_register(tap, 254, "other"), -EEXIST);
	assert_int_equal(ft_tap_path_register(tap, 5, "disco"), -EEXIST);
	assert_int_equal(ft_tap_path_register(tap, 5, "from-local"), -EEXIST);
	assert_int_equal(ft_tap_path_register(tap, 2, "x"), -EINVAL);
	assert_int_equal(ft_tap_path_register(tap, 6, "bad name"), -EINVAL);
	assert_string_equal(ft_tap_path_name(tap, 254), "disco");
	assert_string_equal(ft_tap_path_name(tap, 1), "from-peer");
	assert_null(ft_tap_path_name(tap, 7));
	assert_int_equal(ft_tap_paths(tap, paths, 8), 5);
	assert_int_equal(paths[4], 254);
}

static void test_shared_filter(void **state)
{
	struct ft_session *a, *b;
	struct sink k1, k2;
	char buf[64];
	sink_init(&k1);
	sink_init(&k2);
	assert_int_equal(ft_tap_shared_filter(tap, buf, sizeof(buf)), 0);
	start(&a, &k1, "udp", NULL);
	start(&b, &k2, "udp", NULL);
	assert_int_equal(ft_tap_shared_filter(tap, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "udp");
	ft_session_free(b);
	start(&b, &k2, "icmp", NULL);
	assert_int_equal(ft_tap_shared_filter(tap, buf, sizeof(buf)), 0);
	ft_session_free(a);
	ft_session_free(b);
	sink_free(&k1);
	sink_free(&k2);
}

/* A tap is 64-byte aligned, as its cache-line members require (calloc gave
 * 16). */
static void test_tap_aligned(void **state)
{
	struct ft_tap *t[16];
	for (int i = 0; i < 16; i++) {
		assert_int_equal(ft_tap_new(&t[i], "aligned"), 0);
		assert_int_equal((uintptr_t)t[i] & 63, 0);
	}
	for (int i = 0; i < 16; i++)
		ft_tap_free(t[i]);
}

struct slow_sink {
	struct sink k;
	int sleep_ms;
};

static int slow_out(void *ctx, const void *data, size_t len)
{
	struct slow_sink *k = ctx;
	usleep((useconds_t)k->sleep_ms * 1000);
	return sink_out(&k->k, data, len);
}

/* A session that ended by itself (count) is detached but still finishing
 * (its output is slow): ft_tap_free() must wait for it, and the session is
 * still freed by its owner afterwards. */
static void test_tap_free_waits_for_finishing(void **state)
{
	struct ft_tap *t;
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct slow_sink k;
	char err[FT_ERRBUF_SIZE];

	sink_init(&k.k);
	k.sleep_ms = 200;
	assert_int_equal(ft_tap_new(&t, "finishing"), 0);
	ft_session_opts_init(&o);
	o.out = slow_out;
	o.out_ctx = &k;
	o.max_packets = 1;
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), 0);
	ft_tap_hook(t, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
	for (int i = 0; i < 400 && ft_tap_watched(t); i++)
		usleep(1000);
	assert_false(ft_tap_watched(t)); /* ended by itself, now finishing */
	ft_tap_free(t);
	ft_session_get_stats(s, &st);
	assert_true(st.done);
	assert_int_equal(st.written, 1);
	ft_session_free(s);
	assert_int_equal(pcap_records(&k.k, NULL, NULL), 1);
	sink_free(&k.k);
}

/* Durations the API accepts (up to 1e15 ms) must not overflow into an early
 * end: 18446744073710 ms is 2^64 ns plus 0.45 ms. */
static void test_duration_overflow(void **state)
{
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct sink k;

	sink_init(&k);
	ft_session_opts_init(&o);
	o.duration_ms = 18446744073710ull;
	start(&s, &k, NULL, &o);
	usleep(100000);
	ft_session_get_stats(s, &st);
	assert_false(st.done);
	assert_true(ft_tap_watched(tap));
	ft_session_free(s);
	sink_free(&k);
}

static void *stop_thread(void *arg)
{
	struct ft_session_stats *st = arg;
	ft_session_stop(*(struct ft_session **)(st + 1), st);
	return NULL;
}

/* A non-blocking output nobody reads: stop returns within its bound. */
static void test_stop_bounded_on_stalled_fd(void **state)
{
	struct {
		struct ft_session_stats st;
		struct ft_session *s;
	} a;
	struct ft_session_opts o;
	static uint8_t big[1500];
	char err[FT_ERRBUF_SIZE];
	pthread_t th;
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	memcpy(big, udp_pkt, udp_len);
	ft_session_opts_init(&o);
	o.out_fd = fds[1];
	assert_int_equal(ft_session_start(&a.s, tap, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 2000; i++)
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, big, sizeof(big), NULL);
	memset(&a.st, 0, sizeof(a.st));
	assert_int_equal(pthread_create(&th, NULL, stop_thread, &a), 0);
	/* FT_SESSION_STOP_WAIT_MS plus slack for sanitizers. */
	for (int i = 0; i < 500 && !a.st.done; i++)
		usleep(10000);
	assert_true(a.st.done);
	pthread_join(th, NULL);
	assert_int_equal(a.st.error, -ETIMEDOUT);
	assert_int_equal(a.st.matched, a.st.written + a.st.dropped + a.st.discarded);
	ft_session_free(a.s);
	close(fds[0]);
	close(fds[1]);
}

static void *hook_100(void *arg)
{
	for (int i = 0; i < 100; i++)
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, udp_pkt, udp_len, NULL);
	return NULL;
}

/* More producer threads than per-thread slots (64): the rest share one, and
 * every packet is still counted once. */
static void test_many_threads(void **state)
{
	enum { NT = 70 };
	pthread_t th[NT];
	struct ft_session *s;
	struct ft_session_stats st;
	struct ft_tap_stats ts;
	struct sink k;

	sink_init(&k);
	start(&s, &k, NULL, NULL);
	for (int i = 0; i < NT; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hook_100, NULL), 0);
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	hook_100(NULL); /* this thread too */
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_int_equal(st.offered, (NT + 1) * 100);
	assert_int_equal(st.matched, (NT + 1) * 100);
	assert_int_equal(st.written + st.dropped, (NT + 1) * 100);
	assert_int_equal(pcap_records(&k, NULL, NULL), (int)st.written);
	ft_tap_get_stats(tap, &ts);
	assert_int_equal(ts.hooked, (NT + 1) * 100);
	ft_session_free(s);
	sink_free(&k);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unwatched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_match_all_pcap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filter_path_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_count_and_snaplen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_epipe_ends_only_that_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stalled_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_aligned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_free_waits_for_finishing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duration_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_bounded_on_stalled_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
