/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: pcap, pcap-ns, pcapng, user0 and text writers, byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include <flowtap/reader.h>
#include <flowtap/writer.h>

/* IPv4 TCP SYN 100.64.0.1:54321 -> 100.64.0.2:443 (40 bytes). */
static const uint8_t syn4[] = {
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 100,  64,
    0,	  1,	100,  64,   0,	  2,	0xd4, 0x31, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

struct sink {
	uint8_t *p;
	size_t len, calls, max_chunk;
	int fail; /* error to return */
};

static int collect(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;
	if (s->fail)
		return s->fail;
	s->p = realloc(s->p, s->len + len);
	memcpy(s->p + s->len, data, len);
	s->len += len;
	s->calls++;
	if (len > s->max_chunk)
		s->max_chunk = len;
	return 0;
}

static struct ft_pkt pkt(uint64_t ts, uint16_t path, uint8_t dir)
{
	struct ft_pkt p = {0};
	p.ts_ns = ts;
	p.data = syn4;
	p.caplen = p.len = sizeof(syn4);
	p.dlt = DLT_RAW;
	p.path = path;
	p.dir = dir;
	return p;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static struct ft_writer *mk(enum ft_format f, uint32_t snaplen, struct sink *s)
{
	struct ft_writer_opts o = {.format = f, .snaplen = snaplen, .dlt = DLT_RAW};
	struct ft_writer *w;
	assert_int_equal(ft_writer_new(&w, &o, collect, s), 0);
	return w;
}

static void test_pcap_bytes(void **state)
{
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0,	 0, 0, 0,
					0,    0,    0,	  0,	0, 0, 4, 0, 101, 0, 0, 0};
	static const uint8_t rec[16] = {0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00,
					40,   0,    0,	  0,	40,   0,    0,	  0};
	struct sink s = {0};
	struct ft_writer *w = mk(FT_FORMAT_PCAP, 0, &s);
	struct ft_pkt p = pkt(1700000000123456789ull, FT_PATH_NONE, 0);

	/* Lazy header: nothing until the first packet. */
	assert_int_equal(ft_writer_pending(w), 0);
	assert_int_equal(ft_writer_write(w, &p), 0);
	assert_int_equal(ft_writer_pending(w), 24 + 16 + 40);
	assert_int_equal(s.len, 0); /* buffered, no output call per packet */
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	assert_int_equal(s.len, 24 + 16 + 40);
	assert_int_equal(s.calls, 1);
	assert_memory_equal(s.p, hdr, 24);
	assert_memory_equal(s.p + 24, rec, 16); /* 1700000000 s, 123456 us */
	assert_memory_equal(s.p + 40, syn4, 40);
	assert_int_equal(ft_writer_write(w, &p), FT_ESTOPPED);
	ft_writer_free(w);
	free(s.p);
}

static void test_pcap_ns_and_snaplen(void **state)
{
	struct sink s = {0};
	struct ft_writer *w = mk(FT_FORMAT_PCAP_NS, 30, &s);
	struct ft_pkt p = pkt(1700000000123456789ull, FT_PATH_NONE, 0);
	assert_int_equal(ft_writer_write(w, &p), 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	assert_int_equal(s.len, 24 + 16 + 30);
	assert_int_equal(le32(s.p), 0xa1b23c4d);
	assert_int_equal(le32(s.p + 16), 30);	     /* snaplen in the header */
	assert_int_equal(le32(s.p + 28), 123456789); /* ns fraction */
	assert_int_equal(le32(s.p + 32), 30);	     /* caplen cut */
	assert_int_equal(le32(s.p + 36), 40);	     /* orig_len kept */
	assert_memory_equal(s.p + 40, syn4, 30);
	ft_writer_free(w);
	free(s.p);
}

static void test_header_without_packets(void **state)
{
	struct sink s = {0};
	struct ft_writer *w = mk(FT_FORMAT_PCAP, 0, &s);
	assert_int_equal(ft_writer_flush(w), 0);
	assert_int_equal(s.len, 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	assert_int_equal(s.len, 24);
	assert_int_equal(le32(s.p + 16), 262144);
	assert_int_equal(ft_writer_finish(w, NULL), 0); /* idempotent */
	assert_int_equal(s.len, 24);
	ft_writer_free(w);
	free(s.p);

	memset(&s, 0, sizeof(s));
	w = mk(FT_FORMAT_PCAPNG, 0, &s);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	assert_int_equal(le32(s.p), 0x0a0d0d0a);
	assert_int_equal(le32(s.p + 4), s.len); /* only the SHB */
	ft_writer_free(w);
	free(s.p);
}

static void test_user0_bytes(void **state)
{
	/* What the Go implementation writes for path 1 with a pre-SNAT IPv4
	 * source and no DNAT: 16-byte record header, 01 00, 04 a b c d, 00. */
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0,   0, 0, 0,
					0,    0,    0,	  0,	0xff, 0xff, 0, 0, 147, 0, 0, 0};
	static const uint8_t prefix[8] = {1, 0, 4, 10, 0, 0, 9, 0};
	struct sink s = {0};
	struct ft_writer *w = mk(FT_FORMAT_USER0, 0, &s);
	struct ft_pkt p = pkt(1700000000000001000ull, FT_PATH_FROM_PEER, FT_DIR_IN);
	assert_int_equal(ft_addr_parse("10.0.0.9", &p.nat_src), 0);
	assert_int_equal(ft_writer_write(w, &p), 0);
	p.nat_src.len = 0;
	p.path = 254;
	assert_int_equal(ft_addr_parse("fd7a::5", &p.nat_dst), 0);
	assert_int_equal(ft_writer_write(w, &p), 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);

	assert_int_equal(s.len, 24 + (16 + 8 + 40) + (16 + 20 + 40));
	assert_memory_equal(s.p, hdr, 24);
	assert_int_equal(le32(s.p + 24), 1700000000);
	assert_int_equal(le32(s.p + 28), 1);
	assert_int_equal(le32(s.p + 32), 48);
	assert_int_equal(le32(s.p + 36), 48);
	assert_memory_equal(s.p + 40, prefix, 8);
	assert_memory_equal(s.p + 48, syn4, 40);
	const uint8_t *r2 = s.p + 88;
	assert_int_equal(le32(r2 + 8), 60);
	assert_int_equal(le16(r2 + 16), 254);
	assert_int_equal(r2[18], 0);
	assert_int_equal(r2[19], 16);
	assert_int_equal(r2[20], 0xfd);
	assert_int_equal(r2[35], 5);
	assert_memory_equal(r2 + 36, syn4, 40);
	ft_writer_free(w);
	free(s.p);
}

static void test_user0_roundtrip_and_snaplen(void **state)
{
	char name[64], err[FT_ERRBUF_SIZE], buf[64];
	struct ft_writer_opts o = {.format = FT_FORMAT_USER0, .snaplen = 40, .dlt = DLT_RAW};
	struct ft_writer *w;
	struct ft_reader *r;
	struct ft_pkt p = pkt(5000000007ull, FT_PATH_SYNTHESIZED_TO_LOCAL, FT_DIR_IN), q;
	int fd;

	snprintf(name, sizeof(name), "/tmp/ft-test-writer-%d.pcap", (int)getpid());
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ft_writer_new(&w, &o, ft_output_fd, (void *)(intptr_t)fd), 0);
	assert_int_equal(ft_addr_parse("fd7a::1", &p.nat_dst), 0);
	assert_int_equal(ft_writer_write(w, &p), 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	ft_writer_free(w);
	close(fd);

	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_true(ft_reader_is_user0(r));
	assert_int_equal(ft_reader_next(r, &q), 1);
	assert_int_equal(q.path, FT_PATH_SYNTHESIZED_TO_LOCAL);
	assert_string_equal(ft_addr_format(&q.nat_dst, buf, sizeof(buf)), "fd7a::1");
	assert_int_equal(q.caplen, 40 - 20); /* the prefix counts against the snaplen */
	assert_int_equal(q.len, 40);
	assert_int_equal(q.ts_ns, 5000000000ull); /* user0 is microseconds */
	assert_int_equal(ft_reader_next(r, &q), 0);
	ft_reader_close(r);
	unlink(name);

	/* An original length near 4 GiB (a pcapng file may say so) must not
	 * wrap when the prefix is added: orig_len stays >= incl_len. */
	struct sink s = {0};
	p.len = UINT32_MAX - 1;
	w = mk(FT_FORMAT_USER0, 0, &s);
	assert_int_equal(ft_writer_write(w, &p), 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	ft_writer_free(w);
	assert_true(s.len >= 24 + 16);
	assert_int_equal(le32(s.p + 24 + 8), 20 + sizeof(syn4)); /* incl_len: prefix, packet */
	assert_int_equal(le32(s.p + 24 + 12), UINT32_MAX);	 /* orig_len, saturated */
	free(s.p);

	/* user0 carries raw IP only, and needs room for the prefix. */
	o.dlt = DLT_EN10MB;
	assert_int_equal(ft_writer_new(&w, &o, collect, NULL), -EINVAL);
	o.dlt = DLT_RAW;
	o.snaplen = 8;
	assert_int_equal(ft_writer_new(&w, &o, collect, NULL), -EINVAL);
}

/* Walks pcapng blocks; returns the offset of the @n-th block of @type. */
static size_t find_block(const struct sink *s, uint32_t type, int n)
{
	for (size_t off = 0; off + 12 <= s->len; off += le32(s->p + off + 4)) {
		assert_true(le32(s->p + off + 4) >= 12);
		assert_int_equal(le32(s->p + off + 4), le32(s->p + off + le32(s->p + off + 4) - 4));
		if (le32(s->p + off) == type && n-- == 0)
			return off;
	}
	return SIZE_MAX;
}

static const char *names(const void *ctx, unsigned path)
{
	return path == 254 ? "disco" : NULL;
}

static void test_pcapng_blocks(void **state)
{
	struct sink s = {0};
	struct ft_writer_opts o = {.format = FT_FORMAT_PCAPNG, .dlt = DLT_RAW, .path_name = names};
	struct ft_writer *w;
	struct ft_writer_isb isb = {.received = 10, .dropped = 3, .filter_accepted = 7};
	struct ft_pkt a = pkt(0x123456789abcdefull, FT_PATH_FROM_LOCAL, FT_DIR_OUT);
	struct ft_pkt b = pkt(2, 254, FT_DIR_IN);
	struct ft_pkt c = pkt(3, 9, FT_DIR_UNKNOWN);
	size_t off;

	assert_int_equal(ft_writer_new(&w, &o, collect, &s), 0);
	b.caplen = 37; /* needs 3 bytes of padding */
	assert_int_equal(ft_writer_write(w, &a), 0);
	assert_int_equal(ft_writer_write(w, &b), 0);
	assert_int_equal(ft_writer_write(w, &a), 0);
	assert_int_equal(ft_writer_write(w, &c), 0);
	assert_int_equal(ft_writer_finish(w, &isb), 0);
	ft_writer_free(w);

	off = find_block(&s, 0x0a0d0d0a, 0);
	assert_int_equal(off, 0);
	assert_int_equal(le32(s.p + 8), 0x1a2b3c4d);
	/* IDB 0: linktype 101, if_name "from-local", if_tsresol 9. */
	off = find_block(&s, 1, 0);
	assert_int_equal(le16(s.p + off + 8), 101);
	assert_int_equal(le16(s.p + off + 16), 2);
	assert_int_equal(le16(s.p + off + 18), 10);
	assert_memory_equal(s.p + off + 20, "from-local", 10);
	assert_int_equal(le16(s.p + off + 32), 9);
	assert_int_equal(s.p[off + 36], 9);
	off = find_block(&s, 1, 1);
	assert_memory_equal(s.p + off + 20, "disco", 5);
	off = find_block(&s, 1, 2);
	assert_memory_equal(s.p + off + 20, "path-9", 6);
	assert_int_equal(find_block(&s, 1, 3), SIZE_MAX);

	/* EPB 0: interface 0, ns timestamp split high/low, flags outbound. */
	off = find_block(&s, 6, 0);
	assert_int_equal(le32(s.p + off + 8), 0);
	assert_int_equal(le32(s.p + off + 12), 0x01234567);
	assert_int_equal(le32(s.p + off + 16), 0x89abcdef);
	assert_int_equal(le32(s.p + off + 20), 40);
	assert_memory_equal(s.p + off + 28, syn4, 40);
	assert_int_equal(le16(s.p + off + 68), 2); /* epb_flags */
	assert_int_equal(le32(s.p + off + 72), 2); /* outbound */
	off = find_block(&s, 6, 1);
	assert_int_equal(le32(s.p + off + 8), 1);
	assert_int_equal(le32(s.p + off + 20), 37);
	assert_int_equal(le32(s.p + off + 24), 40);
	assert_int_equal(le32(s.p + off + 28 + 40 + 4), 1); /* inbound, after padding */
	off = find_block(&s, 6, 2);
	assert_int_equal(le32(s.p + off + 8), 0); /* back on interface 0, no new IDB */
	off = find_block(&s, 6, 3);
	assert_int_equal(le32(s.p + off + 4), 28 + 40 + 4); /* no flags: no options */

	/* ISBs: interface 0 with the caller's counters, the others their own. */
	off = find_block(&s, 5, 0);
	assert_int_equal(le32(s.p + off + 8), 0);
	assert_non_null(memmem(s.p + off, le32(s.p + off + 4), "\x04\x00\x08\x00\x0a\0\0\0", 8));
	assert_non_null(memmem(s.p + off, le32(s.p + off + 4), "\x05\x00\x08\x00\x03\0\0\0", 8));
	assert_non_null(memmem(s.p + off, le32(s.p + off + 4), "\x06\x00\x08\x00\x07\0\0\0", 8));
	off = find_block(&s, 5, 1);
	assert_int_equal(le32(s.p + off + 8), 1);
	assert_non_null(memmem(s.p + off, le32(s.p + off + 4), "\x06\x00\x08\x00\x01\0\0\0", 8));
	assert_int_not_equal(find_block(&s, 5, 2), SIZE_MAX);
	free(s.p);
}

static void test_pcapng_read_back(void **state)
{
	char name[64], err[FT_ERRBUF_SIZE];
	struct ft_writer_opts o = {.format = FT_FORMAT_PCAPNG, .dlt = DLT_RAW, .snaplen = 33};
	struct ft_writer *w;
	struct ft_reader *r;
	struct ft_pkt p = pkt(1700000000123456789ull, FT_PATH_FROM_PEER, FT_DIR_IN), q;
	int fd;

	snprintf(name, sizeof(name), "/tmp/ft-test-writer-%d.pcapng", (int)getpid());
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ft_writer_new(&w, &o, ft_output_fd, (void *)(intptr_t)fd), 0);
	/* Three paths, three raw-IP interfaces: libpcap 1.10 refuses such a
	 * file, our pcapng reader hands out each packet's path and direction. */
	for (int i = 0; i < 3; i++) {
		p.path = (uint16_t)(i == 2 ? 254 : i);
		p.dir = (uint8_t)(i == 0 ? FT_DIR_OUT : i == 1 ? FT_DIR_IN : FT_DIR_UNKNOWN);
		assert_int_equal(ft_writer_write(w, &p), 0);
	}
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	ft_writer_free(w);
	close(fd);

	assert_int_equal(ft_reader_open(&r, name, err), 0);
	assert_true(ft_reader_is_pcapng(r));
	assert_int_equal(ft_reader_dlt(r), DLT_RAW);
	assert_int_equal(ft_reader_snaplen(r), 33);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ft_reader_next(r, &q), 1);
		assert_int_equal(q.ts_ns, 1700000000123456789ull);
		assert_int_equal(q.caplen, 33);
		assert_int_equal(q.len, 40);
		assert_memory_equal(q.data, syn4, 33);
		assert_int_equal(q.dlt, DLT_RAW);
		assert_int_equal(q.path, i == 2 ? 254 : i);
		assert_int_equal(q.dir, i == 0 ? FT_DIR_OUT : i == 1 ? FT_DIR_IN : FT_DIR_UNKNOWN);
	}
	assert_int_equal(ft_reader_next(r, &q), 0);
	ft_reader_close(r);
	if (!getenv("FT_KEEP"))
		unlink(name);
}

