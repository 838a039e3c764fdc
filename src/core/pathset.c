/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: sets of capture paths and direction names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/filter.h>

FT_EXPORT void ft_pathset_all(struct ft_pathset *s)
{
	memset(s->bits, 0xff, sizeof(s->bits));
}

FT_EXPORT void ft_pathset_clear(struct ft_pathset *s)
{
	memset(s->bits, 0, sizeof(s->bits));
}

FT_EXPORT int ft_pathset_add(struct ft_pathset *s, unsigned path)
{
	if (path > FT_PATH_MAX)
		return -ERANGE;
	s->bits[path >> 6] |= UINT64_C(1) << (path & 63);
	return 0;
}

static const char *path_name(ft_path_name_fn fn, const void *ctx, unsigned path)
{
	const char *n = fn ? fn(ctx, path) : NULL;
	return n ? n : ft_path_builtin_name(path);
}

/* Resolve one entry: a number 0..255, a name known to @fn or built in, or
 * "path-N" as the writers print unnamed paths. Returns the path or -1. */
static int resolve(const char *tok, ft_path_name_fn fn, const void *ctx)
{
	char *end;
	unsigned long v;
	const char *num = tok;

	if (!strncmp(tok, "path-", 5))
		num = tok + 5;
	if (*num >= '0' && *num <= '9') {
		v = strtoul(num, &end, 10);
		if (!*end && v <= FT_PATH_MAX)
			return (int)v;
		if (num != tok)
			return -1;
	}
	for (unsigned p = 0; p <= FT_PATH_MAX; p++) {
		const char *n = path_name(fn, ctx, p);
		if (n && !strcmp(n, tok))
			return (int)p;
	}
	return -1;
}

FT_EXPORT int ft_pathset_parse(struct ft_pathset *s, const char *list, ft_path_name_fn fn,
			       const void *ctx, char *errbuf, size_t errlen)
{
	char tok[64];
	const char *p = list, *comma;
	size_t n;
	int path;

	ft_pathset_clear(s);
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!list || !*list) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "empty path list");
		return -EINVAL;
	}
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		path = -1;
		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			path = resolve(tok, fn, ctx);
		}
		if (path < 0) {
			if (errbuf && errlen)
				snprintf(errbuf, errlen, "unknown path '%.*s'",
					 (int)(n > 64 ? 64 : n), p);
			ft_pathset_clear(s);
			return -EINVAL;
		}
		ft_pathset_add(s, (unsigned)path);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

FT_EXPORT int ft_dir_parse(const char *s, enum ft_dir *out)
{
	if (!s || !*s || !strcmp(s, "any")) {
		*out = FT_DIR_UNKNOWN;
		return 0;
	}
	if (!strcmp(s, "in")) {
		*out = FT_DIR_IN;
		return 0;
	}
	if (!strcmp(s, "out")) {
		*out = FT_DIR_OUT;
		return 0;
	}
	return -EINVAL;
}
