/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: drop reasons: the built-in names and the text of a drop. */
#include <stdio.h>
#include <string.h>

#include <flowtap/tap.h>

#include "drop.h"

/* Short, stable names: they appear in captures, flow logs and CLI options. */
static const char *const builtin[FT_DROP_BUILTIN_MAX] = {
    [FT_DROP_NONE] = "none",
    [FT_DROP_NO_ROUTE] = "no-route",
    [FT_DROP_ACL] = "acl-denied",
    [FT_DROP_INVALID] = "invalid",
    [FT_DROP_FOREIGN] = "foreign-source",
    [FT_DROP_MTU] = "mtu-exceeded",
    [FT_DROP_QUEUE_FULL] = "queue-full",
    [FT_DROP_RATE_LIMIT] = "rate-limited",
    [FT_DROP_TTL] = "ttl-expired",
    [FT_DROP_OTHER] = "other",
};

const char *ft__drop_builtin_name(unsigned r)
{
	return r < FT_DROP_BUILTIN_MAX ? builtin[r] : NULL;
}

size_t ft__drop_describe(char *buf, size_t cap, const struct ft_pkt *p)
{
	const char *name = p->drop_name ? p->drop_name : ft__drop_builtin_name(p->drop_reason);
	int n;

	if (!cap)
		return 0;
	if (name)
		n = snprintf(buf, cap, "%.*s", FT_DROP_NAME_MAX, name);
	else
		n = snprintf(buf, cap, "reason-%u", (unsigned)p->drop_reason);
	if (p->drop_rule && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, " rule %u", (unsigned)p->drop_rule);
	if (p->drop_where && *p->drop_where && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, " at %.*s", FT_DROP_WHERE_MAX,
			      p->drop_where);
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t ft__drop_where_copy(char *dst, const char *where)
{
	size_t n = 0;

	for (; where && where[n] && n < FT_DROP_WHERE_MAX; n++) {
		char c = where[n];
		dst[n] = c < 0x20 || c > 0x7e || c == '(' || c == ')' ? '_' : c;
	}
	return n;
}
