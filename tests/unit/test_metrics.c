/* SPDX-License-Identifier: BSD-2-Clause */
/* test_metrics.c - the Prometheus exposition: families, escaping, the
 * per-tap counters, the TCP listener's address parsing, and promtool's
 * verdict on what we write. */
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
#include <flowtap/metrics.h>

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ftd-metrics-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Label values with every character the format escapes, and families with
 * names it refuses (left out, with their samples). */
static void extra(void *ctx, struct ft_metrics *m)
{
	const char *odd[] = {"who", "a\"b\\c\nd", "gone", NULL, NULL};
	const char *badlabel[] = {"0bad", "x", "ok", "y", NULL};

	ft_metrics_family(m, "test_odd_total", FT_METRIC_COUNTER, "help with \\ and\nnewline");
	ft_metrics_sample(m, odd, 3);
	ft_metrics_sample(m, badlabel, 0.5);
	ft_metrics_family(m, "bad-name", FT_METRIC_GAUGE, "skipped");
	ft_metrics_sample(m, NULL, 1);
	ft_metrics_family(m, "test_big", FT_METRIC_GAUGE, "large and fractional");
	ft_metrics_sample(m, NULL, 1e20);
	(*(int *)ctx)++;
}

static char *metrics_of(struct ft_api *api)
{
	char *text = NULL;
	long n = ft_api_metrics_text(api, &text);

	assert_true(n > 0);
	assert_int_equal(strlen(text), (size_t)n);
	return text;
}

static void test_exposition(void **state)
{
	char path[128], err[256], *text;
	struct ft_api_opts o;
	struct ft_api *api;
	struct ft_tap *t;
	int calls = 0;

	snprintf(path, sizeof(path), "%s/m.sock", dir);
	ft_api_opts_init(&o);
	o.socket_path = path;
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), 0);
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	assert_int_equal(ft_api_add_tap(api, t), 0);
	ft_api_set_metrics_fn(api, extra, &calls);
	/* Drops per reason: built-in and registered; a reason with none has no
	 * sample, and the family is there before the first drop. */
	text = metrics_of(api);
	assert_non_null(strstr(text, "# TYPE flowtap_tap_dropped_packets_total counter\n"
				     "# HELP flowtap_tap_dropped_bytes_total"));
	free(text);
	static const uint8_t pkt[60] = {0x45};
	int kern = ft_tap_add_drop_reason(t, "NETFILTER_DROP");
	assert_true(kern > 0);
	for (int i = 0; i < 3; i++)
		ft_tap_drop(t, FT_PATH_FROM_PEER, pkt, sizeof(pkt), FT_DROP_ACL, NULL);
	ft_tap_drop(t, FT_PATH_FROM_LOCAL, pkt, 40, (unsigned)kern, NULL);
	text = metrics_of(api);
	assert_non_null(strstr(
	    text, "flowtap_tap_dropped_packets_total{tap=\"tun0\",reason=\"acl-denied\"} 3\n"
		  "flowtap_tap_dropped_packets_total{tap=\"tun0\",reason=\"NETFILTER_DROP\"} 1\n"));
	assert_non_null(strstr(
	    text, "flowtap_tap_dropped_bytes_total{tap=\"tun0\",reason=\"acl-denied\"} 180\n"
		  "flowtap_tap_dropped_bytes_total{tap=\"tun0\",reason=\"NETFILTER_DROP\"} 40\n"));
	assert_null(strstr(text, "reason=\"no-route\""));
	free(text);
	calls = 0;
	text = metrics_of(api);
	assert_int_equal(calls, 1);
	assert_non_null(strstr(
	    text, "# TYPE flowtap_build_info gauge\nflowtap_build_info{version=\"" FT_VERSION_STRING
		  "\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE flowtap_tap_packets_offered_total counter\n"
				     "flowtap_tap_packets_offered_total{tap=\"tun0\"} 0\n"));
	assert_non_null(strstr(text, "flowtap_session_dropped_packets_total{tap=\"tun0\"} 0\n"));
	assert_non_null(strstr(text, "flowtap_tap_info{tap=\"tun0\",linktype=\"RAW\"} 1\n"));
	assert_non_null(strstr(text, "# HELP test_odd_total help with \\\\ and\\nnewline\n"));
	assert_non_null(strstr(text, "test_odd_total{who=\"a\\\"b\\\\c\\nd\"} 3\n"));
	assert_non_null(strstr(text, "test_odd_total{ok=\"y\"} 0.5\n"));
	assert_non_null(strstr(text, "test_big 1e+20\n"));
	assert_null(strstr(text, "bad-name"));
	assert_null(strstr(text, "0bad"));
	assert_null(strstr(text, "flowtap_flowlog_")); /* no flow logger set */

	/* promtool, the format's own checker, has the last word (lint
	 * findings print on stdout; a format error fails). */
	char file[160], cmd[400];
	snprintf(file, sizeof(file), "%s/m.prom", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
	if (system("command -v promtool >/dev/null") == 0) {
		snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' >'%s.out' 2>&1", file,
			 file);
		int rc = system(cmd);
		snprintf(cmd, sizeof(cmd), "cat '%s.out'", file);
		if (rc != 0)
			assert_int_equal(system(cmd), 0);
		assert_int_equal(rc, 0);
	}
	ft_api_free(api);
	ft_tap_free(t);
}

static void test_listen_parse(void **state)
{
	static const char *const good[] = {"9100",	":9100",      "127.0.0.1:9100",
					   "0.0.0.0:0", "[::1]:9100", "[::]:65535"};
	static const char *const bad[] = {
	    "",	     ":",     "x:1", "1.2.3.4:", "1.2.3.4:65536", "::1:80", "localhost:9100",
	    "9100x", "[::1]", "-1",  "1.2.3:80"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ft_metrics_parse_listen(good[i]) != 0)
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ft_metrics_parse_listen(bad[i]) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_listen(void **state)
{
	char path[128], err[256];
	struct ft_api *api;
	struct ft_api_opts o;

	snprintf(path, sizeof(path), "%s/l.sock", dir);
	ft_api_opts_init(&o);
	o.socket_path = path;
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), 0);
	assert_int_equal(ft_api_metrics_port(api), 0);
	assert_int_equal(ft_api_listen_metrics(api, "x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad metrics address 'x'"));
	assert_int_equal(ft_api_listen_metrics(api, "127.0.0.1:0", err, sizeof(err)), 0);
	unsigned port = ft_api_metrics_port(api);
	assert_true(port > 0);
	assert_int_equal(ft_api_listen_metrics(api, "127.0.0.1:0", err, sizeof(err)), -EALREADY);

	/* A second server cannot take the same port. */
	struct ft_api *api2;
	char p2[128], addr[32];
	snprintf(p2, sizeof(p2), "%s/l2.sock", dir);
	o.socket_path = p2;
	assert_int_equal(ft_api_new(&api2, NULL, &o, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_equal(ft_api_listen_metrics(api2, addr, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "Address already in use"));
	ft_api_free(api2);
	ft_api_free(api);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exposition),
	    cmocka_unit_test(test_listen_parse),
	    cmocka_unit_test(test_listen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
