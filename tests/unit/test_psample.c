/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_psample.c - the psample decoder on byte-exact generic netlink
 * messages built per linux/psample.h: every attribute, unknown and
 * malformed attributes, truncation at every length, sampling rates and
 * sequence gaps. (The kernel here has no psample; the real no-psample error
 * path is tested by tests/e2e/flowtapd_psample.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <flowtap/sources.h>

#include "sources/decode.h"

#define FAMILY 0x1c

struct msg {
	uint8_t b[4096];
	size_t len;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (n == 0)
		return;
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

/* struct nlmsghdr + struct genlmsghdr (cmd, version, reserved). */
static void hdr(struct msg *m, uint16_t type, uint8_t cmd)
{
	uint32_t len = 0, seq = 7, pid = 0;
	uint16_t flags = 0;
	uint8_t genl[4] = {cmd, 1, 0, 0};

	m->len = 0;
	put(m, &len, 4);
	put(m, &type, 2);
	put(m, &flags, 2);
	put(m, &seq, 4);
	put(m, &pid, 4);
	put(m, genl, 4);
}

static void attr(struct msg *m, uint16_t type, const void *p, uint16_t n)
{
	uint16_t len = (uint16_t)(4 + n);
	static const uint8_t zero[4];

	put(m, &len, 2);
	put(m, &type, 2);
	put(m, p, n);
	put(m, zero, (4 - n % 4) % 4);
}

static void attr_u16(struct msg *m, uint16_t t, uint16_t v)
{
	attr(m, t, &v, 2);
}
static void attr_u32(struct msg *m, uint16_t t, uint32_t v)
{
	attr(m, t, &v, 4);
}
static void attr_u64(struct msg *m, uint16_t t, uint64_t v)
{
	attr(m, t, &v, 8);
}

static void finish(struct msg *m)
{
	uint32_t len = (uint32_t)m->len;
	memcpy(m->b, &len, 4);
}

static const uint8_t ip4[28] = {0x45, 0, 0,  28, 0, 1, 0, 0,  64, 17, 0, 0, 10, 0,
				0,    1, 10, 0,	 0, 2, 0, 53, 0,  53, 0, 8, 0,	0};

/* A message with every attribute of the current uapi. */
static void build_full(struct msg *m, uint32_t seq)
{
	static const uint8_t cookie[5] = {1, 2, 3, 4, 5};
	static const uint8_t tunnel[12] = {12, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};

	hdr(m, FAMILY, 0);
	attr_u16(m, FT_PSAMPLE_ATTR_IIFINDEX, 3);
	attr_u16(m, FT_PSAMPLE_ATTR_OIFINDEX, 4);
	attr_u32(m, FT_PSAMPLE_ATTR_ORIGSIZE, 1500);
	attr_u32(m, FT_PSAMPLE_ATTR_SAMPLE_GROUP, 9);
	attr_u32(m, FT_PSAMPLE_ATTR_GROUP_SEQ, seq);
	attr_u32(m, FT_PSAMPLE_ATTR_SAMPLE_RATE, 100);
	attr(m, FT_PSAMPLE_ATTR_DATA, ip4, sizeof(ip4));
	attr_u32(m, FT_PSAMPLE_ATTR_GROUP_REFCOUNT, 2);
	attr(m, FT_PSAMPLE_ATTR_TUNNEL | 0x8000, tunnel, sizeof(tunnel));
	attr_u64(m, FT_PSAMPLE_ATTR_PAD, 0);
	attr_u16(m, FT_PSAMPLE_ATTR_OUT_TC, 5);
	attr_u64(m, FT_PSAMPLE_ATTR_OUT_TC_OCC, 123456);
	attr_u64(m, FT_PSAMPLE_ATTR_LATENCY, 789);
	attr_u64(m, FT_PSAMPLE_ATTR_TIMESTAMP, 1700000000123456789ull);
	attr_u16(m, FT_PSAMPLE_ATTR_PROTO, 0x0800);
	attr(m, FT_PSAMPLE_ATTR_USER_COOKIE, cookie, sizeof(cookie));
	finish(m);
}

static void test_every_attribute(void **state)
{
	struct msg m;
	struct ft_psample_msg d;

	build_full(&m, 41);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), 0);
	assert_int_equal(d.iif, 3);
	assert_int_equal(d.oif, 4);
	assert_int_equal(d.origsize, 1500);
	assert_int_equal(d.group, 9);
	assert_int_equal(d.group_seq, 41);
	assert_int_equal(d.rate, 100);
	assert_int_equal(d.data_len, sizeof(ip4));
	assert_memory_equal(d.data, ip4, sizeof(ip4));
	assert_int_equal(d.group_refcount, 2);
	assert_int_equal(d.tunnel_len, 12);
	assert_int_equal(d.tunnel[4], 1);
	assert_int_equal(d.out_tc, 5);
	assert_int_equal(d.out_tc_occ, 123456);
	assert_int_equal(d.latency_ns, 789);
	assert_int_equal(d.timestamp_ns, 1700000000123456789ull);
	assert_int_equal(d.proto, 0x0800);
	assert_int_equal(d.cookie_len, 5);
	assert_int_equal(d.cookie[4], 5);
	assert_false(d.probability);
	assert_int_equal(d.unknown, 0);
	assert_int_equal(d.malformed, 0);
	for (unsigned a = FT_PSAMPLE_ATTR_IIFINDEX; a <= FT_PSAMPLE_ATTR_USER_COOKIE; a++)
		assert_true(FT_PSAMPLE_HAS(&d, a));
	assert_false(FT_PSAMPLE_HAS(&d, FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY));
	assert_int_equal(ft__psample_scale(&d), 100);
	assert_true(ft__psample_l3(&d));
}

