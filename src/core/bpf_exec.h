/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bpf_exec.h - the classic BPF programs pcap_compile() makes, run on the
 * hook's thread without libpcap's general interpreter.
 *
 * bpf_filter() checks every instruction's bounds and every jump as it runs,
 * because it must survive any program; in the hook it took about half of
 * what a session whose filter rejects every packet costs. A program is
 * checked once here instead (known instructions, jumps forward and inside
 * it, a return at the end), and then run with the packet bounds checks
 * only. Results are bpf_filter()'s for every program it accepts; one it
 * refuses (libpcap's "protochain" jumps backwards) stays on bpf_filter().
 */
#ifndef FT_BPF_EXEC_H
#define FT_BPF_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h> /* pcap/bpf.h, with the types it needs */

/* Whether ft__bpf_run() can run the @len instructions at @prog. Not hot. */
bool ft__bpf_runnable(const struct bpf_insn *prog, unsigned len);

/* A copy of the @len instructions at @prog, which ft__bpf_runnable()
 * accepted, where the first instruction of each common sequence (a load
 * and a conditional jump, as pcap_compile() makes for every protocol, port
 * or address test) is replaced by one that runs the whole sequence: about
 * half the dispatches per packet. Its results are the program's. NULL
 * without memory; free() it. Not hot. */
struct bpf_insn *ft__bpf_fuse(const struct bpf_insn *prog, unsigned len);

/* What bpf_filter(@prog, @p, @wirelen, @buflen) returns, for a program
 * ft__bpf_runnable() accepted or its ft__bpf_fuse() copy. Hot path. */
uint32_t ft__bpf_run(const struct bpf_insn *prog, const uint8_t *p, uint32_t wirelen,
		     uint32_t buflen);

#endif
