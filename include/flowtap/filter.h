/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/filter.h - packet selection: the tcpdump filter language (compiled
 * by libpcap), a structured filter that renders to an expression, and the
 * path/direction selection that libpcap has no words for.
 */
#ifndef FLOWTAP_FILTER_H
#define FLOWTAP_FILTER_H

#include <flowtap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A set of capture paths 0..255. */
struct ft_pathset {
	uint64_t bits[4];
};

/** ft_pathset_all - a set with every path. */
FT_EXPORT void ft_pathset_all(struct ft_pathset *s);
/** ft_pathset_clear - an empty set. */
FT_EXPORT void ft_pathset_clear(struct ft_pathset *s);
/** ft_pathset_add - add @path (0..255); returns 0 or -ERANGE. */
FT_EXPORT int ft_pathset_add(struct ft_pathset *s, unsigned path);
/** ft_pathset_has - whether @path is in @s (paths over 255 never are). */
static inline bool ft_pathset_has(const struct ft_pathset *s, unsigned path)
{
	return path < 256 && (s->bits[path >> 6] >> (path & 63)) & 1;
}

/**
 * ft_pathset_parse - parse a comma-separated list of path names or numbers
 * ("from-local,from-peer,254"), resolving names with @fn (may be NULL for the
 * built-in names). Returns 0, or -EINVAL with @errbuf naming the bad entry.
 */
FT_EXPORT int ft_pathset_parse(struct ft_pathset *s, const char *list, ft_path_name_fn fn,
			       const void *ctx, char *errbuf, size_t errlen);

/** ft_dir_parse - parse "in", "out" or "any"/"" (FT_DIR_UNKNOWN). Returns 0 or -EINVAL. */
FT_EXPORT int ft_dir_parse(const char *s, enum ft_dir *out);

struct ft_filter;

/**
 * ft_filter_compile - compile a tcpdump filter expression for packets of
 * link type @dlt (DLT_RAW for datapath hooks).
 * @expr: the expression; NULL or "" matches everything.
 * @errbuf: on FT_EFILTER, libpcap's message naming the problem.
 * Returns 0, FT_EFILTER or -ENOMEM. Free with ft_filter_free().
 */
FT_EXPORT int ft_filter_compile(struct ft_filter **out, int dlt, const char *expr,
				char *errbuf, size_t errlen);

/**
 * ft_filter_match - whether @p passes. Hot path: no allocation, no lock, no
 * syscall; safe from any number of threads at once.
 */
FT_EXPORT bool ft_filter_match(const struct ft_filter *f, const uint8_t *data, uint32_t caplen,
			       uint32_t len);

/** ft_filter_match_all - whether @f accepts everything (empty expression). */
FT_EXPORT bool ft_filter_match_all(const struct ft_filter *f);

/** ft_filter_free - free @f (NULL allowed). */
FT_EXPORT void ft_filter_free(struct ft_filter *f);

#ifdef __cplusplus
}
#endif
#endif
