/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the user0 prefix parser and the capture file reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include <flowtap/reader.h>

static const uint8_t ip4[20] = {0x45, 0, 0,   20, 0, 0, 0,   0,	 64, 17,
				0,    0, 100, 64, 0, 1, 100, 64, 0,  2};

static void test_user0_plain(void **state)
{
	uint8_t rec[4 + sizeof(ip4)] = {0x01, 0x00, 0, 0};
	struct ft_pkt p = {0};
	memcpy(rec + 4, ip4, sizeof(ip4));
	assert_int_equal(ft_user0_parse(rec, sizeof(rec), &p), 0);
	assert_int_equal(p.path, FT_PATH_FROM_PEER);
	assert_int_equal(p.dir, FT_DIR_IN);
	assert_int_equal(p.nat_src.len, 0);
	assert_int_equal(p.nat_dst.len, 0);
	assert_ptr_equal(p.data, rec + 4);
	assert_int_equal(p.caplen, sizeof(ip4));
}

static void test_user0_nat(void **state)
{
	uint8_t rec[2 + 1 + 4 + 1 + 16 + 3] = {0xfe, 0x00, 4, 10, 0, 0, 7, 16, 0xfd, 0x7a};
	struct ft_pkt p = {0};
	char buf[64];
	rec[sizeof(rec) - 1] = 0x45;
	assert_int_equal(ft_user0_parse(rec, sizeof(rec), &p), 0);
	assert_int_equal(p.path, 254);
	assert_int_equal(p.dir, FT_DIR_UNKNOWN);
	assert_string_equal(ft_addr_format(&p.nat_src, buf, sizeof(buf)), "10.0.0.7");
	assert_string_equal(ft_addr_format(&p.nat_dst, buf, sizeof(buf)), "fd7a::");
	assert_int_equal(p.caplen, 3);
	assert_int_equal(p.data[2], 0x45);

	/* A prefix with nothing behind it is a valid, empty packet. */
	assert_int_equal(ft_user0_parse(rec, sizeof(rec) - 3, &p), 0);
	assert_int_equal(p.caplen, 0);
}

static void test_user0_bad(void **state)
{
	static const uint8_t trunc[] = {0x00, 0x00, 0x00};
	static const uint8_t badlen[] = {0x00, 0x00, 5, 1, 2, 3, 4, 5, 0};
	static const uint8_t shortaddr[] = {0x00, 0x00, 0, 16, 0xfd, 0x7a};
	struct ft_pkt p = {0};
	for (uint32_t n = 0; n < sizeof(trunc); n++)
		assert_int_equal(ft_user0_parse(trunc, n, &p), FT_ECORRUPT);
	assert_int_equal(ft_user0_parse(badlen, sizeof(badlen), &p), FT_ECORRUPT);
	assert_int_equal(ft_user0_parse(shortaddr, sizeof(shortaddr), &p), FT_ECORRUPT);
	assert_int_equal(p.nat_dst.len, 0);
	/* Every prefix length of random garbage either parses inside the
	 * buffer or is refused; ASan catches any read beyond it. */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		uint32_t n = (uint32_t)(rand() % 40);
		uint8_t *g = malloc(n ? n : 1);
		for (uint32_t j = 0; j < n; j++)
			g[j] = (uint8_t)(rand() % 3 == 0 ? (rand() % 3) * 4 : rand());
		if (ft_user0_parse(g, n, &p) == 0)
			assert_true(p.data >= g && p.data + p.caplen == g + n);
		free(g);
	}
}

/* Writes a little-endian classic pcap file: header then @n records of @rec. */
static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	fwrite(b, 1, 4, f);
}

static void put_hdr(FILE *f, uint32_t magic, uint32_t linktype)
{
	put32(f, magic);
	put32(f, 2 | 4u << 16);
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, linktype);
}

static void put_rec(FILE *f, uint32_t sec, uint32_t frac, const void *d, uint32_t caplen,
		    uint32_t len)
{
	put32(f, sec);
	put32(f, frac);
	put32(f, caplen);
	put32(f, len);
	fwrite(d, 1, caplen, f);
}

