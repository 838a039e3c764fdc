/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for ft_text_format(): timestamps in every time mode (and the
 * per-second cache across modes and seconds), the direction, path and
 * pre-NAT fields, path names through the callback, the -x and -A dumps,
 * buffer overflow handling and defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <flowtap/text.h>

/* IPv4 UDP 10.0.0.1.1234 > 10.0.0.2.5678, no payload (28 bytes). */
static const uint8_t udp4[] = {0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11,
			       0xf9, 0xc0, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
			       0x04, 0xd2, 0x16, 0x2e, 0x00, 0x08, 0x00, 0x00};

/* 2023-11-14 22:13:20.123456789 UTC */
#define TS 1700000000123456789ull

static char buf[FT_TEXT_MAX];

static struct ft_pkt raw_pkt(const uint8_t *d, uint32_t n)
{
	struct ft_pkt p = {0};
	p.ts_ns = TS;
	p.data = d;
	p.caplen = n;
	p.len = n;
	p.dlt = 12; /* DLT_RAW */
	p.path = FT_PATH_NONE;
	return p;
}

static const char *fmt(const struct ft_pkt *p, const struct ft_text_opts *o)
{
	struct ft_strbuf sb = {buf, 0, sizeof(buf), false};
	size_t n = ft_text_format(p, o, &sb);
	assert_int_equal(n, sb.len);
	assert_false(sb.overflow);
	return buf;
}

static void test_time_modes(void **state)
{
	struct ft_pkt p = raw_pkt(udp4, sizeof(udp4));
	struct ft_text_opts o = {0};
	const char *rest = "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n";
	char want[256];

	o.time = FT_TIME_UTC;
	snprintf(want, sizeof(want), "22:13:20.123456 %s", rest);
	assert_string_equal(fmt(&p, &o), want);
	o.time = FT_TIME_DATE_UTC;
	snprintf(want, sizeof(want), "2023-11-14 22:13:20.123456 %s", rest);
	assert_string_equal(fmt(&p, &o), want);
	/* main() set TZ to UTC+2 before anything was formatted. */
	o.time = FT_TIME_LOCAL;
	snprintf(want, sizeof(want), "00:13:20.123456 %s", rest);
	assert_string_equal(fmt(&p, &o), want);
	o.time = FT_TIME_DATE;
	snprintf(want, sizeof(want), "2023-11-15 00:13:20.123456 %s", rest);
	assert_string_equal(fmt(&p, &o), want);
	o.time = FT_TIME_NONE;
	assert_string_equal(fmt(&p, &o), rest);
	/* NULL options: local time, no flags. */
	snprintf(want, sizeof(want), "00:13:20.123456 %s", rest);
	assert_string_equal(fmt(&p, NULL), want);
}

static void test_time_cache(void **state)
{
	struct ft_pkt p = raw_pkt(udp4, sizeof(udp4));
	struct ft_text_opts o = {0};
	static const struct {
		uint64_t ts;
		const char *want;
	} seq[] = {
	    {0, "00:00:00.000000"},
	    {999999999, "00:00:00.999999"},
	    {1000000000, "00:00:01.000000"},
	    {59999999999ull, "00:00:59.999999"},
	    {86399000000001ull, "23:59:59.000000"},
	    {86400000000000ull, "00:00:00.000000"},
	    {1000000000, "00:00:01.000000"}, /* backwards in time */
	    {4102444799000001000ull, "23:59:59.000001"},
	};
	char want[256];

	o.time = FT_TIME_UTC;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		p.ts_ns = seq[i].ts;
		snprintf(want, sizeof(want), "%s IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n",
			 seq[i].want);
		assert_string_equal(fmt(&p, &o), want);
	}
	/* The cache must not hand a UTC text to a local-time request. */
	p.ts_ns = TS;
	o.time = FT_TIME_UTC;
	assert_memory_equal(fmt(&p, &o), "22:13:20", 8);
	o.time = FT_TIME_LOCAL;
	assert_memory_equal(fmt(&p, &o), "00:13:20", 8);
	o.time = FT_TIME_DATE_UTC;
	assert_memory_equal(fmt(&p, &o), "2023-11-14 22:13:20", 19);
}

