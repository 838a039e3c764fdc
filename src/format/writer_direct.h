/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * writer_direct.h - what a capture session needs to write pcap records
 * itself, beside its writer: a session hands records to writev(2) where
 * they lie in its rings (session.c) and keeps the writer for the file
 * header and every other record. Not public.
 */
#ifndef FT_WRITER_DIRECT_H
#define FT_WRITER_DIRECT_H

#include <stdbool.h>
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include <sys/uio.h>

#include <flowtap/writer.h>

#include "fd_write.h" /* ft__output_fdv() */

/* ft__writer_begin - put the file header in @w's buffer if it is not there
 * yet, as the first ft_writer_write() would. Returns 0 or the writer's
 * (sticky) error. */
int ft__writer_begin(struct ft_writer *w);

/* ft__pcap_put_rec - the 16-byte pcap record header (pcap and pcap-ns with
 * @nsec), little-endian: what the pcap writer puts before each packet.
 * Inline: the capture hook writes it per packet for a session that writes
 * its records where they lie (rec.h: struct ft_frec). Returns the end. */
static inline uint8_t *ft__pcap_put_rec(uint8_t *p, uint64_t ts_ns, bool nsec, uint32_t caplen,
					uint32_t len)
{
	uint64_t frac = ts_ns % 1000000000u;
	uint32_t h[4] = {
	    htole32((uint32_t)(ts_ns / 1000000000u)),
	    htole32((uint32_t)(nsec ? frac : frac / 1000u)),
	    htole32(caplen),
	    htole32(len > caplen ? len : caplen),
	};

	memcpy(p, h, sizeof(h));
	return p + sizeof(h);
}

#endif
