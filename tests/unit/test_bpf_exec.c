/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: the hook's BPF interpreter (src/core/bpf_exec.c) returns what
 * libpcap's bpf_filter() returns, for the programs pcap_compile() makes of
 * many expressions and for hand-written ones using every instruction, on
 * real packets and on random mutations of them cut at every length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "bpf_exec.h"
#include "pkt_build.h"

#define NPKT 6
#define PLEN 128

static uint8_t pkts[NPKT][PLEN];
static size_t lens[NPKT];
static uint32_t seed = 12345;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static void make_pkts(void)
{
	lens[0] = tb_ip4(pkts[0], "100.64.0.1", "100.64.0.2", 17, 4000, 53, 20);
	lens[1] = tb_ip4(pkts[1], "10.1.2.3", "100.64.0.1", 6, 54321, 9, 10);
	lens[2] = tb_ip4(pkts[2], "100.64.0.2", "100.64.0.1", 1, 8, 0, 30);
	lens[3] = tb_ip4(pkts[3], "192.168.1.1", "10.0.0.1", 6, 9, 443, 60);
	/* An IPv6 TCP packet, by hand: 40-byte header, then 20 of TCP. */
	memset(pkts[4], 0, PLEN);
	pkts[4][0] = 0x60;
	pkts[4][5] = 20;
	pkts[4][6] = 6;
	pkts[4][7] = 64;
	pkts[4][8] = 0xfd, pkts[4][23] = 1, pkts[4][24] = 0xfd, pkts[4][39] = 2;
	pkts[4][42] = 0, pkts[4][43] = 9, pkts[4][52] = 0x50, pkts[4][53] = 0x02;
	lens[4] = 60;
	/* A fragment of the TCP packet. */
	memcpy(pkts[5], pkts[1], lens[1]);
	pkts[5][6] = 0x20, pkts[5][7] = 0x10;
	lens[5] = lens[1];
}

/* Both interpreters on every packet, its random mutations, every cut. */
static void same_results(const struct bpf_insn *prog, unsigned len, const char *what)
{
	uint8_t b[PLEN];
	assert_true(ft__bpf_runnable(prog, len));
	struct bpf_insn *fused = ft__bpf_fuse(prog, len);
	assert_non_null(fused);
	for (int i = 0; i < NPKT; i++) {
		for (int m = 0; m < 40; m++) {
			memcpy(b, pkts[i], PLEN);
			for (int f = 0; m && f < 1 + m % 4; f++)
				b[rnd() % lens[i]] = (uint8_t)rnd();
			for (uint32_t cap = 0; cap <= lens[i]; cap++) {
				uint32_t wire = cap + (m % 3 ? 0 : rnd() % 2000);
				uint32_t want = bpf_filter(prog, b, wire, cap);
				uint32_t got = ft__bpf_run(prog, b, wire, cap);
				uint32_t fgot = ft__bpf_run(fused, b, wire, cap);
				if (want != got || want != fgot)
					fail_msg("%s: packet %d mutation %d cut %u: %u, fused %u, "
						 "libpcap %u",
						 what, i, m, cap, got, fgot, want);
			}
		}
	}
	free(fused);
}

/* The fused copy of "tcp port 9" runs the rejection of a UDP packet in
 * four dispatches instead of nine: its version, protocol and port tests
 * start with superinstructions (codes past the 8-bit BPF ones). */
static void test_fused(void **state)
{
	pcap_t *pd = pcap_open_dead(DLT_RAW, 262144);
	struct bpf_program p;
	unsigned n = 0;

	assert_non_null(pd);
	assert_int_equal(pcap_compile(pd, &p, "tcp port 9", 1, PCAP_NETMASK_UNKNOWN), 0);
	struct bpf_insn *f = ft__bpf_fuse(p.bf_insns, p.bf_len);
	assert_non_null(f);
	for (unsigned i = 0; i < p.bf_len; i++) {
		n += f[i].code > 0xff;
		assert_int_equal(f[i].k, p.bf_insns[i].k);
		assert_int_equal(f[i].jt, p.bf_insns[i].jt);
		assert_int_equal(f[i].jf, p.bf_insns[i].jf);
	}
	assert_true(f[0].code > 0xff);
	assert_true(n >= 5);
	free(f);
	pcap_freecode(&p);
	pcap_close(pd);
}

