/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Session outputs read back by the real tshark: pcapng interface names are
 * the path names and EPB flags carry the direction; user0 records carry the
 * path and pre-NAT addresses (decoded with our Lua dissector); pcap and text
 * sessions on the same tap see the same packets; the outputs that write
 * records straight from the session's buffer (out_fd, out_iov) write the
 * same bytes as the writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

static char dir[64];

/* Skip the test where tshark, which reads its files back, is absent. */
static void need_tshark(void)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
}

/* The test's own directory, /tmp/ft-@name-XXXXXX, in dir. */
static void make_dir(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
}

#include "session_files.h"

static void offer_all(struct ft_tap *t)
{
	uint8_t a[128], b[128];
	size_t na = tb_ip4(a, "100.64.0.1", "100.64.0.2", 17, 4000, 53, 10);
	size_t nb = tb_ip4(b, "100.64.0.2", "100.64.0.1", 1, 7, 1, 32);
	struct ft_meta m = FT_META_INIT;
	struct ft_addr svc, orig;
	ft_addr_parse("100.100.100.100", &svc);
	ft_addr_parse("fd7a:115c:a1e0::53", &orig);
	ft_tap_hook(t, FT_PATH_FROM_LOCAL, a, na, NULL);
	ft_meta_set_nat(&m, &orig, &svc);
	ft_tap_hook(t, FT_PATH_FROM_PEER, b, nb, &m);
	ft_tap_hook(t, FT_PATH_SYNTHESIZED_TO_LOCAL, b, nb, NULL);
	ft_tap_hook(t, FT_PATH_SYNTHESIZED_TO_PEER, a, na, NULL);
	ft_tap_hook(t, 254, a, na, NULL);
}

static void test_outputs(void **state)
{
	struct ft_tap *t;
	struct ft_session *s[4];
	int fd[4];
	char cmd[512], out[4096];

	need_tshark();
	make_dir("sess");
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	assert_int_equal(ft_tap_path_register(t, 254, "disco"), 0);
	s[0] = start_file(t, FT_FORMAT_PCAPNG, "a.pcapng", &fd[0]);
	s[1] = start_file(t, FT_FORMAT_USER0, "a.user0", &fd[1]);
	s[2] = start_file(t, FT_FORMAT_PCAP, "a.pcap", &fd[2]);
	s[3] = start_file(t, FT_FORMAT_TEXT, "a.txt", &fd[3]);
	offer_all(t);
	for (int i = 0; i < 4; i++) {
		struct ft_session_stats st;
		assert_int_equal(ft_session_stop(s[i], &st), 0);
		assert_int_equal(st.written, 5);
		ft_session_free(s[i]);
		close(fd[i]);
	}
	ft_tap_free(t);

	/* pcapng: interface per path, direction flags (1 inbound, 2 outbound). */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s/a.pcapng -T fields -E separator=, -e frame.interface_name "
		 "-e frame.packet_flags_direction -e ip.src 2>&1",
		 dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "from-local,0x00000002,100.64.0.1\n"));
	assert_non_null(strstr(out, "from-peer,0x00000001,100.64.0.2\n"));
	assert_non_null(strstr(out, "synthesized-to-local,0x00000001,100.64.0.2\n"));
	assert_non_null(strstr(out, "synthesized-to-peer,0x00000002,100.64.0.1\n"));
	assert_non_null(strstr(out, "disco,"));

	/* pcap: tshark and capinfos agree on 5 packets of the right sizes. */
	snprintf(cmd, sizeof(cmd), "capinfos -c -M %s/a.pcap %s/a.user0 2>&1", dir, dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Number of packets:   5"));

	/* user0 with our Lua dissector: path numbers and pre-NAT addresses. */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -X lua_script:%s/share/flowtap/flowtap.lua -r %s/a.user0 -T fields "
		 "-E separator=, -e flowtap.path -e flowtap.snat.ip6 -e flowtap.dnat.ip4 -e ip.src "
		 "2>&1",
		 FT_SRCDIR, dir);
	if (access(FT_SRCDIR "/share/flowtap/flowtap.lua", R_OK) == 0) {
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		print_message("%s", out);
		assert_non_null(strstr(out, "0,,,100.64.0.1\n"));
		assert_non_null(strstr(out, "1,fd7a:115c:a1e0::53,100.100.100.100,100.64.0.2\n"));
		assert_non_null(strstr(out, "254,,,100.64.0.1\n"));
	}

	/* text: one line per packet with direction and path. */
	snprintf(cmd, sizeof(cmd), "cat %s/a.txt", dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, " OUT from-local IP 100.64.0.1.4000 > 100.64.0.2.53"));
	assert_non_null(strstr(out, " IN from-peer IP 100.64.0.2 > 100.64.0.1: ICMP echo request"));
	assert_non_null(strstr(out, " disco IP 100.64.0.1.4000 >"));

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * ft_tap_hook_iov() and ft_tap_hook_batch() write the same bytes as
 * ft_tap_hook(): the same packets (one of them 64 KiB, captured whole) are
 * offered through each to its own tap, one session per format each, and
 * the files are compared byte for byte and read back by tshark.
 */
