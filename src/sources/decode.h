/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decode.h - the sources' decoders: pure functions over a byte buffer
 * (psample and NFLOG netlink messages, the IP packet in a frame), tested
 * and fuzzed. Internal to the library: not part of the ABI.
 */
#ifndef FT_SOURCES_DECODE_H
#define FT_SOURCES_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Attributes of linux/psample.h, including those newer than some installed headers. */
enum {
	FT_PSAMPLE_ATTR_IIFINDEX = 0,
	FT_PSAMPLE_ATTR_OIFINDEX = 1,
	FT_PSAMPLE_ATTR_ORIGSIZE = 2,
	FT_PSAMPLE_ATTR_SAMPLE_GROUP = 3,
	FT_PSAMPLE_ATTR_GROUP_SEQ = 4,
	FT_PSAMPLE_ATTR_SAMPLE_RATE = 5,
	FT_PSAMPLE_ATTR_DATA = 6,
	FT_PSAMPLE_ATTR_GROUP_REFCOUNT = 7,
	FT_PSAMPLE_ATTR_TUNNEL = 8,
	FT_PSAMPLE_ATTR_PAD = 9,
	FT_PSAMPLE_ATTR_OUT_TC = 10,
	FT_PSAMPLE_ATTR_OUT_TC_OCC = 11,
	FT_PSAMPLE_ATTR_LATENCY = 12,
	FT_PSAMPLE_ATTR_TIMESTAMP = 13,
	FT_PSAMPLE_ATTR_PROTO = 14,
	FT_PSAMPLE_ATTR_USER_COOKIE = 15,
	FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY = 16,
};

/* Bits of ft_psample_msg.present: 1u << FT_PSAMPLE_ATTR_*. */
#define FT_PSAMPLE_HAS(m, attr) (((m)->present >> (attr)) & 1u)

/** One decoded PSAMPLE_CMD_SAMPLE message. Pointers point into the buffer. */
struct ft_psample_msg {
	uint32_t present; /* which attributes were present and well-formed */
	uint16_t iif, oif;
	uint32_t origsize;
	uint32_t group;
	uint32_t group_seq;
	uint32_t rate; /* 1-in-N, or a probability scaled 0..UINT32_MAX when probability */
	bool probability;
	uint32_t group_refcount;
	uint16_t out_tc;
	uint64_t out_tc_occ; /* bytes */
	uint64_t latency_ns;
	uint64_t timestamp_ns;
	uint16_t proto; /* host order, e.g. 0x0800 */
	const uint8_t *data;
	uint32_t data_len;
	const uint8_t *cookie;
	uint32_t cookie_len;
	const uint8_t *tunnel; /* nested PSAMPLE_TUNNEL_KEY_ATTR_*, undecoded */
	uint32_t tunnel_len;
	unsigned unknown;   /* attributes of a type this decoder does not know (skipped) */
	unsigned malformed; /* known attributes with a wrong length (skipped) */
};

/**
 * ft__psample_decode - decode one generic netlink message (struct nlmsghdr,
 * struct genlmsghdr, attributes) of the psample family @family_id.
 * Every byte is read bounds-checked; unknown attributes are counted and
 * skipped, known ones of the wrong size are counted as malformed.
 * Returns 0, -EINVAL (not a PSAMPLE_CMD_SAMPLE of that family) or FT_ECORRUPT
 * (truncated header or attribute running past the message).
 */
int ft__psample_decode(const void *buf, size_t len, uint16_t family_id, struct ft_psample_msg *m);

/**
 * ft__psample_scale - how many packets one sample of @m stands for: the rate,
 * or with the probability flag UINT32_MAX / rate rounded (at least 1).
 */
uint32_t ft__psample_scale(const struct ft_psample_msg *m);

/**
 * ft__psample_l3 - whether @m's data starts at the IP header (sampled on a
 * layer-3 device such as a tun or WireGuard interface) rather than at an
 * Ethernet header: the protocol attribute says IPv4/IPv6, the first nibble
 * has that version, and the Ethernet type field does not hold it.
 */
bool ft__psample_l3(const struct ft_psample_msg *m);

/**
 * ft__psample_seq_gap - samples missing between the previous group sequence
 * number @last and the next one, @seq (wrapping u32; the kernel counts from
 * 0). A repeated or older number (reordering) is no loss. Returns the gap.
 */
uint32_t ft__psample_seq_gap(uint32_t last, uint32_t seq);

/** One decoded DLT_NFLOG record (pointers into the buffer). */
struct ft_nflog_msg {
	uint8_t family; /* AF_INET, AF_INET6, ... */
	uint16_t resource_id;
	uint16_t hw_protocol;
	uint32_t indev, outdev, physindev, physoutdev;
	uint32_t uid, gid;
	uint64_t ts_ns;	  /* 0 if the record has no timestamp */
	char prefix[128]; /* NUL-terminated, cut if longer */
	const uint8_t *payload;
	uint32_t payload_len;
	unsigned unknown;
};

/**
 * ft__nflog_decode - decode a DLT_NFLOG record as libpcap delivers it (the
 * nflog header and its TLVs, lengths in host byte order, padded to 4 bytes).
 * Returns 0 or FT_ECORRUPT (truncated header or TLV).
 */
int ft__nflog_decode(const void *buf, size_t len, struct ft_nflog_msg *m);

/**
 * ft__frame_ip - find the IP packet in a frame of link type @dlt
 * (EN10MB with up to two VLAN tags, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6,
 * NFLOG). Returns the offset of the IP header, or -1 if it has none.
 */
int ft__frame_ip(int dlt, const uint8_t *p, uint32_t caplen);

#endif