static char *tmpfile_name(void)
{
	static char name[64];
	snprintf(name, sizeof(name), "/tmp/ft-test-reader-%d.pcap", (int)getpid());
	return name;
}

static void test_reader_pcap_us(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	struct ft_reader *r;
	struct ft_pkt p;
	put_hdr(f, 0xa1b2c3d4, 101);
	put_rec(f, 1700000000, 123456, ip4, sizeof(ip4), sizeof(ip4));
	put_rec(f, 1700000001, 999999, ip4, 12, 1500);
	fclose(f);

	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_int_equal(ft_reader_dlt(r), DLT_RAW);
	assert_false(ft_reader_is_user0(r));
	assert_false(ft_reader_is_pcapng(r));
	assert_int_equal(ft_reader_snaplen(r), 65535);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.ts_ns, 1700000000123456000ull);
	assert_int_equal(p.caplen, 20);
	assert_int_equal(p.len, 20);
	assert_int_equal(p.path, FT_PATH_NONE);
	assert_memory_equal(p.data, ip4, sizeof(ip4));
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.ts_ns, 1700000001999999000ull);
	assert_int_equal(p.caplen, 12);
	assert_int_equal(p.len, 1500);
	assert_int_equal(ft_reader_next(r, &p), 0);
	assert_string_equal(ft_reader_error(r), "");
	ft_reader_close(r);
	unlink(name);
}

static void test_reader_pcap_ns(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	struct ft_reader *r;
	struct ft_pkt p;
	put_hdr(f, 0xa1b23c4d, 101);
	put_rec(f, 1700000000, 123456789, ip4, sizeof(ip4), sizeof(ip4));
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.ts_ns, 1700000000123456789ull);
	ft_reader_close(r);
	unlink(name);
}

static void test_reader_user0(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE], buf[64];
	FILE *f = fopen(name, "wb");
	struct ft_reader *r;
	struct ft_pkt p;
	uint8_t rec[8 + sizeof(ip4)] = {0x03, 0x00, 4, 192, 168, 1, 9, 0};
	uint8_t bad[6] = {0x00, 0x00, 9, 1, 2, 3};
	memcpy(rec + 8, ip4, sizeof(ip4));
	put_hdr(f, 0xa1b2c3d4, FT_LINKTYPE_USER0);
	put_rec(f, 1, 2, rec, sizeof(rec), sizeof(rec));
	put_rec(f, 1, 3, bad, sizeof(bad), sizeof(bad));
	put_rec(f, 1, 4, rec, 10, sizeof(rec)); /* cut by snaplen inside the packet */
	fclose(f);

	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_true(ft_reader_is_user0(r));
	assert_int_equal(ft_reader_dlt(r), DLT_RAW);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.dlt, DLT_RAW);
	assert_int_equal(p.path, FT_PATH_SYNTHESIZED_TO_PEER);
	assert_int_equal(p.dir, FT_DIR_OUT);
	assert_string_equal(ft_addr_format(&p.nat_src, buf, sizeof(buf)), "192.168.1.9");
	assert_int_equal(p.nat_dst.len, 0);
	assert_int_equal(p.caplen, sizeof(ip4));
	assert_int_equal(p.len, sizeof(ip4));
	assert_memory_equal(p.data, ip4, sizeof(ip4));
	assert_int_equal(ft_reader_next(r, &p), FT_ECORRUPT);
	assert_non_null(strstr(ft_reader_error(r), "record 2: bad user0 prefix"));
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.caplen, 2);
	assert_int_equal(p.len, sizeof(ip4));
	assert_int_equal(ft_reader_next(r, &p), 0);
	ft_reader_close(r);
	unlink(name);
}

