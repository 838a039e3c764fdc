/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: the SPSC capture ring (wrap-around, padding, full by bytes
 * and by index entries, records back to back, held records, runs taken
 * without their entries, the head word's counts wrapping, a producer and
 * a consumer).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "spsc.h"

static void test_fifo_and_wrap(void **state)
{
	struct ft_spsc r;
	struct ft_spsc_ent e;
	(void)state;
	for (unsigned align = 1; align <= 8; align += 7) {
		assert_int_equal(ft__spsc_init(&r, 4096, align), 0);
		/* Many laps of varied sizes: order, contents, lengths and the
		 * caller's words survive padding. */
		for (uint32_t i = 0; i < 5000; i++) {
			uint32_t n = 1 + (i * 37) % 700;
			uint8_t *p = ft__spsc_reserve(&r, n);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % align, 0);
			memset(p, (int)(i & 0xff), n);
			ft__spsc_commit(&r, n, i * 3, (uint64_t)i << 32, false);
			const uint8_t *q = ft__spsc_peek(&r, &e);
			assert_non_null(q);
			assert_ptr_equal(q, p);
			assert_int_equal(e.len, n);
			assert_int_equal(e.aux, i * 3);
			assert_int_equal(e.key, (uint64_t)i << 32);
			assert_int_equal(q[0], i & 0xff);
			assert_int_equal(q[n - 1], i & 0xff);
			ft__spsc_release(&r);
			assert_null(ft__spsc_peek(&r, &e));
		}
		ft__spsc_destroy(&r);
	}
	assert_int_equal(ft__spsc_init(&r, 4096, 4), -EINVAL);
}

static void test_full(void **state)
{
	struct ft_spsc r;
	struct ft_spsc_ent e;
	int n = 0;
	void *p;
	(void)state;
	assert_int_equal(ft__spsc_init(&r, 4096, 8), 0);
	/* A reserved record is invisible until committed. */
	assert_non_null(ft__spsc_reserve(&r, 200));
	assert_null(ft__spsc_peek(&r, &e));
	while ((p = ft__spsc_reserve(&r, 200)) != NULL) {
		ft__spsc_commit(&r, 200, 0, 0, false);
		n++;
	}
	assert_int_equal(n, 4096 / 200); /* full by bytes */
	/* Space comes back once the consumer publishes what it released. */
	assert_non_null(ft__spsc_peek(&r, &e));
	ft__spsc_release(&r);
	assert_null(ft__spsc_reserve(&r, 200));
	ft__spsc_publish(&r);
	assert_non_null(ft__spsc_reserve(&r, 200));
	/* Too large for the ring, or empty: refused. */
	assert_null(ft__spsc_reserve(&r, 2100));
	assert_null(ft__spsc_reserve(&r, 0));
	ft__spsc_destroy(&r);

	/* Short records fill the index first: a ring holds at most one
	 * record per FT_SPSC_BYTES_PER_ENT bytes. */
	assert_int_equal(ft__spsc_init(&r, 4096, 1), 0);
	n = 0;
	while ((p = ft__spsc_reserve(&r, 20)) != NULL) {
		ft__spsc_commit(&r, 20, 0, 0, false);
		n++;
	}
	assert_int_equal(n, 4096 / FT_SPSC_BYTES_PER_ENT);
	assert_non_null(ft__spsc_peek(&r, &e));
	ft__spsc_release(&r);
	ft__spsc_publish(&r);
	assert_non_null(ft__spsc_reserve(&r, 20));
	ft__spsc_destroy(&r);
}

/* Unaligned records lie back to back: a run of them is one span of bytes
 * (what the session hands to writev() as one iovec). */
static void test_back_to_back(void **state)
{
	struct ft_spsc r;
	struct ft_spsc_ent e;
	const uint8_t *prev = NULL;
	uint32_t prev_len = 0;
	(void)state;
	assert_int_equal(ft__spsc_init(&r, 1 << 16, 1), 0);
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t n = 17 + i % 13;
		uint8_t *p = ft__spsc_reserve(&r, n);
		assert_non_null(p);
		memset(p, (int)i, n);
		ft__spsc_commit(&r, n, 0, i, false);
	}
	for (uint32_t i = 0; i < 100; i++) {
		const uint8_t *q = ft__spsc_peek(&r, &e);
		assert_non_null(q);
		if (prev)
			assert_ptr_equal(q, prev + prev_len);
		assert_int_equal(q[0], i);
		prev = q;
		prev_len = e.len;
		ft__spsc_advance(&r);
	}
	ft__spsc_destroy(&r);
}

/* Records advanced past stay the consumer's (a writev() of them is in
 * flight) until it publishes: neither the empty peek nor later releases
 * give their space back. */
