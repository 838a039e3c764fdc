/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the recorder settings as programs take them: "SECONDS[,SIZE]". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/tap.h>

/* A duration: a number of seconds, or a number with ms, s, m or h. */
static int parse_age(const char *s, size_t n, uint64_t *ms)
{
	char buf[32], *end;
	double v, mul = 1000;

	if (!n || n >= sizeof(buf) || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (end == buf || v != v)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	if (v * mul < 1 || v * mul > 86400000.0)
		return -ERANGE;
	*ms = (uint64_t)(v * mul);
	return 0;
}

/* A size: bytes, or with K, M or G (binary; "KiB", "MB" and such too). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 0:
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (v > (16ull << 30) >> shift)
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

FT_EXPORT int ft_recorder_opts_parse(struct ft_recorder_opts *o, const char *spec, char *err,
				     size_t errlen)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	int ret = parse_age(spec, n, &o->max_age_ms);

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
	ret = parse_size(comma + 1, &o->max_bytes);
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