static void test_chunks_and_errors(void **state)
{
	struct sink s = {0};
	struct ft_writer_opts o = {.format = FT_FORMAT_PCAP, .dlt = DLT_RAW, .bufsize = 4096};
	struct ft_writer *w;
	struct ft_pkt p = pkt(1, FT_PATH_NONE, 0);

	assert_int_equal(ft_writer_new(&w, &o, collect, &s), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ft_writer_write(w, &p), 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	assert_int_equal(s.len, 24 + 1000 * 56);
	/* Big chunks, not one call per packet. */
	assert_true(s.calls < 1000 * 56 / 4000 + 2);
	assert_true(s.max_chunk >= 4000);
	ft_writer_free(w);
	free(s.p);

	/* An output error is sticky. */
	memset(&s, 0, sizeof(s));
	s.fail = -EPIPE;
	assert_int_equal(ft_writer_new(&w, &o, collect, &s), 0);
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++)
		rc = ft_writer_write(w, &p);
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(ft_writer_write(w, &p), -EPIPE);
	assert_int_equal(ft_writer_flush(w), -EPIPE);
	assert_int_equal(ft_writer_finish(w, NULL), -EPIPE);
	ft_writer_free(w);

	/* Bad options. */
	o.format = (enum ft_format)42;
	assert_int_equal(ft_writer_new(&w, &o, collect, &s), FT_EFORMAT);
	o.format = FT_FORMAT_PCAP;
	o.snaplen = 1u << 20;
	assert_int_equal(ft_writer_new(&w, &o, collect, &s), -EINVAL);
	o.snaplen = 0;
	assert_int_equal(ft_writer_new(&w, &o, NULL, &s), -EINVAL);
}

