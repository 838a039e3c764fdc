/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/reader.h - read pcap and pcapng files (every link type libpcap
 * reads) and user0 debug-capture streams.
 *
 * user0 records are unwrapped: the path and pre-NAT addresses go into the
 * ft_pkt metadata and the packet handed out is the raw IP packet (DLT_RAW).
 */
#ifndef FLOWTAP_READER_H
#define FLOWTAP_READER_H

#include <flowtap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_reader;

/**
 * ft_reader_open - open a capture file.
 * @out: receives the reader; close with ft_reader_close().
 * @path: file name, or "-" for standard input.
 * @errbuf: FT_ERRBUF_SIZE bytes; on failure, libpcap's message.
 * Returns 0, FT_ECORRUPT (not a capture file) or -errno.
 */
FT_EXPORT int ft_reader_open(struct ft_reader **out, const char *path, char *errbuf);

/**
 * ft_reader_next - read the next packet into @p (its data is valid until the
 * next call). Timestamps have nanosecond precision whatever the file's.
 * Packets of classic pcap files have path FT_PATH_NONE and no direction (for
 * pcapng, see ft_reader_is_pcapng()); packets of
 * user0 files carry the record's path, the direction it implies and the
 * pre-NAT addresses, and p->data is the IP packet behind the prefix.
 * Returns 1 for a packet, 0 at the end of the file, or FT_ECORRUPT for a
 * corrupt or truncated file (ft_reader_error() says why). A file-level error
 * is sticky; a user0 record whose prefix is malformed yields FT_ECORRUPT
 * once and the next call goes on with the next record.
 */
FT_EXPORT int ft_reader_next(struct ft_reader *r, struct ft_pkt *p);

/** ft_reader_dlt - DLT_* of the packets handed out (DLT_RAW for user0 files). */
FT_EXPORT int ft_reader_dlt(const struct ft_reader *r);

/** ft_reader_snaplen - the file's snapshot length. */
FT_EXPORT uint32_t ft_reader_snaplen(const struct ft_reader *r);

/** ft_reader_is_user0 - whether the file is a user0 debug-capture stream. */
FT_EXPORT bool ft_reader_is_user0(const struct ft_reader *r);

/**
 * ft_reader_is_pcapng - whether the file is pcapng (rather than classic pcap).
 * pcapng is read by flowtap itself: each packet carries the link type of its
 * interface (a file may mix them; ft_reader_dlt() is the first interface's),
 * the path its interface is named after ("from-local", "path-7", ... as
 * flowtap writes them; otherwise FT_PATH_NONE and ifid = the interface
 * number) and the direction in its epb_flags.
 */
FT_EXPORT bool ft_reader_is_pcapng(const struct ft_reader *r);

/** ft_reader_error - message for the last failure; "" if none. */
FT_EXPORT const char *ft_reader_error(const struct ft_reader *r);

/** ft_reader_close - close @r (NULL is allowed). */
FT_EXPORT void ft_reader_close(struct ft_reader *r);

/**
 * ft_user0_parse - split one user0 record body (@data, @len bytes) into its
 * path, pre-NAT source, pre-NAT destination and the IP packet that follows.
 * @p: receives path, the direction the path implies (ft_path_builtin_dir),
 *      and the addresses; p->data/caplen point at the IP packet; p->len,
 *      ts_ns and dlt are left alone.
 * Returns 0 or FT_ECORRUPT (truncated prefix or address length not 0/4/16;
 * then @p's addresses are cleared and nothing else is changed).
 */
FT_EXPORT int ft_user0_parse(const uint8_t *data, uint32_t len, struct ft_pkt *p);

#ifdef __cplusplus
}
#endif
#endif