#define BIG_LEN 65536
#define NPKT	4

static uint8_t *variant_pkts(size_t *lens)
{
	uint8_t *p = calloc(NPKT, BIG_LEN);
	assert_non_null(p);
	lens[0] = tb_ip4(p, "100.64.0.1", "100.64.0.2", 17, 4000, 53, 10);
	lens[1] = tb_ip4(p + BIG_LEN, "100.64.0.2", "100.64.0.1", 1, 7, 1, 1000);
	/* A GSO-sized packet: the IPv4 length says 65535, it has 65536. */
	lens[2] = tb_ip4(p + 2 * BIG_LEN, "100.64.0.1", "100.64.0.2", 17, 4001, 53, 100);
	memset(p + 2 * BIG_LEN + lens[2], 0x5a, BIG_LEN - lens[2]);
	p[2 * BIG_LEN + 2] = p[2 * BIG_LEN + 3] = 0xff;
	lens[2] = BIG_LEN;
	lens[3] = tb_ip4(p + 3 * BIG_LEN, "100.64.0.1", "100.64.0.3", 6, 4002, 80, 0);
	return p;
}

#define SLURP_MAX (4u << 20)

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[128];
	FILE *f;
	uint8_t *b = malloc(SLURP_MAX);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, SLURP_MAX, f);
	assert_true(*len < SLURP_MAX); /* the whole file */
	fclose(f);
	return b;
}

/* Byte for byte, except the times of the pcapng ISBs at the end (when the
 * session finished, 8 bytes after their block type, length and interface). */
static void assert_same_file(const char *a, const char *b, bool pcapng)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
	assert_int_equal(la, lb);
	/* One ISB per interface, each with its time. */
	for (size_t end = la; pcapng;) {
		uint32_t isb, type;
		memcpy(&isb, x + end - 4, 4);
		assert_true(isb >= 20 && isb < end);
		memcpy(&type, x + end - isb, 4);
		if (type != 5)
			break;
		memset(x + end - isb + 12, 0, 8);
		memset(y + end - isb + 12, 0, 8);
		end -= isb;
	}
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
}