static void test_advance_holds(void **state)
{
	struct ft_spsc r;
	struct ft_spsc_ent e;
	uint32_t i, n = 0;
	const uint8_t *q[64];
	uint8_t *p;
	(void)state;
	assert_int_equal(ft__spsc_init(&r, 4096, 8), 0);
	while (n < 64 && (p = ft__spsc_reserve(&r, 200)) != NULL) {
		memset(p, (int)n, 200);
		ft__spsc_commit(&r, 200, 0, 0, false);
		n++;
	}
	assert_int_equal(n, 4096 / 200);
	for (i = 0; i < n; i++) {
		q[i] = ft__spsc_peek(&r, &e);
		assert_non_null(q[i]);
		if (i + 1 < n)
			ft__spsc_advance(&r);
		else
			ft__spsc_release(&r); /* a release after them publishes nothing */
	}
	assert_null(ft__spsc_peek(&r, &e));
	assert_null(ft__spsc_reserve(&r, 200));
	for (i = 0; i < n; i++)
		assert_int_equal(q[i][199], i);
	ft__spsc_publish(&r);
	assert_non_null(ft__spsc_reserve(&r, 200));
	ft__spsc_destroy(&r);
}

/* Commit a record of @n bytes filled with @fill. */
static void put(struct ft_spsc *r, uint32_t n, int fill, bool mark)
{
	uint8_t *p = ft__spsc_reserve(r, n);
	assert_non_null(p);
	memset(p, fill, n);
	ft__spsc_commit(r, n, 0, 0, mark);
}

static void test_take_run(void **state)
{
	struct ft_spsc r;
	struct ft_spsc_ent e;
	uint64_t len, n;
	const uint8_t *q;
	(void)state;

	/* 4096 bytes, 32 index entries. */
	assert_int_equal(ft__spsc_init(&r, 4096, 1), 0);
	assert_false(ft__spsc_ready(&r));
	assert_null(ft__spsc_take_run(&r, 4096, 100, &len, &n));
	for (int i = 0; i < 3; i++)
		put(&r, 100, i, false);
	assert_true(ft__spsc_ready(&r));
	/* Beyond the limits: nothing taken, the records stay. */
	assert_null(ft__spsc_take_run(&r, 299, 100, &len, &n));
	assert_null(ft__spsc_take_run(&r, 4096, 2, &len, &n));
	q = ft__spsc_take_run(&r, 4096, 100, &len, &n);
	assert_ptr_equal(q, r.buf);
	assert_int_equal(len, 300);
	assert_int_equal(n, 3);
	assert_int_equal(q[0], 0);
	assert_int_equal(q[299], 2);
	assert_false(ft__spsc_ready(&r));
	/* Held like advanced records until published. */
	assert_int_equal(atomic_load(&r.tail), 0);
	ft__spsc_publish(&r);
	assert_int_equal(atomic_load(&r.tail), 300);
	assert_int_equal(atomic_load(&r.ntail), 3);

	/* Up to 96 bytes before the end of the lap: one run. */
	for (int i = 0; i < 9; i++)
		put(&r, 400, 3 + i, false);
	put(&r, 100, 12, false);
	q = ft__spsc_take_run(&r, 4096, 100, &len, &n);
	assert_ptr_equal(q, r.buf + 300);
	assert_int_equal(len, 3700);
	assert_int_equal(n, 10);
	ft__spsc_publish(&r);
	/* The next record starts the next lap after a padding entry, which
	 * a run never takes; peek does. */
	put(&r, 100, 77, false);
	assert_null(ft__spsc_take_run(&r, 4096, 100, &len, &n));
	q = ft__spsc_peek(&r, &e);
	assert_ptr_equal(q, r.buf);
	assert_int_equal(e.len, 100);
	ft__spsc_release(&r);
	ft__spsc_publish(&r);
	put(&r, 50, 1, false);
	q = ft__spsc_take_run(&r, 4096, 100, &len, &n);
	assert_ptr_equal(q, r.buf + 100);
	assert_int_equal(len, 50);
	ft__spsc_publish(&r);

	/* A marked record: its entry must be read, from then on. The
	 * consumer's copy of the mark, false so far, does not hide it. */
	assert_false(ft__spsc_marked(&r));
	put(&r, 10, 1, true);
	assert_null(ft__spsc_take_run(&r, 4096, 100, &len, &n));
	assert_true(r.cmarked);
	assert_non_null(ft__spsc_peek(&r, &e));
	ft__spsc_release(&r);
	put(&r, 10, 1, false);
	assert_null(ft__spsc_take_run(&r, 4096, 100, &len, &n));
	assert_true(ft__spsc_marked(&r));
	ft__spsc_destroy(&r);
}

/* The head word keeps entries and bytes modulo 2^FT_SPSC_NBITS and
 * 2^(64 - FT_SPSC_NBITS): a ring whose counts pass both still works. */
