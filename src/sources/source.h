/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * source.h - internal: the parts of a capture source shared by its kinds.
 *
 * Each source has one thread that owns its kernel sockets; the tap's watch
 * callback only asks that thread to re-evaluate (open, close, refilter) and
 * waits until it has, so a session's first packets are not missed.
 */
#ifndef FT_SOURCE_INT_H
#define FT_SOURCE_INT_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <pcap/pcap.h>

#include <flowtap/sources.h>

#include "clock.h"

struct mnl_socket;

#define FT_SOURCE_MAXFD 2

struct ft_source;

struct ft_source_ops {
	/* Open the kernel socket(s); fill errbuf on failure. Returns 0 or -errno. */
	int (*open)(struct ft_source *s, char *errbuf, size_t errlen);
	void (*close)(struct ft_source *s);
	/* Attach @expr ("" for all) in the kernel where possible. Returns 0 or -errno. */
	/* Attach a kernel filter for @expr ("" for none); NULL: the kind has none. */
	int (*set_filter)(struct ft_source *s, const char *expr);
	/* Read what is ready on fd number @i. Returns 0, or -errno when the
	 * socket is dead (interface gone) with a message in errbuf. */
	int (*dispatch)(struct ft_source *s, int i, char *errbuf, size_t errlen);
	/* Optional: work left without a readable socket (packets held back
	 * for ordering). Sets the poll timeout it needs in ms (-1: none) and
	 * the fds not to poll meanwhile (bit i: fds[i], whose next packet is
	 * already held). Returns 0 or -errno (socket dead, errbuf set). */
	int (*pending)(struct ft_source *s, char *errbuf, size_t errlen, int *timeout_ms,
		       unsigned *skip);
	/* Refresh kernel drop counts into s->kdrops_now. */
	void (*refresh)(struct ft_source *s);
};

struct ft_source {
	struct ft_tap *tap;
	struct ft_source_opts o;
	char ifname[64];
	const struct ft_source_ops *ops;
	int dlt;

	pthread_t thr;
	bool thr_started;
	int evfd;
	atomic_bool stop;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t want_gen, done_gen;

	/* Kernel sockets, owned by the source thread once it runs. */
	int fds[FT_SOURCE_MAXFD];
	int nfds;
	bool is_open;
	bool filter_stale; /* set_filter() not yet called on the open sockets */
	pcap_t *pc[2];
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t mcgrp;
	uint32_t last_seq;
	bool have_seq; /* last_seq is valid */
	uint8_t *buf;
	size_t buflen;
	char kfilter[256];
	unsigned ts_mult; /* pcap timestamps: 1 if in ns, 1000 if in us */
	struct ft_source_pctx {
		struct ft_source *s;
		int dirn;
	} pctx[2];
	struct ft_source_head { /* AF_PACKET: next packet of each ring, for merging */
		struct pcap_pkthdr *hdr;
		const u_char *data;
		uint64_t ts;
		bool valid;
		bool ready; /* the ring may have packets: poll said so, none read since */
	} head[2];

	/* Counters: written by the source thread only, read by anyone. */
	_Atomic uint64_t received, bytes, kdrops, seq_gaps, skipped, opens;
	atomic_bool open_flag;
	uint64_t kdrops_closed;	  /* drops of sockets closed already */
	uint64_t kdrops_now;	  /* of the open sockets */
	uint64_t drops_published; /* handed to ft_tap_add_upstream_drops() */
	char kfilter_pub[256];	  /* copy of kfilter for readers, under mu */
	char error[256];	  /* last open failure, under mu */
};

extern const struct ft_source_ops ft__afpacket_ops;
extern const struct ft_source_ops ft__nflog_ops;
extern const struct ft_source_ops ft__psample_ops;

/* Count one packet and offer it to the packet callback (source thread). */
void ft__source_count(struct ft_source *s, uint64_t ts_ns, const uint8_t *ip, uint32_t caplen,
		      uint32_t len, enum ft_dir dir, uint32_t ifindex, uint32_t scale);

/* Map a pcap_activate()/pcap_create() failure to -errno. */
int ft__pcap_errno(int pcap_err);

#endif
