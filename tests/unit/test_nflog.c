/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_nflog.c - the DLT_NFLOG record decoder (header and TLVs, lengths in
 * host order, 4-byte padding) on byte-exact records, truncation at every
 * length, and finding the IP packet in each link type the sources produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <pcap/dlt.h>

#include <flowtap/sources.h>

#include "sources/decode.h"

struct rec {
	uint8_t b[1024];
	size_t len;
};

static void put(struct rec *r, const void *p, size_t n)
{
	if (n == 0)
		return;
	assert_true(r->len + n <= sizeof(r->b));
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void tlv(struct rec *r, uint16_t type, const void *p, uint16_t n)
{
	uint16_t len = (uint16_t)(4 + n);
	static const uint8_t zero[4];

	put(r, &len, 2);
	put(r, &type, 2);
	put(r, p, n);
	put(r, zero, (4 - n % 4) % 4);
}

static void tlv_be32(struct rec *r, uint16_t type, uint32_t v)
{
	v = htonl(v);
	tlv(r, type, &v, 4);
}

static const uint8_t ip4[28] = {0x45, 0, 0,  28, 0, 1, 0, 0,  64, 17, 0, 0, 10, 0,
				0,    1, 10, 0,	 0, 2, 0, 53, 0,  53, 0, 8, 0,	0};

static void build(struct rec *r, bool with_out)
{
	uint8_t hdr[4] = {2 /* AF_INET */, 0, 0, 7};
	uint8_t phdr[4] = {0x08, 0x00, 1, 0};
	uint32_t ts[4] = {0, htonl(1700000000), 0, htonl(250000)};

	r->len = 0;
	put(r, hdr, 4);
	tlv(r, 1, phdr, 4);
	tlv(r, 10, "ftf-test", 9); /* prefix, with its NUL */
	tlv_be32(r, 4, 3);	   /* indev */
	if (with_out)
		tlv_be32(r, 5, 4); /* outdev */
	tlv(r, 3, ts, 16);
	tlv_be32(r, 11, 1000); /* uid */
	tlv_be32(r, 14, 100);  /* gid */
	tlv(r, 99, "zz", 2);   /* unknown */
	tlv(r, 9, ip4, sizeof(ip4));
}

static void test_decode(void **state)
{
	struct rec r;
	struct ft_nflog_msg m;

	build(&r, true);
	assert_int_equal(ft__nflog_decode(r.b, r.len, &m), 0);
	assert_int_equal(m.family, 2);
	assert_int_equal(m.resource_id, 7);
	assert_int_equal(m.hw_protocol, 0x0800);
	assert_string_equal(m.prefix, "ftf-test");
	assert_int_equal(m.indev, 3);
	assert_int_equal(m.outdev, 4);
	assert_int_equal(m.uid, 1000);
	assert_int_equal(m.gid, 100);
	assert_int_equal(m.ts_ns, 1700000000250000000ull);
	assert_int_equal(m.unknown, 1);
	assert_int_equal(m.payload_len, sizeof(ip4));
	assert_memory_equal(m.payload, ip4, sizeof(ip4));
	assert_int_equal(ft__frame_ip(DLT_NFLOG, r.b, (uint32_t)r.len), (int)(r.len - sizeof(ip4)));
}

static void test_prefix_limits(void **state)
{
	struct rec r = {.len = 0};
	struct ft_nflog_msg m;
	char longp[200];
	uint8_t hdr[4] = {10, 0, 0, 1};

	memset(longp, 'p', sizeof(longp));
	put(&r, hdr, 4);
	tlv(&r, 10, longp, sizeof(longp)); /* no NUL, longer than our buffer */
	assert_int_equal(ft__nflog_decode(r.b, r.len, &m), 0);
	assert_int_equal(strlen(m.prefix), sizeof(m.prefix) - 1);
	assert_null(m.payload);
	assert_int_equal(ft__frame_ip(DLT_NFLOG, r.b, (uint32_t)r.len), -1);
}

static void test_truncated(void **state)
{
	struct rec r;
	struct ft_nflog_msg m;

	build(&r, false);
	for (size_t n = 0; n < r.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, r.b, n);
		int ret = ft__nflog_decode(copy, n, &m);
		/* Cut on a TLV boundary is a valid shorter record; anything else is corrupt. */
		assert_true(ret == 0 || ret == FT_ECORRUPT);
		if (n < 4)
			assert_int_equal(ret, FT_ECORRUPT);
		free(copy);
	}
	/* A TLV shorter than its own header, and one of the wrong size. */
	struct rec b = {.len = 0};
	uint8_t hdr[4] = {2, 0, 0, 0};
	uint16_t bad[2] = {3, 9};
	put(&b, hdr, 4);
	put(&b, bad, 4);
	assert_int_equal(ft__nflog_decode(b.b, b.len, &m), FT_ECORRUPT);
	b.len = 4;
	tlv(&b, 4, "\1\2", 2); /* indev must be 4 bytes */
	assert_int_equal(ft__nflog_decode(b.b, b.len, &m), FT_ECORRUPT);
}

static void test_frame_ip(void **state)
{
	uint8_t f[64 + 28];

	assert_int_equal(ft__frame_ip(DLT_RAW, ip4, sizeof(ip4)), 0);
	assert_int_equal(ft__frame_ip(DLT_RAW, (const uint8_t *)"\x10", 1), -1);
	assert_int_equal(ft__frame_ip(DLT_RAW, ip4, 0), -1);

	memset(f, 0, sizeof(f));
	f[12] = 0x81; /* one VLAN tag, then IPv4 */
	f[16] = 0x08;
	memcpy(f + 18, ip4, sizeof(ip4));
	assert_int_equal(ft__frame_ip(DLT_EN10MB, f, 18 + sizeof(ip4)), 18);
	assert_int_equal(ft__frame_ip(DLT_EN10MB, f, 17), -1);
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	assert_int_equal(ft__frame_ip(DLT_EN10MB, f, sizeof(f)), -1);

	memset(f, 0, sizeof(f)); /* SLL2: protocol first, 20 bytes */
	f[0] = 0x86;
	f[1] = 0xdd;
	assert_int_equal(ft__frame_ip(DLT_LINUX_SLL2, f, 40), 20);
	assert_int_equal(ft__frame_ip(DLT_LINUX_SLL2, f, 19), -1);
	memset(f, 0, sizeof(f)); /* SLL: protocol at 14, 16 bytes */
	f[14] = 0x08;
	assert_int_equal(ft__frame_ip(DLT_LINUX_SLL, f, 40), 16);
	assert_int_equal(ft__frame_ip(DLT_LINUX_SLL, f, 15), -1);
	assert_int_equal(ft__frame_ip(DLT_IEEE802_11, f, 40), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_prefix_limits),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_frame_ip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
