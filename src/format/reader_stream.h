/* SPDX-License-Identifier: BSD-2-Clause */
/* reader_stream.h - a reader on a stream the caller feeds (flowtap capture
 * formats its live pcapng stream through it, as flowtap read does a file). */
#ifndef FT_READER_STREAM_H
#define FT_READER_STREAM_H

#include <stdio.h>

#include <flowtap/reader.h>

/*
 * ft__reader_open_stream - ft_reader_open() on @fp, which the reader takes
 * over (ft_reader_close() closes it; so does a failed open). The reader
 * reads no further than it must: up to the first interface when opening
 * pcapng, up to the end of the next packet block in ft_reader_next(), so a
 * caller that feeds whole blocks never makes it wait for more.
 * Returns as ft_reader_open().
 */
int ft__reader_open_stream(struct ft_reader **out, FILE *fp, char *errbuf);

/*
 * ft__reader_ifname - the name of pcapng interface @ifid (a packet's ifid)
 * when flowtap wrote the file and the name is that of a path the file does
 * not number ("disco", a path the datapath registered), else NULL. Valid
 * until the next ft_reader_next().
 */
const char *ft__reader_ifname(const struct ft_reader *r, uint32_t ifid);

/*
 * ft__reader_peers - the "peers src NAME dst NAME" comment flowtap's pcapng
 * writer gave the last packet read (@len bytes, not NUL-terminated), or
 * NULL. Valid until the next ft_reader_next().
 */
const char *ft__reader_peers(const struct ft_reader *r, size_t *len);

#endif
