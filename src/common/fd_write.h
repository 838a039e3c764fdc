/* SPDX-License-Identifier: BSD-2-Clause */
/* fd_write.h - writing whole buffers to a file descriptor. */
#ifndef FT_FD_WRITE_H
#define FT_FD_WRITE_H

#include <sys/uio.h>

/*
 * ft__output_fdv - writev(2) all of the @cnt iovecs at @iov (which it
 * changes) to @fd, as ft_output_fd() writes one buffer: across short
 * writes, EINTR and a non-blocking descriptor's EAGAIN, without SIGPIPE.
 * A short write sets no errno: the write after it says why the file took
 * no more (ENOSPC, EFBIG, EDQUOT), and that is what is returned. Returns 0
 * or a negative errno.
 */
int ft__output_fdv(int fd, struct iovec *iov, int cnt);

#endif
