/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: tcpdump filters via libpcap, structured filters, path sets, directions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <pthread.h>

#include <flowtap/filter.h>

#include "filter_int.h"

/* IPv4 TCP SYN 100.64.0.1:54321 -> 100.64.0.2:443, raw IP (no link header). */
static const uint8_t syn4[] = {
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 100,  64,
    0,	  1,	100,  64,   0,	  2,	0xd4, 0x31, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

/* IPv6 UDP [fd7a::1]:5353 -> [fd7a::2]:53, raw IP, 4 bytes of payload. */
static const uint8_t udp6[] = {
    0x60, 0, 0, 0, 0,	 12,   17,   64,   0xfd, 0x7a, 0, 0, 0, 0, 0, 0, 0, 0,
    0,	  0, 0, 0, 0,	 1,    0xfd, 0x7a, 0,	 0,    0, 0, 0, 0, 0, 0, 0, 0,
    0,	  0, 0, 2, 0x14, 0xe9, 0,    53,   0,	 12,   0, 0, 1, 2, 3, 4,
};

static bool match(const char *expr, const uint8_t *pkt, size_t len)
{
	struct ft_filter *f;
	char err[FT_ERRBUF_SIZE];
	int rc = ft_filter_compile(&f, DLT_RAW, expr, err, sizeof(err));
	assert_int_equal(rc, 0);
	bool m = ft_filter_match(f, pkt, (uint32_t)len, (uint32_t)len);
	ft_filter_free(f);
	return m;
}

static void test_filter_raw(void **state)
{
	assert_true(match("tcp port 443", syn4, sizeof(syn4)));
	assert_true(match("tcp[tcpflags] & tcp-syn != 0", syn4, sizeof(syn4)));
	assert_false(match("tcp[tcpflags] & tcp-ack != 0", syn4, sizeof(syn4)));
	assert_true(match("src host 100.64.0.1 and dst net 100.64.0.0/10", syn4, sizeof(syn4)));
	assert_false(match("udp", syn4, sizeof(syn4)));
	assert_false(match("ip6", syn4, sizeof(syn4)));
	assert_true(match("ip6 and udp dst port 53", udp6, sizeof(udp6)));
	assert_true(match("src host fd7a::1", udp6, sizeof(udp6)));
	assert_false(match("tcp", udp6, sizeof(udp6)));
	assert_true(match("len > 50", udp6, sizeof(udp6)));
	assert_false(match("len > 52", udp6, sizeof(udp6)));
	assert_true(match("portrange 5000-6000", udp6, sizeof(udp6)));
}

static void test_filter_empty_matches_all(void **state)
{
	struct ft_filter *f;
	assert_int_equal(ft_filter_compile(&f, DLT_RAW, "  ", NULL, 0), 0);
	assert_true(ft_filter_match_all(f));
	assert_true(ft_filter_match(f, syn4, 0, 0));
	ft_filter_free(f);
	assert_int_equal(ft_filter_compile(&f, DLT_EN10MB, NULL, NULL, 0), 0);
	assert_true(ft_filter_match_all(f));
	ft_filter_free(f);
	assert_int_equal(ft_filter_compile(&f, DLT_RAW, "tcp", NULL, 0), 0);
	assert_false(ft_filter_match_all(f));
	ft_filter_free(f);
	ft_filter_free(NULL);
}

static void test_filter_truncated_packet(void **state)
{
	struct ft_filter *f;
	assert_int_equal(ft_filter_compile(&f, DLT_RAW, "tcp port 443", NULL, 0), 0);
	/* Only 20 bytes captured of a 40-byte packet: the port is not there, so
	 * BPF rejects instead of reading past the capture. */
	assert_false(ft_filter_match(f, syn4, 20, sizeof(syn4)));
	assert_true(ft_filter_match(f, syn4, sizeof(syn4), sizeof(syn4)));
	ft_filter_free(f);
}

static void test_filter_bad(void **state)
{
	struct ft_filter *f = (struct ft_filter *)1;
	char err[FT_ERRBUF_SIZE];
	assert_int_equal(ft_filter_compile(&f, DLT_RAW, "tcp port", err, sizeof(err)), FT_EFILTER);
	assert_null(f);
	assert_true(strlen(err) > 0);
	assert_non_null(strstr(err, "syntax error"));
	assert_int_equal(ft_filter_compile(&f, DLT_RAW, "host 1.2.3.4.5", err, sizeof(err)),
			 FT_EFILTER);
	assert_true(strlen(err) > 0);
	/* Ethernet-only primitives are refused on raw IP. */
	assert_int_equal(ft_filter_compile(&f, DLT_RAW, "ether host 1:2:3:4:5:6", err, sizeof(err)),
			 FT_EFILTER);
	assert_non_null(strstr(err, "ether"));
}

static void *compile_many(void *arg)
{
	for (int i = 0; i < 200; i++) {
		struct ft_filter *f;
		if (ft_filter_compile(&f, DLT_RAW, i % 2 ? "tcp port 443" : "udp and host 1.2.3.4",
				      NULL, 0) < 0)
			return (void *)1;
		bool m = ft_filter_match(f, syn4, sizeof(syn4), sizeof(syn4));
		ft_filter_free(f);
		if (m != (i % 2 == 1))
			return (void *)1;
	}
	return NULL;
}

static void test_filter_threads(void **state)
{
	pthread_t t[4];
	void *r;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, compile_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		assert_null(r);
	}
}

