/*
 * flowtap/text.h - one greppable text line per packet, in the spirit of
 * `tcpdump -n` (see flowtap-text(7) for the exact, stable format).
 *
 *   12:34:56.789012 OUT from-local IP 100.64.0.1.54321 > 100.64.0.2.443: Flags [S], seq 1, win 65535, length 0
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
	FT_TIME_LOCAL = 0, /* HH:MM:SS.uuuuuu in local time (default) */
	FT_TIME_UTC,       /* HH:MM:SS.uuuuuu in UTC */
	FT_TIME_DATE,      /* YYYY-MM-DD HH:MM:SS.uuuuuu in local time */
	FT_TIME_DATE_UTC,  /* YYYY-MM-DD HH:MM:SS.uuuuuu in UTC */
	FT_TIME_NONE,      /* no timestamp (tcpdump -t) */
};

#define FT_TEXT_VERBOSE 0x1 /* -v: ttl, id, offset, flags, ip length, tcp options */
#define FT_TEXT_ASCII 0x2   /* -A: printable payload after the line */
#define FT_TEXT_HEX 0x4     /* -x: hex and ASCII dump like tcpdump -X */

struct ft_text_opts {
	unsigned flags;             /* FT_TEXT_* */
	enum ft_time_mode time;     /* timestamp style */
	ft_path_name_fn path_name;  /* NULL: built-in names, else "path-N" */
	const void *path_ctx;       /* passed to path_name */
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
