/*
 * flowtap/sources.h - kernel capture sources feeding taps and flow counters.
 *
 * A source reads packets from the kernel on its own thread and offers them to
 * a tap it owns (so capture sessions see them like a datapath's packets) and,
 * optionally, to a packet callback that updates flow counters. Three kinds:
 *
 *  - AF_PACKET on a named interface (eth0, wg0, tun0, "any") through libpcap,
 *    TPACKET_V3 rings. Direction comes from the kernel's packet type: the
 *    source opens one ring per direction, each with an in-kernel filter
 *    "inbound and (E)" / "outbound and (E)", where E is the filter every
 *    attached session shares (ft_tap_shared_filter()), so packets no session
 *    wants never reach userspace. The tap is named after the interface, has
 *    the interface's link type and one path named after the interface. The
 *    two rings are merged back into time order (a packet waits at most 25 ms).
 *  - NFLOG group N (nft ... log group N) through libpcap's "nflog:N" device.
 *    The tap has link type DLT_NFLOG so captures keep the log prefix and the
 *    in/out interfaces; ft_nflog_decode() reads them.
 *  - psample group N (tc sample, Open vSwitch sampling) through generic
 *    netlink (libmnl); the tap is DLT_RAW; ft_psample_decode() decodes one
 *    message; flow counts are scaled by the sampling rate.
 *
 * Sockets are open only while a session watches the tap, unless the source
 * has a packet callback (flow logs need every packet) - then always.
 */
#ifndef FLOWTAP_SOURCES_H
#define FLOWTAP_SOURCES_H

#include <flowtap/common.h>
#include <flowtap/tap.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ft_source_kind {
	FT_SOURCE_AFPACKET = 0,
	FT_SOURCE_NFLOG = 1,
	FT_SOURCE_PSAMPLE = 2,
};

/**
 * The one path of a source's tap, registered with the interface's name (for
 * AF_PACKET; characters outside [A-Za-z0-9_.-] become '_'), "nflog-N" or
 * "psample-N"; so pcapng files name the interface. Direction is per packet.
 */
#define FT_SOURCE_PATH 4

/**
 * A packet as handed to the packet callback: the IP packet inside whatever
 * link-layer or NFLOG/psample framing the kernel delivered (non-IP packets are
 * not handed over). @scale is how many packets this one stands for (the
 * psample 1-in-N rate; 1 for the other kinds).
 */
struct ft_source_pkt {
	uint64_t ts_ns;
	const uint8_t *ip; /* borrowed for the duration of the call */
	uint32_t caplen;   /* bytes present at @ip */
	uint32_t len;	   /* the IP packet's length on the wire */
	uint8_t dir;	   /* enum ft_dir */
	uint32_t ifindex;  /* interface it crossed, 0 if unknown */
	uint32_t scale;
};

/** Called on the source's thread for every IP packet read. Hot path. */
typedef void (*ft_source_pkt_fn)(void *ctx, const struct ft_source_pkt *p);

struct ft_source_opts {
	enum ft_source_kind kind;
	const char *ifname;	    /* FT_SOURCE_AFPACKET: interface name (copied) */
	unsigned group;		    /* FT_SOURCE_NFLOG / FT_SOURCE_PSAMPLE: group number */
	size_t buffer_size;	    /* kernel ring/socket buffer in bytes; 0: 32 MiB */
	uint32_t snaplen;	    /* 0: 262144 */
	ft_source_pkt_fn on_packet; /* optional; when set the source reads always */
	void *on_packet_ctx;
};

/** ft_source_opts_init - zero @o (AF_PACKET, default sizes, no callback). */
FT_EXPORT void ft_source_opts_init(struct ft_source_opts *o);

struct ft_source;

/**
 * ft_source_new - create a source, its tap, and start its thread.
 * The kernel socket is opened now once to check that it can be (so a missing
 * interface, missing permission or a kernel without psample is reported here)
 * and kept open only if the source reads always.
 * @errbuf: receives a message naming the problem on failure (may be NULL).
 * Returns 0, -EINVAL, -ENOMEM, -ENODEV (no such interface), -EPERM,
 * FT_ENOPSAMPLE, or another -errno from the kernel.
 * Free with ft_source_free().
 */
