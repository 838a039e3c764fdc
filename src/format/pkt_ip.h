/* SPDX-License-Identifier: BSD-2-Clause */
/* pkt_ip.h - the IP addresses of a frame of any supported link type. */
#ifndef FT_PKT_IP_H
#define FT_PKT_IP_H

#include <stdbool.h>
#include <stdint.h>

#include <flowtap/common.h>

/* The outer IP header's source and destination of a frame of link type
 * @dlt (raw IP, Ethernet with up to two VLAN tags, Linux SLL/SLL2,
 * NULL/loopback). Returns false when there is none or it is cut short. */
bool ft__pkt_ip_addrs(const uint8_t *data, uint32_t caplen, int dlt, struct ft_addr *src,
		      struct ft_addr *dst);

#endif
