/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/common.h - types and error codes shared by every part of libflowtap.
 *
 * Conventions used throughout the public API:
 *  - functions return 0 (or a non-negative count) on success and a negative
 *    errno value (-EINVAL, -ENOMEM, ...) or a negative FT_E* code on failure;
 *    ft_strerror() turns either kind into a message;
 *  - the library never prints, exits or aborts on bad input;
 *  - "borrowed" pointers stay owned by the caller and must outlive the call
 *    only, unless a function says otherwise.
 */
#ifndef FLOWTAP_COMMON_H
#define FLOWTAP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FT_BUILDING_LIBRARY)
#define FT_EXPORT __attribute__((visibility("default")))
#else
#define FT_EXPORT
#endif

#define FT_VERSION_STRING "0.1.0"

/*
 * Project-specific error codes. They are negative and below -4095 so they
 * never collide with -errno values.
 */
#define FT_ERRNO_MAP(X)                                                                            \
	X(FILTER, -5001, "bad filter expression")                                                  \
	X(FORMAT, -5002, "unknown output format")                                                  \
	X(CORRUPT, -5003, "corrupt or truncated capture data")                                     \
	X(LINKTYPE, -5004, "unsupported link type")                                                \
	X(STOPPED, -5005, "session already stopped")                                               \
	X(LIMIT, -5006, "limit reached")                                                           \
	X(RUNNING, -5007, "already running")                                                       \
	X(NOPSAMPLE, -5008, "kernel has no psample generic netlink family")                        \
	X(RESOLVE, -5009, "host name did not resolve")

enum {
#define FT_ERR_ENUM(name, val, msg) FT_E##name = (val),
	FT_ERRNO_MAP(FT_ERR_ENUM)
#undef FT_ERR_ENUM
};

/**
 * ft_strerror - message for an error returned by any ft_ function.
 * @err: a negative errno or FT_E* code (the sign is ignored for errno).
 *
 * Returns a static string; never NULL.
 */
FT_EXPORT const char *ft_strerror(int err);

/** Size of the error buffers that parse functions fill (filter messages etc). */
#define FT_ERRBUF_SIZE 256

/** Direction of a packet relative to the local host. */
enum ft_dir {
	FT_DIR_UNKNOWN = 0,
	FT_DIR_IN = 1,	/* arriving at the local host / local stack */
	FT_DIR_OUT = 2, /* leaving the local host toward the network or a peer */
};

/**
 * Capture paths: where in a datapath a packet was seen. The numbers of the
 * four built-in paths are those of the established debug-capture stream, so
 * a user0 file carries the same values. Paths 4..255 may be registered by a
 * datapath with a name (ft_tap_path_register()); 254 is conventionally the
 * "disco" (peer discovery) path.
 */
enum ft_path {
	FT_PATH_FROM_LOCAL = 0,		  /* local stack into the datapath */
	FT_PATH_FROM_PEER = 1,		  /* received from a peer, after decryption */
	FT_PATH_SYNTHESIZED_TO_LOCAL = 2, /* made by the datapath, delivered locally */
	FT_PATH_SYNTHESIZED_TO_PEER = 3,  /* made by the datapath, sent to a peer */
	FT_PATH_DROPPED = 253,		  /* "dropped": where user0 output puts packets a
					   * datapath dropped (tap.h); not registrable */
	FT_PATH_MAX = 255,
	FT_PATH_NONE = 0xffff, /* not captured by a datapath hook (plain files) */
};

/**
 * ft_path_builtin_name - name of a built-in path ("from-local", "from-peer",
 * "synthesized-to-local", "synthesized-to-peer"), or NULL for other numbers.
 */
FT_EXPORT const char *ft_path_builtin_name(unsigned path);

/**
 * ft_path_builtin_dir - the direction a built-in path implies (from-local and
 * synthesized-to-peer are FT_DIR_OUT, the other two FT_DIR_IN); FT_DIR_UNKNOWN
 * for other paths.
 */
FT_EXPORT enum ft_dir ft_path_builtin_dir(unsigned path);

/**
 * Resolves a path number to a name. Used by writers and the text formatter;
 * a tap provides one (ft_tap_path_name). Returns NULL when unknown, in which
 * case "path-N" is used.
 */
typedef const char *(*ft_path_name_fn)(const void *ctx, unsigned path);

/** An IPv4 or IPv6 address; len is 0 (absent), 4 or 16. */
struct ft_addr {
	uint8_t len;
	uint8_t b[16];
};

/**
 * ft_addr_parse - parse "1.2.3.4" or "fd7a::1" into @a.
 * Returns 0 or -EINVAL.
 */
FT_EXPORT int ft_addr_parse(const char *s, struct ft_addr *a);

/**
 * ft_addr_format - write @a as text into @buf (at least 46 bytes).
 * An absent address (len 0) formats as "". Returns @buf.
 */
FT_EXPORT char *ft_addr_format(const struct ft_addr *a, char *buf, size_t len);

/**
 * A packet with its capture metadata, as handed between readers, taps,
 * filters and writers. @data is borrowed: it is valid only for the call it
 * is passed to.
 */
struct ft_pkt {
	uint64_t ts_ns;		/* capture time, ns since the Unix epoch (UTC) */
	const uint8_t *data;	/* captured bytes, @caplen of them */
	uint32_t caplen;	/* bytes present at @data */
	uint32_t len;		/* length of the packet on the wire (>= caplen) */
	int dlt;		/* libpcap DLT_* of @data (DLT_RAW for datapath hooks) */
	uint16_t path;		/* enum ft_path or a registered path; FT_PATH_NONE if none */
	uint8_t dir;		/* enum ft_dir */
	uint32_t ifid;		/* interface or peer id, 0 if none */
	struct ft_addr nat_src; /* pre-SNAT source, len 0 if none */
	struct ft_addr nat_dst; /* pre-DNAT destination, len 0 if none */
	/* A dropped packet (tap.h, ft_tap_drop()); all zero/NULL otherwise. */
	uint16_t drop_reason;	/* enum ft_drop_reason or a registered id; 0: not dropped */
	uint32_t drop_rule;	/* the policy rule that dropped it, 0 if none */
	const char *drop_name;	/* the reason's name; NULL: the built-in name or "reason-N" */
	const char *drop_where; /* where it was dropped, NUL-terminated, or NULL */
};

/**
 * ft_dlt_to_linktype - the LINKTYPE_* number that pcap and pcapng files
 * carry for a libpcap DLT_* value (they differ for a few, e.g. DLT_RAW is 12
 * on Linux and LINKTYPE_RAW is 101).
 */
FT_EXPORT int ft_dlt_to_linktype(int dlt);

/** Linktype of the established user0 debug-capture stream (LINKTYPE_USER0). */
#define FT_LINKTYPE_USER0 147

#ifdef __cplusplus
}
#endif
#endif
