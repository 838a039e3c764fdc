/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: connection keys from packets, prefixes, counter tables. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtap/flows.h>

#include "flow_key.h"

/* IPv4 header (no options) + @l4 bytes. */
static size_t ip4(uint8_t *b, uint8_t proto, const char *src, const char *dst, uint16_t frag,
		  const uint8_t *l4, size_t l4len)
{
	struct ft_addr s, d;
	ft_addr_parse(src, &s);
	ft_addr_parse(dst, &d);
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((20 + l4len) >> 8);
	b[3] = (uint8_t)(20 + l4len);
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, s.b, 4);
	memcpy(b + 16, d.b, 4);
	memcpy(b + 20, l4, l4len);
	return 20 + l4len;
}

static size_t ip6(uint8_t *b, uint8_t nh, const char *src, const char *dst, const uint8_t *pl,
		  size_t plen)
{
	struct ft_addr s, d;
	ft_addr_parse(src, &s);
	ft_addr_parse(dst, &d);
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	b[6] = nh;
	b[7] = 64;
	memcpy(b + 8, s.b, 16);
	memcpy(b + 24, d.b, 16);
	memcpy(b + 40, pl, plen);
	return 40 + plen;
}

static void assert_addr(const struct ft_addr *a, const char *want)
{
	char buf[64];
	ft_addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static const uint8_t ports_1234_80[8] = {0x04, 0xd2, 0x00, 0x50, 0, 8, 0, 0};

static void test_key_ipv4_tcp(void **state)
{
	uint8_t b[64];
	struct ft_flow_key k;
	uint32_t bytes;
	size_t n = ip4(b, 6, "100.64.0.1", "100.64.0.2", 0, ports_1234_80, 8);
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), 0);
	assert_addr(&k.src, "100.64.0.1");
	assert_addr(&k.dst, "100.64.0.2");
	assert_int_equal(k.sport, 1234);
	assert_int_equal(k.dport, 80);
	assert_int_equal(k.proto, 6);
	assert_int_equal(bytes, 28);
	/* Inbound: the destination is local, so the key is swapped. */
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_IN), 0);
	assert_addr(&k.src, "100.64.0.2");
	assert_int_equal(k.sport, 80);
	assert_int_equal(k.dport, 1234);
}

static void test_key_ipv4_fragment_and_icmp(void **state)
{
	uint8_t b[64];
	struct ft_flow_key k;
	uint32_t bytes;
	/* A non-first fragment carries no ports. */
	size_t n = ip4(b, 17, "10.0.0.1", "10.0.0.2", 0x0010, ports_1234_80, 8);
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), 0);
	assert_int_equal(k.sport, 0);
	assert_int_equal(k.dport, 0);
	assert_int_equal(k.proto, 17);
	/* ICMP echo: keyed without ports even though bytes 4.. look like ids. */
	const uint8_t echo[8] = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
	n = ip4(b, 1, "10.0.0.1", "10.0.0.2", 0, echo, 8);
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), 0);
	assert_int_equal(k.proto, 1);
	assert_int_equal(k.sport, 0);
	assert_int_equal(k.dport, 0);
}

static void test_key_truncated(void **state)
{
	uint8_t b[64];
	struct ft_flow_key k;
	uint32_t bytes;
	size_t n = ip4(b, 6, "10.0.0.1", "10.0.0.2", 0, ports_1234_80, 8);
	/* Every truncation inside the IP header is an error; inside the ports
	 * it is a key without ports. Never a read outside the buffer (ASan). */
	for (size_t len = 0; len < 20; len++) {
		uint8_t *c = malloc(len ? len : 1);
		memcpy(c, b, len);
		assert_int_equal(ft_flows_key_from_ip(&k, &bytes, c, len, FT_DIR_OUT), FT_ECORRUPT);
		free(c);
	}
	for (size_t len = 20; len < 24; len++) {
		uint8_t *c = malloc(len);
		memcpy(c, b, len);
		assert_int_equal(ft_flows_key_from_ip(&k, &bytes, c, len, FT_DIR_OUT), 0);
		assert_int_equal(k.sport, 0);
		free(c);
	}
	b[0] = 0x55; /* version 5 */
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), FT_ECORRUPT);
	b[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), FT_ECORRUPT);
}