FT_EXPORT int ft_source_new(struct ft_source **out, const struct ft_source_opts *o, char *errbuf,
			    size_t errlen);

/**
 * ft_source_free - stop the thread, close the sockets and free the tap (which
 * stops its sessions, recording their final stats). NULL is allowed.
 */
FT_EXPORT void ft_source_free(struct ft_source *s);

/** ft_source_tap - the source's tap (owned by the source). */
FT_EXPORT struct ft_tap *ft_source_tap(const struct ft_source *s);

/** ft_source_kind_name - "afpacket", "nflog" or "psample". */
FT_EXPORT const char *ft_source_kind_name(enum ft_source_kind k);

/** Counters of a source since it was created. */
struct ft_source_stats {
	enum ft_source_kind kind;
	bool open;		 /* a kernel socket is open now */
	uint64_t received;	 /* packets that reached userspace */
	uint64_t bytes;		 /* their wire bytes */
	uint64_t kernel_drops;	 /* dropped by the kernel (ring full, ENOBUFS) */
	uint64_t seq_gaps;	 /* psample: samples missing by group sequence */
	uint64_t skipped;	 /* messages of another group or not decodable */
	uint64_t opens;		 /* times the socket was opened */
	char kernel_filter[256]; /* filter attached in the kernel, "" for none */
	char error[256];	 /* why the last (re)open failed, "" if it did not */
};

/** ft_source_get_stats - read @s's counters (any thread). */
FT_EXPORT void ft_source_get_stats(const struct ft_source *s, struct ft_source_stats *st);

/* --- decoders: pure functions over a byte buffer (tested and fuzzed) --- */

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
 * ft_psample_decode - decode one generic netlink message (struct nlmsghdr,
 * struct genlmsghdr, attributes) of the psample family @family_id.
 * Every byte is read bounds-checked; unknown attributes are counted and
 * skipped, known ones of the wrong size are counted as malformed.
 * Returns 0, -EINVAL (not a PSAMPLE_CMD_SAMPLE of that family) or FT_ECORRUPT
 * (truncated header or attribute running past the message).
 */
FT_EXPORT int ft_psample_decode(const void *buf, size_t len, uint16_t family_id,
				struct ft_psample_msg *m);

/**
 * ft_psample_scale - how many packets one sample of @m stands for: the rate,
 * or with the probability flag UINT32_MAX / rate rounded (at least 1).
 */
FT_EXPORT uint32_t ft_psample_scale(const struct ft_psample_msg *m);

/**
 * ft_psample_l3 - whether @m's data starts at the IP header (sampled on a
 * layer-3 device such as a tun or WireGuard interface) rather than at an
 * Ethernet header: the protocol attribute says IPv4/IPv6, the first nibble
 * has that version, and the Ethernet type field does not hold it.
 */
FT_EXPORT bool ft_psample_l3(const struct ft_psample_msg *m);

/**
 * ft_psample_seq_gap - samples missing between the previous group sequence
 * number @last and the next one, @seq (wrapping u32; the kernel counts from
 * 0). A repeated or older number (reordering) is no loss. Returns the gap.
 */
FT_EXPORT uint32_t ft_psample_seq_gap(uint32_t last, uint32_t seq);

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
 * ft_nflog_decode - decode a DLT_NFLOG record as libpcap delivers it (the
 * nflog header and its TLVs, lengths in host byte order, padded to 4 bytes).
 * Returns 0 or FT_ECORRUPT (truncated header or TLV).
 */
FT_EXPORT int ft_nflog_decode(const void *buf, size_t len, struct ft_nflog_msg *m);

/**
 * ft_frame_ip - find the IP packet in a frame of link type @dlt
 * (EN10MB with up to two VLAN tags, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6,
 * NFLOG). Returns the offset of the IP header, or -1 if it has none.
 */
FT_EXPORT int ft_frame_ip(int dlt, const uint8_t *p, uint32_t caplen);

#ifdef __cplusplus
}
#endif
#endif
