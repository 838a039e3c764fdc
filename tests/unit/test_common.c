/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: errors, addresses, built-in paths, link types. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include <flowtap/common.h>

#include "fd_write.h"
#include "url.h"

static void test_strerror(void **state)
{
	assert_string_equal(ft_strerror(FT_EFILTER), "bad filter expression");
	assert_string_equal(ft_strerror(-ENOENT), strerror(ENOENT));
}

static void test_addr_roundtrip(void **state)
{
	struct ft_addr a;
	char buf[64];
	assert_int_equal(ft_addr_parse("100.64.0.1", &a), 0);
	assert_int_equal(a.len, 4);
	assert_string_equal(ft_addr_format(&a, buf, sizeof(buf)), "100.64.0.1");
	assert_int_equal(ft_addr_parse("fd7a:115c:a1e0::1", &a), 0);
	assert_int_equal(a.len, 16);
	assert_string_equal(ft_addr_format(&a, buf, sizeof(buf)), "fd7a:115c:a1e0::1");
	assert_int_equal(ft_addr_parse("100.64.0", &a), -EINVAL);
	assert_int_equal(a.len, 0);
}

static void test_paths(void **state)
{
	assert_string_equal(ft_path_builtin_name(FT_PATH_FROM_LOCAL), "from-local");
	assert_string_equal(ft_path_builtin_name(FT_PATH_SYNTHESIZED_TO_PEER),
			    "synthesized-to-peer");
	assert_null(ft_path_builtin_name(254));
	assert_int_equal(ft_path_builtin_dir(FT_PATH_FROM_PEER), FT_DIR_IN);
	assert_int_equal(ft_path_builtin_dir(FT_PATH_FROM_LOCAL), FT_DIR_OUT);
}

static void test_linktype(void **state)
{
	assert_int_equal(ft_dlt_to_linktype(DLT_RAW), 101);
	assert_int_equal(ft_dlt_to_linktype(DLT_EN10MB), 1);
	assert_int_equal(ft_dlt_to_linktype(DLT_LINUX_SLL), 113);
}

/* Credentials in a URL's authority are hidden; nothing else is. */
static void test_url_redact(void **state)
{
	char b[64];

	assert_string_equal(ft__url_redact(b, sizeof(b), "https://u:pw@h:8/p?q=1"),
			    "https://***@h:8/p?q=1");
	assert_string_equal(ft__url_redact(b, sizeof(b), "http://a@b@h/"), "http://***@h/");
	assert_string_equal(ft__url_redact(b, sizeof(b), "http://h/x@y"), "http://h/x@y");
	assert_string_equal(ft__url_redact(b, sizeof(b), "http://h?u=a@b"), "http://h?u=a@b");
	assert_string_equal(ft__url_redact(b, sizeof(b), "h:1"), "h:1");
	assert_string_equal(ft__url_redact(b, 12, "http://user:pw@host/"), "http://***@");
}

/* A file that takes only part of a write: the short count sets no errno, so
 * the reason (here EFBIG from RLIMIT_FSIZE, on a disk ENOSPC) comes from the
 * next write, never from a stale errno (the spool once reported ENOENT). */
static void test_write_all_short_write(void **state)
{
	char path[] = "/tmp/ft-test-write-XXXXXX", buf[300];
	struct rlimit old, lim;
	struct stat st;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100;
	signal(SIGXFSZ, SIG_IGN); /* EFBIG, not death by signal */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct iovec iov = {buf, sizeof(buf)};
	errno = ENOENT;
	int r = ft__output_fdv(fd, &iov, 1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -EFBIG);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 100);
	iov = (struct iovec){buf, sizeof(buf)};
	assert_int_equal(ft__output_fdv(fd, &iov, 1), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 400);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror),   cmocka_unit_test(test_addr_roundtrip),
	    cmocka_unit_test(test_paths),      cmocka_unit_test(test_linktype),
	    cmocka_unit_test(test_url_redact), cmocka_unit_test(test_write_all_short_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