static void test_head_word_wraps(void **state)
{
	struct ft_spsc r;
	struct ft_spsc_ent e;
	uint64_t len, n, off = 0, ents = (1ull << FT_SPSC_NBITS) - 3;
	uint64_t bytes = (1ull << (64 - FT_SPSC_NBITS)) - 4096; /* a lap's start */
	(void)state;

	assert_int_equal(ft__spsc_init(&r, 4096, 1), 0);
	/* As if that much had gone through: both sides' counts. */
	r.pn = r.pntail = r.cn = r.chead = ents;
	r.pbytes = r.ptail = r.ctail = r.cbhead = bytes;
	atomic_store(&r.ntail, ents);
	atomic_store(&r.tail, bytes);
	atomic_store(&r.head, bytes << FT_SPSC_NBITS | (ents & FT_SPSC_NMASK));
	for (int lap = 0; lap < 5; lap++) {
		/* Records of 400 bytes to the end of the lap, as one run. */
		uint64_t k = 0, start = off;
		for (; off + 400 <= 4096; off += 400, k++)
			put(&r, 400, (int)k, false);
		const uint8_t *q = ft__spsc_take_run(&r, 4096, 100, &len, &n);
		assert_ptr_equal(q, r.buf + start);
		assert_int_equal(len, off - start);
		assert_int_equal(n, k);
		assert_int_equal(q[len - 1], (k - 1) & 0xff);
		ft__spsc_publish(&r);
		/* The padding, then one record at the lap's start, by peek. */
		put(&r, 400, 9, false);
		assert_null(ft__spsc_take_run(&r, 4096, 100, &len, &n));
		assert_ptr_equal(ft__spsc_peek(&r, &e), r.buf);
		assert_int_equal(e.len, 400);
		ft__spsc_release(&r);
		ft__spsc_publish(&r);
		assert_null(ft__spsc_peek(&r, &e));
		off = 400 + 8 * (uint64_t)lap; /* a different end each lap */
		put(&r, 8 * (uint32_t)lap + 1, 1, false);
		assert_non_null(ft__spsc_take_run(&r, 4096, 100, &len, &n));
		assert_int_equal(len, 8 * (uint64_t)lap + 1);
		ft__spsc_publish(&r);
		off++;
	}
	assert_true(r.cn > (1ull << FT_SPSC_NBITS));
	assert_true(r.ctail > (1ull << (64 - FT_SPSC_NBITS)));
	assert_int_equal(atomic_load(&r.ntail), r.cn);
	ft__spsc_destroy(&r);
}

#define PER 500000

static struct ft_spsc ring;
static _Atomic int produced_done;
static uint64_t refused;

static void *producer(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < PER; i++) {
		uint32_t n = 8 + (i % 64);
		uint32_t *p = ft__spsc_reserve(&ring, n);
		if (!p) {
			refused++;
			continue;
		}
		p[1] = i;
		ft__spsc_commit(&ring, n, i, i, false);
	}
	atomic_store(&produced_done, 1);
	return NULL;
}

/* One producer and one consumer at once (run under TSan by make tsan). */
static void test_spsc_threads(void **state)
{
	pthread_t th;
	struct ft_spsc_ent e;
	uint32_t last = UINT32_MAX;
	uint64_t consumed = 0;
	(void)state;

	assert_int_equal(ft__spsc_init(&ring, 1 << 14, 8), 0);
	pthread_create(&th, NULL, producer, NULL);
	for (;;) {
		int done = atomic_load(&produced_done);
		/* Every other round takes a run of records where they lie,
		 * without their entries (records of 8 + i % 64 bytes, aligned). */
		uint64_t len, n;
		const uint8_t *run =
		    consumed & 1 ? ft__spsc_take_run(&ring, 1 << 13, 200, &len, &n) : NULL;
		if (run) {
			for (uint64_t off = 0, k = 0; k < n; k++) {
				uint32_t i = ((const uint32_t *)(const void *)(run + off))[1];
				assert_true(off < len);
				assert_true(last == UINT32_MAX || i > last);
				last = i;
				off += (8 + i % 64 + 7) & ~7u;
				if (k == n - 1)
					assert_int_equal(off, len);
			}
			ft__spsc_publish(&ring);
			consumed += n;
			continue;
		}
		const uint32_t *q = ft__spsc_peek(&ring, &e);
		if (!q) {
			if (done)
				break;
			/* Let the producer run where both threads share a core
			 * at one real-time priority (taskset -c 0 chrt -f 10
			 * spun here for ever). */
			sched_yield();
			continue;
		}
		assert_true(last == UINT32_MAX || q[1] > last);
		assert_int_equal(e.len, 8 + (q[1] % 64));
		assert_int_equal(e.aux, q[1]);
		assert_int_equal(e.key, q[1]);
		last = q[1];
		ft__spsc_release(&ring);
		consumed++;
	}
	pthread_join(th, NULL);
	assert_int_equal(consumed + refused, PER);
	assert_true(consumed > 0);
	ft__spsc_destroy(&ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_and_wrap), cmocka_unit_test(test_full),
	    cmocka_unit_test(test_back_to_back),  cmocka_unit_test(test_advance_holds),
	    cmocka_unit_test(test_take_run),	  cmocka_unit_test(test_head_word_wraps),
	    cmocka_unit_test(test_spsc_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
