/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: a session's per-thread rings (session.c). Producer threads get
 * rings of their own, and a thread whose packets move from the shared ring
 * to its own keeps its order even when its timestamps run backwards (the
 * merge by time alone would put the newer ring first).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"
#include "tap_internal.h"

struct sink {
	uint8_t *buf;
	size_t len, cap;
};

static int sink_out(void *ctx, const void *d, size_t n)
{
	struct sink *k = ctx;
	if (k->len + n > k->cap) {
		k->cap = (k->len + n) * 2;
		k->buf = realloc(k->buf, k->cap);
		if (!k->buf)
			return -1;
	}
	memcpy(k->buf + k->len, d, n);
	k->len += n;
	return 0;
}

/* Sequence numbers of the pcap records in @k, in file order; returns how many. */
static size_t sink_seqs(const struct sink *k, uint32_t *seq, size_t max)
{
	size_t n = 0;
	for (size_t off = 24; off + 16 <= k->len && n < max;) {
		uint32_t incl;
		memcpy(&incl, k->buf + off + 8, 4);
		assert_true(off + 16 + incl <= k->len);
		assert_true(incl >= 32);
		memcpy(&seq[n++], k->buf + off + 16 + 28, 4);
		off += 16 + incl;
	}
	return n;
}

static struct ft_session *start(struct ft_tap *t, struct sink *k)
{
	struct ft_session_opts o;
	struct ft_session *s;
	char err[FT_ERRBUF_SIZE];
	ft_session_opts_init(&o);
	o.out = sink_out;
	o.out_ctx = k;
	o.bufsize = 1 << 20;
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), 0);
	return s;
}

#define BURST 3000

struct prod {
	struct ft_tap *t;
	uint32_t first;
	uint64_t ts0;
	int backwards;
};

static void *produce(void *arg)
{
	struct prod *p = arg;
	uint8_t pkt[128];
	size_t n = tb_ip4(pkt, "100.64.0.1", "100.64.0.2", 17, 1000, 53, 16);
	struct ft_meta m = FT_META_INIT;
	for (uint32_t i = 0; i < BURST; i++) {
		uint32_t seq = p->first + i;
		memcpy(pkt + 28, &seq, 4);
		m.ts_ns = p->backwards ? p->ts0 - i : p->ts0 + i;
		ft_tap_hook(p->t, FT_PATH_FROM_LOCAL, pkt, n, &m);
	}
	return NULL;
}

static void check_order(struct ft_session *s, struct sink *k, unsigned nprod)
{
	struct ft_session_stats st;
	uint32_t *seq = calloc(BURST * nprod, sizeof(*seq));
	uint32_t last[8];
	assert_non_null(seq);
	ft_session_stop(s, &st);
	assert_int_equal(st.matched, st.written + st.dropped + st.discarded);
	size_t n = sink_seqs(k, seq, BURST * nprod);
	assert_int_equal(n, st.written);
	memset(last, 0xff, sizeof(last));
	for (size_t i = 0; i < n; i++) {
		unsigned id = seq[i] / BURST;
		assert_true(id < nprod);
		if (last[id] != UINT32_MAX && seq[i] <= last[id])
			fail_msg("producer %u: seq %u after %u (record %zu)", id, seq[i], last[id],
				 i);
		last[id] = seq[i];
	}
	free(seq);
}

/* Each new session starts every thread on the shared ring; a burst that
 * outruns the session thread leaves records there as the thread moves to
 * its own ring. */
static void test_move_keeps_order(void **state)
{
	struct ft_tap *t;
	assert_int_equal(ft_tap_new(&t, "rings"), 0);
	for (int round = 0; round < 60; round++) {
		struct sink k = {0};
		struct ft_session *s = start(t, &k);
		struct prod p = {t, 0, 2000000000000000000ull, 1};
		produce(&p);
		check_order(s, &k, 1);
		ft_session_free(s);
		free(k.buf);
	}
	ft_tap_free(t);
}

/* Two producer threads each get a ring of their own in the session. */
static void test_thread_rings(void **state)
{
	struct ft_tap *t;
	struct sink k = {0};
	pthread_t th[2];
	struct prod p[2];
	assert_int_equal(ft_tap_new(&t, "rings2"), 0);
	struct ft_session *s = start(t, &k);
	unsigned rings = 0;
	/* The session thread sets the rings up as it sees the threads'
	 * packets: wait for it, boundedly. */
	for (int round = 0; round < 500 && rings < 2; round++) {
		for (unsigned i = 0; i < 2; i++) {
			p[i] = (struct prod){t, i * BURST, 1000000000000000000ull, 0};
			assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
		}
		for (unsigned i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		usleep(10000);
		rings = 0;
		for (unsigned i = 0; i < FT_TAP_MAX_THREADS; i++)
			rings += atomic_load(&s->srings[i]) != NULL;
	}
	assert_true(rings >= 2);
	ft_session_free(s);
	free(k.buf);
	ft_tap_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_move_keeps_order),
	    cmocka_unit_test(test_thread_rings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
