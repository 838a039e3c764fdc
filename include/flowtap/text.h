/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/text.h - one greppable text line per packet, in the spirit of
 * `tcpdump -n` (see flowtap-text(7) for the exact, stable format).
 *
 *   12:34:56.789012 OUT from-local IP 100.64.0.1.54321 > 100.64.0.2.443: Flags [S], seq 1, win
 * 65535, length 0
 *
 * The direction and path fields appear only when known.
 */
#ifndef FLOWTAP_TEXT_H
#define FLOWTAP_TEXT_H

#include <flowtap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ft_time_mode {
	FT_TIME_LOCAL = 0,   /* HH:MM:SS.uuuuuu in local time (default) */
	FT_TIME_UTC,	     /* HH:MM:SS.uuuuuu in UTC */
	FT_TIME_DATE,	     /* YYYY-MM-DD HH:MM:SS.uuuuuu in local time */
	FT_TIME_DATE_UTC,    /* YYYY-MM-DD HH:MM:SS.uuuuuu in UTC */
	FT_TIME_NONE,	     /* no timestamp (tcpdump -t) */
	FT_TIME_EPOCH,	     /* seconds.uuuuuu since 1970 (tcpdump -tt) */
	FT_TIME_DELTA,	     /* " HH:MM:SS.uuuuuu" since the previous packet (-ttt) */
	FT_TIME_SINCE_FIRST, /* " HH:MM:SS.uuuuuu" since the first packet (-ttttt) */
};

#define FT_TEXT_VERBOSE	 0x1   /* -v: ttl, id, offset, flags, ip length, tcp options */
#define FT_TEXT_ASCII	 0x2   /* -A: printable payload after the line */
#define FT_TEXT_HEX	 0x4   /* hex and ASCII dump like tcpdump -X */
#define FT_TEXT_HEXONLY	 0x8   /* hex dump without ASCII, like tcpdump -x */
#define FT_TEXT_DUMPLINK 0x10  /* dumps include the link-level header (-xx, -XX, -AA) */
#define FT_TEXT_VERBOSE2 0x20  /* -vv (implies nothing by itself: set VERBOSE too) */
#define FT_TEXT_VERBOSE3 0x40  /* -vvv */
#define FT_TEXT_QUICK	 0x80  /* -q: less protocol detail ("tcp 100") */
#define FT_TEXT_LINKHDR	 0x100 /* -e: print the link-level header */
#define FT_TEXT_ABSSEQ	 0x200 /* -S: absolute TCP sequence numbers */
#define FT_TEXT_NUMBER	 0x400 /* -#: a packet number before each line */

/**
 * struct ft_text_state - what tcpdump remembers between packets: each TCP
 * connection's initial sequence numbers (relative numbers), the previous and
 * first timestamps (FT_TIME_DELTA, FT_TIME_SINCE_FIRST) and the packet
 * number. Bounded: a fixed table of connections (keyed with a random secret,
 * the least recently seen evicted), so neither memory nor time per packet
 * grows with what a peer sends. Without a state, sequence numbers are
 * printed absolute and deltas are 0. Not thread-safe: one per output.
 */
struct ft_text_state;

/**
 * ft_text_state_new - a state for @slots connections (0: a default of 16384;
 * rounded up to a power of two, at most 1 << 20).
 * Returns 0 or -ENOMEM.
 */
FT_EXPORT int ft_text_state_new(struct ft_text_state **out, unsigned slots);
/** ft_text_state_free - frees @st (NULL is fine). */
FT_EXPORT void ft_text_state_free(struct ft_text_state *st);

struct ft_peers;

struct ft_text_opts {
	unsigned flags;		     /* FT_TEXT_* */
	enum ft_time_mode time;	     /* timestamp style */
	ft_path_name_fn path_name;   /* NULL: built-in names, else "path-N" */
	const void *path_ctx;	     /* passed to path_name */
	struct ft_text_state *state; /* NULL: stateless (absolute sequence numbers) */
	/* NULL: addresses only. Else each IP endpoint found in the table is
	 * followed by its node name: "100.64.0.2(laptop-b).443" (peers.h);
	 * borrowed for the call. */
	const struct ft_peers *peers;
};

/**
 * A caller-owned output buffer. The formatter appends at p + len and never
 * writes past cap; when output does not fit, it is cut and overflow is set.
 */
struct ft_strbuf {
	char *p;
	size_t len;
	size_t cap;
	bool overflow;
};

/** A buffer of this size always holds one formatted packet of up to 65535
 * bytes with -x and -A. Larger packets (libpcap takes up to 262144 bytes)
 * need ft_text_size_max(). */
#define FT_TEXT_MAX (512 * 1024)

/**
 * ft_text_size_max - the most ft_text_format() appends for one packet.
 * @caplen: captured bytes of the packet
 * @flags: the FT_TEXT_* flags it will be formatted with
 *
 * A buffer with this much room (NUL included) always holds the packet's
 * whole text: nothing is cut and overflow stays false. Pure function;
 * thread-safe. Returns a size in bytes.
 */
FT_EXPORT size_t ft_text_size_max(uint32_t caplen, unsigned flags);

/**
 * ft_text_format - append the text for @pkt to @out.
 * @pkt: the packet; its dlt selects the link-layer decoder (Ethernet, raw IP,
 *       Linux SLL/SLL2, NULL/loopback, NFLOG, PPP, Cisco HDLC, and user0
 *       records (147) whose prefix is decoded here if the reader left it in
 *       place; others print as unsupported). Its dir, path and nat_src/nat_dst fill the IN/OUT,
 *       path and "[pre-nat ...]" fields when set.
 * @o: options, may be NULL for defaults (local time, no flags).
 * @out: destination; one line ending in '\n', followed by the -x then -A
 *       dump lines. The text is NUL-terminated (the NUL is not counted in
 *       out->len), so out->cap - out->len must leave room for it.
 *
 * Every packet byte is read bounds-checked: truncated or garbage input prints
 * a marker such as "[|tcp]" and never reads outside @pkt->data.
 * Hot path: no allocation, no system call (the time of day is converted once
 * per second per thread). Thread-safe; only @out must not be shared.
 * Returns the number of bytes appended (0 if @out was already full).
 */
FT_EXPORT size_t ft_text_format(const struct ft_pkt *pkt, const struct ft_text_opts *o,
				struct ft_strbuf *out);

#ifdef __cplusplus
}
#endif
#endif
