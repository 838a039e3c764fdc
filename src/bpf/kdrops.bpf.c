// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * kdrops.bpf.c - flowtapd's kernel drop source: a BTF tracepoint program on
 * skb:kfree_skb that copies each dropped packet's headers, the kernel's drop
 * reason, the freeing location and the interface into a BPF ring buffer.
 *
 * tp_btf (a raw tracepoint with BTF-typed arguments) rather than a classic
 * tracepoint: it attaches without tracefs and reads the arguments directly.
 * Compiled once against the build machine's vmlinux.h and relocated by
 * libbpf (CO-RE) against the running kernel's BTF.
 *
 * Only what the operator scoped (network namespaces or interfaces) is
 * copied: everything else costs two field reads and a map lookup. Packets
 * freed as consumed (not dropped) cost a compare.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kdrops_event.h"

/* GPL-compatible: bpf_probe_read_kernel() is a GPL-only helper. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load; read-only, so the verifier knows them. */
const volatile __u32 snaplen = 128;
const volatile __u8 scope_netns = 0; /* only namespaces in netns_allow */
const volatile __u8 scope_if = 0;    /* only interfaces in if_allow */
/* Wake the reader only once this much waits: a wakeup per drop (irq_work
 * and a task wakeup in the dropping context) would cost more than the
 * copy. The reader also polls every 20 ms for what stays below it. */
const volatile __u32 wake_bytes = 65536;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} netns_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct kdrops_ifkey);
	__type(value, __u8);
} if_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KDROPS_CNT_N);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);
	if (c)
		*c += 1; /* per-CPU: no other writer */
}

static __always_inline bool is_drop(__u32 reason)
{
	if (reason == 0) /* SKB_NOT_DROPPED_YET */
		return false;
	/* Kernels from 6.2 free consumed packets with SKB_CONSUMED (1) too. */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return false;
	return true;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kdrops_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct net_device *dev;
	struct kdrops_event *e;
	__u32 ifindex, netns = 0;

	if (!is_drop((__u32)reason))
		return 0;
	/* tp_btf arguments are typed kernel pointers: plain loads (relocated by
	 * CO-RE through vmlinux.h's preserve_access_index), each one
	 * instruction, where BPF_CORE_READ would call bpf_probe_read_kernel. */
	dev = skb->dev;
	if (dev) {
		ifindex = dev->ifindex;
		netns = dev->nd_net.net->ns.inum;
	} else {
		ifindex = skb->skb_iif;
		struct sock *sk = skb->sk;
		netns = sk ? sk->__sk_common.skc_net.net->ns.inum : 0;
	}
	if (scope_if) {
		struct kdrops_ifkey k = {.netns = netns, .ifindex = ifindex};
		if (!bpf_map_lookup_elem(&if_allow, &k))
			return 0;
	} else if (scope_netns) {
		if (!bpf_map_lookup_elem(&netns_allow, &netns))
			return 0;
	}

	__u16 nh = skb->network_header;
	unsigned char *head = skb->head;
	unsigned char *data = skb->data;
	__u32 tail = skb->tail; /* an offset on 64-bit kernels */
	__s64 len = (__s64)skb->len + (data - head) - nh;
	if (nh == (__u16)~0U || len <= 0 || tail <= nh) {
		count(KDROPS_CNT_NOHDR);
		return 0;
	}
	/* One read of the (read-only, so known) snap length for both the
	 * reservation and the copy's bound, so the verifier sees they agree. */
	__u32 snap = snaplen;
	__u64 avail = tail - nh;
	if (avail > (__u64)len)
		avail = (__u64)len;
	__u32 cap = avail > snap ? snap : (__u32)avail;
	/* Bounds the verifier can follow whatever clang made of the above. */
	barrier_var(cap);
	cap &= 2 * KDROPS_SNAP_MAX - 1;
	if (cap > snap)
		cap = snap;

	e = bpf_ringbuf_reserve(&events, sizeof(*e) + snap, 0);
	if (!e) {
		count(KDROPS_CNT_LOST);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->location = (__u64)location;
	e->reason = (__u32)reason;
	e->ifindex = ifindex;
	e->netns = netns;
	e->len = len > 0xffffffffLL ? 0xffffffffU : (__u32)len;
	e->protocol = skb->protocol;
	e->outgoing = BPF_CORE_READ_BITFIELD(skb, pkt_type) == 4; /* PACKET_OUTGOING */
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	if (bpf_probe_read_kernel(e->data, cap, head + nh) < 0)
		cap = 0;
	e->caplen = (__u16)cap;
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes
				  ? BPF_RB_FORCE_WAKEUP
				  : BPF_RB_NO_WAKEUP);
	return 0;
}
