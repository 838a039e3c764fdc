/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rd.h - bounds-checked reads of packet bytes.
 *
 * Every byte of a packet is read through a cursor with a sticky error flag,
 * in the manner of tcpdump's GET_* macros: a read past the end returns 0 and
 * marks the cursor, and the caller prints a truncation marker and stops that
 * layer. Nothing here can read outside [p, end).
 */
#ifndef FT_RD_H
#define FT_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ft_rd {
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline struct ft_rd ft_rd_init(const void *p, size_t len)
{
	/* No arithmetic on NULL (an empty attribute, say): UB even for + 0. */
	struct ft_rd r = {(const uint8_t *)p, p ? (const uint8_t *)p + len : NULL, false};
	return r;
}

static inline size_t ft_rd_left(const struct ft_rd *r)
{
	return r->err ? 0 : (size_t)(r->end - r->p);
}

static inline bool ft_rd_has(const struct ft_rd *r, size_t n)
{
	return !r->err && (size_t)(r->end - r->p) >= n;
}

/* A sub-cursor over the next @n bytes (clamped and marked if fewer remain);
 * the parent is advanced past them. */
static inline struct ft_rd ft_rd_sub(struct ft_rd *r, size_t n)
{
	struct ft_rd s = *r;
	if (!ft_rd_has(r, n)) {
		s.err = r->err;
		r->p = r->end;
		r->err = true;
		return s;
	}
	s.end = r->p + n;
	r->p += n;
	return s;
}

static inline bool ft_rd_skip(struct ft_rd *r, size_t n)
{
	if (!ft_rd_has(r, n)) {
		r->err = true;
		return false;
	}
	r->p += n;
	return true;
}

static inline uint8_t ft_rd_u8(struct ft_rd *r)
{
	if (!ft_rd_has(r, 1)) {
		r->err = true;
		return 0;
	}
	return *r->p++;
}

static inline uint16_t ft_rd_be16(struct ft_rd *r)
{
	if (!ft_rd_has(r, 2)) {
		r->err = true;
		return 0;
	}
	uint16_t v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static inline uint16_t ft_rd_le16(struct ft_rd *r)
{
	if (!ft_rd_has(r, 2)) {
		r->err = true;
		return 0;
	}
	uint16_t v = (uint16_t)(r->p[1] << 8 | r->p[0]);
	r->p += 2;
	return v;
}

static inline uint32_t ft_rd_be32(struct ft_rd *r)
{
	if (!ft_rd_has(r, 4)) {
		r->err = true;
		return 0;
	}
	uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 |
		     r->p[3];
	r->p += 4;
	return v;
}

static inline uint32_t ft_rd_le32(struct ft_rd *r)
{
	if (!ft_rd_has(r, 4)) {
		r->err = true;
		return 0;
	}
	uint32_t v = (uint32_t)r->p[3] << 24 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[1] << 8 |
		     r->p[0];
	r->p += 4;
	return v;
}

/* Copy @n bytes out; on a short buffer @dst is zeroed and the cursor marked. */
static inline bool ft_rd_copy(struct ft_rd *r, void *dst, size_t n)
{
	if (!ft_rd_has(r, n)) {
		r->err = true;
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	return true;
}

/* Peek at byte @off ahead without consuming; -1 if out of bounds. */
static inline int ft_rd_peek(const struct ft_rd *r, size_t off)
{
	if (!ft_rd_has(r, off + 1))
		return -1;
	return r->p[off];
}

/* Borrow the next @n bytes in place (for copying names and dumping payload);
 * NULL and the cursor marked if fewer remain. */
static inline const uint8_t *ft_rd_ptr(struct ft_rd *r, size_t n)
{
	const uint8_t *q;
	if (!ft_rd_has(r, n)) {
		r->err = true;
		return NULL;
	}
	q = r->p;
	r->p += n;
	return q;
}

#endif
