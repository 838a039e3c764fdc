/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reader_rec.h - a pcap record where it lies in the reader's window, for
 * the CLI's fast path (flowtap read -w): the record's bytes go to writev(2)
 * from there instead of being copied through a writer's buffer. Not public.
 */
#ifndef FT_READER_REC_H
#define FT_READER_REC_H

#include <stddef.h>
#include <stdint.h>

#include <flowtap/reader.h>

/*
 * ft__reader_rec - the record last handed out by ft_reader_next() as it
 * lies in the file: its 16-byte pcap record header, then the captured bytes
 * (@len in all). NULL when @r does not read classic pcap through its window
 * (pcapng, pipes, variants libpcap reads). Valid until the reader moves its
 * window: see ft__reader_on_refill().
 */
const uint8_t *ft__reader_rec(const struct ft_reader *r, size_t *len);

/*
 * ft__reader_on_refill - have @fn(@ctx) called (from ft_reader_next())
 * before the window moves or is refilled, the last moment at which records
 * and packet data handed out since the previous call are still valid
 * (not by ft_reader_close(): the caller is done with them by then).
 * NULL @fn: no call. Returns 0, or -ENOTSUP when @r has no window (then
 * ft__reader_rec() always returns NULL).
 */
int ft__reader_on_refill(struct ft_reader *r, void (*fn)(void *ctx), void *ctx);

#endif
