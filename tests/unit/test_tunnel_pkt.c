/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of flowtap-tunnel's packet code (examples/tunnel): bounds-checked
 * IPv4 parsing, incremental checksum updates (RFC 1624) checked against a
 * full recomputation, the DNAT rule and its reverse, the echo responder and
 * keepalive probes. The tunnel is a program, not part of the library, so its
 * three packet files are compiled into this test.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../examples/tunnel/dnat.c"
#include "../../examples/tunnel/icmp.c"
#include "../../examples/tunnel/pkt.c"

static uint32_t ip(const char *s)
{
	uint32_t a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* Reference one's-complement sum, independent of the code under test. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo(const uint8_t *pkt, uint8_t proto, uint16_t l4len)
{
	return (uint32_t)ref_sum(pkt + 12, 8, 0) + proto + l4len;
}

/* Whether the IP header and (for TCP/UDP/ICMP) the transport checksum hold. */
static void assert_csums(const uint8_t *pkt, size_t n)
{
	uint8_t ihl = (uint8_t)((pkt[0] & 0xf) * 4), proto = pkt[9];
	uint16_t l4len = (uint16_t)(n - ihl);

	assert_int_equal(ref_sum(pkt, ihl, 0), 0xffff);
	if (proto == IPPROTO_ICMP)
		assert_int_equal(ref_sum(pkt + ihl, l4len, 0), 0xffff);
	else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
		assert_int_equal(ref_sum(pkt + ihl, l4len, pseudo(pkt, proto, l4len)), 0xffff);
}

/* An IPv4 packet with @l4len bytes of transport header and data (ports
 * 40000 -> 443, or ICMP echo request id 0x1234), checksums set. */
static size_t build(uint8_t *p, uint8_t proto, const char *src, const char *dst, uint16_t l4len)
{
	uint32_t s = ip(src), d = ip(dst);
	size_t n = 20u + l4len;
	uint8_t *l4 = p + 20;
	uint16_t c;
	int off = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;

	memset(p, 0, n);
	p[0] = 0x45;
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &s, 4);
	memcpy(p + 16, &d, 4);
	c = (uint16_t)~ref_sum(p, 20, 0);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	for (uint16_t i = 8; i < l4len; i++)
		l4[i] = (uint8_t)(i * 7);
	l4[off] = l4[off + 1] = 0;
	if (proto == IPPROTO_ICMP) {
		l4[0] = 8;
		l4[4] = 0x12;
		l4[5] = 0x34;
		c = (uint16_t)~ref_sum(l4, l4len, 0);
	} else {
		l4[0] = 40000 >> 8;
		l4[1] = 40000 & 0xff;
		l4[3] = 443 & 0xff;
		l4[2] = 443 >> 8;
		if (proto == IPPROTO_TCP)
			l4[12] = 0x50; /* data offset 5 */
		else
			l4[5] = (uint8_t)l4len, l4[4] = (uint8_t)(l4len >> 8);
		c = (uint16_t)~ref_sum(l4, l4len, pseudo(p, proto, l4len));
	}
	l4[off] = (uint8_t)(c >> 8);
	l4[off + 1] = (uint8_t)c;
	assert_csums(p, n);
	return n;
}

static void test_ip_valid(void **state)
{
	uint8_t p[128];
	uint32_t len;
	size_t n = build(p, IPPROTO_UDP, "100.64.0.1", "100.64.0.2", 40);

	assert_true(ip_valid(p, (uint32_t)n, &len));
	assert_int_equal(len, n);
	assert_true(ip_valid(p, (uint32_t)n + 10, &len)); /* padded: the header decides */
	assert_int_equal(len, n);
	assert_false(ip_valid(p, (uint32_t)n - 1, &len)); /* truncated */
	assert_false(ip_valid(p, 3, &len));
	assert_false(ip_valid(p, 0, &len));
	p[0] = 0x44; /* IHL 4 */
	assert_false(ip_valid(p, (uint32_t)n, &len));
	p[0] = 0x15; /* version 1 */
	assert_false(ip_valid(p, (uint32_t)n, &len));
	memset(p, 0, 48);
	p[0] = 0x60;
	p[5] = 8; /* IPv6, payload 8 */
	assert_true(ip_valid(p, 48, &len));
	assert_int_equal(len, 48);
	assert_false(ip_valid(p, 47, &len));
}

