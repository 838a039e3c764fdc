/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests (threads, also under TSan): a peer table replaced while other
 * threads look names up, directly on a publication cell and through a tap
 * whose text session names packets while the table changes under it. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/peers.h>
#include <flowtap/tap.h>

#include "peers_int.h"

/* A table naming 100.64.0.1 and 100.64.0.2 "<gen>-a" and "<gen>-b". */
static struct ft_peers *table(int gen)
{
	struct ft_peers *p;
	struct ft_prefix a[2];
	char na[16], nb[16];
	assert_int_equal(ft_prefix_parse("100.64.0.1", &a[0]), 0);
	assert_int_equal(ft_prefix_parse("100.64.0.2", &a[1]), 0);
	snprintf(na, sizeof(na), "g%d-a", gen);
	snprintf(nb, sizeof(nb), "g%d-b", gen);
	struct ft_peer x = {.name = na, .addrs = &a[0], .naddrs = 1};
	struct ft_peer y = {.name = nb, .addrs = &a[1], .naddrs = 1};
	assert_int_equal(ft_peers_new(&p), 0);
	assert_int_equal(ft_peers_add(p, &x), 0);
	assert_int_equal(ft_peers_add(p, &y), 0);
	assert_int_equal(ft_peers_build(p), 0);
	return p;
}

struct rd_arg {
	struct ft__peers_cell *cell;
	_Atomic bool *stop;
	_Atomic unsigned long lookups;
	unsigned long gens_seen;
};

/* Each lookup's two names come from one table: never a mix of two. */
static void *reader(void *arg)
{
	struct rd_arg *a = arg;
	struct ft__peers_view v = {0};
	struct ft_addr x, y;
	int last = -1;
	ft_addr_parse("100.64.0.1", &x);
	ft_addr_parse("100.64.0.2", &y);
	while (!atomic_load(a->stop)) {
		struct ft_peers *p = ft__peers_view_sync(&v, a->cell);
		if (!p)
			continue;
		const struct ft_peer *na = ft_peers_lookup(p, &x), *nb = ft_peers_lookup(p, &y);
		int ga, gb;
		assert_non_null(na);
		assert_non_null(nb);
		assert_int_equal(sscanf(na->name, "g%d-a", &ga), 1);
		assert_int_equal(sscanf(nb->name, "g%d-b", &gb), 1);
		assert_int_equal(ga, gb);
		assert_true(ga >= last); /* never an older table */
		a->gens_seen += ga != last;
		last = ga;
		a->lookups++;
	}
	ft__peers_view_fini(&v);
	return NULL;
}

static void test_cell_replace_under_readers(void **state)
{
	struct ft__peers_cell cell;
	_Atomic bool stop = false;
	pthread_t th[3];
	struct rd_arg args[3];
	(void)state;
	ft__peers_cell_init(&cell);
	for (int i = 0; i < 3; i++) {
		args[i] = (struct rd_arg){.cell = &cell, .stop = &stop};
		pthread_create(&th[i], NULL, reader, &args[i]);
	}
	/* At least 300 tables, and until every reader looked up many times. */
	for (int g = 0;
	     g < 300 || atomic_load(&args[0].lookups) < 1000 ||
	     atomic_load(&args[1].lookups) < 1000 || atomic_load(&args[2].lookups) < 1000;
	     g++) {
		struct ft_peers *p = table(g);
		assert_int_equal(ft__peers_cell_set(&cell, p), 0);
		ft_peers_free(p); /* the cell (and readers) keep it alive */
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_true(args[i].lookups > 0);
	}
	/* An unbuilt table is refused. */
	struct ft_peers *u;
	assert_int_equal(ft_peers_new(&u), 0);
	assert_int_equal(ft__peers_cell_set(&cell, u), -EINVAL);
	ft_peers_free(u);
	ft__peers_cell_fini(&cell);
}

struct out {
	pthread_mutex_t mu;
	char buf[4 << 20];
	size_t len;
};

static int collect(void *ctx, const void *data, size_t len)
{
	struct out *o = ctx;
	pthread_mutex_lock(&o->mu);
	if (o->len + len < sizeof(o->buf)) {
		memcpy(o->buf + o->len, data, len);
		o->len += len;
	}
	pthread_mutex_unlock(&o->mu);
	return 0;
}

struct hook_arg {
	struct ft_tap *tap;
	int n;
};

static void *hooker(void *arg)
{
	struct hook_arg *h = arg;
	/* A 28-byte IPv4/UDP packet 100.64.0.1 -> 100.64.0.2. */
	uint8_t pkt[28] = {0x45, 0, 0,	 28, 0, 1, 0x40, 0,    64, 17,	 0, 0, 100, 64,
			   0,	 1, 100, 64, 0, 2, 0x9c, 0x40, 1,  0xbb, 0, 8, 0,   0};
	for (int i = 0; i < h->n; i++)
		ft_tap_hook(h->tap, FT_PATH_FROM_LOCAL, pkt, sizeof(pkt), NULL);
	return NULL;
}

/* Tables replaced while a text session names packets: every packet is
 * written (none lost to the replacement), each line names both ends from
 * one table, and the names move from the first table to the last. */
static void test_tap_replace_during_capture(void **state)
{
	static struct out out = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct ft_tap *tap;
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct hook_arg h;
	pthread_t th;
	char err[256];
	(void)state;
	assert_int_equal(ft_tap_new(&tap, "peers0"), 0);
	struct ft_peers *p0 = table(0);
	assert_int_equal(ft_tap_set_peers(tap, p0), 0);
	ft_peers_free(p0);
	ft_session_opts_init(&o);
	o.format = FT_FORMAT_TEXT;
	o.time = FT_TIME_NONE;
	o.out = collect;
	o.out_ctx = &out;
	o.bufsize = 16 << 20;
	assert_int_equal(ft_session_start(&s, tap, &o, err, sizeof(err)), 0);
	h.tap = tap;
	h.n = 20000;
	pthread_create(&th, NULL, hooker, &h);
	for (int g = 1; g <= 50; g++) {
		struct ft_peers *p = table(g);
		assert_int_equal(ft_tap_set_peers(tap, p), 0);
		ft_peers_free(p);
	}
	pthread_join(th, NULL);
	struct ft_peers *last = table(99);
	assert_int_equal(ft_tap_set_peers(tap, last), 0);
	ft_peers_free(last);
	hooker(&(struct hook_arg){tap, 1}); /* surely after the last table */
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_int_equal(st.written, 20001);
	assert_int_equal(st.dropped, 0);
	out.buf[out.len] = '\0';
	unsigned lines = 0;
	int first = -1, prev = -1, ga = 0, gb = 0;
	for (char *l = out.buf, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		assert_non_null(e);
		*e = '\0';
		if (sscanf(l, "OUT from-local IP 100.64.0.1(g%d-a).40000 > 100.64.0.2(g%d-b).443",
			   &ga, &gb) != 2)
			fail_msg("unexpected line '%s'", l);
		assert_int_equal(ga, gb);
		assert_true(ga >= prev);
		if (first < 0)
			first = ga;
		prev = ga;
		lines++;
	}
	assert_int_equal(lines, 20001);
	assert_int_equal(prev, 99);
	ft_session_free(s);
	ft_tap_free(tap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cell_replace_under_readers),
	    cmocka_unit_test(test_tap_replace_during_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
