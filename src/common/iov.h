/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * iov.h - moving an iovec array past what a writev(2) or sendmsg(2) took,
 * for the loops that write a whole vector across short writes. Not public.
 */
#ifndef FT_IOV_H
#define FT_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Skip the first @n bytes of the @*cnt iovecs at @*iov: whole iovecs are
 * dropped, a partly written one is shortened in place (the array is the
 * caller's scratch). @n must not exceed what the iovecs hold. */
static inline void ft__iov_advance(struct iovec **iov, size_t *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

#endif
