/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the peer table (longest-prefix match against a brute-force
 * reference for IPv4 and IPv6, 10,000 peers, IPv6 index edges, the JSON
 * loader and its errors). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/peers.h>

static struct ft_prefix pfx(const char *s)
{
	struct ft_prefix p;
	assert_int_equal(ft_prefix_parse(s, &p), 0);
	return p;
}

static struct ft_addr addr(const char *s)
{
	struct ft_addr a;
	assert_int_equal(ft_addr_parse(s, &a), 0);
	return a;
}

static const char *name_of(const struct ft_peers *p, const char *a)
{
	struct ft_addr x = addr(a);
	const struct ft_peer *n = ft_peers_lookup(p, &x);
	return n ? n->name : "-";
}

static void add(struct ft_peers *p, const char *name, const char *a1, const char *a2)
{
	struct ft_prefix a[2];
	struct ft_peer n = {.name = name, .addrs = a, .naddrs = a2 ? 2 : 1};
	a[0] = pfx(a1);
	if (a2)
		a[1] = pfx(a2);
	assert_int_equal(ft_peers_add(p, &n), 0);
}

static void test_longest_prefix(void **state)
{
	struct ft_peers *p;
	(void)state;
	assert_int_equal(ft_peers_new(&p), 0);
	add(p, "default", "0.0.0.0/0", "::/0");
	add(p, "cgnat", "100.64.0.0/10", NULL);
	add(p, "b", "100.64.0.2", "fd7a:115c:a1e0::2");
	add(p, "sub", "10.1.0.0/16", "fd00::/8");
	add(p, "sub24", "10.1.2.0/24", NULL);
	add(p, "dup", "10.1.2.0/24", NULL); /* the first of equal prefixes wins */
	add(p, "top", "255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(ft_peers_build(p), 0);
	assert_string_equal(name_of(p, "100.64.0.2"), "b");
	assert_string_equal(name_of(p, "100.64.0.1"), "cgnat");
	assert_string_equal(name_of(p, "100.64.0.3"), "cgnat");
	assert_string_equal(name_of(p, "100.127.255.255"), "cgnat");
	assert_string_equal(name_of(p, "100.128.0.0"), "default");
	assert_string_equal(name_of(p, "10.1.2.255"), "sub24");
	assert_string_equal(name_of(p, "10.1.3.0"), "sub");
	assert_string_equal(name_of(p, "10.1.1.255"), "sub");
	assert_string_equal(name_of(p, "0.0.0.0"), "default");
	assert_string_equal(name_of(p, "255.255.255.255"), "top");
	assert_string_equal(name_of(p, "255.255.255.254"), "default");
	assert_string_equal(name_of(p, "fd7a:115c:a1e0::2"), "b");
	assert_string_equal(name_of(p, "fd7a:115c:a1e0::3"), "sub");
	assert_string_equal(name_of(p, "fe80::1"), "default");
	assert_string_equal(name_of(p, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "top");
	assert_string_equal(name_of(p, "::"), "default");
	/* Adding after build is refused. */
	struct ft_peer n = {.name = "late"};
	assert_int_equal(ft_peers_add(p, &n), -EINVAL);
	ft_peers_free(p);
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* The lookup of @a in @p names node "n<i>" of the longest of the @n
 * prefixes in @list (node i owns list[i]) containing @a, the first of equal
 * ones, or none. */
static void check_brute_force(const struct ft_peers *p, const struct ft_prefix *list, int n,
			      const struct ft_addr *a)
{
	const struct ft_peer *got = ft_peers_lookup(p, a);
	char want[16];
	int best = -1;
	for (int i = 0; i < n; i++)
		if (ft_prefix_contains(&list[i], a) && (best < 0 || list[i].bits > list[best].bits))
			best = i;
	if (best < 0) {
		assert_null(got);
		return;
	}
	snprintf(want, sizeof(want), "n%d", best);
	assert_non_null(got);
	assert_string_equal(got->name, want);
}

/* Random nested and overlapping IPv4 prefixes in a small space, compared
 * with a linear longest-match over the same list. */
static void test_random_vs_brute_force(void **state)
{
	enum { N = 300 };
	struct ft_prefix list[N];
	uint64_t seed = 42;
	struct ft_peers *p;
	char names[N][8];
	(void)state;
	for (int round = 0; round < 20; round++) {
		assert_int_equal(ft_peers_new(&p), 0);
		for (int i = 0; i < N; i++) {
			uint8_t bits = (uint8_t)(16 + rnd(&seed) % 17);
			uint32_t a = 0x0a000000u | (rnd(&seed) & 0xffffu);
			a &= bits ? ~0u << (32 - bits) : 0;
			list[i].addr.len = 4;
			list[i].addr.b[0] = (uint8_t)(a >> 24),
			list[i].addr.b[1] = (uint8_t)(a >> 16);
			list[i].addr.b[2] = (uint8_t)(a >> 8), list[i].addr.b[3] = (uint8_t)a;
			list[i].bits = bits;
			snprintf(names[i], sizeof(names[i]), "n%d", i);
			struct ft_peer n = {.name = names[i], .addrs = &list[i], .naddrs = 1};
			assert_int_equal(ft_peers_add(p, &n), 0);
		}
		assert_int_equal(ft_peers_build(p), 0);
		for (uint32_t x = 0x09ffff00u; x < 0x0a010100u; x += 1 + (x & 3)) {
			struct ft_addr a = {4,
					    {(uint8_t)(x >> 24), (uint8_t)(x >> 16),
					     (uint8_t)(x >> 8), (uint8_t)x}};
			check_brute_force(p, list, N, &a);
		}
		ft_peers_free(p);
	}
}

/* A random IPv6 address near /64 bounds: the high half one of a few /64s
 * (the first, the last, neighbours, an overlay's), the low half near its
 * ends or small. */
static void rnd6(uint64_t *seed, uint8_t b[16])
{
	static const uint64_t highs[] = {0,
					 1,
					 2,
					 0xfd7a115ca1e00000ull,
					 0xfd7a115ca1e00001ull,
					 0xfd7a115ca1e0ffffull,
					 UINT64_MAX - 1,
					 UINT64_MAX};
	uint64_t h = highs[rnd(seed) % 8], l = rnd(seed) % 64;
	if (rnd(seed) & 1)
		l = UINT64_MAX - l;
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(h >> (56 - 8 * i));
		b[8 + i] = (uint8_t)(l >> (56 - 8 * i));
	}
}

/* Random IPv6 prefixes of every length (::/0, /1../64 spanning many /64s,
 * /65../128 inside one) whose bounds crowd at /64 boundaries, against a
 * linear longest-match; many tables, each looked up around every bound. */
static void test_random_v6_vs_brute_force(void **state)
{
	enum { N = 60 };
	struct ft_prefix list[N];
	uint64_t seed = 7;
	char names[N][8];
	(void)state;
	for (int round = 0; round < 200; round++) {
		struct ft_peers *p;
		int n = 1 + (int)(rnd(&seed) % N);
		assert_int_equal(ft_peers_new(&p), 0);
		for (int i = 0; i < n; i++) {
			unsigned r = rnd(&seed) % 10;
			uint8_t bits = (uint8_t)(r == 0	 ? rnd(&seed) % 129
						 : r < 4 ? 60 + rnd(&seed) % 9
						 : r < 8 ? 120 + rnd(&seed) % 9
							 : rnd(&seed) % 3);
			list[i].addr.len = 16;
			rnd6(&seed, list[i].addr.b);
			for (int k = bits; k < 128; k++) /* clear the host bits */
				list[i].addr.b[k / 8] &= (uint8_t) ~(0x80u >> (k % 8));
			list[i].bits = bits;
			snprintf(names[i], sizeof(names[i]), "n%d", i);
			struct ft_peer nd = {.name = names[i], .addrs = &list[i], .naddrs = 1};
			assert_int_equal(ft_peers_add(p, &nd), 0);
		}
		assert_int_equal(ft_peers_build(p), 0);
		for (int q = 0; q < 400; q++) {
			struct ft_addr a = {.len = 16};
			rnd6(&seed, a.b);
			check_brute_force(p, list, n, &a);
		}
		ft_peers_free(p);
	}
}

/* Edges of the IPv6 index: an empty family, ::/0 alone, /128s at the two
 * ends of the space, and a prefix that ends one address before a /64. */
static void test_v6_edges(void **state)
{
	struct ft_peers *p;
	(void)state;
	assert_int_equal(ft_peers_new(&p), 0);
	add(p, "v4only", "10.0.0.0/8", NULL);
	assert_int_equal(ft_peers_build(p), 0);
	assert_string_equal(name_of(p, "::"), "-");
	assert_string_equal(name_of(p, "fd7a::1"), "-");
	ft_peers_free(p);

	assert_int_equal(ft_peers_new(&p), 0);
	add(p, "all", "::/0", NULL);
	assert_int_equal(ft_peers_build(p), 0);
	assert_string_equal(name_of(p, "::"), "all");
	assert_string_equal(name_of(p, "8000::"), "all");
	assert_string_equal(name_of(p, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "all");
	assert_string_equal(name_of(p, "10.0.0.1"), "-");
	ft_peers_free(p);

	assert_int_equal(ft_peers_new(&p), 0);
	add(p, "first", "::/128", NULL);
	add(p, "last", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", NULL);
	add(p, "wide", "fd00::/8", NULL);
	add(p, "half", "fd7a:115c:a1e0::/63", NULL);
	assert_int_equal(ft_peers_build(p), 0);
	assert_string_equal(name_of(p, "::"), "first");
	assert_string_equal(name_of(p, "::1"), "-");
	assert_string_equal(name_of(p, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "last");
	assert_string_equal(name_of(p, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), "-");
	assert_string_equal(name_of(p, "fd7a:115c:a1e0:1:ffff:ffff:ffff:ffff"), "half");
	assert_string_equal(name_of(p, "fd7a:115c:a1e0:2::"), "wide");
	assert_string_equal(name_of(p, "fd7a:115c:a1df:ffff:ffff:ffff:ffff:ffff"), "wide");
	assert_string_equal(name_of(p, "fd12:3456::1"), "wide"); /* a /64 with no bound */
	assert_string_equal(name_of(p, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "wide");
	assert_string_equal(name_of(p, "fe00::"), "-");
	assert_string_equal(name_of(p, "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "-");
	ft_peers_free(p);
}

static void test_ten_thousand(void **state)
{
	struct ft_peers *p;
	char name[32], a4[32], a6[64];
	(void)state;
	assert_int_equal(ft_peers_new(&p), 0);
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "peer-%d", i);
		snprintf(a4, sizeof(a4), "100.%d.%d.%d", 64 + i / 65536, (i / 256) % 256, i % 256);
		snprintf(a6, sizeof(a6), "fd7a:115c:a1e0::%x", i);
		add(p, name, a4, a6);
	}
	assert_int_equal(ft_peers_build(p), 0);
	assert_int_equal(ft_peers_count(p), 10000);
	for (int i = 0; i < 10000; i += 7) {
		snprintf(name, sizeof(name), "peer-%d", i);
		snprintf(a4, sizeof(a4), "100.%d.%d.%d", 64 + i / 65536, (i / 256) % 256, i % 256);
		snprintf(a6, sizeof(a6), "fd7a:115c:a1e0::%x", i);
		assert_string_equal(name_of(p, a4), name);
		assert_string_equal(name_of(p, a6), name);
		assert_int_equal(ft_peers_index(p, ft_peers_node(p, (size_t)i)), i);
	}
	assert_string_equal(name_of(p, "100.64.39.16"), "-"); /* just past the last */
	assert_string_equal(name_of(p, "fd7a:115c:a1e0::2710"), "-");
	/* All IPv6 ranges share one /64 (the 64-bit path): outside it, none. */
	assert_string_equal(name_of(p, "fd7a:115c:a1e0:1::1"), "-");
	assert_string_equal(name_of(p, "fd7a:115c:a1df:ffff:ffff:ffff:ffff:ffff"), "-");
	assert_string_equal(name_of(p, "::"), "-");
	ft_peers_free(p);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/ft-peers-unit.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_load(void **state)
{
	struct ft_peers *p;
	char err[256];
	(void)state;
	char *path =
	    write_tmp("{\"self\": {\"nodeId\": \"n1\", \"name\": \"laptop-a\", \"addresses\": "
		      "[\"100.64.0.1\"], \"os\": \"linux\", \"user\": \"alice@example.com\"},\n"
		      " \"peers\": [{\"nodeId\": \"n2\", \"name\": \"laptop-b\", \"addresses\": "
		      "[\"100.64.0.2/32\", \"fd7a:115c:a1e0::2\", \"10.0.0.0/24\"], \"tags\": "
		      "[\"tag:server\", \"tag:prod\"]}]}\n");
	assert_int_equal(ft_peers_load_file(path, &p, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(ft_peers_self(p)->name, "laptop-a");
	assert_string_equal(ft_peers_self(p)->user, "alice@example.com");
	assert_string_equal(name_of(p, "100.64.0.1"), "laptop-a");
	assert_string_equal(name_of(p, "10.0.0.77"), "laptop-b");
	struct ft_addr a = addr("fd7a:115c:a1e0::2");
	const struct ft_peer *b = ft_peers_lookup(p, &a);
	assert_string_equal(b->node_id, "n2");
	assert_int_equal(b->ntags, 2);
	assert_string_equal(b->tags[1], "tag:prod");
	assert_null(b->user);
	assert_int_equal(b->naddrs, 3);
	ft_peers_free(p);
}

static void expect_error(const char *text, int want, const char *msg_part)
{
	struct ft_peers *p = (struct ft_peers *)1;
	char err[256] = "";
	char *path = write_tmp(text);
	assert_int_equal(ft_peers_load_file(path, &p, err, sizeof(err)), want);
	unlink(path);
	assert_null(p);
	if (!strstr(err, msg_part))
		fail_msg("error '%s' lacks '%s'", err, msg_part);
}

static void test_load_errors(void **state)
{
	struct ft_peers *p;
	char err[256];
	(void)state;
	/* A missing comma on line 3, column 4. */
	expect_error("{\"peers\": [\n{\"name\": \"a\"}\n   {\"name\": \"b\"}]}", -EINVAL,
		     ":3:4: bad JSON");
	expect_error("{\"peers\": [{\"name\": \"a\", \"addresses\": [\"100.64.0.300\"]}]}", -EINVAL,
		     "peers[0] (a): bad address or prefix '100.64.0.300'");
	expect_error("{\"peers\": [{\"nodeId\": \"x\"}]}", -EINVAL, "peers[0]: no \"name\"");
	expect_error("{\"peer\": []}", -EINVAL, "unknown member \"peer\"");
	expect_error("{\"peers\": [{\"name\": 3}]}", -EINVAL, "\"name\" is not a string");
	expect_error("[{\"name\": \"a\", \"tags\": \"x\"}]", -EINVAL, "\"tags\" is not an array");
	assert_int_equal(ft_peers_load_file("/nonexistent/peers.json", &p, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot open peer file '/nonexistent/peers.json'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_longest_prefix), cmocka_unit_test(test_random_vs_brute_force),
	    cmocka_unit_test(test_ten_thousand),   cmocka_unit_test(test_load),
	    cmocka_unit_test(test_load_errors),	   cmocka_unit_test(test_random_v6_vs_brute_force),
	    cmocka_unit_test(test_v6_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