static void test_output_fd_error(void **state)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(ft_output_fd((void *)(intptr_t)fds[1], "x", 1), -EPIPE);
	close(fds[1]);
	assert_int_equal(ft_output_fd((void *)(intptr_t)-1, "x", 1), -EBADF);
}

/* In a child with SIGPIPE's default action (death): writing to a pipe and a
 * socket whose reader is gone is -EPIPE, no signal is left pending and the
 * disposition is untouched. */
static void epipe_child(void)
{
	int fds[2], sv[2];
	struct sigaction sa;
	sigset_t pend;

	signal(SIGPIPE, SIG_DFL);
	if (pipe(fds) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		_exit(3);
	close(fds[0]);
	close(sv[1]);
	if (ft_output_fd((void *)(intptr_t)fds[1], "x", 1) != -EPIPE)
		_exit(4);
	if (ft_output_fd((void *)(intptr_t)sv[0], "x", 1) != -EPIPE)
		_exit(5);
	sigpending(&pend);
	if (sigismember(&pend, SIGPIPE) || sigaction(SIGPIPE, NULL, &sa) < 0 ||
	    sa.sa_handler != SIG_DFL)
		_exit(6);
	_exit(0);
}

/* A library call never kills its host with SIGPIPE (a datapath streaming
 * to a client that went away). */
static void test_output_fd_no_sigpipe(void **state)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		epipe_child();
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fprintf(stderr, "killed by signal %d\n", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_formats(void **state)
{
	enum ft_format f;
	static const char *const all[] = {"pcap", "pcap-ns", "pcapng", "user0", "text"};
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(ft_format_parse(all[i], &f), 0);
		assert_int_equal(f, i);
		assert_string_equal(ft_format_name(f), all[i]);
	}
	assert_int_equal(ft_format_parse("json", &f), FT_EFORMAT);
	assert_int_equal(ft_format_parse(NULL, &f), FT_EFORMAT);
	assert_string_equal(ft_format_content_type(FT_FORMAT_PCAPNG), "application/x-pcapng");
	assert_string_equal(ft_format_content_type(FT_FORMAT_PCAP), "application/vnd.tcpdump.pcap");
	assert_string_equal(ft_format_content_type(FT_FORMAT_TEXT), "text/plain; charset=utf-8");
}

/* The text of @p, twice, in UTC, as a NUL-terminated string in @s. */
static const char *text_twice(struct sink *s, const struct ft_pkt *p, unsigned flags)
{
	struct ft_writer_opts o = {.format = FT_FORMAT_TEXT, .dlt = DLT_RAW};
	struct ft_writer *w;

	o.text.flags = flags;
	o.text.time = FT_TIME_UTC;
	assert_int_equal(ft_writer_new(&w, &o, collect, s), 0);
	assert_int_equal(ft_writer_write(w, p), 0);
	assert_int_equal(ft_writer_write(w, p), 0);
	assert_int_equal(ft_writer_finish(w, NULL), 0);
	ft_writer_free(w);
	s->p = realloc(s->p, s->len + 1);
	s->p[s->len] = 0;
	return (const char *)s->p;
}

static void test_text(void **state)
{
	struct sink s = {0};
	struct ft_pkt p = pkt(1700000000123456000ull, FT_PATH_FROM_LOCAL, FT_DIR_OUT);
	const char *t = text_twice(&s, &p, 0);
	/* Two lines, each with the time, path and addresses. */
	assert_non_null(strstr(t, "22:13:20.123456"));
	assert_non_null(strstr(t, "from-local"));
	assert_non_null(strstr(t, "100.64.0.1.54321 > 100.64.0.2.443"));
	assert_int_equal(t[s.len - 1], '\n');
	assert_non_null(strchr(t, '\n'));
	assert_non_null(strstr(strchr(t, '\n') + 1, "100.64.0.1.54321 > 100.64.0.2.443"));
	free(s.p);
}

/*
 * Issue 11: `flowtap read -v -x` of a 123,392-byte packet (libpcap takes up
 * to 262,144) made more text than FT_TEXT_MAX and the dump was cut with no
 * error. Every byte of the largest packets must be dumped, -x and -A.
 */
static void check_big_text(uint32_t size, unsigned flags)
{
	struct sink s = {0};
	uint8_t *big = malloc(size);
	struct ft_pkt p = pkt(1700000000123456000ull, FT_PATH_NONE, FT_DIR_UNKNOWN);
	char last[32];
	size_t lines = 0;

	assert_non_null(big);
	memset(big, 'a', size);
	memcpy(big, syn4, sizeof(syn4));
	big[2] = big[3] = 0xff; /* ip length 65535: as big as IPv4 says */
	p.data = big;
	p.caplen = p.len = size;
	text_twice(&s, &p, flags);
	for (size_t i = 0; i < s.len; i++)
		lines += s.p[i] == '\n';
	/* Per packet: the line, then one dump as tcpdump picks it: one hex
	 * line per 16 bytes (-X wins over -A), or the -A dump. */
	assert_int_equal(lines, 2 * (1 + !!(flags & FT_TEXT_VERBOSE) /* -v: IPv4 on 2 lines */ +
				     (flags & FT_TEXT_HEX     ? (size + 15) / 16
				      : flags & FT_TEXT_ASCII ? 1
							      : 0)));
	if (flags & FT_TEXT_HEX) {
		snprintf(last, sizeof(last), "\t0x%x:  6161", (size - 1) / 16 * 16);
		assert_non_null(strstr((char *)s.p, last));
	}
	assert_int_equal(s.p[s.len - 1], '\n');
	free(s.p);
	free(big);
}

static void test_text_largest_packets(void **state)
{
	check_big_text(123392, FT_TEXT_VERBOSE | FT_TEXT_HEX);
	check_big_text(262144, FT_TEXT_VERBOSE | FT_TEXT_HEX | FT_TEXT_ASCII);
	check_big_text(262144, FT_TEXT_ASCII);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pcap_bytes),
	    cmocka_unit_test(test_pcap_ns_and_snaplen),
	    cmocka_unit_test(test_header_without_packets),
	    cmocka_unit_test(test_user0_bytes),
	    cmocka_unit_test(test_user0_roundtrip_and_snaplen),
	    cmocka_unit_test(test_pcapng_blocks),
	    cmocka_unit_test(test_pcapng_read_back),
	    cmocka_unit_test(test_chunks_and_errors),
	    cmocka_unit_test(test_output_fd_error),
	    cmocka_unit_test(test_output_fd_no_sigpipe),
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_text_largest_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