static void test_key_ipv6_ext_headers(void **state)
{
	uint8_t pl[64], b[128];
	struct ft_flow_key k;
	uint32_t bytes;
	/* hop-by-hop (8 bytes) -> dest opts (16 bytes) -> fragment (first) -> UDP */
	memset(pl, 0, sizeof(pl));
	pl[0] = 60;
	pl[1] = 0;
	pl[8] = 44;
	pl[9] = 1;
	pl[24] = 17;
	pl[26] = 0;
	pl[27] = 1; /* offset 0, M flag */
	memcpy(pl + 32, ports_1234_80, 8);
	size_t n = ip6(b, 0, "fd7a:115c:a1e0::1", "2001:db8::2", pl, 40);
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), 0);
	assert_int_equal(k.proto, 17);
	assert_int_equal(k.sport, 1234);
	assert_int_equal(k.dport, 80);
	assert_int_equal(bytes, 80);
	assert_addr(&k.dst, "2001:db8::2");
	/* A later fragment: no ports. */
	pl[26] = 0x01;
	n = ip6(b, 0, "fd7a:115c:a1e0::1", "2001:db8::2", pl, 40);
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), 0);
	assert_int_equal(k.proto, 17);
	assert_int_equal(k.sport, 0);
	/* Truncated inside the chain: still a key, no ports; never out of bounds. */
	for (size_t len = 40; len < n; len++) {
		uint8_t *c = malloc(len);
		memcpy(c, b, len);
		assert_int_equal(ft_flows_key_from_ip(&k, &bytes, c, len, FT_DIR_OUT), 0);
		free(c);
	}
	for (size_t len = 0; len < 40; len++) {
		uint8_t *c = malloc(len ? len : 1);
		memcpy(c, b, len);
		assert_int_equal(ft_flows_key_from_ip(&k, &bytes, c, len, FT_DIR_OUT), FT_ECORRUPT);
		free(c);
	}
	/* ICMPv6 */
	const uint8_t echo[8] = {128, 0, 0, 0, 1, 2, 3, 4};
	n = ip6(b, 58, "fd7a:115c:a1e0::1", "fd7a:115c:a1e0::2", echo, 8);
	assert_int_equal(ft_flows_key_from_ip(&k, &bytes, b, n, FT_DIR_OUT), 0);
	assert_int_equal(k.proto, 58);
	assert_int_equal(k.sport, 0);
	assert_int_equal(bytes, 48);
}

static void test_prefix(void **state)
{
	struct ft_prefix p;
	struct ft_addr a;
	assert_int_equal(ft_prefix_parse("100.64.0.0/10", &p), 0);
	assert_int_equal(p.bits, 10);
	ft_addr_parse("100.127.255.255", &a);
	assert_true(ft_prefix_contains(&p, &a));
	ft_addr_parse("100.128.0.0", &a);
	assert_false(ft_prefix_contains(&p, &a));
	ft_addr_parse("fd7a:115c:a1e0::1", &a);
	assert_false(ft_prefix_contains(&p, &a)); /* other family */
	assert_int_equal(ft_prefix_parse("10.1.2.3/16", &p), 0);
	assert_addr(&p.addr, "10.1.0.0"); /* host bits cleared */
	assert_int_equal(ft_prefix_parse("fd7a:115c:a1e0::/48", &p), 0);
	ft_addr_parse("fd7a:115c:a1e0:ffff::1", &a);
	assert_true(ft_prefix_contains(&p, &a));
	assert_int_equal(ft_prefix_parse("10.0.0.1", &p), 0);
	assert_int_equal(p.bits, 32);
	assert_int_equal(ft_prefix_parse("10.0.0.0/33", &p), -EINVAL);
	assert_int_equal(ft_prefix_parse("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(ft_prefix_parse("10.0.0.0/8x", &p), -EINVAL);
	assert_int_equal(ft_prefix_parse("10.0.0.0/-1", &p), -EINVAL);
	assert_int_equal(ft_prefix_parse("nonsense/8", &p), -EINVAL);
	assert_int_equal(ft_prefix_parse("::/129", &p), -EINVAL);
	assert_int_equal(ft_prefix_parse("::/0", &p), 0);
	ft_addr_parse("2001:db8::1", &a);
	assert_true(ft_prefix_contains(&p, &a));
}

static const struct ft_flow_stat *find(const struct ft_flow_stat *st, size_t n,
				       const struct ft_flow_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&st[i].key, k, sizeof(*k)))
			return &st[i];
	return NULL;
}

