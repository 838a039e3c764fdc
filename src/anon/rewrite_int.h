/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rewrite_int.h - shared state of the packet rewriter (rewrite.c for link
 * layers and IP, rewrite_l4.c for what rides on IP).
 *
 * Every function takes a cursor over its layer and returns the offset in
 * the packet up to which bytes are kept: the end of the packet when all is
 * understood, less when something must be cut.
 */
#ifndef FT_REWRITE_INT_H
#define FT_REWRITE_INT_H

#include <flowtap/anon.h>

#include "rd.h"

struct rw {
	struct ft_anon *a;
	uint8_t *base; /* the packet, writable; cursors borrow from it */
	uint32_t caplen;
	unsigned flags;
};

/* Checksums (at most 3) that cover the bytes being rewritten; NULL ones are
 * skipped. @odd: the bytes lie at an odd offset from the checksummed
 * region's start (only DNS records do). */
struct cks {
	uint8_t *ck[3];
	bool odd;
};

static inline uint32_t rw_off(const struct rw *w, const uint8_t *p)
{
	return (uint32_t)(p - w->base);
}

/* The cursor's bytes belong to the writable packet: writing through them is
 * writing the packet. */
static inline uint8_t *rw_mut(const uint8_t *p)
{
	return (uint8_t *)(uintptr_t)p;
}

void ft__rw_adjust(uint8_t *ck, const uint8_t *old, const uint8_t *now, size_t n, bool odd);
void ft__rw_map(struct rw *w, uint8_t *at, unsigned len, const struct cks *c);
uint32_t ft__rw_ip(struct rw *w, struct ft_rd r, int depth);
uint32_t ft__rw_transport(struct rw *w, int proto, struct ft_rd r, uint8_t *l4ck, int depth);
uint32_t ft__rw_arp(struct rw *w, struct ft_rd r);
uint32_t ft__rw_quoted4(struct rw *w, struct ft_rd r, uint8_t *icmpck);
uint32_t ft__rw_quoted6(struct rw *w, struct ft_rd r, uint8_t *icmpck);

#endif
