/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the UDP socket that carries the tunnel: plain IP-in-UDP, one inner packet per
 * datagram. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tunnel.h"

/* Large socket buffers absorb bursts between loop iterations; the kernel
 * clamps them to net.core.[rw]mem_max, which is fine. */
#define UDP_SOCKBUF (4 << 20)

/*
 * udp_open - a non-blocking UDP socket bound to @ss. No SO_REUSEADDR/PORT:
 * a port in use must fail (EADDRINUSE) rather than silently share traffic.
 * Returns the fd or -errno.
 */
int udp_open(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd, ret, sz = UDP_SOCKBUF, off = 0;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int udp_rx_init(struct udp_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->bufs = malloc((size_t)TUN_BATCH * TUN_PKT_MAX);
	if (!rx->bufs)
		return -ENOMEM;
	for (int i = 0; i < TUN_BATCH; i++) {
		rx->iov[i].iov_base = rx->bufs + (size_t)i * TUN_PKT_MAX;
		rx->iov[i].iov_len = TUN_PKT_MAX;
	}
	return 0;
}

void udp_rx_free(struct udp_rx *rx)
{
	free(rx->bufs);
	rx->bufs = NULL;
}

/* A socket bound to [::] reports IPv4 senders as ::ffff:a.b.c.d; turn them
 * back into IPv4 addresses so they compare equal to an IPv4 --peer. */
static void unmap_v4(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in in = {.sin_family = AF_INET};

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
		return;
	in.sin_port = in6->sin6_port;
	memcpy(&in.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
	memcpy(ss, &in, sizeof(in));
	*len = sizeof(in);
}

/*
 * udp_recv - receive up to TUN_BATCH datagrams with one recvmmsg(). Each
 * datagram's length is in rx->msgs[i].msg_len, its sender in rx->from[i];
 * datagrams cut by the buffer (MSG_TRUNC) have msg_len 0.
 * Returns the number received, 0 when none is waiting, or -errno.
 */
int udp_recv(int fd, struct udp_rx *rx)
{
	int n;

	for (int i = 0; i < TUN_BATCH; i++) {
		struct msghdr *h = &rx->msgs[i].msg_hdr;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &rx->iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &rx->from[i];
		h->msg_namelen = sizeof(rx->from[i]);
	}
	n = recvmmsg(fd, rx->msgs, TUN_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			rx->msgs[i].msg_len = 0;
		unmap_v4(&rx->from[i], &rx->msgs[i].msg_hdr.msg_namelen);
	}
	return n;
}

/* udp_tx_add - queue @pkt for @to; false when the batch is full. */
bool udp_tx_add(struct udp_tx *tx, void *pkt, size_t len, const struct sockaddr_storage *to,
		socklen_t tolen)
{
	struct msghdr *h;

	if (tx->n == TUN_BATCH)
		return false;
	tx->iov[tx->n].iov_base = pkt;
	tx->iov[tx->n].iov_len = len;
	h = &tx->msgs[tx->n].msg_hdr;
	memset(h, 0, sizeof(*h));
	h->msg_iov = &tx->iov[tx->n];
	h->msg_iovlen = 1;
	h->msg_name = (void *)to;
	h->msg_namelen = tolen;
	tx->n++;
	return true;
}

/*
 * udp_tx_flush - send the queued datagrams with sendmmsg(). A datagram the
 * kernel refuses (socket buffer full, no route) is dropped rather than
 * retried: the tunnel never blocks, as a real datapath would not.
 * tx->ok[i] tells whether datagram i went out; the caller accounts for them
 * and empties the batch (tx->n = 0). Returns the number sent.
 */
int udp_tx_flush(int fd, struct udp_tx *tx)
{
	int i = 0, sent = 0;

	while (i < tx->n) {
		int r = sendmmsg(fd, tx->msgs + i, (unsigned)(tx->n - i), MSG_DONTWAIT);
		if (r < 0) {
			/* sendmmsg fails only for the first datagram: drop it. */
			if (errno != EINTR)
				tx->ok[i++] = false;
			continue;
		}
		for (int j = 0; j < r; j++)
			tx->ok[i + j] = true;
		i += r;
		sent += r;
	}
	return sent;
}