static void test_counters_basic(void **state)
{
	struct ft_flows *f;
	struct ft_flow_stat *st;
	size_t n;
	struct ft_flow_key k = mkkey("100.64.0.1", 1000, "100.64.0.2", 443, 6);
	struct ft_flow_key r = mkkey("100.64.0.2", 443, "100.64.0.1", 1000, 6);

	assert_int_equal(ft_flows_new(&f, 16), 0);
	assert_int_equal(ft_flows_add(f, &k, FT_DIR_OUT, 1, 100), 0);
	assert_int_equal(ft_flows_add(f, &k, FT_DIR_IN, 2, 300), 0);
	/* Unknown direction: the reverse of a known connection is its rx. */
	assert_int_equal(ft_flows_add(f, &r, FT_DIR_UNKNOWN, 1, 50), 0);
	assert_int_equal(ft_flows_add(f, &k, FT_DIR_UNKNOWN, 1, 10), 0);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(find(st, n, &k));
	assert_int_equal(st[0].c.tx_pkts, 2);
	assert_int_equal(st[0].c.tx_bytes, 110);
	assert_int_equal(st[0].c.rx_pkts, 3);
	assert_int_equal(st[0].c.rx_bytes, 350);
	free(st);
	/* Extract reset everything. */
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 0);
	assert_null(st);
	/* A first packet of unknown direction makes its sender local. */
	assert_int_equal(ft_flows_add(f, &r, FT_DIR_UNKNOWN, 1, 7), 0);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(find(st, n, &r));
	assert_int_equal(st[0].c.tx_bytes, 7);
	free(st);
	ft_flows_free(f);
}

static void test_counters_bound(void **state)
{
	struct ft_flows *f;
	struct ft_flow_stat *st;
	struct ft_flows_stats fs;
	size_t n;
	assert_int_equal(ft_flows_new(&f, 100), 0);
	int full = 0;
	for (int i = 0; i < 150; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.0.%d.%d", i / 256, i % 256);
		struct ft_flow_key k = mkkey(a, 1, "10.9.9.9", 2, 17);
		if (ft_flows_add(f, &k, FT_DIR_OUT, 1, 10) == FT_ELIMIT)
			full++;
	}
	assert_int_equal(full, 50);
	ft_flows_stats(f, &fs);
	assert_int_equal(fs.conns, 100);
	assert_int_equal(fs.overflow, 50);
	assert_int_equal(fs.max, 100);
	/* Existing connections keep counting when the table is full. */
	struct ft_flow_key k0 = mkkey("10.0.0.0", 1, "10.9.9.9", 2, 17);
	assert_int_equal(ft_flows_add(f, &k0, FT_DIR_IN, 1, 5), 0);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 100);
	free(st);
	ft_flows_stats(f, &fs);
	assert_int_equal(fs.conns, 0);
	ft_flows_free(f);
	assert_int_equal(ft_flows_new(&f, (1u << 24) + 1), -EINVAL);
	assert_null(f);
	ft_flows_free(NULL);
}

static void test_counters_physical(void **state)
{
	struct ft_flows *f;
	struct ft_flow_stat *st;
	size_t n;
	struct ft_addr peer, ep;
	ft_addr_parse("100.64.0.9", &peer);
	ft_addr_parse("2001:db8::7", &ep);
	assert_int_equal(ft_flows_new(&f, 0), 0);
	assert_int_equal(ft_flows_add_physical(f, &peer, &ep, 41641, FT_DIR_OUT, 120), 0);
	assert_int_equal(ft_flows_add_physical(f, &peer, &ep, 41641, FT_DIR_IN, 80), 0);
	assert_int_equal(ft_flows_add_physical(f, &peer, &ep, 41641, FT_DIR_UNKNOWN, 80), -EINVAL);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].key.proto, 0);
	assert_int_equal(st[0].key.sport, 0);
	assert_int_equal(st[0].key.dport, 41641);
	assert_addr(&st[0].key.dst, "2001:db8::7");
	assert_int_equal(st[0].c.tx_bytes, 120);
	assert_int_equal(st[0].c.rx_bytes, 80);
	free(st);
	ft_flows_free(f);
}

