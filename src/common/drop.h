/* SPDX-License-Identifier: BSD-2-Clause */
/* drop.h - drop reasons: built-in names and the text every output shows. */
#ifndef FT_DROP_H
#define FT_DROP_H

#include <stddef.h>

#include <flowtap/common.h>

/* Longest where-text kept with a dropped packet (bytes, without the NUL). */
#define FT_DROP_WHERE_MAX 63
/* Longest reason name, without the NUL. */
#define FT_DROP_NAME_MAX 31
/* Longest ft__drop_describe() text, NUL included. */
#define FT_DROP_TEXT_MAX (FT_DROP_NAME_MAX + 16 + 4 + FT_DROP_WHERE_MAX + 1)

/* The name of built-in reason @r ("none" for 0), or NULL. */
const char *ft__drop_builtin_name(unsigned r);

/*
 * The reason of dropped packet @p as people read it in every output:
 * "acl-denied rule 12 at ip_rcv_finish_core+0x1a" (rule and place only when
 * known; "reason-N" for an id without a name). Writes at most @cap bytes,
 * NUL-terminated; returns the length.
 */
size_t ft__drop_describe(char *buf, size_t cap, const struct ft_pkt *p);

/* Copy at most FT_DROP_WHERE_MAX bytes of @where into @dst (not
 * NUL-terminated), keeping one line of printable ASCII: other bytes and
 * parentheses (which end the text marker) become '_'. Returns the length. */
size_t ft__drop_where_copy(char *dst, const char *where);

#endif
