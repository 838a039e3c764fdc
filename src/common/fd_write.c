/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: write(2) of a whole buffer, past short writes and EINTR. */
#include "fd_write.h"

#include <errno.h>
#include <unistd.h>

int ft__write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* no progress and no reason: never loop on it */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
