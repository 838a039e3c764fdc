/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_anon.c - Crypto-PAn against the reference implementation's published
 * sample, prefix preservation, the caches, key files, and the packet
 * rewriter's checksums (verified by recomputing them from scratch).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include <dirent.h>

#include <flowtap/anon.h>
#include <flowtap/reader.h>
#include <flowtap/text.h>

#include "pkt_build.h"

/* The key of sample.cpp in the Crypto-PAn 1.0 distribution (Georgia Tech). */
static const uint8_t ref_key[32] = {21,	 34, 23,  141, 51, 164, 207, 128, 19,  10,  91,
				    22,	 73, 144, 125, 16, 216, 152, 143, 131, 121, 121,
				    101, 39, 98,  87,  76, 45,	42,  132, 34,  2};

/* Address pairs of sample_trace_raw.dat / sample_trace_sanitized.dat. */
static const char *const ref_pairs[][2] = {
    {"128.11.68.132", "135.242.180.132"},   {"129.118.74.4", "134.136.186.123"},
    {"130.132.252.244", "133.68.164.234"},  {"141.223.7.43", "141.167.8.160"},
    {"141.233.145.108", "141.129.237.235"}, {"152.163.225.39", "151.140.114.167"},
    {"156.29.3.236", "147.225.12.42"},	    {"165.247.96.84", "162.9.99.234"},
    {"166.107.77.190", "160.132.178.185"},  {"192.102.249.13", "252.138.62.131"},
    {"192.215.32.125", "252.43.47.189"},    {"192.233.80.103", "252.25.108.8"},
    {"192.41.57.43", "252.222.221.184"},    {"193.150.244.223", "253.169.52.216"},
    {"195.205.63.100", "255.186.223.5"},    {"198.200.171.101", "249.199.68.213"},
    {"198.26.132.101", "249.36.123.202"},   {"198.36.213.5", "249.7.21.132"},
    {"198.51.77.238", "249.18.186.254"},    {"199.217.79.101", "248.38.184.213"},
    {"202.49.198.20", "245.206.7.234"},	    {"203.12.160.252", "244.248.163.4"},
    {"204.184.162.189", "243.192.77.90"},   {"204.202.136.230", "243.178.4.198"},
    {"204.29.20.4", "243.33.20.123"},	    {"205.178.38.67", "242.108.198.51"},
    {"205.188.147.153", "242.96.16.101"},   {"205.188.248.25", "242.96.88.27"},
    {"205.245.121.43", "242.21.121.163"},   {"207.105.49.5", "241.118.205.138"},
    {"207.135.65.238", "241.202.129.222"},  {"207.155.9.214", "241.220.250.22"},
    {"207.188.7.45", "241.255.249.220"},    {"207.25.71.27", "241.33.119.156"},
    {"207.33.151.131", "241.1.233.131"},    {"208.147.89.59", "227.237.98.191"},
    {"208.234.120.210", "227.154.67.17"},   {"208.28.185.184", "227.39.94.90"},
    {"208.52.56.122", "227.8.63.165"},	    {"209.12.231.7", "226.243.167.8"},
    {"209.238.72.3", "226.6.119.243"},	    {"209.246.74.109", "226.22.124.76"},
    {"209.68.60.238", "226.184.220.233"},   {"209.85.249.6", "226.170.70.6"},
    {"212.120.124.31", "228.135.163.231"},  {"212.146.8.236", "228.19.4.234"},
    {"212.186.227.154", "228.59.98.98"},    {"212.204.172.118", "228.71.195.169"},
    {"212.206.130.201", "228.69.242.193"},  {"216.148.237.145", "235.84.194.111"},
    {"216.157.30.252", "235.89.31.26"},	    {"216.184.159.48", "235.96.225.78"},
    {"216.227.10.221", "235.28.253.36"},    {"216.254.18.172", "235.7.16.162"},
    {"216.32.132.250", "235.192.139.38"},   {"216.35.217.178", "235.195.157.81"},
    {"24.0.250.221", "100.15.198.226"},	    {"24.13.62.231", "100.2.192.247"},
    {"24.14.213.138", "100.1.42.141"},	    {"24.5.0.80", "100.9.15.210"},
    {"24.7.198.88", "100.10.6.25"},	    {"24.94.26.44", "100.88.228.35"},
    {"38.15.67.68", "64.3.66.187"},	    {"4.3.88.225", "124.60.155.63"},
    {"63.14.55.111", "95.9.215.7"},	    {"63.195.241.44", "95.179.238.44"},
    {"63.97.7.140", "95.97.9.123"},	    {"64.14.118.196", "0.255.183.58"},
    {"64.34.154.117", "0.221.154.117"},	    {"64.39.15.238", "0.219.7.41"},
    {"10.185.25.118", "117.161.29.118"},
};