static void test_reader_truncated(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	struct ft_reader *r;
	struct ft_pkt p;
	put_hdr(f, 0xa1b2c3d4, 101);
	put_rec(f, 1, 0, ip4, sizeof(ip4), sizeof(ip4));
	put_rec(f, 2, 0, ip4, sizeof(ip4), sizeof(ip4));
	fclose(f);
	assert_int_equal(truncate(name, 24 + 16 + 20 + 16 + 7), 0);

	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(ft_reader_next(r, &p), FT_ECORRUPT);
	assert_non_null(strstr(ft_reader_error(r), "truncated"));
	/* Sticky. */
	assert_int_equal(ft_reader_next(r, &p), FT_ECORRUPT);
	ft_reader_close(r);
	unlink(name);
}

static void put32be(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	fwrite(b, 1, 4, f);
}

static void test_reader_big_endian(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	struct ft_reader *r;
	struct ft_pkt p;
	put32be(f, 0xa1b2c3d4);
	put32be(f, 2u << 16 | 4);
	put32be(f, 0);
	put32be(f, 0);
	put32be(f, 1500);
	put32be(f, 101);
	put32be(f, 1700000000);
	put32be(f, 42);
	put32be(f, sizeof(ip4));
	put32be(f, 60);
	fwrite(ip4, 1, sizeof(ip4), f);
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_int_equal(ft_reader_snaplen(r), 1500);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.ts_ns, 1700000000000042000ull);
	assert_int_equal(p.caplen, sizeof(ip4));
	assert_int_equal(p.len, 60);
	assert_memory_equal(p.data, ip4, sizeof(ip4));
	assert_int_equal(ft_reader_next(r, &p), 0);
	ft_reader_close(r);
	unlink(name);
}

static void test_reader_absurd_caplen(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	struct ft_reader *r;
	struct ft_pkt p;
	put_hdr(f, 0xa1b2c3d4, 1);
	put_rec(f, 1, 0, ip4, sizeof(ip4), sizeof(ip4));
	put32(f, 2);
	put32(f, 0);
	put32(f, 0x7fffffff);
	put32(f, 0x7fffffff);
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_int_equal(ft_reader_dlt(r), DLT_EN10MB);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(ft_reader_next(r, &p), FT_ECORRUPT);
	assert_non_null(strstr(ft_reader_error(r), "invalid packet capture length 2147483647"));
	ft_reader_close(r);
	unlink(name);
}

/* pcapng pieces, little-endian unless @be. */
static void ng32(FILE *f, uint32_t v, bool be)
{
	if (be)
		put32be(f, v);
	else
		put32(f, v);
}

static void ng_shb(FILE *f, bool be)
{
	ng32(f, 0x0a0d0d0a, be);
	ng32(f, 28, be);
	ng32(f, 0x1a2b3c4d, be);
	ng32(f, be ? (1u << 16) : 1u, be); /* version 1.0 */
	ng32(f, 0xffffffff, be);
	ng32(f, 0xffffffff, be);
	ng32(f, 28, be);
}

static void ng_idb(FILE *f, uint16_t linktype, bool be)
{
	ng32(f, 1, be);
	ng32(f, 20, be);
	ng32(f, be ? (uint32_t)linktype << 16 : linktype, be);
	ng32(f, 0, be);
	ng32(f, 20, be);
}

static void ng_epb(FILE *f, uint32_t ifid, uint32_t caplen, uint32_t blen, bool be)
{
	uint8_t data[20] = {0};
	memcpy(data, ip4, sizeof(ip4));
	ng32(f, 6, be);
	ng32(f, blen, be);
	ng32(f, ifid, be);
	ng32(f, 0, be);
	ng32(f, 1000000, be); /* 1 s in the default microseconds */
	ng32(f, caplen, be);
	ng32(f, 20, be);
	fwrite(data, 1, 20, f);
	ng32(f, blen, be);
}

static int ng_read_all(const char *name, int *npkts, struct ft_pkt *last, const char **err)
{
	static char e[FT_ERRBUF_SIZE];
	struct ft_reader *r;
	struct ft_pkt p;
	int rc = ft_reader_open(&r, name, e);
	*npkts = 0;
	*err = e;
	if (rc < 0)
		return rc;
	while ((rc = ft_reader_next(r, &p)) == 1) {
		(*npkts)++;
		if (last) {
			/* The data lives in the reader: keep a copy past close. */
			static uint8_t copy[64];
			memcpy(copy, p.data, p.caplen < sizeof(copy) ? p.caplen : sizeof(copy));
			*last = p;
			last->data = copy;
		}
	}
	snprintf(e, sizeof(e), "%s", ft_reader_error(r));
	ft_reader_close(r);
	return rc;
}

