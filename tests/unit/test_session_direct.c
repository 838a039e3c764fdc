/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: a pcap, pcap-ns or user0 session to a file descriptor gets
 * its records from the hook in their file format (rec.h: struct ft_frec)
 * and writes them where they lie (session.c: direct). Its file must be byte
 * for byte what the writer makes of the core's records for the same
 * packets (a session to a callback): the caller's times in both
 * resolutions, packets cut by the snaplen, a record too large to copy out
 * of the shared ring, user0's prefixes (pre-NAT addresses, drops on the
 * "dropped" path), and the same counters. In user0 the snaplen bounds the
 * prefix and the packet together, and a packet the prefix cuts counts as
 * truncated on both paths.
 */
#include <semaphore.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"
#include "sink.h"
#include "tap_internal.h"

#define NPKT	  600
#define NPKT_LAPS 5000	 /* about 40 laps of the smallest ring */
#define BIG	  200000 /* bytes: over what the session copies (DIRECT_COPY_MAX) */
#define SHORTCAP  100

/* The case: the sessions' buffer size, and how many packets after the
 * first. The smallest buffer makes the rings wrap many times (padding at
 * the end of each lap, iovecs that stop there); the producer then waits
 * for the sessions every few packets, so that none drops one. */
static size_t bufsize;
static unsigned npkt;

static struct ft_session *start(struct ft_tap *t, enum ft_format fmt, uint32_t snaplen, int fd,
				struct sink *k)
{
	struct ft_session_opts o;
	struct ft_session *s;
	char err[FT_ERRBUF_SIZE];

	ft_session_opts_init(&o);
	o.format = fmt;
	o.snaplen = snaplen;
	o.bufsize = bufsize; /* no drops: the files must match */
	if (k) {
		o.out = sink_out;
		o.out_ctx = k;
	} else {
		o.out_fd = fd;
	}
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), 0);
	return s;
}

/* All of memfd @fd. */
static uint8_t *read_all(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *buf = malloc((size_t)end + 1);

	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)end, 0), end);
	*len = (size_t)end;
	return buf;
}

static void stop_and_compare(struct ft_session *direct, int fd, struct ft_session *writer,
			     struct sink *k, uint64_t truncated)
{
	struct ft_session_stats a, b;
	size_t len;
	uint8_t *buf;

	assert_int_equal(ft_session_stop(direct, &a), 0);
	assert_int_equal(ft_session_stop(writer, &b), 0);
	assert_true(direct->recs != FT_RECS_CORE); /* the case under test */
	assert_true(writer->recs == FT_RECS_CORE);
	assert_int_equal(a.error, 0);
	assert_int_equal(a.dropped, 0);
	assert_int_equal(b.dropped, 0);
	assert_int_equal(a.written, npkt + 1);
	assert_int_equal(a.written, b.written);
	assert_int_equal(a.bytes, b.bytes);
	assert_int_equal(a.truncated, truncated);
	assert_int_equal(b.truncated, truncated);
	/* A pcap session whose records none were cut took some as runs,
	 * where they lie (session.c: take_run()); the file says they went out
	 * right. */
	if (direct->recs != FT_RECS_USER0 && !truncated)
		assert_true(direct->runs > 0);
	buf = read_all(fd, &len);
	assert_int_equal(len, k->len);
	assert_memory_equal(buf, k->buf, len);
	free(buf);
	ft_session_free(direct);
	ft_session_free(writer);
}

/* Until every session wrote what it matched (at most 10 s). */
static void wait_written(struct ft_session *a, struct ft_session *b, struct ft_session *c,
			 struct ft_session *d)
{
	struct ft_session *s[4] = {a, b, c, d};

	for (int k = 0; k < 4; k++) {
		struct ft_session_stats st;
		for (int tries = 0; tries < 100000; tries++) {
			ft_session_get_stats(s[k], &st);
			if (st.written == st.matched)
				break;
			usleep(100);
		}
		if (st.written != st.matched)
			fprintf(stderr, "session %d: matched %lu written %lu dropped %lu\n", k,
				(unsigned long)st.matched, (unsigned long)st.written,
				(unsigned long)st.dropped);
		assert_int_equal(st.written, st.matched);
	}
}

/* Until the sessions gave this thread a ring of its own (at most 10 s):
 * they do at the first record it sent through the shared ring. Until then
 * its packets go there, none as runs: a producer that runs on while the
 * session threads wait for a core (taskset -c 0 chrt -f 10 made one) would
 * send them all there. */