static const char *names(const void *ctx, unsigned path)
{
	assert_ptr_equal(ctx, (const void *)buf);
	return path == 254 ? "disco" : NULL;
}

static void test_dir_path_nat(void **state)
{
	struct ft_pkt p = raw_pkt(udp4, sizeof(udp4));
	struct ft_text_opts o = {0, FT_TIME_NONE, NULL, NULL, NULL, NULL};

	p.dir = FT_DIR_OUT;
	p.path = FT_PATH_FROM_LOCAL;
	assert_string_equal(fmt(&p, &o),
			    "OUT from-local IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
	p.dir = FT_DIR_IN;
	p.path = 7;
	assert_string_equal(fmt(&p, &o),
			    "IN path-7 IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
	o.path_name = names;
	o.path_ctx = buf;
	p.path = 254;
	assert_string_equal(fmt(&p, &o),
			    "IN disco IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
	/* The callback knows nothing of path 2: the built-in name is used. */
	p.path = FT_PATH_SYNTHESIZED_TO_LOCAL;
	assert_string_equal(
	    fmt(&p, &o),
	    "IN synthesized-to-local IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
	/* Direction without a path, path without a direction. */
	p.path = FT_PATH_NONE;
	assert_string_equal(fmt(&p, &o), "IN IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
	p.dir = FT_DIR_UNKNOWN;
	p.path = FT_PATH_FROM_PEER;
	assert_string_equal(fmt(&p, &o),
			    "from-peer IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");

	p.path = FT_PATH_NONE;
	assert_int_equal(ft_addr_parse("100.100.100.100", &p.nat_src), 0);
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0 [pre-nat "
					 "src 100.100.100.100]\n");
	assert_int_equal(ft_addr_parse("fd7a:115c:a1e0::1", &p.nat_dst), 0);
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0 [pre-nat "
					 "src 100.100.100.100 dst fd7a:115c:a1e0::1]\n");
	p.nat_src.len = 0;
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0 [pre-nat "
					 "dst fd7a:115c:a1e0::1]\n");
	/* A corrupt length (not 0/4/16) is not printed. */
	p.nat_dst.len = 7;
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
}

static void test_hex_ascii(void **state)
{
	struct ft_pkt p = raw_pkt(udp4, sizeof(udp4));
	struct ft_text_opts o = {FT_TEXT_HEX, FT_TIME_NONE, NULL, NULL, NULL, NULL};

	/* Byte for byte what tcpdump -X prints for this packet. */
	assert_string_equal(fmt(&p, &o),
			    "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n"
			    "\t0x0000:  4500 001c 0001 0000 4011 f9c0 0a00 0001  E.......@.......\n"
			    "\t0x0010:  0a00 0002 04d2 162e 0008 0000            ............\n");

	/* -A: CR before LF is dropped, tabs/spaces/newlines kept, others '.',
	 * and the dump always ends the line. */
	static const uint8_t http[] = {0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
				       0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
				       0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0x01, 0x50, 0x18, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
				       'G',  'E',  'T',	 ' ',  '/',  ' ',  'H',	 'T',  'T',  'P',
				       '/',  '1',  '.',	 '0',  '\r', '\n', 'a',	 '\t', 0x01, '\r'};
	p = raw_pkt(http, sizeof(http));
	o.flags = FT_TEXT_ASCII;
	assert_string_equal(
	    fmt(&p, &o), "IP 10.0.0.1.12345 > 10.0.0.2.80: Flags [P.], seq 1:21, ack 1, win 256, "
			 "length 20: HTTP: GET / HTTP/1.0\n"
			 "E..<....@...\n" /* 10.0.0.1 has a newline byte: kept, like tcpdump */
			 "...\n"
			 "...09.P........P.......GET / HTTP/1.0\n"
			 "a\t.\n"); /* tcpdump drops a CR that ends the packet */
	/* Both: one dump, as tcpdump chooses (-X wins over -A). */
	o.flags = FT_TEXT_HEX | FT_TEXT_ASCII;
	const char *s = fmt(&p, &o);
	const char *hex = strstr(s, "\t0x0030:  5450 2f31 2e30 0d0a 6109 010d");
	assert_non_null(hex);
	assert_null(strstr(hex, "TP/1.0..a...\nE..<"));
	/* -x: hex without the ASCII column. */
	o.flags = FT_TEXT_HEXONLY;
	s = fmt(&p, &o);
	assert_non_null(strstr(s, "\t0x0030:  5450 2f31 2e30 0d0a 6109 010d\n"));
}

static void test_overflow(void **state)
{
	struct ft_pkt p = raw_pkt(udp4, sizeof(udp4));
	struct ft_text_opts o = {FT_TEXT_HEX, FT_TIME_UTC, NULL, NULL, NULL, NULL};
	char small[32];
	struct ft_strbuf sb = {small, 0, sizeof(small), false};

	memset(small, 'Z', sizeof(small));
	size_t n = ft_text_format(&p, &o, &sb);
	assert_true(sb.overflow);
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_memory_equal(small, "22:13:20.123456 IP 10.0.0.1.1234", 31);

	/* Appending after existing text, and a full buffer. */
	char two[128] = "prefix|";
	struct ft_strbuf sb2 = {two, 7, sizeof(two), false};
	o.flags = 0;
	o.time = FT_TIME_NONE;
	n = ft_text_format(&p, &o, &sb2);
	assert_false(sb2.overflow);
	assert_string_equal(two, "prefix|IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 0\n");
	assert_int_equal(n, strlen(two) - 7);
	struct ft_strbuf full = {two, sizeof(two), sizeof(two), false};
	assert_int_equal(ft_text_format(&p, &o, &full), 0);
	assert_true(full.overflow);

	/* A 64 KiB packet with -x -A fits FT_TEXT_MAX. */
	static uint8_t big[65535];
	memcpy(big, udp4, sizeof(udp4));
	for (size_t i = sizeof(udp4); i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	big[2] = 0xff;
	big[3] = 0xff;
	big[24] = 0xff;
	big[25] = 0xeb;
	p = raw_pkt(big, sizeof(big));
	o.flags = FT_TEXT_HEX | FT_TEXT_ASCII | FT_TEXT_VERBOSE;
	struct ft_strbuf sb3 = {buf, 0, sizeof(buf), false};
	ft_text_format(&p, &o, &sb3);
	assert_false(sb3.overflow);
	assert_non_null(strstr(buf, "UDP, length 65507\n"));
	assert_non_null(strstr(buf, "\t0xfff0:  "));
}

static void test_empty_and_unsupported(void **state)
{
	struct ft_pkt p = raw_pkt(NULL, 0);
	struct ft_text_opts o = {FT_TEXT_HEX | FT_TEXT_ASCII, FT_TIME_NONE, NULL, NULL, NULL, NULL};

	assert_string_equal(fmt(&p, &o), "raw IP, length 0 [|ip]\n");
	p.dlt = 1;
	assert_string_equal(fmt(&p, &o), "ether, length 0 [|ether]\n");
	/* An unknown link type: named, with its length, and -x dumps it all. */
	static const uint8_t frame[] = {0x08, 0x02, 0x00, 0x00, 0xff};
	p = raw_pkt(frame, sizeof(frame));
	p.dlt = 105;
	p.len = 1500;
	assert_string_equal(fmt(&p, &o),
			    "unsupported link type 105 (IEEE802_11), length 1500\n"
			    "\t0x0000:  0802 0000 ff                             .....\n");
	p.dlt = 99999;
	o.flags = 0;
	assert_string_equal(fmt(&p, &o), "unsupported link type 99999, length 1500\n");
}

/* A raw IPv4 TCP segment 10.0.0.1.@sport > 10.0.0.2.80 with ACK (and SYN
 * if @syn), @seq/@ack, 10 bytes of payload, into @p (50 bytes). */
static struct ft_pkt tcp_pkt(uint8_t *p, uint16_t sport, uint32_t seq, uint32_t ack, bool syn)
{
	static const uint8_t ip[20] = {0x45, 0, 0,  50, 0, 1, 0x40, 0, 64, 6,
				       0,    0, 10, 0,	0, 1, 10,   0, 0,  2};
	memcpy(p, ip, 20);
	uint8_t *t = p + 20;
	memset(t, 0, 30);
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[3] = 80;
	for (int i = 0; i < 4; i++) {
		t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		t[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	t[12] = 0x50;
	t[13] = syn ? 0x12 : 0x10;
	t[14] = 0x01;
	return raw_pkt(p, 50);
}

/* tcpdump's relative sequence numbers, and their memory: bounded, the least
 * recently seen connection forgotten when a flood fills the table. */
static void test_relative_seq(void **state)
{
	struct ft_text_opts o = {0, FT_TIME_NONE, NULL, NULL, NULL, NULL};
	uint8_t pk[50];
	struct ft_pkt p;

	assert_int_equal(ft_text_state_new(&o.state, 16), 0);
	p = tcp_pkt(pk, 1000, 5000, 9000, true);
	assert_string_equal(fmt(&p, &o),
			    "IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [S.], seq 5000:5010, "
			    "ack 9000, win 256, length 10: HTTP\n");
	p = tcp_pkt(pk, 1000, 5010, 9100, false);
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [.], seq 10:20, "
					 "ack 101, win 256, length 10: HTTP\n");
	/* -S: absolute again. */
	o.flags = FT_TEXT_ABSSEQ;
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [.], seq "
					 "5010:5020, ack 9100, win 256, length 10: HTTP\n");
	o.flags = 0;
	/* 10,000 other connections through a 16-entry table: memory stays
	 * what it was, and the first connection is forgotten (printed as
	 * new, as tcpdump prints a connection it has not seen). */
	for (unsigned i = 0; i < 10000; i++) {
		p = tcp_pkt(pk, (uint16_t)(2000 + i), i, i, false);
		fmt(&p, &o);
	}
	p = tcp_pkt(pk, 1000, 5010, 9100, false);
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [.], seq "
					 "5010:5020, ack 9100, win 256, length 10: HTTP\n");
	p = tcp_pkt(pk, 1000, 5020, 9100, false);
	assert_string_equal(fmt(&p, &o), "IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [.], seq 10:20, "
					 "ack 1, win 256, length 10: HTTP\n");
	ft_text_state_free(o.state);
}

/* -ttt and -ttttt: deltas to the previous and to the first packet. */
static void test_deltas(void **state)
{
	struct ft_text_opts o = {0, FT_TIME_DELTA, NULL, NULL, NULL, NULL};
	struct ft_pkt p = raw_pkt(udp4, sizeof(udp4));

	assert_int_equal(ft_text_state_new(&o.state, 0), 0);
	o.flags = FT_TEXT_NUMBER;
	assert_non_null(strstr(fmt(&p, &o), "    1   00:00:00.000000 IP "));
	p.ts_ns += 3723000001000ull; /* 1 h 2 min 3 s 1 us */
	assert_non_null(strstr(fmt(&p, &o), "    2   01:02:03.000001 IP "));
	p.ts_ns += 1000;
	assert_non_null(strstr(fmt(&p, &o), "    3   00:00:00.000001 IP "));
	o.time = FT_TIME_SINCE_FIRST;
	o.flags = 0;
	assert_non_null(strstr(fmt(&p, &o), " 01:02:03.000002 IP "));
	o.time = FT_TIME_EPOCH;
	assert_non_null(strstr(fmt(&p, &o), "1700003723.123458 IP "));
	ft_text_state_free(o.state);
}

int main(void)
{
	/* Local time is UTC+2 for the whole run (set before the first format). */
	setenv("TZ", "XXX-2", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time_modes),	 cmocka_unit_test(test_time_cache),
	    cmocka_unit_test(test_dir_path_nat), cmocka_unit_test(test_hex_ascii),
	    cmocka_unit_test(test_overflow),	 cmocka_unit_test(test_empty_and_unsupported),
	    cmocka_unit_test(test_relative_seq), cmocka_unit_test(test_deltas),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
