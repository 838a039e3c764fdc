/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: trigger settings as programs take them (--trigger-after and such). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/trigger.h>

#include "parse_num.h"

FT_EXPORT void ft_trigger_opts_init(struct ft_trigger_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* "FILES[,SIZE]" */
static int parse_keep(struct ft_trigger_opts *o, const char *v, char *err, size_t errlen)
{
	const char *comma = strchr(v, ',');
	char count[16];
	size_t n = comma ? (size_t)(comma - v) : strlen(v);
	uint64_t files, bytes = o->max_bytes;

	if (n == 0 || n >= sizeof(count))
		goto bad_count;
	memcpy(count, v, n);
	count[n] = '\0';
	if (ft__parse_u64(count, 10000, &files) < 0 || files == 0)
		goto bad_count;
	if (comma && (ft__parse_size(comma + 1, &bytes) < 0 || bytes < (64u << 10))) {
		snprintf(err, errlen, "bad trigger size bound '%.64s' (want 64K to 16G, e.g. 1G)",
			 comma + 1);
		return -EINVAL;
	}
	o->max_files = (unsigned)files;
	o->max_bytes = bytes;
	return 0;
bad_count:
	snprintf(err, errlen, "bad trigger file count '%.*s' (want 1 to 10000)",
		 (int)(n > 64 ? 64 : n), v);
	return -EINVAL;
}

FT_EXPORT int ft_trigger_opts_parse(struct ft_trigger_opts *o, const char *name, const char *value,
				    char *err, size_t errlen)
{
	uint64_t ms;
	int ret;

	if (!strcmp(name, "keep"))
		return parse_keep(o, value, err, errlen);
	if (strcmp(name, "after") && strcmp(name, "before")) {
		snprintf(err, errlen, "no trigger setting '%.64s'", name);
		return -EINVAL;
	}
	ret = ft__parse_duration_ms(value, strlen(value), &ms);
	if (ret == 0 && !strcmp(name, "after") && ms > 3600000u)
		ret = -ERANGE;
	if (ret < 0) {
		snprintf(err, errlen, "bad trigger %s time '%.64s' (want %s, e.g. 10s)", name,
			 value, !strcmp(name, "after") ? "1ms to 1h" : "1ms to 24h");
		return -EINVAL;
	}
	if (!strcmp(name, "after"))
		o->after_ms = ms;
	else
		o->before_ms = ms;
	return 0;
}
