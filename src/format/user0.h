/* SPDX-License-Identifier: BSD-2-Clause */
/* user0.h - the per-record prefix of the user0 debug-capture stream. */
#ifndef FT_USER0_H
#define FT_USER0_H

#include <flowtap/common.h>

/* Longest prefix: u16 path, two u8 lengths and two IPv6 addresses. */
#define FT__USER0_PREFIX_MAX (2 + 1 + 16 + 1 + 16)

/* ft__user0_prefix_len - bytes of prefix ft__user0_put() writes for @p. */
size_t ft__user0_prefix_len(const struct ft_pkt *p);

/* ft__user0_put - write the prefix for @p into @out (FT__USER0_PREFIX_MAX
 * bytes); a path over 0xffff or an address length other than 4/16 counts
 * as absent. Returns the number of bytes written. */
size_t ft__user0_put(uint8_t *out, const struct ft_pkt *p);

#endif