static void test_probability(void **state)
{
	struct msg m;
	struct ft_psample_msg d;

	hdr(&m, FAMILY, 0);
	attr_u32(&m, FT_PSAMPLE_ATTR_SAMPLE_GROUP, 1);
	/* p = 1/1000 scaled to 0..UINT32_MAX */
	attr_u32(&m, FT_PSAMPLE_ATTR_SAMPLE_RATE, UINT32_MAX / 1000);
	attr(&m, FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY, NULL, 0);
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), 0);
	assert_true(d.probability);
	assert_true(FT_PSAMPLE_HAS(&d, FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY));
	assert_int_equal(ft__psample_scale(&d), 1000);
	d.rate = UINT32_MAX; /* p = 1: every packet */
	assert_int_equal(ft__psample_scale(&d), 1);
	d.rate = 0;
	assert_int_equal(ft__psample_scale(&d), 1);
	d.probability = false;
	d.rate = 0;
	assert_int_equal(ft__psample_scale(&d), 1);
}

static void test_unknown_and_malformed(void **state)
{
	struct msg m;
	struct ft_psample_msg d;
	uint8_t junk[7] = {9, 9, 9, 9, 9, 9, 9};

	hdr(&m, FAMILY, 0);
	attr(&m, 17, junk, sizeof(junk)); /* a future attribute */
	attr(&m, 200, junk, 3);
	attr_u32(&m, FT_PSAMPLE_ATTR_IIFINDEX, 3);	     /* u16 expected: malformed */
	attr_u16(&m, FT_PSAMPLE_ATTR_SAMPLE_GROUP, 1);	     /* u32 expected */
	attr_u32(&m, FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY, 1); /* a flag has no payload */
	attr_u32(&m, FT_PSAMPLE_ATTR_GROUP_SEQ, 5);
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), 0);
	assert_int_equal(d.unknown, 2);
	assert_int_equal(d.malformed, 3);
	assert_false(FT_PSAMPLE_HAS(&d, FT_PSAMPLE_ATTR_IIFINDEX));
	assert_false(FT_PSAMPLE_HAS(&d, FT_PSAMPLE_ATTR_SAMPLE_GROUP));
	assert_false(d.probability);
	assert_true(FT_PSAMPLE_HAS(&d, FT_PSAMPLE_ATTR_GROUP_SEQ));
	assert_int_equal(d.group_seq, 5);
}

static void test_truncated_everywhere(void **state)
{
	struct msg m;
	struct ft_psample_msg d;

	build_full(&m, 1);
	/* The message claims its full length: every shorter buffer is corrupt. */
	for (size_t n = 0; n < m.len; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
		memcpy(copy, m.b, n);
		assert_int_equal(ft__psample_decode(copy, n, FAMILY, &d), FT_ECORRUPT);
		free(copy);
	}
	/* A message whose own length cuts an attribute: corrupt, never a read past it. */
	for (uint32_t cut = 21; cut < m.len; cut++) {
		if ((cut - 20) % 4 == 0)
			continue; /* cut on an attribute boundary: valid and shorter */
		struct msg t = m;
		memcpy(t.b, &cut, 4);
		int r = ft__psample_decode(t.b, t.len, FAMILY, &d);
		assert_true(r == FT_ECORRUPT || r == 0);
	}
	/* An attribute length below its header. */
	hdr(&m, FAMILY, 0);
	uint16_t bad[2] = {2, FT_PSAMPLE_ATTR_DATA};
	put(&m, bad, 4);
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), FT_ECORRUPT);
	/* An attribute running past the message. */
	hdr(&m, FAMILY, 0);
	uint16_t big[2] = {64, FT_PSAMPLE_ATTR_DATA};
	put(&m, big, 4);
	put(&m, ip4, 8);
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), FT_ECORRUPT);
}