/* Four updaters and a concurrent extractor: every update lands in exactly
 * one extract (sums equal what was added). */
struct upd {
	struct ft_flows *f;
	int id;
	int iters;
};

static void *updater(void *arg)
{
	struct upd *u = arg;
	for (int i = 0; i < u->iters; i++) {
		char a[32];
		snprintf(a, sizeof(a), "100.64.%d.%d", u->id, i % 200);
		struct ft_flow_key k = mkkey(a, (uint16_t)(i % 7), "100.64.99.1", 443, 6);
		ft_flows_add(u->f, &k, (i & 1) ? FT_DIR_IN : FT_DIR_OUT, 1, 3);
	}
	return NULL;
}

static void test_counters_concurrent_extract(void **state)
{
	struct ft_flows *f;
	pthread_t t[4];
	struct upd u[4];
	uint64_t pkts = 0, bytes = 0;
	const int iters = 200000;
	assert_int_equal(ft_flows_new(&f, 0), 0);
	for (int i = 0; i < 4; i++) {
		u[i] = (struct upd){f, i, iters};
		pthread_create(&t[i], NULL, updater, &u[i]);
	}
	for (int round = 0; round < 2000; round++) {
		struct ft_flow_stat *st;
		size_t n;
		assert_int_equal(ft_flows_extract(f, &st, &n), 0);
		for (size_t i = 0; i < n; i++) {
			pkts += st[i].c.tx_pkts + st[i].c.rx_pkts;
			bytes += st[i].c.tx_bytes + st[i].c.rx_bytes;
		}
		free(st);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	struct ft_flow_stat *st;
	size_t n;
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	for (size_t i = 0; i < n; i++) {
		pkts += st[i].c.tx_pkts + st[i].c.rx_pkts;
		bytes += st[i].c.tx_bytes + st[i].c.rx_bytes;
	}
	free(st);
	assert_int_equal(pkts, 4ull * iters);
	assert_int_equal(bytes, 12ull * iters);
	ft_flows_free(f);
}

/* A connection counted from two threads (TX and RX) is one entry. */
static void *rx_thread(void *arg)
{
	struct ft_flows *f = arg;
	struct ft_flow_key k = mkkey("100.64.0.1", 1000, "100.64.0.2", 443, 6);
	for (int i = 0; i < 1000; i++)
		ft_flows_add(f, &k, FT_DIR_IN, 1, 10);
	return NULL;
}

static void test_counters_two_threads_merge(void **state)
{
	struct ft_flows *f;
	struct ft_flow_stat *st;
	size_t n;
	pthread_t t;
	struct ft_flow_key k = mkkey("100.64.0.1", 1000, "100.64.0.2", 443, 6);
	struct ft_flow_key other = mkkey("100.64.0.1", 1001, "100.64.0.2", 443, 6);
	assert_int_equal(ft_flows_new(&f, 0), 0);
	pthread_create(&t, NULL, rx_thread, f);
	for (int i = 0; i < 500; i++)
		ft_flows_add(f, &k, FT_DIR_OUT, 1, 20);
	ft_flows_add(f, &other, FT_DIR_OUT, 1, 20);
	pthread_join(t, NULL);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 2);
	const struct ft_flow_stat *s = find(st, n, &k);
	assert_non_null(s);
	assert_int_equal(s->c.tx_pkts, 500);
	assert_int_equal(s->c.tx_bytes, 10000);
	assert_int_equal(s->c.rx_pkts, 1000);
	assert_int_equal(s->c.rx_bytes, 10000);
	free(st);
	ft_flows_free(f);
}

