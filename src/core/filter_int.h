/* SPDX-License-Identifier: BSD-2-Clause */
/* filter_int.h - the compiled filter as the hook runs it, and structured
 * filters rendered as tcpdump expressions; internal to the library
 * (tested, not part of the ABI). */
#ifndef FT_FILTER_INT_H
#define FT_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf_exec.h"

struct ft_filter {
	struct bpf_insn *fused; /* ft__bpf_fuse() of prog: ft__bpf_run() runs it */
	bool all;		/* empty expression: skip the BPF program entirely */
	struct bpf_program prog;
};

/* ft_filter_match(), inline for the hook (no call per session and packet
 * but the interpreter's). What pcap_offline_filter() decides: ft__bpf_run()
 * where it can (bpf_exec.h), else the same bpf_filter() call. Both only
 * read the program and the packet, so any number of threads may share @f. */
static inline bool ft__filter_match(const struct ft_filter *f, const uint8_t *data, uint32_t caplen,
				    uint32_t len)
{
	if (!f || f->all)
		return true;
	if (__builtin_expect(f->fused != NULL, 1))
		return ft__bpf_run(f->fused, data, len, caplen) != 0;
	return bpf_filter(f->prog.bf_insns, data, len, caplen) != 0;
}

/** A structured filter; unset fields (NULL, 0) are not constrained. */
struct ft_filter_spec {
	const char *host, *src_host, *dst_host; /* address */
	const char *net;			/* CIDR */
	uint16_t port, src_port, dst_port;
	const char *proto; /* "tcp", "udp", "icmp", "icmp6", "ip", "ip6" */
};

/**
 * ft__filter_render - render @s as a tcpdump expression into @buf.
 * Returns the length, -EINVAL for a value that is not an address/CIDR/protocol
 * name (nothing is passed through unchecked), or -ENOSPC.
 */
int ft__filter_render(const struct ft_filter_spec *s, char *buf, size_t len);

#endif