/* The same key through another implementation's IPv6 (Yawning Angel's Go
 * cryptopan, which generalizes the reference to 128 bits as we do). */
static const char *const v6_pairs[][2] = {
    {"::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"},
    {"::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838"},
    {"2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e"},
    {"2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c"},
};

static struct ft_anon *new_ref(void)
{
	struct ft_anon *a = NULL;
	assert_int_equal(ft_anon_new(&a, ref_key), 0);
	return a;
}

static void map_str(struct ft_anon *a, const char *in, char *out)
{
	struct ft_addr x;
	assert_int_equal(ft_addr_parse(in, &x), 0);
	ft_anon_addr(a, &x);
	ft_addr_format(&x, out, 64);
}

static void reference_sample(void **state)
{
	struct ft_anon *a = new_ref();
	char out[64];

	for (size_t i = 0; i < sizeof(ref_pairs) / sizeof(ref_pairs[0]); i++) {
		map_str(a, ref_pairs[i][0], out);
		assert_string_equal(out, ref_pairs[i][1]);
	}
	for (size_t i = 0; i < sizeof(v6_pairs) / sizeof(v6_pairs[0]); i++) {
		map_str(a, v6_pairs[i][0], out);
		assert_string_equal(out, v6_pairs[i][1]);
	}
	/* Again, now from the caches. */
	for (size_t i = 0; i < sizeof(ref_pairs) / sizeof(ref_pairs[0]); i++) {
		map_str(a, ref_pairs[i][0], out);
		assert_string_equal(out, ref_pairs[i][1]);
	}
	ft_anon_free(a);
}

static unsigned common_bits(const uint8_t *x, const uint8_t *y, unsigned nbits)
{
	unsigned k = 0;
	while (k < nbits && !(((x[k / 8] ^ y[k / 8]) << (k % 8)) & 0x80))
		k++;
	return k;
}

/* Two addresses sharing exactly k leading bits map to two that share
 * exactly k, for random addresses and every k. */
static void prefix_preserving(void **state)
{
	struct ft_anon *a = new_ref();
	unsigned seed = 12345;

	for (int fam = 0; fam < 2; fam++) {
		unsigned len = fam ? 16 : 4, nbits = len * 8;
		for (int i = 0; i < 20000; i++) {
			uint8_t x[16], y[16];
			unsigned k = (unsigned)rand_r(&seed) % nbits;
			for (unsigned j = 0; j < len; j++)
				x[j] = (uint8_t)rand_r(&seed), y[j] = (uint8_t)rand_r(&seed);
			/* y: x's first k bits, then bit k flipped, then random. */
			for (unsigned b = 0; b <= k; b++) {
				uint8_t m = (uint8_t)(0x80 >> (b % 8));
				y[b / 8] = (uint8_t)((y[b / 8] & ~m) |
						     ((b < k ? x[b / 8] : ~x[b / 8]) & m));
			}
			assert_int_equal(common_bits(x, y, nbits), k);
			if (fam)
				ft_anon_ip6(a, x), ft_anon_ip6(a, y);
			else
				ft_anon_ip4(a, x), ft_anon_ip4(a, y);
			assert_int_equal(common_bits(x, y, nbits), k);
		}
	}
	ft_anon_free(a);
}

/* An address evicted from the caches by many others maps as before, and as
 * a fresh anonymizer maps it. */