static void test_pcapng_own_reader(void **state)
{
	char *name = tmpfile_name();
	const char *err;
	struct ft_pkt last;
	int n;
	FILE *f;

	/* Big-endian section, Ethernet then raw IP interfaces. */
	f = fopen(name, "wb");
	ng_shb(f, true);
	ng_idb(f, 1, true);
	ng_idb(f, 101, true);
	ng_epb(f, 0, 20, 52, true);
	ng_epb(f, 1, 20, 52, true);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, &last, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(last.dlt, DLT_RAW);
	assert_int_equal(last.ts_ns, 1000000000ull);
	assert_int_equal(last.path, FT_PATH_NONE);
	assert_int_equal(last.ifid, 1);
	assert_memory_equal(last.data, ip4, sizeof(ip4));

	/* A block length that is not a multiple of 4. */
	f = fopen(name, "wb");
	ng_shb(f, false);
	ng_idb(f, 101, false);
	ng_epb(f, 0, 20, 53, false);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), FT_ECORRUPT);
	assert_string_equal(err, "pcapng block of type 0x6 has a bad length 53");

	/* A packet on an interface nobody declared. */
	f = fopen(name, "wb");
	ng_shb(f, false);
	ng_idb(f, 101, false);
	ng_epb(f, 0, 20, 52, false);
	ng_epb(f, 5, 20, 52, false);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), FT_ECORRUPT);
	assert_int_equal(n, 1);
	assert_string_equal(err, "pcapng packet on undeclared interface 5");

	/* A captured length beyond its block. */
	f = fopen(name, "wb");
	ng_shb(f, false);
	ng_idb(f, 101, false);
	ng_epb(f, 0, 21, 52, false);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), FT_ECORRUPT);
	assert_string_equal(err, "pcapng packet block with a bad captured length 21");

	/* Cut in the middle of the second packet: the first still comes out. */
	f = fopen(name, "wb");
	ng_shb(f, false);
	ng_idb(f, 101, false);
	ng_epb(f, 0, 20, 52, false);
	ng_epb(f, 0, 20, 52, false);
	fclose(f);
	assert_int_equal(truncate(name, 28 + 20 + 52 + 30), 0);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), FT_ECORRUPT);
	assert_int_equal(n, 1);
	assert_string_equal(err,
			    "truncated pcapng file; tried to read 52 block bytes, only got 30");

	/* A packet before any interface, and a section header with a bad magic. */
	f = fopen(name, "wb");
	ng_shb(f, false);
	ng_epb(f, 0, 20, 52, false);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), FT_ECORRUPT);
	assert_string_equal(err, "pcapng packet before any interface");
	f = fopen(name, "wb");
	ng_shb(f, false);
	fclose(f);
	f = fopen(name, "r+b");
	fseek(f, 8, SEEK_SET);
	put32(f, 0x12345678);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), FT_ECORRUPT);
	assert_non_null(strstr(err, "bad byte-order magic"));

	/* Only a section header: an empty, valid capture. */
	f = fopen(name, "wb");
	ng_shb(f, false);
	fclose(f);
	assert_int_equal(ng_read_all(name, &n, NULL, &err), 0);
	assert_int_equal(n, 0);
	unlink(name);
}

/* Random corruption of valid pcapng and pcap files: every outcome is a
 * packet, the end, or FT_ECORRUPT, and under ASan no read leaves the data. */
