/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peers_v6.h - the IPv6 side of a peer table: disjoint address ranges cut
 * at the /64s where a range starts or ends, so that a lookup compares
 * 64-bit keys only.
 *
 * A table's IPv6 ranges usually crowd into a few /64s (an overlay's /48 or
 * /64, some subnet routes) while a default route (::/0) or a wide prefix
 * covers the rest. The high halves of all range bounds, sorted (@top), name
 * the /64s that hold a boundary: an address whose high half is one of them
 * is looked up among that /64's pieces (low halves, @lo/@hi/@id from
 * @first[j] to @first[j + 1]); any other /64 lies wholly in one range or in
 * none, the owner of the gap before @top[j] (@gap[j], j == ntop: after the
 * last). Two binary searches over 64-bit keys, the first over as many
 * entries as the table has distinct /64 bounds (1 to 3 typically), and
 * memory at most twice the ranges' in each array, set by the table alone.
 * The /64 with the most pieces (an overlay's) is also kept in the struct
 * itself (@main_*): an address there starts its one search at once, without
 * waiting for the first search and the load of its block's bounds.
 */
#ifndef FT_PEERS_V6_H
#define FT_PEERS_V6_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FT__PEERS_NONE UINT32_MAX /* owned by no node */

__extension__ typedef unsigned __int128 ft__u128;

struct ft__peers_v6 {
	uint64_t *top;	 /* ntop sorted high halves */
	uint32_t *gap;	 /* ntop + 1 node ids */
	uint32_t *first; /* ntop + 1 piece indexes */
	uint64_t *lo, *hi;
	uint32_t *id;
	size_t ntop;
	uint64_t main_top;
	size_t main_n;
	const uint64_t *main_lo, *main_hi; /* into lo, hi and id */
	const uint32_t *main_id;
};

/* Build @t from @n sorted disjoint ranges [@lo[i], @hi[i]] owned by node
 * @id[i]. Returns 0 or -ENOMEM (then @t holds nothing to free). */
int ft__peers_v6_build(struct ft__peers_v6 *t, const ft__u128 *lo, const ft__u128 *hi,
		       const uint32_t *id, size_t n);
void ft__peers_v6_free(struct ft__peers_v6 *t);

/* Branch-free binary search: the last of @n > 0 sorted keys at or below @x
 * (index 0 if none is). */
static inline size_t ft__last_le64(const uint64_t *k, size_t n, uint64_t x)
{
	size_t base = 0;
	while (n > 1) {
		size_t half = n / 2;
		base = k[base + half] <= x ? base + half : base;
		n -= half;
	}
	return base;
}

static inline uint64_t ft__be64(const uint8_t *b)
{
	uint64_t v;
	memcpy(&v, b, 8);
	return __builtin_bswap64(v);
}

/* The node owning the address whose low half is @xl among @n > 0 pieces. */
static inline uint32_t ft__peers_v6_piece(const uint64_t *lo, const uint64_t *hi,
					  const uint32_t *id, size_t n, uint64_t xl)
{
	size_t i = ft__last_le64(lo, n, xl);
	return xl < lo[i] || xl > hi[i] ? FT__PEERS_NONE : id[i];
}

/* The node owning IPv6 address @b, or FT__PEERS_NONE. Hot path. */
static inline uint32_t ft__peers_v6_find(const struct ft__peers_v6 *t, const uint8_t *b)
{
	uint64_t xh = ft__be64(b), xl = ft__be64(b + 8);
	size_t j, from;

	/* Its own search, on its own pointers: each step of the search then
	 * adds one index to one base, no more. */
	if (xh == t->main_top && t->main_n)
		return ft__peers_v6_piece(t->main_lo, t->main_hi, t->main_id, t->main_n, xl);
	if (!t->ntop)
		return FT__PEERS_NONE;
	/* The first /64 bound at or above xh. */
	j = ft__last_le64(t->top, t->ntop, xh);
	j += t->top[j] < xh;
	if (j == t->ntop || t->top[j] != xh)
		return t->gap[j];
	from = t->first[j];
	return ft__peers_v6_piece(t->lo + from, t->hi + from, t->id + from, t->first[j + 1] - from,
				  xl);
}

#endif