static void test_add_ip(void **state)
{
	struct ft_flows *f;
	struct ft_flow_stat *st;
	size_t n;
	uint8_t b[64];
	size_t len = ip4(b, 6, "100.64.0.1", "8.8.8.8", 0, ports_1234_80, 8);
	assert_int_equal(ft_flows_new(&f, 0), 0);
	assert_int_equal(ft_flows_add_ip(f, b, len, FT_DIR_OUT), 0);
	/* The reply, seen inbound. */
	len = ip4(b, 6, "8.8.8.8", "100.64.0.1", 0, (const uint8_t[]){0, 80, 0x04, 0xd2}, 4);
	assert_int_equal(ft_flows_add_ip(f, b, len, FT_DIR_IN), 0);
	assert_int_equal(ft_flows_add_ip(f, b, 3, FT_DIR_IN), FT_ECORRUPT);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].key.sport, 1234);
	assert_int_equal(st[0].c.tx_pkts, 1);
	assert_int_equal(st[0].c.tx_bytes, 28);
	assert_int_equal(st[0].c.rx_pkts, 1);
	assert_int_equal(st[0].c.rx_bytes, 24);
	free(st);
	ft_flows_free(f);
}

/*
 * The hash before it was keyed (multiply-xor, symmetric): kept here only to
 * craft inputs that defeat it. side(a, port) is (lo ^ hi*C1 ^ port) * C2, so
 * for any port the interface id hi = (T ^ lo ^ port) * C1^-1 gives the same
 * side hash T * C2: every flow of the set lands on one hash value.
 */
#define OLD_C1 0x9e3779b97f4a7c15ULL
#define OLD_C2 0xff51afd7ed558ccdULL

static uint64_t old_side(const uint8_t a[16], uint16_t port)
{
	uint64_t lo, hi;
	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	return (lo ^ (hi * OLD_C1) ^ port) * OLD_C2;
}

static uint64_t old_hash(const struct ft_flow_key *k)
{
	uint64_t h = old_side(k->src.b, k->sport) + old_side(k->dst.b, k->dport) + k->proto;
	h = (h ^ (h >> 29)) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 32);
}

/* Flow @i of the crafted set: 2001:db8:1:2::/64 with a chosen interface id. */
static struct ft_flow_key crafted_key(uint32_t i)
{
	struct ft_flow_key k =
	    mkkey("2001:db8:1:2::", (uint16_t)(1024 + i), "2001:db8:ff::1", 443, 17);
	uint64_t inv = OLD_C1, lo, hi;
	for (int j = 0; j < 6; j++) /* Newton: inverse of C1 mod 2^64 */
		inv *= 2 - OLD_C1 * inv;
	memcpy(&lo, k.src.b, 8);
	hi = (0x5eed5eed5eed5eedULL ^ lo ^ k.sport) * inv;
	memcpy(k.src.b + 8, &hi, 8);
	return k;
}

/*
 * A remote peer with one /64 must not be able to make flow counting slow:
 * 60,000 flows that all collide under the unkeyed hash are counted with
 * short probe sequences (no lookup reaches the probe limit, so none lands in
 * the collision bucket) and every one gets its entry. Not timed: with the
 * old hash every lookup walks the whole chain and hits the limit.
 */
static void test_counters_crafted_collisions(void **state)
{
	enum { N = 60000 };
	struct ft_flows *f;
	struct ft_flow_stat *st;
	struct ft_flows_stats fs;
	size_t n;

	struct ft_flow_key k0 = crafted_key(0);
	for (uint32_t i = 1; i < N; i += 997) {
		struct ft_flow_key k = crafted_key(i);
		assert_int_equal(old_hash(&k), old_hash(&k0)); /* the input is adversarial */
		assert_memory_not_equal(k.src.b, k0.src.b, 16);
	}
	assert_int_equal(ft_flows_new(&f, 1u << 17), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct ft_flow_key k = crafted_key(i);
		assert_int_equal(ft_flows_add(f, &k, FT_DIR_OUT, 1, 100), 0);
		/* and the reverse direction, looked up both ways */
		struct ft_flow_key r = k;
		r.src = k.dst, r.dst = k.src, r.sport = k.dport, r.dport = k.sport;
		assert_int_equal(ft_flows_add(f, &r, FT_DIR_UNKNOWN, 1, 10), 0);
	}
	ft_flows_stats(f, &fs);
	assert_int_equal(fs.collided, 0);
	assert_int_equal(fs.overflow, 0);
	assert_int_equal(fs.conns, N);
	assert_int_equal(ft_flows_extract(f, &st, &n), 0);
	assert_int_equal(n, N);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(st[i].c.tx_pkts, 1);
		assert_int_equal(st[i].c.rx_pkts, 1);
	}
	free(st);
	ft_flows_free(f);
}