static void caches_consistent(void **state)
{
	struct ft_anon *a = new_ref(), *b = new_ref();
	uint8_t first[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, x6[16];
	uint8_t v4[4] = {10, 1, 2, 3}, x4[4];

	memcpy(x6, first, 16);
	ft_anon_ip6(a, x6);
	memcpy(x4, v4, 4);
	ft_anon_ip4(a, x4);
	for (uint32_t i = 0; i < 300000; i++) {
		uint8_t t[16] = {0};
		memcpy(t, &i, 4);
		t[15] = (uint8_t)i;
		ft_anon_ip4(a, t);
		memcpy(t, &i, 4);
		ft_anon_ip6(a, t);
	}
	uint8_t y6[16], y4[4];
	memcpy(y6, first, 16);
	ft_anon_ip6(a, y6);
	assert_memory_equal(x6, y6, 16);
	memcpy(y6, first, 16);
	ft_anon_ip6(b, y6);
	assert_memory_equal(x6, y6, 16);
	memcpy(y4, v4, 4);
	ft_anon_ip4(a, y4);
	assert_memory_equal(x4, y4, 4);
	memcpy(y4, v4, 4);
	ft_anon_ip4(b, y4);
	assert_memory_equal(x4, y4, 4);
	ft_anon_free(a);
	ft_anon_free(b);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void key_files(void **state)
{
	char dir[] = "/tmp/ft-anon-unit-XXXXXX", path[128], err[FT_ERRBUF_SIZE];
	uint8_t key[32], key2[32];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(ft_anon_key_load(path, key, err), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(ft_anon_key_new(path, err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(ft_anon_key_new(path, err), -EEXIST);
	assert_int_equal(ft_anon_key_load(path, key, err), 0);
	write_file(path, ref_key, 32, 0600);
	assert_int_equal(ft_anon_key_load(path, key, err), 0);
	assert_memory_equal(key, ref_key, 32);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", ref_key[i]);
	write_file(path, hex, 64, 0400);
	assert_int_equal(ft_anon_key_load(path, key2, err), 0);
	assert_memory_equal(key2, ref_key, 32);
	write_file(path, ref_key, 31, 0600);
	assert_int_equal(ft_anon_key_load(path, key, err), -EINVAL);
	assert_non_null(strstr(err, "too short"));
	write_file(path, ref_key, 32, 0640);
	assert_int_equal(ft_anon_key_load(path, key, err), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	write_file(path, ref_key, 32, 0604);
	assert_int_equal(ft_anon_key_load(path, key, err), -EPERM);
	unlink(path);
	rmdir(dir);
}

/* The TCP/UDP/ICMPv6 checksum over the pseudo-header, 0 when correct. */
static uint16_t l4_sum(const uint8_t *src, const uint8_t *dst, unsigned alen, uint8_t proto,
		       const uint8_t *l4, size_t n)
{
	uint8_t buf[1024];
	size_t o = 0;
	memcpy(buf, src, alen), o += alen;
	memcpy(buf + o, dst, alen), o += alen;
	buf[o++] = 0, buf[o++] = 0, buf[o++] = (uint8_t)(n >> 8), buf[o++] = (uint8_t)n;
	buf[o++] = 0, buf[o++] = 0, buf[o++] = 0, buf[o++] = proto;
	memcpy(buf + o, l4, n);
	return tb_csum(buf, o + n);
}

static void fill_l4_sum4(uint8_t *ip, uint8_t proto, size_t at)
{
	size_t n = (size_t)(ip[2] << 8 | ip[3]) - 20;
	ip[20 + at] = ip[21 + at] = 0;
	uint16_t c = l4_sum(ip + 12, ip + 16, 4, proto, ip + 20, n);
	ip[20 + at] = (uint8_t)(c >> 8), ip[21 + at] = (uint8_t)c;
}

/* A DNS response for "abc.example" (an odd offset for its A record). */
static size_t dns_packet(uint8_t *p)
{
	static const uint8_t msg[] = {
	    0x12, 0x34, 0x81, 0x80, 0,	 1,   0,   1,	0, 0,  0, 0, 3,	  'a', 'b', 'c',
	    7,	  'e',	'x',  'a',  'm', 'p', 'l', 'e', 0, 0,  1, 0, 1, /* answer: pointer to the
									   name */
	    0xc0, 12,	0,    1,    0,	 1,   0,   0,	0, 60, 0, 4, 192, 0,   2,   33};
	size_t n = tb_ip4(p, "10.1.2.3", "10.9.8.7", 17, 53, 40000, sizeof(msg));
	memcpy(p + 28, msg, sizeof(msg));
	fill_l4_sum4(p, 17, 6);
	return n;
}

static void rewrite_dns(void **state)
{
	struct ft_anon *a = new_ref();
	uint8_t p[256], bad[256], want[4] = {192, 0, 2, 33}, s[4] = {10, 1, 2, 3};
	size_t n = dns_packet(p);

	memcpy(bad, p, n);
	bad[27] ^= 0x55; /* a wrong UDP checksum */
	assert_int_equal(ft_anon_packet(a, p, (uint32_t)n, DLT_RAW, 0), (int)n);
	assert_int_equal(tb_csum(p, 20), 0);
	assert_int_equal(l4_sum(p + 12, p + 16, 4, 17, p + 20, n - 20), 0);
	ft_anon_ip4(a, want);
	assert_memory_equal(p + n - 4, want, 4);
	ft_anon_ip4(a, s);
	assert_memory_equal(p + 12, s, 4);
	assert_int_equal(ft_anon_packet(a, bad, (uint32_t)n, DLT_RAW, 0), (int)n);
	assert_int_equal(tb_csum(bad, 20), 0);
	assert_int_not_equal(l4_sum(bad + 12, bad + 16, 4, 17, bad + 20, n - 20), 0);
	ft_anon_free(a);
}

/* ICMP port unreachable quoting the DNS packet's header and 8 bytes. */
static void rewrite_icmp_error(void **state)
{
	struct ft_anon *a = new_ref();
	uint8_t inner[256], p[256];
	size_t in = dns_packet(inner), n = tb_ip4(p, "10.9.8.7", "10.1.2.3", 1, 0, 0, 28);

	(void)in;
	p[20] = 3, p[21] = 3, p[22] = p[23] = 0, p[24] = p[25] = p[26] = p[27] = 0;
	memcpy(p + 28, inner, 28);
	uint16_t c = tb_csum(p + 20, 36);
	p[22] = (uint8_t)(c >> 8), p[23] = (uint8_t)c;
	assert_int_equal(ft_anon_packet(a, p, (uint32_t)n, DLT_RAW, 0), (int)n);
	assert_int_equal(tb_csum(p, 20), 0);
	assert_int_equal(tb_csum(p + 20, 36), 0);
	assert_int_equal(tb_csum(p + 28, 20), 0); /* the quoted header's own */
	uint8_t s[4] = {10, 1, 2, 3};
	ft_anon_ip4(a, s);
	assert_memory_equal(p + 28 + 12, s, 4);
	assert_memory_equal(p + 16, s, 4);
	ft_anon_free(a);
}

/* A neighbour solicitation: the target is mapped like the addresses. */
static void rewrite_icmp6_ns(void **state)
{
	struct ft_anon *a = new_ref();
	uint8_t p[72 + 14] = {0}, *ip = p + 14, t[16];

	p[12] = 0x86, p[13] = 0xdd;
	ip[0] = 0x60, ip[5] = 32, ip[6] = 58, ip[7] = 255;
	inet_pton(AF_INET6, "fe80::1", ip + 8);
	inet_pton(AF_INET6, "ff02::1:ff00:2", ip + 24);
	ip[40] = 135;
	inet_pton(AF_INET6, "2001:db8::2", ip + 48);
	ip[64] = 1, ip[65] = 1; /* source link-layer address option */
	uint16_t c = l4_sum(ip + 8, ip + 24, 16, 58, ip + 40, 32);
	ip[42] = (uint8_t)(c >> 8), ip[43] = (uint8_t)c;
	assert_int_equal(ft_anon_packet(a, p, sizeof(p), DLT_EN10MB, 0), (int)sizeof(p));
	assert_int_equal(l4_sum(ip + 8, ip + 24, 16, 58, ip + 40, 32), 0);
	inet_pton(AF_INET6, "2001:db8::2", t);
	ft_anon_ip6(a, t);
	assert_memory_equal(ip + 48, t, 16);
	ft_anon_free(a);
}

static void headers_only(void **state)
{
	struct ft_anon *a = new_ref();
	uint8_t p[256];
	size_t n = tb_ip4(p, "10.1.2.3", "10.9.8.7", 6, 1234, 80, 100);

	memset(p + 40, 'X', 100);
	fill_l4_sum4(p, 6, 16);
	assert_int_equal(ft_anon_packet(a, p, (uint32_t)n, DLT_RAW, FT_ANON_HEADERS_ONLY), 40);
	n = dns_packet(p);
	assert_int_equal(ft_anon_packet(a, p, (uint32_t)n, DLT_RAW, FT_ANON_HEADERS_ONLY), 28);
	/* Something not understood (GRE) is cut after the IP header. */
	n = tb_ip4(p, "10.1.2.3", "10.9.8.7", 47, 0, 0, 40);
	assert_int_equal(ft_anon_packet(a, p, (uint32_t)n, DLT_RAW, 0), 20);
	assert_int_equal(ft_anon_packet(a, p, (uint32_t)n, 9999, 0), FT_ELINKTYPE);
	ft_anon_free(a);
}

/* Every truncation of the packets above is rewritten without a read past
 * its end (ASan) and never grows. */
static void truncations(void **state)
{
	struct ft_anon *a = new_ref();
	uint8_t p[256], *q;
	size_t n = dns_packet(p);

	for (size_t len = 0; len <= n; len++) {
		q = malloc(len ? len : 1);
		memcpy(q, p, len);
		int r = ft_anon_packet(a, q, (uint32_t)len, DLT_RAW, 0);
		assert_true(r >= 0 && (size_t)r <= len);
		free(q);
	}
	ft_anon_free(a);
}

/* One file of the corpus: each packet, in an exact-size copy, rewritten
 * three ways and printed. Returns the packets, or -1 if unreadable. */
static long corpus_file(struct ft_anon *a, const char *path)
{
	struct ft_text_opts o = {.time = FT_TIME_UTC, .flags = FT_TEXT_VERBOSE};
	static char text[1 << 20];
	char err[FT_ERRBUF_SIZE];
	struct ft_reader *r;
	struct ft_pkt p;
	long n = 0;

	if (ft_reader_open(&r, path, err) < 0)
		return -1;
	while (ft_reader_next(r, &p) == 1) {
		if (!ft_anon_dlt_supported(p.dlt))
			continue;
		for (int mode = 0; mode < 3; mode++) {
			uint8_t *q = malloc(p.caplen ? p.caplen : 1);
			assert_non_null(q);
			memcpy(q, p.data, p.caplen);
			int k = ft_anon_packet(mode == 2 ? NULL : a, q, p.caplen, p.dlt,
					       mode ? FT_ANON_HEADERS_ONLY : 0);
			assert_true(k >= 0 && (uint32_t)k <= p.caplen);
			struct ft_pkt c = p;
			c.data = q;
			c.caplen = (uint32_t)k;
			struct ft_strbuf b = {.p = text, .cap = sizeof(text)};
			ft_text_format(&c, &o, &b);
			free(q);
		}
		n++;
	}
	ft_reader_close(r);
	return n;
}

/* The whole tcpdump corpus (many files malformed on purpose) through the
 * rewriter: under ASan+UBSan (make asan) a read or write out of bounds
 * fails here. */
static void corpus(void **state)
{
	const char *shared = getenv("FT_SHARED");
	char dir[4096], path[8192];
	struct dirent **ents;
	long files = 0, packets = 0;
	struct ft_anon *a = new_ref();
	int n;

	snprintf(dir, sizeof(dir), "%s/corpus/tcpdump", shared ? shared : FT_SRCDIR "/../shared");
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		ft_anon_free(a);
		printf("SKIP: corpus %s is absent\n", dir);
		skip();
	}
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			long k = corpus_file(a, path);
			files += k >= 0;
			packets += k > 0 ? k : 0;
		}
		free(ents[i]);
	}
	free(ents);
	ft_anon_free(a);
	printf("corpus: %ld files, %ld packets rewritten\n", files, packets);
	assert_true(packets > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reference_sample),	 cmocka_unit_test(prefix_preserving),
	    cmocka_unit_test(caches_consistent), cmocka_unit_test(key_files),
	    cmocka_unit_test(rewrite_dns),	 cmocka_unit_test(rewrite_icmp_error),
	    cmocka_unit_test(rewrite_icmp6_ns),	 cmocka_unit_test(headers_only),
	    cmocka_unit_test(truncations),	 cmocka_unit_test(corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