static void test_hook_variants(void **state)
{
	static const enum ft_format fmts[] = {FT_FORMAT_PCAP, FT_FORMAT_PCAPNG, FT_FORMAT_USER0};
	static const char *fname[] = {"pcap", "pcapng", "user0"};
	static const char *vname[] = {"hook", "iov", "batch"};
	struct ft_session *s[3][3];
	int fd[3][3];
	char cmd[1024], out[4096], name[32];
	size_t lens[NPKT];
	uint8_t *pkts = variant_pkts(lens);
	struct ft_meta m = FT_META_INIT;

	need_tshark();
	make_dir("var");
	m.ts_ns = 1700000000123456789ull;
	for (int v = 0; v < 3; v++) {
		struct ft_tap *t;
		assert_int_equal(ft_tap_new(&t, "tun0"), 0);
		for (int f = 0; f < 3; f++) {
			snprintf(name, sizeof(name), "%s.%s", vname[v], fname[f]);
			s[v][f] = start_file(t, fmts[f], name, &fd[v][f]);
		}
		for (int i = 0; i < NPKT; i++) {
			uint8_t *p = pkts + (size_t)i * BIG_LEN;
			struct iovec iov[3] = {{p, 1}, {p + 1, 19}, {p + 20, lens[i] - 20}};
			if (v == 0)
				ft_tap_hook(t, FT_PATH_FROM_PEER, p, lens[i], &m);
			else if (v == 1)
				ft_tap_hook_iov(t, FT_PATH_FROM_PEER, iov, 3, &m);
		}
		if (v == 2) {
			struct iovec b[NPKT];
			for (int i = 0; i < NPKT; i++)
				b[i] = (struct iovec){pkts + (size_t)i * BIG_LEN, lens[i]};
			ft_tap_hook_batch(t, FT_PATH_FROM_PEER, b, 2, &m);
			ft_tap_hook_batch(t, FT_PATH_FROM_PEER, b + 2, NPKT - 2, &m);
		}
		for (int f = 0; f < 3; f++) {
			struct ft_session_stats st;
			assert_int_equal(ft_session_stop(s[v][f], &st), 0);
			assert_int_equal(st.written, NPKT);
			assert_int_equal(st.dropped, 0);
			ft_session_free(s[v][f]);
			close(fd[v][f]);
		}
		ft_tap_free(t);
	}
	for (int f = 0; f < 3; f++) {
		for (int v = 1; v < 3; v++) {
			char a[32];
			snprintf(a, sizeof(a), "hook.%s", fname[f]);
			snprintf(name, sizeof(name), "%s.%s", vname[v], fname[f]);
			assert_same_file(a, name, fmts[f] == FT_FORMAT_PCAPNG);
		}
	}
	/* The 64 KiB packet whole in pcap and pcapng (user0 records stop at 65535). */
	for (int f = 0; f < 2; f++) {
		snprintf(cmd, sizeof(cmd),
			 "tshark -n -r %s/batch.%s -T fields -E separator=, -e frame.cap_len "
			 "-e frame.len 2>/dev/null",
			 dir, fname[f]);
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		print_message("%s", out);
		snprintf(name, sizeof(name), "%zu,%zu\n", lens[1], lens[1]);
		assert_non_null(strstr(out, name));
		assert_non_null(strstr(out, "65536,65536\n"));
	}
	snprintf(cmd, sizeof(cmd), "capinfos -c -M %s/batch.user0 2>&1", dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Number of packets:   4"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(pkts);
}

/*
 * A pcap session to a descriptor writes its records straight from the
 * rings (session.c), one through a callback through the writer: the files
 * are the same byte for byte (pcap and pcap-ns), over more than a writev()
 * batch and a writer chunk, for records cut by the snaplen, with a wire
 * length beyond the captured one, and with metadata and drop verdicts in
 * the ring record. tshark reads them all.
 */
#define DIRECT_N 1500

/* DIRECT_N packets of every size up to 1400 bytes, on two paths, with and
 * without metadata (each record kind the capture core writes). */
static void offer_mixed(struct ft_tap *t)
{
	struct ft_meta m = FT_META_INIT;
	uint8_t p[1500];

	ft_meta_set_nat_ip4(&m, 0x01020304, 0);
	m.ifid = 7;
	m.drop_where = "here";
	for (int i = 0; i < DIRECT_N; i++) {
		size_t n =
		    tb_ip4(p, "100.64.0.1", "100.64.0.2", 17, 4000, 53, (size_t)(i * 37) % 1400);
		if (i % 5 == 1)
			ft_tap_hook(t, FT_PATH_FROM_PEER, p, n, &m);
		else if (i % 5 == 2)
			ft_tap_drop(t, FT_PATH_FROM_PEER, p, n, FT_DROP_ACL, &m);
		else if (i % 5 == 3)
			ft_tap_hook_frame(t, FT_PATH_FROM_LOCAL, p, n / 2 + 20, n, NULL);
		else
			ft_tap_hook(t, FT_PATH_FROM_LOCAL, p, n, NULL);
	}
}

/* capinfos reads @a and @b, and says @count of each; tshark reads
 * DIRECT_N packets in @c. Then the test's directory goes. */
static void read_back(const char *a, const char *b, const char *count, const char *c)
{
	char cmd[512], out[2048];

	snprintf(cmd, sizeof(cmd), "capinfos -c -M %s/%s %s/%s 2>&1", dir, a, dir, b);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, count));
	assert_non_null(strstr(strstr(out, count) + 1, count));
	snprintf(cmd, sizeof(cmd), "tshark -n -r %s/%s -T fields -e frame.len 2>/dev/null | wc -l",
		 dir, c);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), DIRECT_N);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_direct_same_as_writer(void **state)
{
	static const enum ft_format fmts[] = {FT_FORMAT_PCAP, FT_FORMAT_PCAP_NS};
	static const char *names[] = {"d.pcap", "w.pcap", "d.pcapns", "w.pcapns"};
	struct ft_session *s[4];
	struct ft_tap *t;
	int fd[4];

	need_tshark();
	make_dir("direct");
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	for (int i = 0; i < 4; i++) {
		struct ft_session_opts o;
		ft_session_opts_init(&o);
		o.format = fmts[i / 2];
		o.snaplen = 1000;
		o.out = i % 2 ? ft_output_fd : NULL; /* odd: through the writer */
		s[i] = start_file_opts(t, &o, names[i], &fd[i]);
	}
	offer_mixed(t);
	for (int i = 0; i < 4; i++) {
		struct ft_session_stats st;
		assert_int_equal(ft_session_stop(s[i], &st), 0);
		assert_int_equal(st.written, DIRECT_N);
		assert_int_equal(st.dropped, 0);
		ft_session_free(s[i]);
		close(fd[i]);
	}
	ft_tap_free(t);
	assert_same_file("d.pcap", "w.pcap", false);
	assert_same_file("d.pcapns", "w.pcapns", false);
	read_back("d.pcap", "d.pcapns", "Number of packets:   1500", "d.pcapns");
}

