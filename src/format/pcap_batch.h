/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcap_batch.h - pcap records written with writev(2) from where their bytes
 * lie (the reader's window, reader_rec.h) instead of through a writer's
 * buffer. The bytes are those the pcap writer would write for the same
 * packets; the file header is the writer's (ft__writer_begin()). Not public.
 */
#ifndef FT_PCAP_BATCH_H
#define FT_PCAP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <flowtap/common.h>

/* iovecs per writev(): the kernel's IOV_MAX. */
#define FT__PCAP_BATCH_IOV 1024

struct ft__pcap_batch {
	int fd;		  /* output, blocking or not */
	bool nsec;	  /* pcap-ns: nanosecond timestamps */
	uint32_t snaplen; /* the writer's: longer packets are cut */
	int n;		  /* iovecs in use */
	int nhdr;	  /* hdr[] in use */
	size_t bytes;	  /* bytes the iovecs hold */
	int err;	  /* sticky output error */
	struct iovec iov[FT__PCAP_BATCH_IOV];
	uint8_t hdr[FT__PCAP_BATCH_IOV / 2][16]; /* record headers built here */
};

/* ft__pcap_batch_init - an empty batch writing to @fd. */
void ft__pcap_batch_init(struct ft__pcap_batch *b, int fd, bool nsec, uint32_t snaplen);

/*
 * ft__pcap_batch_add - queue the record of @p. @rec (@reclen bytes) is the
 * record as it lies in the input (header and data), or NULL: when its bytes
 * are the ones the pcap writer would write for @p, they are queued as they
 * are (and joined to the previous record when it lies just before);
 * otherwise a header is built here and the data (cut to the snaplen) queued
 * behind it. The bytes must stay valid until the batch is flushed. May
 * flush. Returns 0 or a negative errno of the output.
 */
int ft__pcap_batch_add(struct ft__pcap_batch *b, const struct ft_pkt *p, const uint8_t *rec,
		       size_t reclen);

/* ft__pcap_batch_flush - write out what is queued (ft__output_fdv()).
 * Returns 0 or a negative errno, sticky. */
int ft__pcap_batch_flush(struct ft__pcap_batch *b);

#endif
