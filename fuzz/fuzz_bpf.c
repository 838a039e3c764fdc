/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_bpf.c - libFuzzer target: flowtap's BPF interpreter (src/core/
 * bpf_exec.c) against libpcap's bpf_filter(), which it replaces on the
 * hook's thread. Two modes, by the first byte:
 *  - even: a packet (the rest of the input; its wire length a little
 *    longer than what is captured, by the second byte) run through the
 *    programs of a few tcpdump expressions for Ethernet and raw IP;
 *  - odd: the rest of the input is itself a program (8-byte instructions)
 *    run on a fixed packet when both libpcap's validator and ours accept it.
 * Both the program and its fused copy (the hook's) are run. Any
 * difference, or any read past the packet (ASan), aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "bpf_exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const exprs[] = {
    "tcp port 443",
    "udp and dst port 53",
    "icmp or icmp6",
    "tcp[tcpflags] & tcp-rst != 0",
    "ip[6:2] & 0x1fff != 0",
    "net 10.0.0.0/8 and not host 10.1.2.3",
    "ip6 and tcp dst portrange 1000-2000",
    "len > 100 and ip[0] & 0xf > 5",
    "vlan and udp",
    "udp[8:4] = 0x01020304",
};
#define NEXPR (sizeof(exprs) / sizeof(exprs[0]))

static struct bpf_program progs[2][NEXPR];
static int ready;

static void compile_all(void)
{
	const int dlts[2] = {DLT_EN10MB, DLT_RAW};

	for (int d = 0; d < 2; d++) {
		pcap_t *p = pcap_open_dead(dlts[d], 262144);
		for (size_t i = 0; i < NEXPR; i++)
			if (!p ||
			    pcap_compile(p, &progs[d][i], exprs[i], 1, PCAP_NETMASK_UNKNOWN) < 0)
				progs[d][i].bf_insns = NULL;
		if (p)
			pcap_close(p);
	}
	ready = 1;
}

static void same(const struct bpf_insn *prog, unsigned len, const uint8_t *pkt, uint32_t wire,
		 uint32_t cap)
{
	struct bpf_insn *fused;
	uint32_t want;

	if (!ft__bpf_runnable(prog, len))
		return;
	want = bpf_filter(prog, pkt, wire, cap);
	if (ft__bpf_run(prog, pkt, wire, cap) != want)
		abort();
	/* The hook runs the fused copy (ft__bpf_fuse()). */
	fused = ft__bpf_fuse(prog, len);
	if (fused && ft__bpf_run(fused, pkt, wire, cap) != want)
		abort();
	free(fused);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		compile_all();
	if (size < 2)
		return 0;
	if (!(data[0] & 1)) {
		/* The packet in its own allocation, so ASan sees a read past it. */
		size_t n = size - 2;
		uint8_t *pkt = malloc(n ? n : 1);
		if (!pkt)
			return 0;
		memcpy(pkt, data + 2, n);
		for (int d = 0; d < 2; d++)
			for (size_t i = 0; i < NEXPR; i++)
				if (progs[d][i].bf_insns)
					same(progs[d][i].bf_insns, progs[d][i].bf_len, pkt,
					     (uint32_t)n + data[1], (uint32_t)n);
		free(pkt);
		return 0;
	}
	/* A program: whole instructions after the two leading bytes, behind
	 * a prefix that stores 0 in every memory word. bpf_filter() leaves
	 * its memory uninitialized and bpf_validate() does not refuse a load
	 * before a store (pcap_compile() never emits one), so without it a
	 * difference would only be libpcap's stack garbage. Jumps are
	 * relative: the prefix changes none of the fuzzed program's. */
	enum { PREFIX = 1 + BPF_MEMWORDS };
	size_t len = (size - 2) / sizeof(struct bpf_insn);
	static uint8_t pkt[96];
	struct bpf_insn *prog;

	if (!len || len > 4096)
		return 0;
	prog = malloc((PREFIX + len) * sizeof(*prog));
	if (!prog)
		return 0;
	prog[0] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_IMM, 0);
	for (unsigned i = 0; i < BPF_MEMWORDS; i++)
		prog[1 + i] = (struct bpf_insn)BPF_STMT(BPF_ST, i);
	memcpy(prog + PREFIX, data + 2, len * sizeof(*prog));
	len += PREFIX;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 37 + data[1]);
	if (bpf_validate(prog, (int)len))
		same(prog, (unsigned)len, pkt, sizeof(pkt) + 4, sizeof(pkt) - (data[1] & 31));
	free(prog);
	return 0;
}
