/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the MPSC capture ring (wrap-around, padding, full, concurrency). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bigmem.h"
#include "ring.h"

static void test_fifo_and_wrap(void **state)
{
	struct ft_ring r;
	uint32_t len;
	assert_int_equal(ft__ring_init(&r, 4096), 0);
	/* Many laps of varied sizes: order, contents and lengths survive padding. */
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t n = 1 + (i * 37) % 700;
		uint8_t *p = ft__ring_reserve(&r, n);
		assert_non_null(p);
		memset(p, (int)(i & 0xff), n);
		ft__ring_commit(&r, p, n);
		const uint8_t *q = ft__ring_peek(&r, &len);
		assert_non_null(q);
		assert_int_equal(len, n);
		assert_int_equal(q[0], i & 0xff);
		assert_int_equal(q[n - 1], i & 0xff);
		ft__ring_release(&r);
		assert_null(ft__ring_peek(&r, &len));
	}
	assert_int_equal(ft__ring_used(&r), 0);
	ft__ring_destroy(&r);
}

static void test_full_and_uncommitted(void **state)
{
	struct ft_ring r;
	uint32_t len;
	int n = 0;
	assert_int_equal(ft__ring_init(&r, 4096), 0);
	void *first = ft__ring_reserve(&r, 100);
	assert_non_null(first);
	/* An uncommitted record hides itself and everything after it. */
	assert_null(ft__ring_peek(&r, &len));
	void *p;
	while ((p = ft__ring_reserve(&r, 100)) != NULL) {
		ft__ring_commit(&r, p, 100);
		n++;
	}
	assert_int_equal(n, 4096 / ((sizeof(struct ft_ring_hdr) + 100 + 15) & ~15u) - 1);
	assert_null(ft__ring_peek(&r, &len));
	ft__ring_commit(&r, first, 100);
	int got = 0;
	while (ft__ring_peek(&r, &len)) {
		ft__ring_release(&r);
		got++;
	}
	assert_int_equal(got, n + 1);
	/* Too large for the ring: refused, not wrapped. */
	assert_null(ft__ring_reserve(&r, 4000));
	ft__ring_destroy(&r);
}

#define PRODUCERS 4
#define PER	  200000

static struct ft_ring shared;
static _Atomic uint64_t produced, refused;

static void *producer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	for (uint32_t i = 0; i < PER; i++) {
		uint32_t n = 8 + (i % 64);
		uint32_t *p = ft__ring_reserve(&shared, n);
		if (!p) {
			atomic_fetch_add(&refused, 1);
			continue;
		}
		p[0] = (uint32_t)id;
		p[1] = i;
		ft__ring_commit(&shared, p, n);
		atomic_fetch_add(&produced, 1);
	}
	return NULL;
}

static void test_mpsc(void **state)
{
	pthread_t th[PRODUCERS];
	uint32_t last[PRODUCERS];
	uint64_t consumed = 0;
	uint32_t len;

	memset(last, 0xff, sizeof(last));
	assert_int_equal(ft__ring_init(&shared, 1 << 16), 0);
	for (uintptr_t i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, producer, (void *)i);
	for (;;) {
		const uint32_t *q = ft__ring_peek(&shared, &len);
		if (!q) {
			if (atomic_load(&produced) + atomic_load(&refused) ==
				(uint64_t)PRODUCERS * PER &&
			    consumed == atomic_load(&produced))
				break;
			continue;
		}
		assert_true(q[0] < PRODUCERS);
		/* Per-producer order is preserved. */
		assert_true(last[q[0]] == UINT32_MAX || q[1] > last[q[0]]);
		assert_int_equal(len, 8 + (q[1] % 64));
		last[q[0]] = q[1];
		ft__ring_release(&shared);
		consumed++;
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(consumed, atomic_load(&produced));
	ft__ring_destroy(&shared);
}

/* Ring memory is whole powers of two (bigmem.h: populated, in huge pages;
 * test_bigmem checks that). */
static void test_mem_power_of_two(void **state)
{
	size_t size = (4u << 20) + 1;
	uint8_t *buf = ft__ring_mem_alloc(&size);

	assert_non_null(buf);
	assert_int_equal(size, 8u << 20);
	buf[size - 1] = 1;
	ft__bigmem_free(buf, size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_and_wrap),
	    cmocka_unit_test(test_full_and_uncommitted),
	    cmocka_unit_test(test_mpsc),
	    cmocka_unit_test(test_mem_power_of_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