static void wait_own_ring(struct ft_session *const *s, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		bool own = false;
		for (int tries = 0; tries < 100000 && !own; tries++) {
			for (unsigned i = 0; i < FT_TAP_MAX_THREADS && !own; i++)
				own = atomic_load(&s[k]->srings[i]) != NULL;
			if (!own)
				usleep(100);
		}
		assert_true(own);
	}
}

static void same_file(enum ft_format fmt)
{
	static uint8_t pkt[BIG];
	struct ft_tap *t;
	struct sink kw, kc;
	int fw = memfd_create("whole", 0), fc = memfd_create("cut", 0);
	uint64_t cut = 0;

	assert_true(fw >= 0 && fc >= 0);
	sink_init(&kw);
	sink_init(&kc);
	assert_int_equal(ft_tap_new(&t, "direct"), 0);
	struct ft_session *dw = start(t, fmt, 0, fw, NULL);
	struct ft_session *ww = start(t, fmt, 0, -1, &kw);
	struct ft_session *dc = start(t, fmt, SHORTCAP, fc, NULL);
	struct ft_session *wc = start(t, fmt, SHORTCAP, -1, &kc);

	/* A thread's first packets go through the shared ring: the large one
	 * is written from there where it lies (if the buffer takes it). */
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1000, 2000,
			  bufsize >= (4u << 20) ? BIG - 28 : 3000);
	struct ft_meta m = FT_META_INIT;
	m.ts_ns = 1700000000123456789ull;
	ft_tap_offer(t, FT_PATH_FROM_PEER, pkt, n > 65535 && fmt == FT_FORMAT_USER0 ? 65000 : n,
		     &m);
	cut++;
	wait_own_ring((struct ft_session *[]){dw, ww, dc, wc}, 4);
	for (unsigned i = 0; i < npkt; i++) {
		if (bufsize < (1u << 20) && i % 8 == 0)
			wait_written(dw, ww, dc, wc);
		size_t plen = (i * 37) % 3000;
		/* user0's prefix: 4 bytes and the pre-NAT addresses. */
		uint32_t pfx = fmt == FT_FORMAT_USER0 ? 4 : 0;
		n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, (uint16_t)i, 53, plen);
		/* Times to the nanosecond; every tenth from the clock. */
		m = (struct ft_meta)FT_META_INIT;
		m.ts_ns = i % 10 ? 1700000001000000000ull + i * 1001ull : 0;
		if (i % 4 == 1) {
			m.nat_src = (struct ft_addr){.len = 4, .b = {192, 168, 1, (uint8_t)i}};
			pfx += fmt == FT_FORMAT_USER0 ? 4 : 0;
		}
		if (i % 8 == 1) {
			m.nat_dst = (struct ft_addr){.len = 16, .b = {0xfd, 0, [15] = (uint8_t)i}};
			pfx += fmt == FT_FORMAT_USER0 ? 16 : 0;
		}
		if (i % 7 == 2)
			ft_tap_drop(t, FT_PATH_FROM_PEER, pkt, n, FT_DROP_ACL, &m);
		else if (i % 3)
			ft_tap_offer(t, FT_PATH_FROM_LOCAL + i % 5, pkt, n, &m);
		else /* as a frame cut before the hook: the wire length is longer */
			ft_tap_offer_frame(t, FT_PATH_FROM_PEER, pkt, n, n + 40, &m);
		cut += n > SHORTCAP - pfx;
	}
	stop_and_compare(dw, fw, ww, &kw, 0);
	stop_and_compare(dc, fc, wc, &kc, cut);
	ft_tap_free(t);
	sink_free(&kw);
	sink_free(&kc);
	close(fw);
	close(fc);
}

static void run(enum ft_format fmt, size_t size, unsigned n)
{
	bufsize = size;
	npkt = n;
	same_file(fmt);
}

static void test_pcap_same_file(void **state)
{
	(void)state;
	run(FT_FORMAT_PCAP, 16u << 20, NPKT);
}

static void test_pcap_ns_same_file(void **state)
{
	(void)state;
	run(FT_FORMAT_PCAP_NS, 16u << 20, NPKT);
}

static void test_user0_same_file(void **state)
{
	(void)state;
	run(FT_FORMAT_USER0, 16u << 20, NPKT);
}

/* The smallest buffer: many laps of every ring. */
static void test_pcap_laps_same_file(void **state)
{
	(void)state;
	run(FT_FORMAT_PCAP, 64u << 10, NPKT_LAPS);
	run(FT_FORMAT_USER0, 64u << 10, NPKT_LAPS);
}

/* An out_iov output that counts what it gets; with @gate set, its first
 * call waits until the gate is posted (the session thread is held there). */
struct iov_count {
	uint64_t calls, iovs, bytes, max_call;
	sem_t *gate;
	_Atomic bool waiting;
};

