/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: strict decimal parsing for flags, query parameters and config values. */
#include <errno.h>
#include <stdlib.h>

#include "parse_num.h"

int ft__parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