static void mutate_and_read(const char *name, const uint8_t *good, size_t len, unsigned seed)
{
	uint8_t *b = malloc(len);
	const char *err;
	int n;
	srand(seed);
	for (int i = 0; i < 300; i++) {
		FILE *f;
		size_t cut = len - (size_t)(rand() % 8 == 0 ? rand() % (int)len : 0);
		memcpy(b, good, len);
		for (int k = 0; k < 1 + rand() % 6; k++)
			b[rand() % (int)len] = (uint8_t)(rand() % 4 == 0 ? 0xff : rand());
		f = fopen(name, "wb");
		fwrite(b, 1, cut, f);
		fclose(f);
		int rc = ng_read_all(name, &n, NULL, &err);
		assert_true(rc == 0 || rc == FT_ECORRUPT || rc == -ENOMEM);
	}
	free(b);
}

static uint8_t *slurp(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	uint8_t *b = malloc(4096);
	*len = fread(b, 1, 4096, f);
	fclose(f);
	return b;
}

static void test_reader_mutations(void **state)
{
	char *name = tmpfile_name();
	size_t len;
	uint8_t *good;
	FILE *f = fopen(name, "wb");
	ng_shb(f, false);
	ng_idb(f, 101, false);
	ng_idb(f, 147, false);
	for (int i = 0; i < 6; i++)
		ng_epb(f, (uint32_t)(i & 1), 20, 52, false);
	fclose(f);
	good = slurp(name, &len);
	mutate_and_read(name, good, len, 1);
	free(good);

	f = fopen(name, "wb");
	put_hdr(f, 0xa1b2c3d4, FT_LINKTYPE_USER0);
	for (int i = 0; i < 6; i++) {
		uint8_t rec[8 + sizeof(ip4)] = {(uint8_t)i, 0, 4, 10, 0, 0, 1, 0};
		memcpy(rec + 8, ip4, sizeof(ip4));
		put_rec(f, 1, (uint32_t)i, rec, sizeof(rec), sizeof(rec));
	}
	fclose(f);
	good = slurp(name, &len);
	mutate_and_read(name, good, len, 2);
	free(good);
	unlink(name);
}

static void test_reader_bad_files(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	struct ft_reader *r = (struct ft_reader *)1;
	FILE *f;
	assert_int_equal(ft_reader_open(&r, "/nonexistent/x.pcap", err), -ENOENT);
	assert_null(r);
	assert_string_equal(err, strerror(ENOENT));

	f = fopen(name, "wb");
	fputs("this is not a capture file at all, just some text\n", f);
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), FT_ECORRUPT);
	assert_true(strlen(err) > 0);

	f = fopen(name, "wb");
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), FT_ECORRUPT);
	assert_true(strlen(err) > 0);
	unlink(name);
	ft_reader_close(NULL);
}

/* Runs @fn in a child with @name as its standard input; returns its wait
 * status (a crash there is a failure here, with the signal). */
static int with_stdin(const char *name, void (*fn)(void))
{
	int st = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(name, O_RDONLY);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
			_exit(3);
		close(fd);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(st));
	return st;
}

static void stdin_after_failed_open(void)
{
	struct ft_reader *r;
	char err[FT_ERRBUF_SIZE], line[64];

	if (ft_reader_open(&r, "-", err) != FT_ECORRUPT)
		_exit(4);
	/* Whatever is left of stdin is still readable: its buffer was
	 * never the reader's, which the failed open freed (and which the
	 * next allocation of that size gets back and overwrites). */
	char *reuse = malloc(1 << 20);
	if (!reuse)
		_exit(7);
	memset(reuse, 0, 1 << 20);
	if (fgets(line, sizeof(line), stdin) && strncmp(line, "this is not", 11) &&
	    strncmp(line, "le, and stdin", 13))
		_exit(5);
	free(reuse);
	if (fcntl(STDIN_FILENO, F_GETFD) < 0)
		_exit(6);
}

static void stdin_read_and_close(void)
{
	struct ft_reader *r;
	struct ft_pkt p;
	char err[FT_ERRBUF_SIZE];
	struct stat st;

	if (ft_reader_open(&r, "-", err) != 0 || ft_reader_next(r, &p) != 1 ||
	    ft_reader_next(r, &p) != 0)
		_exit(4);
	ft_reader_close(r);
	/* The caller's stdin stays open. */
	if (fstat(STDIN_FILENO, &st) < 0 || fileno(stdin) != STDIN_FILENO)
		_exit(5);
}

