/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: writev(2) of whole buffers, past short writes, EINTR, EAGAIN and SIGPIPE. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <sys/uio.h>

#include "fd_write.h"
#include "iov.h"

/*
 * writev() without SIGPIPE: a library must not kill its host when a reader
 * goes away (the default action of SIGPIPE), nor change the process's
 * signal dispositions. SIGPIPE is blocked in this thread for the write, and
 * one it raised is consumed before the mask is restored, unless one was
 * already pending. The cost is three system calls per chunk written, not
 * per packet.
 */
static ssize_t writev_nosigpipe(int fd, const struct iovec *iov, int cnt)
{
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t n;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
		return writev(fd, iov, cnt);
	n = writev(fd, iov, cnt);
	err = errno;
	if (n < 0 && err == EPIPE && !was_pending) {
		const struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

int ft__output_fdv(int fd, struct iovec *iov, int cnt)
{
	size_t left = cnt > 0 ? (size_t)cnt : 0;

	while (left) {
		ssize_t n = writev_nosigpipe(fd, iov, left < IOV_MAX ? (int)left : IOV_MAX);
		if (n < 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (errno == EINTR)
				continue;
			/* A non-blocking descriptor: wait until it drains. */
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && poll(&pfd, 1, -1) >= 0)
				continue;
			return -errno;
		}
		ft__iov_advance(&iov, &left, (size_t)n);
	}
	return 0;
}
