/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the SPSC capture ring (wrap-around, padding, full, a producer and a consumer). */
#include <pthread.h>
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
	uint32_t len;
	assert_int_equal(ft__spsc_init(&r, 4096), 0);
	/* Many laps of varied sizes: order, contents and lengths survive padding. */
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t n = 4 + (i * 37) % 700;
		uint8_t *p = ft__spsc_reserve(&r, n);
		assert_non_null(p);
		memset(p + 4, (int)(i & 0xff), n - 4);
		ft__spsc_commit(&r, n);
		const uint8_t *q = ft__spsc_peek(&r, &len);
		assert_non_null(q);
		assert_ptr_equal(q, p);
		assert_int_equal(len, n);
		if (n > 4) {
			assert_int_equal(q[4], i & 0xff);
			assert_int_equal(q[n - 1], i & 0xff);
		}
		ft__spsc_release(&r, len);
		assert_null(ft__spsc_peek(&r, &len));
	}
	ft__spsc_destroy(&r);
}

static void test_full(void **state)
{
	struct ft_spsc r;
	uint32_t len;
	int n = 0;
	void *p;
	assert_int_equal(ft__spsc_init(&r, 4096), 0);
	/* A reserved record is invisible until committed. */
	assert_non_null(ft__spsc_reserve(&r, 100));
	assert_null(ft__spsc_peek(&r, &len));
	while ((p = ft__spsc_reserve(&r, 100)) != NULL) {
		ft__spsc_commit(&r, 100);
		n++;
	}
	assert_int_equal(n, 4096 / 104);
	/* Space comes back once the consumer publishes what it released. */
	assert_non_null(ft__spsc_peek(&r, &len));
	ft__spsc_release(&r, len);
	assert_null(ft__spsc_reserve(&r, 100));
	ft__spsc_publish(&r);
	assert_non_null(ft__spsc_reserve(&r, 100));
	/* Too large for the ring, or shorter than the ring's word: refused. */
	assert_null(ft__spsc_reserve(&r, 2100));
	assert_null(ft__spsc_reserve(&r, 3));
	ft__spsc_destroy(&r);
}

/* Records advanced past stay the consumer's (a writev() of them is in
 * flight) until it publishes: neither the empty peek nor later releases
 * give their space back. */
static void test_advance_holds(void **state)
{
	struct ft_spsc r;
	uint32_t len, i, n = 0;
	const uint8_t *q[64];
	uint8_t *p;
	assert_int_equal(ft__spsc_init(&r, 4096), 0);
	while (n < 64 && (p = ft__spsc_reserve(&r, 100)) != NULL) {
		memset(p + 4, (int)n, 96);
		ft__spsc_commit(&r, 100);
		n++;
	}
	assert_int_equal(n, 4096 / 104);
	for (i = 0; i < n; i++) {
		q[i] = ft__spsc_peek(&r, &len);
		assert_non_null(q[i]);
		if (i + 1 < n)
			ft__spsc_advance(&r, len);
		else
			ft__spsc_release(&r, len); /* a release after them publishes nothing */
	}
	assert_null(ft__spsc_peek(&r, &len));
	assert_null(ft__spsc_reserve(&r, 100));
	for (i = 0; i < n; i++)
		assert_int_equal(q[i][99], i);
	ft__spsc_publish(&r);
	assert_non_null(ft__spsc_reserve(&r, 100));
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
		ft__spsc_commit(&ring, n);
	}
	atomic_store(&produced_done, 1);
	return NULL;
}

/* One producer and one consumer at once (run under TSan by make tsan). */
static void test_spsc_threads(void **state)
{
	pthread_t th;
	uint32_t len, last = UINT32_MAX;
	uint64_t consumed = 0;

	assert_int_equal(ft__spsc_init(&ring, 1 << 14), 0);
	pthread_create(&th, NULL, producer, NULL);
	for (;;) {
		int done = atomic_load(&produced_done);
		const uint32_t *q = ft__spsc_peek(&ring, &len);
		if (!q) {
			if (done)
				break;
			continue;
		}
		assert_true(last == UINT32_MAX || q[1] > last);
		assert_int_equal(len, 8 + (q[1] % 64));
		last = q[1];
		ft__spsc_release(&ring, len);
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
	    cmocka_unit_test(test_fifo_and_wrap),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_advance_holds),
	    cmocka_unit_test(test_spsc_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
