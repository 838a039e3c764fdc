/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/writer.h - capture writers: pcap (us and ns), pcapng, user0 and text.
 *
 * A writer turns ft_pkt records into the bytes of one output format and hands
 * them to an output callback in large chunks. The global header (pcap) or
 * section header (pcapng) is written lazily, on the first packet or at
 * ft_writer_finish() if there was none, so that a stream nobody sent a packet
 * to stays empty until it has something to say (as the established user0
 * stream does) and a finished file is always well-formed.
 */
#ifndef FLOWTAP_WRITER_H
#define FLOWTAP_WRITER_H

#include <flowtap/common.h>
#include <flowtap/text.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ft_format {
	FT_FORMAT_PCAP = 0, /* classic pcap, microsecond timestamps */
	FT_FORMAT_PCAP_NS,  /* classic pcap, nanosecond timestamps */
	FT_FORMAT_PCAPNG,   /* pcapng: one IDB per path or interface, EPB flags carry direction */
	FT_FORMAT_USER0, /* established debug-capture stream: pcap, linktype 147, path/NAT prefix */
	FT_FORMAT_TEXT,	 /* ft_text_format() lines */
};

/**
 * ft_format_parse - parse "pcap", "pcap-ns", "pcapng", "user0" or "text".
 * Returns 0 or FT_EFORMAT.
 */
FT_EXPORT int ft_format_parse(const char *s, enum ft_format *out);
/** ft_format_name - the name ft_format_parse() accepts for @f. */
FT_EXPORT const char *ft_format_name(enum ft_format f);
/** ft_format_content_type - HTTP Content-Type for a stream in format @f. */
FT_EXPORT const char *ft_format_content_type(enum ft_format f);

/**
 * Output callback: consume @len bytes at @data entirely, or fail.
 * Returns 0 or a negative errno (e.g. -EPIPE, -ENOSPC); a failure is sticky
 * in the writer.
 */
typedef int (*ft_output_fn)(void *ctx, const void *data, size_t len);

/**
 * ft_output_fd - an ft_output_fn writing to the file descriptor (int)(intptr_t)ctx,
 * retrying on EINTR and short writes. A pipe or socket whose reader is gone
 * gives -EPIPE and never raises SIGPIPE (the process's signal dispositions
 * are left alone). Returns 0 or -errno.
 */
FT_EXPORT int ft_output_fd(void *ctx, const void *data, size_t len);

/*
 * Writer options. Every packet given to a writer is taken to be of link type
 * @dlt (ft_pkt.dlt is not consulted). pcapng output gets one interface (IDB)
 * per capture path, named by @path_name, or for packets without a path
 * (FT_PATH_NONE) one per ft_pkt.ifid, named "if-N" ("capture" for 0); each
 * EPB carries the direction in epb_flags when it is known. user0 output
 * writes the path and pre-NAT addresses of each packet into its prefix.
 */
struct ft_writer_opts {
	enum ft_format format;
	uint32_t snaplen; /* 0: 262144 (65535 for user0); at most 262144; longer packets are
			     cut, len kept; for user0 it bounds the record, prefix included */
	int dlt; /* DLT_* of the packets (pcap header, pcapng IDB); user0 requires DLT_RAW */
	struct ft_text_opts text;  /* for FT_FORMAT_TEXT */
	ft_path_name_fn path_name; /* names pcapng interfaces; NULL: built-in names */
	const void *path_ctx;
	size_t bufsize;	     /* output chunk size; 0: 256 KiB */
	const char *comment; /* pcapng: the section's comment (SHB opt_comment), up to
			      * 4000 bytes, copied; NULL: none. Other formats ignore it. */
};

struct ft_writer;

/**
 * ft_writer_new - create a writer.
 * @out: receives the writer; free with ft_writer_free().
 * @o: options (copied).
 * @fn, @ctx: output callback and its argument; must stay valid until free.
 * Returns 0, FT_EFORMAT (unknown format), -EINVAL (no @fn, snaplen over
 * 262144, user0 with a non-raw dlt or a snaplen under 36) or -ENOMEM.
 * Memory: one buffer of @bufsize plus the largest record (FT_TEXT_MAX for
 * text), allocated here; nothing is allocated per packet.
 */
FT_EXPORT int ft_writer_new(struct ft_writer **out, const struct ft_writer_opts *o, ft_output_fn fn,
			    void *ctx);

/**
 * ft_writer_write - append one packet. Packets longer than the snaplen are cut;
 * the recorded original length stays @p->len. The bytes go to the output
 * callback only once a chunk of @bufsize has gathered (or on flush/finish).
 * Hot path: no allocation (except a new pcapng interface), no syscall of
 * its own.
 * Returns 0, the sticky negative errno of a failed output, FT_ESTOPPED after
 * ft_writer_finish(), or FT_ELIMIT when a pcapng file would need more than
 * 1024 interfaces (that packet is not written).
 */
FT_EXPORT int ft_writer_write(struct ft_writer *w, const struct ft_pkt *p);

struct ft_peers;

/**
 * ft_writer_set_peers - name the ends of the packets written from now on
 * with @p (peers.h; NULL: no names). The writer takes its own reference.
 * Text prints "addr(name)" (flowtap-text(7)); pcapng puts the names of both
 * ends in each packet's comment and writes a Name Resolution Block for each
 * address before the first packet that uses it (and again after a new
 * table is set). Other formats ignore it. Same thread as ft_writer_write().
 */
FT_EXPORT void ft_writer_set_peers(struct ft_writer *w, struct ft_peers *p);

/** ft_writer_flush - hand buffered bytes to the output. Returns 0 or -errno. */
FT_EXPORT int ft_writer_flush(struct ft_writer *w);

/** ft_writer_pending - bytes buffered and not yet handed to the output. */
FT_EXPORT size_t ft_writer_pending(const struct ft_writer *w);

/** Per-interface counts for the pcapng Interface Statistics Block. */
struct ft_writer_isb {
	uint64_t received;	  /* isb_ifrecv: packets offered */
	uint64_t dropped;	  /* isb_ifdrop: packets lost (buffer full, kernel drops) */
	uint64_t filter_accepted; /* isb_filteraccept */
};

/**
 * ft_writer_finish - end the output: writes the header if no packet came,
 * for pcapng one ISB per interface written, then flushes. The writer accepts
 * no packets afterwards; a second call does nothing and returns 0.
 * @isb: counters of the whole capture, may be NULL. With one interface they
 *       are its ISB's; with several, interface 0's ISB carries them (with a
 *       comment saying so) and the others count the packets written on them
 *       as isb_filteraccept. With no packet and a non-NULL @isb, an interface
 *       named "capture" is declared to hold them.
 * Returns 0 or -errno.
 */
FT_EXPORT int ft_writer_finish(struct ft_writer *w, const struct ft_writer_isb *isb);

/** ft_writer_free - free @w (NULL is allowed); does not flush. */
FT_EXPORT void ft_writer_free(struct ft_writer *w);

#ifdef __cplusplus
}
#endif
#endif
