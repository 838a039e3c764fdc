/* SPDX-License-Identifier: BSD-2-Clause */
/* fd_write.h - writing all of a buffer to a file descriptor. */
#ifndef FT_FD_WRITE_H
#define FT_FD_WRITE_H

#include <stddef.h>

/*
 * ft__write_all - write(2) all @len bytes at @data to the blocking @fd,
 * again after a short write or EINTR.
 * A short write sets no errno: only the write after it says why the file
 * took no more (ENOSPC, EFBIG, EDQUOT), so the caller must not read errno
 * after a short count. Returns 0 or -errno (-EIO if write(2) returns 0).
 */
int ft__write_all(int fd, const void *data, size_t len);

#endif
