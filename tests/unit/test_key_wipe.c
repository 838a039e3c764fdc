/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_key_wipe.c - a Crypto-PAn key never outlives its holder in freed
 * memory: every block libflowtap frees is searched for the key's bytes
 * (alloc_track.h; the program is linked with --wrap for the allocator).
 * Regressions: ft_api_free() freed the server with its anonymize key in it,
 * and a capture refused after its client had copied the key freed the
 * client without wiping it.
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
#include <pcap/dlt.h>

#include <flowtap/anon.h>
#include <flowtap/api.h>

#include "alloc_track.h"
#include "raw_http.h"

static char dir[64];
static uint8_t key[FT_ANON_KEY_LEN];

static int setup(void **state)
{
	/* Bytes no other block holds by chance. */
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 37));
	snprintf(dir, sizeof(dir), "/tmp/ftkw-unit-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ft_api *new_api(const char *name, char *sock, size_t len)
{
	struct ft_api_opts o;
	struct ft_api *api;
	char err[256];

	snprintf(sock, len, "%s/%s", dir, name);
	ft_api_opts_init(&o);
	o.socket_path = sock;
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), 0);
	return api;
}

static void wait_no_sessions(struct ft_api *api)
{
	struct ft_api_stats st;

	ft_api_get_stats(api, &st);
	for (int i = 0; i < 1000 && st.sessions; i++) {
		usleep(10000);
		ft_api_get_stats(api, &st);
	}
	assert_int_equal(st.sessions, 0);
}

/* Stop tracking and check: blocks were searched (the wrapping works) and
 * none held the key. */
static void check_no_key(void)
{
	at_stop();
	fprintf(stderr, "# %ld freed blocks searched, %ld held the key\n", at.scanned,
		at.secret_hits);
	assert_true(at.scanned > 0);
	assert_int_equal(at.secret_hits, 0);
}

static void test_api_free_wipes_key(void **state)
{
	struct ft_api *api;
	char sock[128];

	at_start(0, key, sizeof(key));
	api = new_api("a.sock", sock, sizeof(sock));
	ft_api_set_anonymize(api, key);
	ft_api_free(api);
	check_no_key();
}

/* Track from here, start a server with @t and the key, and ask for an
 * anonymize=1 capture; returns the server, the reply (up to @needle) in
 * @buf, the connection closed. */
static struct ft_api *capture_with_key(struct ft_tap *t, const char *name, char *buf, size_t cap,
				       const char *needle)
{
	struct ft_api *api;
	char sock[128];

	at_start(0, key, sizeof(key));
	api = new_api(name, sock, sizeof(sock));
	ft_api_set_anonymize(api, key);
	assert_int_equal(ft_api_add_tap(api, t), 0);
	close(raw_request(sock,
			  "POST /localapi/v0/debug-capture?format=pcap&anonymize=1 HTTP/1.1\r\n"
			  "Host: x\r\nContent-Length: 0\r\n\r\n",
			  buf, cap, needle));
	return api;
}

/* anonymize=1 on a tap whose link type cannot be anonymized is refused
 * after the client was set up: the client is freed on that path. */
static void test_refused_capture_wipes_key(void **state)
{
	struct ft_api *api;
	struct ft_tap *t;
	char buf[4096];

	assert_int_equal(ft_tap_new_dlt(&t, "wifi", DLT_IEEE802_11), 0);
	api = capture_with_key(t, "r.sock", buf, sizeof(buf), "cannot be anonymized");
	assert_non_null(strstr(buf, "HTTP/1.1 400"));
	assert_non_null(strstr(buf, "cannot be anonymized"));
	ft_api_set_anonymize(api, NULL); /* only the client's copy is left to see */
	ft_api_free(api);
	check_no_key();
	ft_tap_free(t);
}

/* A capture that ran with anonymize=1: its client and session are freed
 * without the key. */
static void test_capture_wipes_key(void **state)
{
	struct ft_api *api;
	struct ft_tap *t;
	char buf[4096];

	assert_int_equal(ft_tap_new(&t, "raw"), 0);
	api = capture_with_key(t, "c.sock", buf, sizeof(buf), "\r\n\r\n");
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	wait_no_sessions(api);
	ft_api_set_anonymize(api, NULL);
	ft_api_free(api);
	check_no_key();
	ft_tap_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_api_free_wipes_key),
	    cmocka_unit_test(test_refused_capture_wipes_key),
	    cmocka_unit_test(test_capture_wipes_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
