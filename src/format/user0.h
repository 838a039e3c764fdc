/* SPDX-License-Identifier: BSD-2-Clause */
/* user0.h - the per-record prefix of the user0 debug-capture stream. */
#ifndef FT_USER0_H
#define FT_USER0_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <flowtap/common.h>

/* Longest prefix: u16 path, two u8 lengths and two IPv6 addresses. */
#define FT__USER0_PREFIX_MAX (2 + 1 + 16 + 1 + 16)

/* Whether the stream carries address @a (NULL: none): only IPv4 and IPv6. */
static inline bool ft__user0_addr_valid(const struct ft_addr *a)
{
	return a && (a->len == 4 || a->len == 16);
}

/* ft__user0_prefix_len - bytes of prefix ft__user0_put() writes for @p. */
size_t ft__user0_prefix_len(const struct ft_pkt *p);

/* ft__user0_put_fields - the prefix of path @path with pre-NAT addresses
 * @src and @dst (NULL: none) into @out (FT__USER0_PREFIX_MAX bytes).
 * Inline: the capture hook writes it per packet for a session that writes
 * its records where they lie (rec.h: struct ft_frec). Returns its length. */
static inline size_t ft__user0_put_fields(uint8_t *out, uint16_t path, const struct ft_addr *src,
					  const struct ft_addr *dst)
{
	const struct ft_addr *a[2] = {src, dst};
	size_t n = 2;

	/* FT_PATH_NONE (a packet from a plain interface) is written as is:
	 * the stream's path field is 16 bits wide and 0xffff means "none". */
	out[0] = (uint8_t)(path & 0xff);
	out[1] = (uint8_t)(path >> 8);
	for (int i = 0; i < 2; i++) {
		if (!ft__user0_addr_valid(a[i])) {
			out[n++] = 0;
			continue;
		}
		out[n] = a[i]->len;
		memcpy(out + n + 1, a[i]->b, a[i]->len);
		n += 1 + (size_t)a[i]->len;
	}
	return n;
}

/* ft__user0_put - write the prefix for @p into @out (FT__USER0_PREFIX_MAX
 * bytes); a path over 0xffff or an address length other than 4/16 counts
 * as absent. Returns the number of bytes written. */
size_t ft__user0_put(uint8_t *out, const struct ft_pkt *p);

#endif
