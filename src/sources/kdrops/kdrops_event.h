/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kdrops_event.h - the record the kfree_skb program writes into its BPF ring
 * buffer and flowtapd reads where it lies; shared by src/bpf/kdrops.bpf.c and
 * the loader, so it uses only fixed-width types both sides know.
 */
#ifndef FT_KDROPS_EVENT_H
#define FT_KDROPS_EVENT_H

/* Largest --drops-snaplen: a ring record is the header plus this many bytes. */
#define KDROPS_SNAP_MAX 1024

struct kdrops_event {
	__u64 ts_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 location; /* the tracepoint's location: return address into the freeing function */
	__u32 reason;	/* enum skb_drop_reason */
	__u32 ifindex;	/* skb->dev's, else skb->skb_iif; 0 if none */
	__u32 netns;	/* inode of the device's network namespace, 0 if none */
	__u32 len;	/* packet length from the network header */
	__u16 caplen;	/* bytes in data[] */
	__u16 protocol; /* skb->protocol (network byte order) */
	__u8 outgoing;	/* skb->pkt_type is PACKET_OUTGOING: dropped on the way out */
	__u8 pad[3];
	__u8 data[]; /* snaplen bytes reserved, caplen valid */
};

/* Per-CPU counters (index): the record could not be reserved (ring full). */
#define KDROPS_CNT_LOST	    0
#define KDROPS_CNT_NOHDR    1 /* a drop without a network header: not captured */
#define KDROPS_CNT_FILTERED 2 /* a drop outside the configured scope */
#define KDROPS_CNT_N	    3

/* Key of the interface scope map: an interface in its namespace. */
struct kdrops_ifkey {
	__u32 netns;
	__u32 ifindex;
};

#endif