static void test_parse(void **state)
{
	uint8_t p[128];
	struct ip4 v;
	size_t n = build(p, IPPROTO_TCP, "100.64.0.1", "100.64.0.2", 20);

	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_int_equal(v.proto, IPPROTO_TCP);
	assert_int_equal(v.sport, 40000);
	assert_int_equal(v.dport, 443);
	assert_true(v.has_l4 && v.first && !v.fragmented);
	/* A header cut short: the ports are not trusted. */
	assert_true(ip4_parse(p, 22, &v) == false);
	p[3] = 22;
	assert_true(ip4_parse(p, 22, &v));
	assert_false(v.has_l4);
	/* A later fragment has no transport header. */
	n = build(p, IPPROTO_UDP, "100.64.0.1", "100.64.0.2", 40);
	p[6] = 0x00;
	p[7] = 0x10;
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_true(v.fragmented && !v.first && !v.has_l4);
}

static void check_rewrite(uint8_t proto, uint16_t l4len, uint32_t to_be)
{
	uint8_t p[1600];
	struct ip4 v;
	size_t n = build(p, proto, "100.64.0.1", "100.64.9.9", l4len);

	assert_true(ip4_parse(p, (uint32_t)n, &v));
	ip4_set_dst(&v, to_be);
	assert_int_equal(v.dst_be, to_be);
	assert_memory_equal(p + 16, &to_be, 4);
	assert_csums(p, n);
	ip4_set_src(&v, ~to_be);
	assert_csums(p, n);
}

static void test_rewrite_checksums(void **state)
{
	check_rewrite(IPPROTO_TCP, 20, ip("100.64.0.2"));
	check_rewrite(IPPROTO_TCP, 1400, ip("255.255.255.255"));
	check_rewrite(IPPROTO_UDP, 9, ip("0.0.0.1")); /* odd length */
	check_rewrite(IPPROTO_UDP, 1201, ip("100.64.0.2"));
	check_rewrite(IPPROTO_ICMP, 64, ip("100.64.0.2"));
	/* Many addresses and lengths: carries out of every position. */
	for (uint32_t i = 0; i < 2000; i++)
		check_rewrite((uint8_t)(i & 1 ? IPPROTO_TCP : IPPROTO_UDP),
			      (uint16_t)(20 + i % 300), htonl(i * 2654435761u));
}

static void test_udp_zero_checksum(void **state)
{
	uint8_t p[128];
	struct ip4 v;
	size_t n = build(p, IPPROTO_UDP, "100.64.0.1", "100.64.9.9", 16);

	p[26] = p[27] = 0; /* "no checksum" (RFC 768) */
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	ip4_set_dst(&v, ip("100.64.0.2"));
	assert_int_equal(p[26] | p[27], 0);
	assert_int_equal(ref_sum(p, 20, 0), 0xffff);
}

