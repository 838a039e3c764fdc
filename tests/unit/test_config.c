/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_config.c - flowtapd's configuration: the file syntax, every key
 * mirroring a long flag, and errors that name the line and the problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "flowtapd.h"

static void test_full_file(void **state)
{
	struct ftd_config c = {0};
	char err[512] = "";
	const char *text = "# flowtapd.conf\n"
			   "socket /run/ftf/flowtap.sock\n"
			   "\n"
			   "interface eth0\n"
			   "  interface   wg0   # the tunnel\n"
			   "nflog 5\n"
			   "psample 1\n"
			   "flow-log -\n"
			   "url http://127.0.0.1:8080/flows\n"
			   "ipfix 127.0.0.1:4739\n"
			   "route 10.1.0.0/16\n"
			   "route = fd00::/64\n"
			   "node-id n1\n"
			   "buffer-size 64M\n"
			   "interval 2.5\n"
			   "syslog\n"
			   "flows yes\n"
			   "log-exit-flows no\n"
			   "user flowtap\n"
			   "group netdev\n"
			   "spool-dir /var/spool/flowtap\n"
			   "write eth0=/var/lib/flowtap/eth0.pcapng";

	assert_int_equal(ftd_config_parse(&c, text, "t.conf", err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/run/ftf/flowtap.sock");
	assert_int_equal(c.interfaces.n, 2);
	assert_string_equal(c.interfaces.v[1], "wg0");
	assert_string_equal(c.nflog.v[0], "5");
	assert_string_equal(c.psample.v[0], "1");
	assert_string_equal(c.flow_log.v[0], "-");
	assert_string_equal(c.url.v[0], "http://127.0.0.1:8080/flows");
	assert_string_equal(c.ipfix.v[0], "127.0.0.1:4739");
	assert_int_equal(c.routes.n, 2);
	assert_string_equal(c.routes.v[1], "fd00::/64");
	assert_string_equal(c.node_id, "n1");
	assert_int_equal(c.buffer_size, 64u << 20);
	assert_int_equal(c.interval_ms, 2500);
	assert_true(c.syslog);
	assert_true(c.flows);
	assert_false(c.log_exit_flows);
	assert_string_equal(c.user, "flowtap");
	assert_string_equal(c.group, "netdev");
	assert_string_equal(c.spool_dir, "/var/spool/flowtap");
	assert_string_equal(c.write.v[0], "eth0=/var/lib/flowtap/eth0.pcapng");
	ftd_config_free(&c);
}

static void expect_error(const char *text, const char *msg)
{
	struct ftd_config c = {0};
	char err[512] = "";

	assert_int_equal(ftd_config_parse(&c, text, "f.conf", err, sizeof(err)), -1);
	if (!strstr(err, msg))
		fail_msg("error \"%s\" does not contain \"%s\"", err, msg);
	ftd_config_free(&c);
}

static void test_errors_name_the_line(void **state)
{
	expect_error("interface eth0\nbogus 1\n", "f.conf:2: unknown option 'bogus'");
	expect_error("\n\nnflog 70000\n", "f.conf:3: bad nflog group '70000'");
	expect_error("psample x\n", "f.conf:1: bad psample group 'x'");
	expect_error("buffer-size 12Q\n", "f.conf:1: bad buffer-size '12Q'");
	expect_error("buffer-size 100\n", "at least 64K");
	expect_error("interval 0\n", "f.conf:1: bad interval '0'");
	expect_error("syslog maybe\n", "f.conf:1: bad syslog value 'maybe'");
	expect_error("# c\nsocket\n", "f.conf:2: 'socket' needs a value");
	expect_error("nflog -1\n", "bad nflog group '-1'");
	expect_error("url http://x/\nflow-format rows\n",
		     "f.conf:2: bad flow-format 'rows' (records or messages)");
}

/* flow-format: validated, and the command line wins over the file. */
static void test_flow_format(void **state)
{
	struct ftd_config file = {0}, cmd = {0};
	char err[512];

	assert_int_equal(ftd_config_parse(&file, "flow-format messages\n", "f", err, sizeof(err)),
			 0);
	assert_string_equal(file.flow_format, "messages");
	assert_int_equal(ftd_config_set(&cmd, "flow-format", "records", err, sizeof(err)), 0);
	assert_int_equal(ftd_config_set(&cmd, "flow-format", "Records", err, sizeof(err)), -1);
	assert_int_equal(ftd_config_merge(&file, &cmd, err, sizeof(err)), 0);
	assert_string_equal(file.flow_format, "records");
	ftd_config_free(&file);
	ftd_config_free(&cmd);
}

/* Every limit is checked when the value is given, not when it is first
 * used: `--buffer-size 2G` used to start, then fail every capture. */
static void test_limits_checked_when_given(void **state)
{
	struct ftd_config c = {0};
	char err[512];

	expect_error("buffer-size 2G\n",
		     "f.conf:1: bad buffer-size '2G' (bytes, at least 64K and at most 1G");
	expect_error("buffer-size 1073741825\n", "bad buffer-size");
	expect_error("route 10.0.0.0/33\n", "f.conf:1: bad route '10.0.0.0/33'");
	expect_error("url ftp://x/\n", "f.conf:1: bad url 'ftp://x/' (want http:// or https://)");
	expect_error("ipfix 127.0.0.1\n", "bad ipfix '127.0.0.1'");
	expect_error("ipfix 127.0.0.1:70000\n", "port must be 1-65535");
	expect_error("write eth0\n", "bad write 'eth0' (want TAP=FILE");
	expect_error("node-id \xff\xfe\n", "bad node-id");
	expect_error("ipfix-rate -1\n", "bad ipfix-rate '-1'");
	expect_error("ipfix-rate 2000000\n", "bad ipfix-rate");
	expect_error("wg-stale 0\n", "f.conf:1: bad wg-stale '0' (whole seconds, 1-86400)");
	expect_error("wg-stale 86401\n", "bad wg-stale '86401' (whole seconds, 1-86400)");
	expect_error("wg-stale 1.5\n", "bad wg-stale '1.5'");
	expect_error("wg-stale -5\n", "bad wg-stale '-5'");
	expect_error("wg-stale 3m\n", "bad wg-stale '3m'");
	expect_error("wg-stale\n", "'wg-stale' needs a value");
	/* The largest values allowed are accepted. */
	assert_int_equal(ftd_config_set(&c, "wg-stale", "86400", err, sizeof(err)), 0);
	assert_int_equal(c.wg_stale_ms, 86400u * 1000);
	assert_int_equal(ftd_config_set(&c, "wg-stale", "1", err, sizeof(err)), 0);
	assert_int_equal(c.wg_stale_ms, 1000);
	assert_int_equal(ftd_config_set(&c, "buffer-size", "1G", err, sizeof(err)), 0);
	assert_int_equal(c.buffer_size, 1u << 30);
	assert_int_equal(ftd_config_set(&c, "ipfix", "[::1]:4739", err, sizeof(err)), 0);
	assert_int_equal(ftd_config_set(&c, "ipfix-rate", "0", err, sizeof(err)), 0);
	assert_int_equal(c.ipfix_rate, 1);
	assert_int_equal(ftd_config_set(&c, "buffer-size", "2G", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad buffer-size '2G'"));
	ftd_config_free(&c);
}

static void test_sizes(void **state)
{
	size_t v;

	assert_int_equal(ftd_parse_size("4194304", &v), 0);
	assert_int_equal(v, 4194304);
	assert_int_equal(ftd_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(ftd_parse_size("2MiB", &v), 0);
	assert_int_equal(v, 2u << 20);
	assert_int_equal(ftd_parse_size("1g", &v), 0);
	assert_int_equal(v, 1u << 30);
	assert_int_equal(ftd_parse_size("", &v), -1);
	assert_int_equal(ftd_parse_size("-5", &v), -1);
	assert_int_equal(ftd_parse_size("5T", &v), -1);
	assert_int_equal(ftd_parse_size("99999999999G", &v), -1);
}

static void test_merge_and_flags(void **state)
{
	struct ftd_config file = {0}, cmd = {0};
	char err[512];

	assert_int_equal(
	    ftd_config_parse(&file, "route 10.0.0.0/8\nsocket /a\n", "f", err, sizeof(err)), 0);
	assert_int_equal(ftd_config_set(&cmd, "socket", "/b", err, sizeof(err)), 0);
	assert_int_equal(ftd_config_set(&cmd, "route", "10.2.0.0/16", err, sizeof(err)), 0);
	assert_int_equal(ftd_config_set(&cmd, "syslog", NULL, err, sizeof(err)), 0);
	assert_int_equal(ftd_config_set(&cmd, "nope", "1", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown option 'nope'");
	assert_int_equal(ftd_config_merge(&file, &cmd, err, sizeof(err)), 0);
	assert_string_equal(file.socket, "/b"); /* the command line wins */
	assert_int_equal(file.routes.n, 2);	/* lists add up */
	assert_true(file.syslog);
	ftd_config_free(&file);
	ftd_config_free(&cmd);
}

static void test_load_file(void **state)
{
	struct ftd_config c = {0};
	char path[] = "/tmp/ftf-conf-XXXXXX", err[512];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "interface lo\nroute 300.1.1.1/8 x y\n", 35), 35);
	close(fd);
	/* Routes are validated as the file is read, naming the file and line. */
	assert_int_equal(ftd_config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: bad route '300.1.1.1/8 x y'"));
	ftd_config_free(&c);
	unlink(path);
	assert_int_equal(ftd_config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open config file"));
	assert_non_null(strstr(err, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_errors_name_the_line),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_merge_and_flags),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_flow_format),
	    cmocka_unit_test(test_limits_checked_when_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