static void test_render(void **state)
{
	char buf[256];
	struct ft_filter_spec s = {0};
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	s.proto = "tcp";
	s.host = "100.64.0.1";
	s.dst_port = 443;
	int n = ft__filter_render(&s, buf, sizeof(buf));
	assert_string_equal(buf, "tcp and host 100.64.0.1 and dst port 443");
	assert_int_equal(n, (int)strlen(buf));
	assert_true(match(buf, syn4, sizeof(syn4)));

	memset(&s, 0, sizeof(s));
	s.src_host = "fd7a:0::1";
	s.net = "fd7a::/16";
	s.src_port = 5353;
	s.proto = "udp";
	assert_true(ft__filter_render(&s, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "udp and src host fd7a::1 and net fd7a::/16 and src port 5353");
	assert_true(match(buf, udp6, sizeof(udp6)));
}

static void test_render_strict(void **state)
{
	char buf[256];
	struct ft_filter_spec s = {0};
	s.host = "1.2.3.4 or tcp";
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), -EINVAL);
	s.host = NULL;
	s.proto = "tcp or 1";
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), -EINVAL);
	s.proto = NULL;
	s.net = "10.0.0.0/33";
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), -EINVAL);
	s.net = "10.1.0.0/8"; /* host bits set */
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), -EINVAL);
	s.net = "10.0.0.0/";
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), -EINVAL);
	s.net = "10.0.0.0/8x";
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), -EINVAL);
	s.net = "10.0.0.0/8";
	assert_int_equal(ft__filter_render(&s, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "net 10.0.0.0/8");
	assert_int_equal(ft__filter_render(&s, buf, 10), -ENOSPC);
	assert_string_equal(buf, "");
}

static const char *names(const void *ctx, unsigned path)
{
	return path == 254 ? "disco" : path == 7 ? "control" : NULL;
}

static void test_pathset(void **state)
{
	struct ft_pathset s;
	char err[FT_ERRBUF_SIZE];
	ft_pathset_clear(&s);
	assert_false(ft_pathset_has(&s, 0));
	assert_int_equal(ft_pathset_add(&s, 255), 0);
	assert_true(ft_pathset_has(&s, 255));
	assert_int_equal(ft_pathset_add(&s, 256), -ERANGE);
	assert_false(ft_pathset_has(&s, 256));
	assert_false(ft_pathset_has(&s, FT_PATH_NONE));
	ft_pathset_all(&s);
	assert_true(ft_pathset_has(&s, 0) && ft_pathset_has(&s, 63) && ft_pathset_has(&s, 64));

	assert_int_equal(
	    ft_pathset_parse(&s, "from-local,from-peer,254", NULL, NULL, err, sizeof(err)), 0);
	assert_true(ft_pathset_has(&s, 0) && ft_pathset_has(&s, 1) && ft_pathset_has(&s, 254));
	assert_false(ft_pathset_has(&s, 2));
	assert_int_equal(
	    ft_pathset_parse(&s, "disco,control,path-9", names, NULL, err, sizeof(err)), 0);
	assert_true(ft_pathset_has(&s, 254) && ft_pathset_has(&s, 7) && ft_pathset_has(&s, 9));
	assert_false(ft_pathset_has(&s, 0));

	assert_int_equal(ft_pathset_parse(&s, "from-local,bogus", NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown path 'bogus'");
	assert_int_equal(ft_pathset_parse(&s, "256", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown path '256'");
	assert_int_equal(ft_pathset_parse(&s, "0,,1", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(ft_pathset_parse(&s, "", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(ft_pathset_parse(&s, "disco", NULL, NULL, err, sizeof(err)), -EINVAL);
}

static void test_dir(void **state)
{
	enum ft_dir d;
	assert_int_equal(ft_dir_parse("in", &d), 0);
	assert_int_equal(d, FT_DIR_IN);
	assert_int_equal(ft_dir_parse("out", &d), 0);
	assert_int_equal(d, FT_DIR_OUT);
	assert_int_equal(ft_dir_parse("any", &d), 0);
	assert_int_equal(d, FT_DIR_UNKNOWN);
	assert_int_equal(ft_dir_parse("sideways", &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filter_raw),
	    cmocka_unit_test(test_filter_empty_matches_all),
	    cmocka_unit_test(test_filter_truncated_packet),
	    cmocka_unit_test(test_filter_bad),
	    cmocka_unit_test(test_filter_threads),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_render_strict),
	    cmocka_unit_test(test_pathset),
	    cmocka_unit_test(test_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
