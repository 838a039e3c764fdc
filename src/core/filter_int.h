/* SPDX-License-Identifier: BSD-2-Clause */
/* filter_int.h - structured filters rendered as tcpdump expressions;
 * internal to the library (tested, not part of the ABI). */
#ifndef FT_FILTER_INT_H
#define FT_FILTER_INT_H

#include <stddef.h>
#include <stdint.h>

/** A structured filter; unset fields (NULL, 0) are not constrained. */
struct ft_filter_spec {
	const char *host, *src_host, *dst_host; /* address */
	const char *net;			/* CIDR */
	uint16_t port, src_port, dst_port;
	const char *proto; /* "tcp", "udp", "icmp", "icmp6", "ip", "ip6" */
};

/**
 * ft__filter_render - render @s as a tcpdump expression into @buf.
 * Returns the length, -EINVAL for a value that is not an address/CIDR/protocol
 * name (nothing is passed through unchecked), or -ENOSPC.
 */
int ft__filter_render(const struct ft_filter_spec *s, char *buf, size_t len);

#endif