/* Issue 11: a failed open of "-" left the reader's freed buffer attached to
 * stdin (setvbuf), and a successful one closed the caller's stdin. */
static void test_reader_stdin(void **state)
{
	char *name = tmpfile_name();
	FILE *f = fopen(name, "wb");

	fputs("this is not a capture file, and stdin must survive it\n", f);
	fclose(f);
	assert_int_equal(with_stdin(name, stdin_after_failed_open), 0);

	f = fopen(name, "wb");
	put_hdr(f, 0xa1b2c3d4, 101);
	put_rec(f, 1, 0, ip4, sizeof(ip4), sizeof(ip4));
	fclose(f);
	assert_int_equal(with_stdin(name, stdin_read_and_close), 0);
	unlink(name);
}

/* Records of every size, the largest libpcap takes among them, across the
 * boundaries of the reader's 1 MiB read window. */
static const uint32_t win_sizes[] = {20, 1500, 262144, 7, 65535, 262144, 0, 99999};

static const uint8_t *win_data(const uint8_t *big, unsigned i)
{
	return big + (win_sizes[i % 8] == 262144 ? 0 : i);
}

static void test_reader_window(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	uint8_t *big = malloc(262144);
	struct ft_reader *r;
	struct ft_pkt p;
	unsigned n = 0;

	assert_non_null(big);
	for (uint32_t i = 0; i < 262144; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	put_hdr(f, 0xa1b2c3d4, 101);
	for (unsigned i = 0; i < 40; i++)
		put_rec(f, i, 0, win_data(big, i), win_sizes[i % 8], 262144);
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), 0);
	while (ft_reader_next(r, &p) == 1) {
		assert_int_equal(p.caplen, win_sizes[n % 8]);
		assert_int_equal(p.ts_ns, (uint64_t)n * 1000000000u);
		assert_memory_equal(p.data, win_data(big, n), p.caplen);
		n++;
	}
	assert_string_equal(ft_reader_error(r), "");
	assert_int_equal(n, 40);
	ft_reader_close(r);
	free(big);
	unlink(name);
}

/* Issue 11: a capture truncated while it is being read killed the reader
 * with SIGBUS (the file was mapped). It is now a "truncated" error. */
static void test_reader_file_shrinks(void **state)
{
	char *name = tmpfile_name(), err[FT_ERRBUF_SIZE];
	FILE *f = fopen(name, "wb");
	static uint8_t pkt[1400];
	struct ft_reader *r;
	struct ft_pkt p;
	int rc, n = 0;

	put_hdr(f, 0xa1b2c3d4, 101);
	for (int i = 0; i < 4000; i++) /* 5.6 MB */
		put_rec(f, i, 0, pkt, sizeof(pkt), sizeof(pkt));
	fclose(f);
	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(truncate(name, 100000), 0);
	while ((rc = ft_reader_next(r, &p)) == 1)
		n++;
	assert_int_equal(rc, FT_ECORRUPT);
	assert_non_null(strstr(ft_reader_error(r), "truncated dump file"));
	assert_true(n < 4000);
	ft_reader_close(r);
	unlink(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_user0_plain),		cmocka_unit_test(test_user0_nat),
	    cmocka_unit_test(test_user0_bad),		cmocka_unit_test(test_reader_pcap_us),
	    cmocka_unit_test(test_reader_pcap_ns),	cmocka_unit_test(test_reader_user0),
	    cmocka_unit_test(test_reader_truncated),	cmocka_unit_test(test_reader_bad_files),
	    cmocka_unit_test(test_reader_big_endian),	cmocka_unit_test(test_pcapng_own_reader),
	    cmocka_unit_test(test_reader_mutations),	cmocka_unit_test(test_reader_absurd_caplen),
	    cmocka_unit_test(test_reader_stdin),	cmocka_unit_test(test_reader_window),
	    cmocka_unit_test(test_reader_file_shrinks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
