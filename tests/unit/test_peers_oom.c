/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_peers_oom.c - ft_peers_build() when an allocation fails: each of its
 * allocations is made to fail in turn (alloc_track.h; the program is linked
 * with --wrap for the allocator), then the build is tried again and must
 * succeed, look up right, and leave nothing behind once the table is freed.
 * Regression: a build that failed after installing the IPv4 ranges left
 * them in the table, and the next try overwrote (leaked) them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <flowtap/peers.h>

#include "alloc_track.h"

static void add(struct ft_peers *p, const char *name, const char *a1, const char *a2)
{
	struct ft_prefix a[2];
	struct ft_peer n = {.name = name, .addrs = a, .naddrs = 2};

	assert_int_equal(ft_prefix_parse(a1, &a[0]), 0);
	assert_int_equal(ft_prefix_parse(a2, &a[1]), 0);
	assert_int_equal(ft_peers_add(p, &n), 0);
}

static const char *name_of(const struct ft_peers *p, const char *s)
{
	const struct ft_peer *n;
	struct ft_addr a;

	assert_int_equal(ft_addr_parse(s, &a), 0);
	n = ft_peers_lookup(p, &a);
	return n ? n->name : "-";
}

static struct ft_peers *table(void)
{
	struct ft_peers *p;

	assert_int_equal(ft_peers_new(&p), 0);
	add(p, "default", "0.0.0.0/0", "::/0");
	add(p, "a", "100.64.0.1/32", "fd7a:115c:a1e0::1/128");
	add(p, "net", "10.1.0.0/16", "fd00::/8");
	return p;
}

static void test_build_fails_then_retries(void **state)
{
	long k;

	for (k = 1; k < 100; k++) {
		struct ft_peers *p = table();
		int ret;

		at_start(k, NULL, 0);
		ret = ft_peers_build(p);
		at_stop();
		if (ret == 0) {
			/* No allocation number k: every one has failed once. */
			assert_true(at_allocs() < k);
			ft_peers_free(p);
			break;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_string_equal(name_of(p, "100.64.0.1"), "-"); /* not built */
		assert_int_equal(ft_peers_build(p), 0);
		assert_string_equal(name_of(p, "100.64.0.1"), "a");
		assert_string_equal(name_of(p, "10.1.2.3"), "net");
		assert_string_equal(name_of(p, "8.8.8.8"), "default");
		assert_string_equal(name_of(p, "fd7a:115c:a1e0::1"), "a");
		assert_string_equal(name_of(p, "fd00::9"), "net");
		assert_string_equal(name_of(p, "2001:db8::1"), "default");
		ft_peers_free(p);
		if (at_live())
			fail_msg("allocation %ld failed: %zu blocks of the failed build leaked", k,
				 at_live());
	}
	assert_true(k > 5); /* the failures were injected */
	assert_true(k < 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_fails_then_retries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