static void test_compiled(void **state)
{
	static const char *exprs[] = {
	    "tcp port 9",
	    "udp",
	    "icmp",
	    "host 100.64.0.1",
	    "src net 10.0.0.0/8 or dst net 10.0.0.0/8",
	    "ip6",
	    "ip6 and tcp dst port 9",
	    "tcp[tcpflags] & tcp-syn != 0",
	    "len > 60",
	    "greater 50 and less 100",
	    "ip[2:2] > 40",
	    "udp and (port 53 or port 4000)",
	    "ip[8] / 3 > 10",
	    "ip[2:2] % 7 = 1",
	    "ip[9] * 3 = 51",
	    "ip[1] << 2 = 0 and ip[0] >> 4 = 4",
	    "ip[2:2] - 20 > 10",
	    "ip[6:2] ^ 0x4000 = 0",
	    "ip[1] | 1 = 1",
	    "ip[6:2] & 0x1fff != 0",
	    "tcp[0:4] = 0xd4310009 or udp[2:2] = 53",
	    "ip[0] & 0xf != 5",
	    "icmp[icmptype] = icmp-echo",
	    "ip[ip[0] & 0xf] = 0",
	    "ip6[6] = 6 and ip6[40:2] = 9",
	    "tcp[13] = 2 and ip[12:4] = 0x0a010203",
	};
	pcap_t *pd = pcap_open_dead(DLT_RAW, 262144);
	assert_non_null(pd);
	make_pkts();
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct bpf_program p;
		assert_int_equal(pcap_compile(pd, &p, exprs[e], 1, PCAP_NETMASK_UNKNOWN), 0);
		same_results(p.bf_insns, p.bf_len, exprs[e]);
		pcap_freecode(&p);
		/* Unoptimized programs too: more loads, more jumps. */
		assert_int_equal(pcap_compile(pd, &p, exprs[e], 0, PCAP_NETMASK_UNKNOWN), 0);
		same_results(p.bf_insns, p.bf_len, exprs[e]);
		pcap_freecode(&p);
	}
	pcap_close(pd);
}

/* Instructions pcap_compile() rarely or never emits, on the same packets. */
static void test_handwritten(void **state)
{
	struct bpf_insn prog[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	    BPF_STMT(BPF_ST, 3),
	    BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	    BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), /* by the wire length */
	    BPF_STMT(BPF_ALU | BPF_NEG, 0),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1000),
	    BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 1),
	    BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), /* often by 32 or more */
	    BPF_STMT(BPF_STX, 4),
	    BPF_STMT(BPF_LDX | BPF_MEM, 3),
	    BPF_STMT(BPF_ALU | BPF_RSH | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_AND | BPF_X, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1),
	    BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
	    BPF_STMT(BPF_LD | BPF_MEM, 4),
	    BPF_STMT(BPF_LDX | BPF_IMM, 20),
	    BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 1, 0),
	    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
	    BPF_STMT(BPF_LD | BPF_B | BPF_IND, 100),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 2),
	    BPF_STMT(BPF_LD | BPF_IMM, 7),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 1, 0, 0),
	    BPF_STMT(BPF_MISC | BPF_TXA, 0),
	    BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct bpf_insn back[] = {
	    BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0),
	    BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)-2, 0, 0),
	    BPF_STMT(BPF_RET | BPF_K, 1),
	};
	struct bpf_insn out[] = {
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5),
	    BPF_STMT(BPF_RET | BPF_K, 1),
	};
	struct bpf_insn noret[] = {BPF_STMT(BPF_LD | BPF_IMM, 1)};
	struct bpf_insn div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				  BPF_STMT(BPF_RET | BPF_K, 1)};
	struct bpf_insn mem[] = {BPF_STMT(BPF_ST, BPF_MEMWORDS), BPF_STMT(BPF_RET | BPF_K, 1)};

	static const uint16_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD,
				       BPF_AND, BPF_OR,	 BPF_XOR, BPF_LSH, BPF_RSH};

	make_pkts();
	same_results(prog, sizeof(prog) / sizeof(prog[0]), "handwritten");
	/* Each operation on its own, its result returned: A a packet word, X
	 * a byte of it (so 0 and shifts of 32 and more happen), or k. */
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (uint32_t k = 0; k < 40; k += 3) {
			struct bpf_insn px[] = {
			    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, k % 24),
			    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, k),
			    BPF_STMT(BPF_ALU | ops[o] | BPF_X, 0),
			    BPF_STMT(BPF_RET | BPF_A, 0),
			};
			struct bpf_insn pk[] = {
			    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, k),
			    BPF_STMT(BPF_ALU | ops[o] | BPF_K, k + 1),
			    BPF_STMT(BPF_RET | BPF_A, 0),
			};
			same_results(px, 4, "alu x");
			/* A constant shift by 32 or more: libpcap versions
			 * differ (1.10 shifts by k mod 32), so bpf_filter()
			 * keeps those. */
			if ((ops[o] == BPF_LSH || ops[o] == BPF_RSH) && k + 1 >= 32)
				assert_false(ft__bpf_runnable(pk, 3));
			else
				same_results(pk, 3, "alu k");
		}
	}
	/* Refused, so left to bpf_filter(): a backward jump, a jump out of the
	 * program, no return at the end, a constant division by zero, a
	 * memory word that does not exist. */
	assert_false(ft__bpf_runnable(back, 3));
	assert_false(ft__bpf_runnable(out, 2));
	assert_false(ft__bpf_runnable(noret, 1));
	assert_false(ft__bpf_runnable(div0, 2));
	assert_false(ft__bpf_runnable(mem, 2));
	assert_false(ft__bpf_runnable(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compiled),
	    cmocka_unit_test(test_handwritten),
	    cmocka_unit_test(test_fused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