static void test_wrong_family_or_command(void **state)
{
	struct msg m;
	struct ft_psample_msg d;

	build_full(&m, 1);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY + 1, &d), -EINVAL);
	hdr(&m, FAMILY, 1); /* PSAMPLE_CMD_GET_GROUP */
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), -EINVAL);
	/* Last attribute without its padding (allowed). */
	hdr(&m, FAMILY, 0);
	uint16_t a[2] = {5, FT_PSAMPLE_ATTR_DATA};
	put(&m, a, 4);
	put(&m, "\x45", 1);
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), 0);
	assert_int_equal(d.data_len, 1);
}

static void test_sequence_gaps(void **state)
{
	assert_int_equal(ft__psample_seq_gap(0, 1), 0); /* the kernel starts at 0 */
	assert_int_equal(ft__psample_seq_gap(0, 17), 16);
	assert_int_equal(ft__psample_seq_gap(10, 11), 0);
	assert_int_equal(ft__psample_seq_gap(10, 15), 4);
	assert_int_equal(ft__psample_seq_gap(10, 10), 0);	 /* duplicate */
	assert_int_equal(ft__psample_seq_gap(10, 9), 0);	 /* reordered */
	assert_int_equal(ft__psample_seq_gap(UINT32_MAX, 1), 1); /* wraps over 0 */
	assert_int_equal(ft__psample_seq_gap(UINT32_MAX - 1, 0), 1);

	/* Gaps as a stream of decoded messages shows them. */
	uint32_t seqs[] = {0, 1, 2, 3, 7, 8, 20}, last = 0, lost = 0;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		struct msg m;
		struct ft_psample_msg d;
		build_full(&m, seqs[i]);
		assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), 0);
		if (i > 0)
			lost += ft__psample_seq_gap(last, d.group_seq);
		last = d.group_seq;
	}
	assert_int_equal(lost, 3 + 11);
}

static void test_l2_or_l3(void **state)
{
	struct ft_psample_msg d;
	uint8_t eth[14 + 28];

	memset(&d, 0, sizeof(d));
	memset(eth, 0xaa, 12);
	eth[12] = 0x08;
	eth[13] = 0x00;
	memcpy(eth + 14, ip4, sizeof(ip4));
	d.proto = 0x0800;
	d.data = eth;
	d.data_len = sizeof(eth);
	eth[0] = 0x4a;			  /* a MAC that starts like an IPv4 header... */
	assert_false(ft__psample_l3(&d)); /* ...but the type field says Ethernet */
	assert_int_equal(ft__frame_ip(1 /* DLT_EN10MB */, eth, sizeof(eth)), 14);
	d.data = ip4;
	d.data_len = sizeof(ip4);
	assert_true(ft__psample_l3(&d));
	d.proto = 0x86dd; /* the version nibble disagrees */
	assert_false(ft__psample_l3(&d));
	d.proto = 0; /* no protocol attribute: Ethernet, as tc and OVS sample it */
	assert_false(ft__psample_l3(&d));
	d.data_len = 0;
	d.proto = 0x0800;
	assert_false(ft__psample_l3(&d));
}

/* Regression (fuzz_psample): a sample with a protocol attribute but no data
 * attribute left data NULL, and ft__psample_l3() did NULL + 0 (UBSan). */
static void test_l3_without_data(void **state)
{
	struct msg m;
	struct ft_psample_msg d;

	hdr(&m, FAMILY, 0);
	attr_u32(&m, FT_PSAMPLE_ATTR_SAMPLE_GROUP, 3);
	attr_u16(&m, FT_PSAMPLE_ATTR_PROTO, 0x0800);
	finish(&m);
	assert_int_equal(ft__psample_decode(m.b, m.len, FAMILY, &d), 0);
	assert_null(d.data);
	assert_int_equal(d.data_len, 0);
	assert_false(ft__psample_l3(&d));
	d.proto = 0x86dd;
	assert_false(ft__psample_l3(&d));
	assert_int_equal(ft__frame_ip(1 /* DLT_EN10MB */, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_attribute),
	    cmocka_unit_test(test_probability),
	    cmocka_unit_test(test_unknown_and_malformed),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_wrong_family_or_command),
	    cmocka_unit_test(test_sequence_gaps),
	    cmocka_unit_test(test_l2_or_l3),
	    cmocka_unit_test(test_l3_without_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
