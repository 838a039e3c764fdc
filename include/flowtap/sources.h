/* SPDX-License-Identifier: BSD-2-Clause */
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
 *    in/out interfaces, which flowtap decodes.
 *  - psample group N (tc sample, Open vSwitch sampling) through generic
 *    netlink (libmnl); the tap is DLT_RAW; flowtap decodes one
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

#ifdef __cplusplus
}
#endif
#endif
