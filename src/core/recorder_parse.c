/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the recorder settings as programs take them: "SECONDS[,SIZE]". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/tap.h>

#include "parse_num.h"

FT_EXPORT int ft_recorder_opts_parse(struct ft_recorder_opts *o, const char *spec, char *err,
				     size_t errlen)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	int ret = ft__parse_duration_ms(spec, n, &o->max_age_ms);

	if (ret < 0) {
		snprintf(err, errlen,
			 ret == -ERANGE
			     ? "recorder window '%.*s' out of range (1ms to 24h)"
			     : "bad recorder window '%.*s' (want seconds, e.g. 60 or 90s)",
			 (int)(n > 64 ? 64 : n), spec);
		return -EINVAL;
	}
	if (!comma)
		return 0;
	ret = ft__parse_size(comma + 1, &o->max_bytes);
	if (ret == 0 && (o->max_bytes < (64u << 10) || o->max_bytes > (16ull << 30)))
		ret = -ERANGE;
	if (ret < 0) {
		snprintf(err, errlen,
			 ret == -ERANGE ? "recorder size '%.64s' out of range (64K to 16G)"
					: "bad recorder size '%.64s' (want bytes, e.g. 64M)",
			 comma + 1);
		return -EINVAL;
	}
	return 0;
}