static void test_dnat(void **state)
{
	struct dnat_rule rule = {ip("100.64.9.9"), ip("100.64.0.2")};
	struct dnat *d = malloc(sizeof(*d));
	uint8_t p[128];
	struct ip4 v;
	size_t n;

	assert_non_null(d);
	dnat_init(d, &rule, 1);
	/* Out: to the service address, rewritten to the real one. */
	n = build(p, IPPROTO_TCP, "100.64.0.1", "100.64.9.9", 20);
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_int_equal(dnat_out(d, &v), rule.service_be);
	assert_int_equal(v.dst_be, rule.real_be);
	assert_csums(p, n);
	/* Other destinations pass untouched. */
	n = build(p, IPPROTO_TCP, "100.64.0.1", "100.64.0.7", 20);
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_int_equal(dnat_out(d, &v), 0);
	/* In: the reply comes back from the service address. */
	n = build(p, IPPROTO_TCP, "100.64.0.2", "100.64.0.1", 20);
	p[20] = 443 >> 8, p[21] = 443 & 0xff, p[22] = 40000 >> 8, p[23] = 40000 & 0xff;
	memset(p + 36, 0, 2);
	{
		uint16_t c = (uint16_t)~ref_sum(p + 20, 20, pseudo(p, IPPROTO_TCP, 20));
		p[36] = (uint8_t)(c >> 8), p[37] = (uint8_t)c;
	}
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_int_equal(dnat_in(d, &v), rule.real_be);
	assert_int_equal(v.src_be, rule.service_be);
	assert_csums(p, n);
	assert_int_equal(d->translated, 1);
	assert_int_equal(d->untranslated, 1);
	/* Traffic from the real address that was not translated stays as is:
	 * same addresses, other ports. */
	n = build(p, IPPROTO_TCP, "100.64.0.2", "100.64.0.1", 20);
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_int_equal(dnat_in(d, &v), 0);
	assert_int_equal(v.src_be, rule.real_be);
	/* A later fragment of a reply is matched by addresses. */
	n = build(p, IPPROTO_TCP, "100.64.0.2", "100.64.0.1", 20);
	p[7] = 0x10;
	ip4_fix_csum(p, 20);
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_int_equal(dnat_in(d, &v), rule.real_be);
	assert_int_equal(v.src_be, rule.service_be);
	assert_int_equal(ref_sum(p, 20, 0), 0xffff);
	free(d);
}

static void test_echo_reply(void **state)
{
	uint8_t p[256], r[256];
	struct ip4 v, rv;
	size_t n = build(p, IPPROTO_ICMP, "100.64.0.1", "100.100.100.100", 64);
	uint32_t rn;

	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_true(icmp_is_echo_request(&v));
	rn = icmp_echo_reply(&v, r, sizeof(r));
	assert_int_equal(rn, n);
	assert_csums(r, rn);
	assert_true(ip4_parse(r, rn, &rv));
	assert_int_equal(rv.src_be, ip("100.100.100.100"));
	assert_int_equal(rv.dst_be, ip("100.64.0.1"));
	assert_int_equal(rv.icmp_type, 0);
	assert_int_equal(rv.sport, 0x1234);
	assert_memory_equal(r + 28, p + 28, 56);	 /* the data is echoed */
	assert_int_equal(icmp_echo_reply(&v, r, 40), 0); /* does not fit */
	/* Not answered: fragments, other types. */
	p[6] = 0x20; /* more fragments */
	assert_true(ip4_parse(p, (uint32_t)n, &v));
	assert_false(icmp_is_echo_request(&v));
}

static void test_keepalive(void **state)
{
	uint8_t p[128], r[128];
	struct ip4 v, rv;
	uint32_t n = icmp_keepalive(ip("100.64.0.1"), ip("100.100.100.100"), 7, p, sizeof(p));

	assert_true(n > 28);
	assert_csums(p, n);
	assert_true(ip4_parse(p, n, &v));
	assert_true(icmp_is_echo_request(&v));
	assert_int_equal(v.sport, KEEPALIVE_ID);
	/* The peer's responder answers it and we recognise the answer. */
	assert_int_equal(icmp_echo_reply(&v, r, sizeof(r)), n);
	assert_true(ip4_parse(r, n, &rv));
	assert_true(icmp_is_keepalive_reply(&rv, ip("100.64.0.1")));
	assert_false(icmp_is_keepalive_reply(&rv, ip("100.64.0.3")));
	assert_int_equal(icmp_keepalive(1, 2, 1, p, 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ip_valid),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_rewrite_checksums),
	    cmocka_unit_test(test_udp_zero_checksum),
	    cmocka_unit_test(test_dnat),
	    cmocka_unit_test(test_echo_reply),
	    cmocka_unit_test(test_keepalive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