static int count_iov(void *ctx, const struct iovec *iov, int cnt)
{
	struct iov_count *c = ctx;
	uint64_t b = 0;

	if (c->gate && !c->calls) {
		atomic_store(&c->waiting, true);
		sem_wait(c->gate);
	}
	c->calls++;
	c->iovs += (uint64_t)cnt;
	for (int i = 0; i < cnt; i++)
		b += iov[i].iov_len;
	c->bytes += b;
	c->max_call = b > c->max_call ? b : c->max_call;
	return 0;
}

/* A pcap session writing to count_iov(); buffer size @size, 0: the default. */
static struct ft_session *start_counted(struct ft_tap *t, struct iov_count *c, size_t size)
{
	struct ft_session_opts o;
	struct ft_session *s;
	char err[FT_ERRBUF_SIZE];

	ft_session_opts_init(&o);
	o.out_iov = count_iov;
	o.out_ctx = c;
	o.bufsize = size;
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), 0);
	return s;
}

/* A run of records one thread wrote goes out as one iovec: the session
 * does not hand over (or copy) records one by one. */
static void test_runs_are_one_iovec(void **state)
{
	static uint8_t pkt[200];
	struct ft_session_stats st;
	struct ft_session *s;
	struct ft_tap *t;
	struct iov_count c = {0};
	(void)state;

	assert_int_equal(ft_tap_new(&t, "runs"), 0);
	s = start_counted(t, &c, 16u << 20);
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 2, 100);
	for (unsigned i = 0; i < 2000; i++)
		ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, n, NULL);
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_int_equal(st.written, 2000);
	/* The file header and every record, 16 + n bytes each. */
	assert_int_equal(c.bytes, 24 + 2000 * (16 + n));
	/* One iovec per record would be 2000; a run is cut only by the
	 * end of a lap, a flush, or the thread's first records (copied
	 * from the shared ring). */
	assert_true(c.iovs < 2000 / 10);
	ft_session_free(s);
	ft_tap_free(t);
}

/* A batch holds at most half the index entries of the smaller slot rings
 * (one per 128 bytes, spsc.h), not only half their bytes: small records
 * fill the index first, and a batch that held more than the index made a
 * second producer thread drop while the batch waited to be written. With
 * the default 4 MiB buffer those rings take 1 MiB: at most 4096 records a
 * call, where half their bytes would be 11915 records of 44 bytes. The
 * session thread is held in its first output call while the packets
 * arrive, so that full batches are certain, not a matter of speed. */
static void test_batch_bounded_by_index(void **state)
{
	static uint8_t pkt[64];
	struct ft_session_stats st = {0};
	struct ft_session *s;
	struct ft_tap *t;
	sem_t gate;
	struct iov_count c = {.gate = &gate};
	(void)state;

	assert_int_equal(sem_init(&gate, 0, 0), 0);
	assert_int_equal(ft_tap_new(&t, "index"), 0);
	s = start_counted(t, &c, 0);
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 2, 0);
	assert_int_equal(16 + n, 44);
	/* The thread's first packet goes through the shared ring, and the
	 * session thread then sets up the thread's own ring; its first
	 * output call (at most LINGER_POLLS naps later) is held. */
	ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, n, NULL);
	for (int tries = 0; tries < 100000 && !atomic_load(&c.waiting); tries++)
		usleep(100);
	assert_true(atomic_load(&c.waiting));
	/* 20000 records of 44 bytes: well within the thread's own ring (the
	 * whole 4 MiB, 32768 index entries), so none is dropped. */
	for (unsigned i = 1; i < 20001; i++)
		ft_tap_hook(t, FT_PATH_FROM_LOCAL, pkt, n, NULL);
	sem_post(&gate);
	assert_int_equal(ft_session_stop(s, &st), 0);
	assert_int_equal(st.written + st.dropped, 20001);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(c.bytes, 24 + st.written * 44);
	print_message("%llu records in %llu calls, at most %llu bytes a call\n",
		      (unsigned long long)st.written, (unsigned long long)c.calls,
		      (unsigned long long)c.max_call);
	assert_true(c.max_call <= 4096 * 44);
	/* And batches did fill up to the bound: the test saw a full one. */
	assert_int_equal(c.max_call, 4096 * 44);
	ft_session_free(s);
	ft_tap_free(t);
	sem_destroy(&gate);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pcap_same_file),
	    cmocka_unit_test(test_pcap_ns_same_file),
	    cmocka_unit_test(test_user0_same_file),
	    cmocka_unit_test(test_pcap_laps_same_file),
	    cmocka_unit_test(test_runs_are_one_iovec),
	    cmocka_unit_test(test_batch_bounded_by_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