/* Two tables hash independently: the key is random per table set, so even
 * a peer that learnt one table's layout learns nothing about another's. */
static void test_counters_keyed(void **state)
{
	struct ft_flows *a, *b;
	struct ft_flows_stats fs;
	assert_int_equal(ft_flows_new(&a, 64), 0);
	assert_int_equal(ft_flows_new(&b, 64), 0);
	/* 64 flows in a table of 64: full, but every one found (probe limit
	 * never reached at the maximum load factor). */
	for (uint32_t i = 0; i < 64; i++) {
		struct ft_flow_key k = crafted_key(i);
		assert_int_equal(ft_flows_add(a, &k, FT_DIR_OUT, 1, 1), 0);
		assert_int_equal(ft_flows_add(b, &k, FT_DIR_OUT, 1, 1), 0);
	}
	ft_flows_stats(a, &fs);
	assert_int_equal(fs.collided, 0);
	assert_int_equal(fs.conns, 64);
	ft_flows_free(a);
	ft_flows_free(b);
}

struct notify_race {
	struct ft_flows *f;
	atomic_int calls;
	atomic_bool stop;
};

static void count_notify(void *ctx)
{
	struct notify_race *r = ctx;
	atomic_fetch_add(&r->calls, 1);
}

static void *notify_updater(void *arg)
{
	struct notify_race *r = arg;
	struct ft_flow_key k = mkkey("100.64.0.1", 1, "100.64.0.2", 2, 6);
	while (!atomic_load(&r->stop))
		ft_flows_add(r->f, &k, FT_DIR_OUT, 1, 1);
	return NULL;
}

/* The notify callback may be replaced while another thread updates (a
 * logger created or freed beside a running datapath): TSan sees a data race
 * if the pointer is unsynchronised, and once set_notify(NULL) returned the
 * old callback never runs again. */
static void test_counters_notify_race(void **state)
{
	struct notify_race r = {0};
	pthread_t th;
	assert_int_equal(ft_flows_new(&r.f, 16), 0);
	assert_int_equal(pthread_create(&th, NULL, notify_updater, &r), 0);
	for (int i = 0; i < 2000; i++) {
		struct ft_flow_stat *st;
		size_t n;
		ft_flows_set_notify(r.f, (i & 1) ? count_notify : NULL, &r);
		if (ft_flows_extract(r.f, &st, &n) == 0)
			free(st);
	}
	ft_flows_set_notify(r.f, NULL, NULL);
	int calls = atomic_load(&r.calls);
	for (int i = 0; i < 100; i++) {
		struct ft_flow_stat *st;
		size_t n;
		if (ft_flows_extract(r.f, &st, &n) == 0)
			free(st);
	}
	assert_int_equal(atomic_load(&r.calls), calls);
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	ft_flows_free(r.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_ipv4_tcp),
	    cmocka_unit_test(test_key_ipv4_fragment_and_icmp),
	    cmocka_unit_test(test_key_truncated),
	    cmocka_unit_test(test_key_ipv6_ext_headers),
	    cmocka_unit_test(test_prefix),
	    cmocka_unit_test(test_counters_basic),
	    cmocka_unit_test(test_counters_bound),
	    cmocka_unit_test(test_counters_physical),
	    cmocka_unit_test(test_counters_concurrent_extract),
	    cmocka_unit_test(test_counters_two_threads_merge),
	    cmocka_unit_test(test_add_ip),
	    cmocka_unit_test(test_counters_crafted_collisions),
	    cmocka_unit_test(test_counters_keyed),
	    cmocka_unit_test(test_counters_notify_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
