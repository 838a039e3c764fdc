/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the application annotations: DNS summaries (queries,
 * responses, record types, escapes, compression, TCP framing), TLS hellos
 * (SNI, ServerHello version and cipher, hellos cut short), HTTP request and
 * status lines and SSH banners. Packets are built here as raw IPv4 with a
 * UDP or TCP header around the payload under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <flowtap/text.h>

static uint8_t pkt[4096];
static char out[FT_TEXT_MAX];

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* 10.0.0.1.sport > 10.0.0.2.dport, IPv4 + UDP (proto 17) or TCP (6). */
static size_t build(int proto, unsigned sport, unsigned dport, const void *pl, size_t n)
{
	size_t l4 = proto == 17 ? 8 : 20;
	memset(pkt, 0, 40);
	pkt[0] = 0x45;
	put16(pkt + 2, (unsigned)(20 + l4 + n));
	pkt[8] = 64;
	pkt[9] = (uint8_t)proto;
	memcpy(pkt + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	put16(pkt + 20, sport);
	put16(pkt + 22, dport);
	if (proto == 17) {
		put16(pkt + 24, (unsigned)(8 + n));
	} else {
		pkt[27] = 1;	  /* seq 1 */
		pkt[32] = 5 << 4; /* data offset 5 */
		pkt[33] = 0x18;	  /* PSH ACK */
		put16(pkt + 34, 512);
	}
	memcpy(pkt + 20 + l4, pl, n);
	return 20 + l4 + n;
}

/* Formats the first @caplen of @n bytes (raw IP), no timestamp. */
static const char *fmt_cut(size_t n, size_t caplen)
{
	struct ft_pkt p = {0};
	struct ft_text_opts o = {0, FT_TIME_NONE, NULL, NULL, NULL, NULL};
	struct ft_strbuf sb = {out, 0, sizeof(out), false};
	p.data = pkt;
	p.caplen = (uint32_t)caplen;
	p.len = (uint32_t)n;
	p.dlt = 12;
	p.path = FT_PATH_NONE;
	ft_text_format(&p, &o, &sb);
	assert_false(sb.overflow);
	return out;
}

static const char *fmt(size_t n)
{
	return fmt_cut(n, n);
}

/* Asserts the text after "IP a.p > b.p: " (the whole line minus newline). */
static void check(const char *line, const char *want_tail)
{
	const char *t = strstr(line, ": ");
	char w[2048];
	assert_non_null(t);
	snprintf(w, sizeof(w), "%s\n", want_tail);
	assert_string_equal(t + 2, w);
}

static size_t dns_name(uint8_t *p, const char *name)
{
	size_t n = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static size_t dns_hdr(uint8_t *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
		      unsigned ns, unsigned ar)
{
	put16(p, id);
	put16(p + 2, flags);
	put16(p + 4, qd);
	put16(p + 6, an);
	put16(p + 8, ns);
	put16(p + 10, ar);
	return 12;
}

/* An answer whose owner is a pointer to the question name (offset 12). */
static size_t dns_rr(uint8_t *p, unsigned type, const void *rdata, size_t n)
{
	p[0] = 0xc0;
	p[1] = 12;
	put16(p + 2, type);
	put16(p + 4, 1);
	memset(p + 6, 0, 4);
	put16(p + 10, (unsigned)n);
	memcpy(p + 12, rdata, n);
	return 12 + n;
}

static void test_dns_query(void **state)
{
	uint8_t m[512];
	size_t n = dns_hdr(m, 4660, 0x0100, 1, 0, 0, 0);
	n += dns_name(m + n, "example.com");
	put16(m + n, 28);
	put16(m + n + 2, 1);
	n += 4;
	check(fmt(build(17, 33333, 53, m, n)), "4660+ AAAA? example.com. (29)");
	/* Other types, no RD, an opcode, several questions and counts. */
	put16(m + 2, 0x2000); /* opcode 4 (notify), RD clear */
	put16(m + 4, 2);
	put16(m + 10, 1);
	check(fmt(build(17, 33333, 53, m, n)), "4660 notify [2q] [1au] AAAA? example.com. (29)");
	/* mDNS on 5353, PTR, the root name. */
	n = dns_hdr(m, 0, 0, 1, 0, 0, 0);
	m[n++] = 0;
	put16(m + n, 12);
	put16(m + n + 2, 1);
	n += 4;
	check(fmt(build(17, 5353, 5353, m, n)), "0 PTR (QM)? . (17)");
	/* A label with a dot, a backslash and a control byte is escaped. */
	n = dns_hdr(m, 1, 0x0100, 1, 0, 0, 0);
	memcpy(m + n,
	       "\x05"
	       "a.b\\\x01"
	       "\x00\x00\x10\x00\x01",
	       11);
	n += 11;
	check(fmt(build(17, 1000, 53, m, n)), "1+ TXT? a.b\\x5c\\x01. (23)");
}

static void test_dns_response(void **state)
{
	uint8_t m[512];
	size_t n = dns_hdr(m, 7, 0x8180, 1, 5, 0, 0), rn;
	uint8_t rd[64];

	n += dns_name(m + n, "example.com");
	put16(m + n, 255);
	put16(m + n + 2, 1);
	n += 4;
	n += dns_rr(m + n, 28, "\xfd\x7a\x11\x5c\xa1\xe0\0\0\0\0\0\0\0\0\0\x01", 16);
	rd[0] = 0;
	rd[1] = 10;
	rn = 2 + dns_name(rd + 2, "mx.example.com");
	n += dns_rr(m + n, 15, rd, rn);
	n += dns_rr(m + n, 16, "\x05hello", 6);
	/* CNAME by compression pointer to the question name. */
	n += dns_rr(m + n, 5, "\x03www\xc0\x0c", 6);
	n += dns_rr(m + n, 99, "xyz", 3);
	check(fmt(build(17, 53, 40000, m, n)),
	      "7 5/0/0 AAAA fd7a:115c:a1e0::1, MX mx.example.com. 10, TXT \"hello\", CNAME "
	      "www.example.com., ... (138)");
	/* ServFail, authoritative, truncated, authentic data; no recursion. */
	n = dns_hdr(m, 9, 0x8622, 0, 0, 1, 0);
	check(fmt(build(17, 53, 40000, m, n)), "9 ServFail*-|$ [0q] 0/1/0 (12)");
	/* An A record with a 5-byte rdata is malformed. */
	n = dns_hdr(m, 3, 0x8180, 0, 1, 0, 0);
	n += dns_rr(m + n, 1, "\x01\x02\x03\x04\x05", 5);
	check(fmt(build(17, 53, 40000, m, n)), "3 [0q] 1/0/0 [|domain]");
}

static void test_dns_cut(void **state)
{
	uint8_t m[512];
	size_t n = dns_hdr(m, 4660, 0x0100, 1, 0, 0, 0), len;
	n += dns_name(m + n, "example.com");
	put16(m + n, 1);
	put16(m + n + 2, 1);
	n += 4;
	len = build(17, 33333, 53, m, n);
	for (size_t k = 28; k < len; k++) {
		const char *s = fmt_cut(len, k);
		if (k < 28 + 12)
			assert_non_null(strstr(s, ": DNS [|domain]\n"));
		else
			check(s, "4660+ [|domain]");
	}
	check(fmt_cut(len, len), "4660+ A? example.com. (29)");
}

static void test_dns_tcp(void **state)
{
	uint8_t m[512];
	size_t n = 2 + dns_hdr(m + 2, 5, 0x0100, 1, 0, 0, 0);
	n += dns_name(m + n, "example.net");
	put16(m + n, 1);
	put16(m + n + 2, 1);
	n += 4;
	put16(m, (unsigned)(n - 2));
	check(fmt(build(6, 40000, 53, m, n)),
	      "Flags [P.], seq 1:32, ack 0, win 512, length 31 5+ A? example.net. (29)");
	/* A length prefix that disagrees with the segment: tcpdump's words,
	 * never the prefix decoded as the message ID. */
	put16(m, 3341);
	check(fmt(build(6, 40000, 53, m, n)), "Flags [P.], seq 1:32, ack 0, win 512, length 31 "
					      "[prefix length(3341) != length(29)] (invalid)");
	check(fmt(build(6, 53, 40000, m, 1)), "Flags [P.], seq 1:2, ack 0, win 512, length 1 "
					      "[DNS over TCP: length 1 < 2] (invalid)");
	/* A message shorter than a DNS header. */
	put16(m, 4);
	check(fmt(build(6, 53, 40000, m, 6)),
	      "Flags [P.], seq 1:7, ack 0, win 512, length 6 domain [length 4 < 12] (invalid)");
}

/* A TLS record with one handshake message of @type and body @b. */
static size_t tls_record(uint8_t *p, int type, const uint8_t *b, size_t n)
{
	p[0] = 22;
	p[1] = 3;
	p[2] = 1;
	put16(p + 3, (unsigned)(n + 4));
	p[5] = (uint8_t)type;
	p[6] = 0;
	put16(p + 7, (unsigned)n);
	memcpy(p + 9, b, n);
	return 9 + n;
}

static size_t client_hello(uint8_t *b, const char *sni)
{
	size_t n = 0, sl = sni ? strlen(sni) : 0;
	put16(b, 0x0303);
	n = 2 + 32;
	b[n++] = 0; /* session id */
	put16(b + n, 2);
	put16(b + n + 2, 0x1301);
	n += 4;
	b[n++] = 1;
	b[n++] = 0;
	size_t ext = n;
	n += 2;
	/* A GREASE-like unknown extension first, then server_name. */
	put16(b + n, 0x0a0a);
	put16(b + n + 2, 0);
	n += 4;
	if (sni) {
		put16(b + n, 0);
		put16(b + n + 2, (unsigned)(sl + 5));
		put16(b + n + 4, (unsigned)(sl + 3));
		b[n + 6] = 0;
		put16(b + n + 7, (unsigned)sl);
		memcpy(b + n + 9, sni, sl);
		n += 9 + sl;
	}
	put16(b + ext, (unsigned)(n - ext - 2));
	return n;
}

static void test_tls(void **state)
{
	uint8_t b[512], rec[600];
	size_t n = client_hello(b, "example.com"), rn = tls_record(rec, 1, b, n);
	size_t len = build(6, 40000, 443, rec, rn);

	check(fmt(len), "Flags [P.], seq 1:77, ack 0, win 512, length 76: TLS ClientHello, SNI "
			"example.com");
	/* Cut anywhere inside the hello: the marker, and never a wrong name. */
	for (size_t k = 40 + 6; k < len; k++) {
		const char *s = fmt_cut(len, k);
		assert_non_null(strstr(s, ": TLS ClientHello"));
		if (!strstr(s, "[|tls]\n") && !strstr(s, "SNI example.com\n")) {
			fprintf(stderr, "cut at %zu of %zu: %s", k, len, s);
			fail();
		}
	}
	/* No SNI at all. */
	n = client_hello(b, NULL);
	rn = tls_record(rec, 1, b, n);
	check(fmt(build(6, 40000, 443, rec, rn)),
	      "Flags [P.], seq 1:57, ack 0, win 512, length 56: TLS ClientHello");

	/* ServerHello: TLS 1.2 without supported_versions, and TLS 1.3 with it. */
	memset(b, 0, sizeof(b));
	put16(b, 0x0303);
	n = 2 + 32 + 1;
	put16(b + n, 0xc02f);
	n += 3;
	rn = tls_record(rec, 2, b, n);
	check(fmt(build(6, 443, 40000, rec, rn)),
	      "Flags [P.], seq 1:48, ack 0, win 512, length 47: "
	      "TLS ServerHello, version TLS1.2, cipher 0xc02f");
	put16(b + n, 6);
	put16(b + n + 2, 43);
	put16(b + n + 4, 2);
	put16(b + n + 6, 0x0304);
	n += 8;
	rn = tls_record(rec, 2, b, n);
	check(fmt(build(6, 443, 40000, rec, rn)),
	      "Flags [P.], seq 1:56, ack 0, win 512, length 55: "
	      "TLS ServerHello, version TLS1.3, cipher 0xc02f");
	/* Application data is not annotated. */
	rec[0] = 23;
	check(fmt(build(6, 443, 40000, rec, rn)),
	      "Flags [P.], seq 1:56, ack 0, win 512, length 55");
}

static void test_http_ssh(void **state)
{
	static const char *req[] = {"GET / HTTP/1.1",  "POST /api HTTP/1.1", "PUT /x HTTP/1.0",
				    "HEAD / HTTP/1.1", "DELETE /y HTTP/1.1", "OPTIONS * HTTP/1.1"};
	char payload[512], want[600];

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		int n = snprintf(payload, sizeof(payload), "%s\r\nHost: x\r\n\r\n", req[i]);
		snprintf(want, sizeof(want),
			 "Flags [P.], seq 1:%d, ack 0, win 512, length %d: HTTP: %s", n + 1, n,
			 req[i]);
		check(fmt(build(6, 40000, 8080, payload, (size_t)n)), want);
	}
	check(fmt(build(6, 80, 40000, "HTTP/1.1 404 Not Found\n", 23)),
	      "Flags [P.], seq 1:24, ack 0, win 512, length 23: HTTP: HTTP/1.1 404 Not Found");
	/* tcpdump compares methods without case; a bare "GE" is only ": HTTP". */
	check(fmt(build(6, 40000, 80, "get / HTTP/1.1\r\n", 16)),
	      "Flags [P.], seq 1:17, ack 0, win 512, length 16: HTTP: get / HTTP/1.1");
	check(fmt(build(6, 40000, 80, "GE", 2)),
	      "Flags [P.], seq 1:3, ack 0, win 512, length 2: HTTP");
	/* A line without end is printed whole and marked cut, as tcpdump does. */
	char longline[400] = "GET /";
	memset(longline + 5, 'a', 300);
	const char *s = fmt(build(6, 40000, 80, longline, 305));
	const char *h = strstr(s, "HTTP: ");
	assert_non_null(h);
	assert_int_equal(strlen(h), 6 + 305 + strlen(" [|http]") + 1);
	/* On port 22, as tcpdump: only a printable identification line. */
	check(fmt(build(6, 22, 40000, "SSH-2.0-OpenSSH_9.6 \x1b[0m\r\n", 27)),
	      "Flags [P.], seq 1:28, ack 0, win 512, length 27");
	check(fmt(build(6, 22, 40000, "SSH-2.0-OpenSSH_9.6\r\n", 21)),
	      "Flags [P.], seq 1:22, ack 0, win 512, length 21: SSH: SSH-2.0-OpenSSH_9.6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dns_query), cmocka_unit_test(test_dns_response),
	    cmocka_unit_test(test_dns_cut),   cmocka_unit_test(test_dns_tcp),
	    cmocka_unit_test(test_tls),	      cmocka_unit_test(test_http_ssh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
