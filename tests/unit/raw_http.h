/* SPDX-License-Identifier: BSD-2-Clause */
/* raw_http.h - one HTTP request to the local API's socket, by hand. */
#ifndef FT_TEST_RAW_HTTP_H
#define FT_TEST_RAW_HTTP_H

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Send @req to @sock and read the reply into @buf until @needle shows up,
 * EOF or 10 s. Returns the connection's fd (the caller closes it). */
static inline int raw_request(const char *sock, const char *req, char *buf, size_t cap,
			      const char *needle)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t len = 0;

	assert_true(fd >= 0);
	assert_true(strlen(sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	buf[0] = '\0';
	while (len + 1 < cap && !strstr(buf, needle)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 10000) != 1 || (n = read(fd, buf + len, cap - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return fd;
}

#endif
