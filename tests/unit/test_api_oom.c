/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_api_oom.c - ft_api_new() when an allocation fails: each of the
 * allocations libflowtap makes in it fails in turn (alloc_track.h; the
 * program is linked with --wrap for the allocator). Every failure must be
 * an error with no server returned and nothing left allocated, and no
 * socket file left behind.
 * Regression: when copying the socket path failed, ft_api_new() returned
 * 0 with *out NULL.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtap/api.h>

#include "alloc_track.h"

static void test_new_fails_cleanly(void **state)
{
	char dir[] = "/tmp/ftao-unit-XXXXXX", sock[64], err[256];
	struct ft_api_opts o;
	long k;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/a.sock", dir);
	ft_api_opts_init(&o);
	o.socket_path = sock;
	for (k = 1; k < 200; k++) {
		struct ft_api *api = (struct ft_api *)&k; /* must be reset */
		int ret;

		err[0] = '\0';
		at_start(k, NULL, 0);
		ret = ft_api_new(&api, NULL, &o, err, sizeof(err));
		at_stop();
		if (ret == 0) {
			if (!api)
				fail_msg("allocation %ld failed: 0 returned, no server", k);
			ft_api_free(api);
			if (at_allocs() < k)
				break; /* every allocation has failed once */
			continue;      /* one libflowtap does not need to succeed */
		}
		if (ret != -ENOMEM)
			fail_msg("allocation %ld failed: %d (%s)", k, ret, err);
		assert_null(api);
		assert_true(err[0] != '\0');
		if (at_live())
			fail_msg("allocation %ld failed: %zu blocks left", k, at_live());
		assert_int_equal(access(sock, F_OK), -1);
	}
	assert_true(k > 2 && k < 200);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
