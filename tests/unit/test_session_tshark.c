/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Session outputs read back by the real tshark: pcapng interface names are
 * the path names and EPB flags carry the direction; user0 records carry the
 * path and pre-NAT addresses (decoded with our Lua dissector); pcap and text
 * sessions on the same tap see the same packets.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

static char dir[64];

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

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	strcpy(dir, "/tmp/ft-sess-XXXXXX");
	assert_non_null(mkdtemp(dir));
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

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[128];
	FILE *f;
	uint8_t *b = malloc(1 << 20);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* Byte for byte, except the time of the pcapng ISB at the end (when the
 * session finished, 8 bytes after its block type, length and interface). */
static void assert_same_file(const char *a, const char *b, bool pcapng)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
	assert_int_equal(la, lb);
	if (pcapng) {
		uint32_t isb;
		memcpy(&isb, x + la - 4, 4);
		assert_true(isb >= 20 && isb < la);
		memset(x + la - isb + 12, 0, 8);
		memset(y + lb - isb + 12, 0, 8);
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

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	strcpy(dir, "/tmp/ft-var-XXXXXX");
	assert_non_null(mkdtemp(dir));
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

static void test_direct_same_as_writer(void **state)
{
	static const enum ft_format fmts[] = {FT_FORMAT_PCAP, FT_FORMAT_PCAP_NS};
	static const char *names[] = {"d.pcap", "w.pcap", "d.pcapns", "w.pcapns"};
	struct ft_session *s[4];
	struct ft_tap *t;
	int fd[4];
	uint8_t p[1500];
	char cmd[512], out[256];
	struct ft_meta m = FT_META_INIT;

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	strcpy(dir, "/tmp/ft-direct-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	for (int i = 0; i < 4; i++) {
		struct ft_session_opts o;
		ft_session_opts_init(&o);
		o.format = fmts[i / 2];
		o.snaplen = 1000;
		o.out = i % 2 ? ft_output_fd : NULL; /* odd: through the writer */
		s[i] = start_file_opts(t, &o, names[i], &fd[i]);
	}
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
	snprintf(cmd, sizeof(cmd), "capinfos -c -M %s/d.pcap %s/d.pcapns 2>&1", dir, dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "Number of packets:   1500"));
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s/d.pcapns -T fields -e frame.len 2>/dev/null | wc -l", dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), DIRECT_N);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outputs),
	    cmocka_unit_test(test_hook_variants),
	    cmocka_unit_test(test_direct_same_as_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
