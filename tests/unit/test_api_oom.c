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
#include "raw_http.h"

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

/* A capture request while the server's k-th allocation for it fails: an
 * answer (the stream, or an error), and nothing left once the server and
 * the tap are freed. */
static void test_capture_fails_cleanly(void **state)
{
	char dir[] = "/tmp/ftao-unit-XXXXXX", sock[64], err[256], buf[4096];
	struct ft_api_opts o;
	long k, before = 0, during = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/c.sock", dir);
	ft_api_opts_init(&o);
	o.socket_path = sock;
	for (k = 1; k < 200; k++) {
		struct ft_api_stats st;
		struct ft_api *api;
		struct ft_tap *t;

		at_start(0, NULL, 0);
		assert_int_equal(ft_tap_new(&t, "oom"), 0);
		assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), 0);
		assert_int_equal(ft_api_add_tap(api, t), 0);
		before = at_fail_next(k);
		close(raw_request(
		    sock,
		    "POST /localapi/v0/debug-capture?format=pcap&filter=udp HTTP/1.1\r\n"
		    "Host: x\r\nContent-Length: 0\r\n\r\n",
		    buf, sizeof(buf), "\r\n\r\n"));
		if (!strstr(buf, "HTTP/1.1 200") && !strstr(buf, "HTTP/1.1 500"))
			fail_msg("allocation %ld failed: no answer: '%.100s'", k, buf);
		ft_api_get_stats(api, &st);
		for (int i = 0; i < 1000 && st.sessions; i++) {
			usleep(10000);
			ft_api_get_stats(api, &st);
		}
		assert_int_equal(st.sessions, 0);
		during = at_fail_next(0) - before;
		ft_api_free(api);
		ft_tap_free(t);
		at_stop();
		if (at_live()) {
			at_dump();
			fail_msg("allocation %ld failed: %zu blocks left", k, at_live());
		}
		if (during < k)
			break; /* every allocation of the request has failed once */
	}
	fprintf(stderr, "# %ld allocations in a capture request, each failed once\n", during);
	assert_true(k > 2 && k < 200);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_fails_cleanly),
	    cmocka_unit_test(test_capture_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