/* An out_iov output writing to a file, and an out beside it, counting
 * what the session hands each and checking capture.h's promises. */
struct iov_sink {
	int fd;
	unsigned out_calls, iov_calls, iov_multi; /* iov_multi: calls with cnt > 1 */
	unsigned fail_at;			  /* nonzero: the iov call that fails */
	bool bad;				  /* a promise broken */
};

static int sink_iov(void *ctx, const struct iovec *iov, int cnt)
{
	struct iov_sink *k = ctx;
	struct iovec v[FT_SESSION_IOV_MAX];
	size_t len = 0;
	int i = 0;

	if (cnt < 1 || cnt > FT_SESSION_IOV_MAX) {
		k->bad = true;
		return -EINVAL;
	}
	for (int j = 0; j < cnt; j++)
		len += iov[j].iov_len;
	if (!len)
		k->bad = true;
	k->iov_calls++;
	k->iov_multi += cnt > 1;
	if (k->fail_at && k->iov_calls >= k->fail_at)
		return -EPIPE;
	/* The iovecs are the session's: advance a copy. */
	memcpy(v, iov, (size_t)cnt * sizeof(*iov));
	while (i < cnt) {
		ssize_t n = writev(k->fd, v + i, cnt - i);
		if (n < 0)
			return -errno;
		for (; i < cnt && (size_t)n >= v[i].iov_len; i++)
			n -= (ssize_t)v[i].iov_len;
		if (i < cnt) {
			v[i].iov_base = (uint8_t *)v[i].iov_base + n;
			v[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int sink_out(void *ctx, const void *data, size_t len)
{
	struct iov_sink *k = ctx;

	k->out_calls++;
	return ft_output_fd((void *)(intptr_t)k->fd, data, len);
}

enum { BY_WRITER, BY_FD, BY_IOV, BY_OUT_AND_IOV };

/* A session with options @o writing @name as @how says, counted in @k
 * (zeroed by the caller, fail_at set). */
static struct ft_session *start_sink(struct ft_tap *t, struct ft_session_opts *o, int how,
				     const char *name, struct iov_sink *k)
{
	struct ft_session *s;
	char path[128], err[FT_ERRBUF_SIZE];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	k->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(k->fd >= 0);
	o->out = how == BY_WRITER || how == BY_OUT_AND_IOV ? sink_out : NULL;
	o->out_iov = how == BY_IOV || how == BY_OUT_AND_IOV ? sink_iov : NULL;
	/* out_iov needs no descriptor, and is taken over one. */
	o->out_fd = how == BY_FD ? k->fd : how == BY_IOV ? -1 : 1;
	o->out_ctx = k;
	/* With since_ms, -EBUSY while two earlier sessions still hold their
	 * history copies: try again, as capture.h says (their threads may not
	 * have run yet on a loaded machine). */
	for (int tries = 0;; tries++) {
		int ret = ft_session_start(&s, t, o, err, sizeof(err));
		if (ret == -EBUSY && o->since_ms && tries < 5000) {
			usleep(1000);
			continue;
		}
		assert_int_equal(ret, 0);
		break;
	}
	return s;
}

/* A session with out_iov writes the same bytes as one through the writer
 * and one to a descriptor: pcap and pcap-ns records straight from its
 * buffer (more than one iovec per call), with the file header and the
 * recorder's history, which the writer formats, in their place whether
 * they go to out or to out_iov; pcapng as the writer's chunks. */
static void test_iov_same_as_writer(void **state)
{
	static const enum ft_format fmts[] = {FT_FORMAT_PCAP, FT_FORMAT_PCAP_NS, FT_FORMAT_PCAPNG};
	static const char *ext[] = {"pcap", "pcapns", "pcapng"};
	static const char how_name[] = "wdvm";
	struct ft_session *s[3][4];
	struct iov_sink k[3][4] = {{{0}}};
	struct ft_tap *t;
	uint8_t p[1500];
	char name[32], ref[32];

	need_tshark();
	make_dir("iov");
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	assert_int_equal(ft_tap_recorder_start(t, NULL), 0);
	/* History: written by the writer before the first batch. */
	for (int i = 0; i < 50; i++) {
		size_t n = tb_ip4(p, "100.64.0.9", "100.64.0.2", 17, 4000, 53, (size_t)i * 29);
		ft_tap_hook(t, FT_PATH_FROM_PEER, p, n, NULL);
	}
	for (int f = 0; f < 3; f++)
		for (int h = 0; h < 4; h++) {
			struct ft_session_opts o;
			if (fmts[f] == FT_FORMAT_PCAPNG && (h == BY_FD || h == BY_OUT_AND_IOV)) {
				s[f][h] = NULL;
				continue;
			}
			ft_session_opts_init(&o);
			o.format = fmts[f];
			o.snaplen = 1000;
			/* Not pcapng: its section comment says how long the
			 * recorder held, as of each session's start. */
			o.since_ms = fmts[f] == FT_FORMAT_PCAPNG ? 0 : 60000;
			snprintf(name, sizeof(name), "%c.%s", how_name[h], ext[f]);
			s[f][h] = start_sink(t, &o, h, name, &k[f][h]);
		}
	offer_mixed(t);
	for (int f = 0; f < 3; f++)
		for (int h = 0; h < 4; h++) {
			struct ft_session_stats st;
			if (!s[f][h])
				continue;
			assert_int_equal(ft_session_stop(s[f][h], &st), 0);
			assert_int_equal(st.written,
					 DIRECT_N + (fmts[f] == FT_FORMAT_PCAPNG ? 0 : 50));
			assert_int_equal(st.dropped, 0);
			ft_session_free(s[f][h]);
			close(k[f][h].fd);
			assert_false(k[f][h].bad);
		}
	ft_tap_free(t);
	for (int f = 0; f < 3; f++) {
		snprintf(ref, sizeof(ref), "w.%s", ext[f]);
		for (int h = BY_FD; h <= BY_OUT_AND_IOV; h++) {
			if (!s[f][h])
				continue;
			snprintf(name, sizeof(name), "%c.%s", how_name[h], ext[f]);
			assert_same_file(ref, name, fmts[f] == FT_FORMAT_PCAPNG);
		}
	}
	for (int f = 0; f < 2; f++) {
		/* With out beside it, the header and history went to out
		 * and the records to out_iov (how many iovecs a call depends
		 * on when the producer got its own ring: not asserted). */
		assert_true(k[f][BY_IOV].iov_calls > 0);
		assert_int_equal(k[f][BY_IOV].out_calls, 0);
		assert_true(k[f][BY_OUT_AND_IOV].iov_calls > 0);
		assert_true(k[f][BY_OUT_AND_IOV].out_calls > 0);
		assert_int_equal(k[f][BY_WRITER].iov_calls, 0);
	}
	/* pcapng: the writer's chunks, one iovec each. */
	assert_true(k[2][BY_IOV].iov_calls > 0);
	assert_int_equal(k[2][BY_IOV].iov_multi, 0);
	read_back("v.pcap", "v.pcapns", "Number of packets:   1550", "v.pcapng");
}

/* An out_iov error ends the session with it: no call after the failed
 * one, and every packet is still accounted for: matched = written +
 * dropped + discarded. */
static void test_iov_error(void **state)
{
	struct ft_session_opts o;
	struct ft_session_stats st;
	struct ft_session *s;
	struct iov_sink k = {.fail_at = 3}; /* the header, a batch, then fail */
	struct ft_tap *t;
	uint8_t p[1500];
	size_t n = tb_ip4(p, "100.64.0.1", "100.64.0.2", 17, 4000, 53, 1000);

	make_dir("iove");
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	ft_session_opts_init(&o);
	s = start_sink(t, &o, BY_IOV, "e.pcap", &k);
	/* Bursts until the session has failed (polled, for up to a minute). */
	for (int i = 0; i < 60000; i++) {
		struct timespec ts = {0, 1000000};
		for (int j = 0; j < 100; j++)
			ft_tap_hook(t, FT_PATH_FROM_LOCAL, p, n, NULL);
		ft_session_get_stats(s, &st);
		if (st.error)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(ft_session_stop(s, &st), -EPIPE);
	assert_int_equal(st.error, -EPIPE);
	assert_true(st.done);
	assert_true(st.written > 0);
	assert_int_equal(st.matched, st.written + st.dropped + st.discarded);
	ft_session_free(s);
	ft_tap_free(t);
	assert_int_equal(k.iov_calls, 3);
	assert_false(k.bad);
	close(k.fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outputs),
	    cmocka_unit_test(test_hook_variants),
	    cmocka_unit_test(test_direct_same_as_writer),
	    cmocka_unit_test(test_iov_same_as_writer),
	    cmocka_unit_test(test_iov_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
