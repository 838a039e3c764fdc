/* SPDX-License-Identifier: BSD-2-Clause */
/* pkt_build.h - small builders of raw IP packets for unit tests. */
#ifndef FT_TEST_PKT_BUILD_H
#define FT_TEST_PKT_BUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t tb_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 header + @proto payload of @plen bytes (UDP header filled for 17, ICMP echo for 1).
 * Returns the total length written into @buf. */
static inline size_t tb_ip4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
			    uint16_t sport, uint16_t dport, size_t plen)
{
	size_t l4 = proto == 17 ? 8 : proto == 1 ? 8 : proto == 6 ? 20 : 0;
	size_t tot = 20 + l4 + plen;
	memset(buf, 0, tot);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(tot >> 8);
	buf[3] = (uint8_t)tot;
	buf[6] = 0x40;
	buf[8] = 64;
	buf[9] = proto;
	inet_pton(AF_INET, src, buf + 12);
	inet_pton(AF_INET, dst, buf + 16);
	uint16_t c = tb_csum(buf, 20);
	buf[10] = (uint8_t)(c >> 8);
	buf[11] = (uint8_t)c;
	uint8_t *l = buf + 20;
	if (proto == 17) {
		l[0] = (uint8_t)(sport >> 8), l[1] = (uint8_t)sport;
		l[2] = (uint8_t)(dport >> 8), l[3] = (uint8_t)dport;
		l[4] = (uint8_t)((8 + plen) >> 8), l[5] = (uint8_t)(8 + plen);
	} else if (proto == 1) {
		l[0] = 8; /* echo request */
		l[4] = (uint8_t)(sport >> 8), l[5] = (uint8_t)sport;
		l[6] = (uint8_t)(dport >> 8), l[7] = (uint8_t)dport;
	} else if (proto == 6) {
		l[0] = (uint8_t)(sport >> 8), l[1] = (uint8_t)sport;
		l[2] = (uint8_t)(dport >> 8), l[3] = (uint8_t)dport;
		l[12] = 0x50;
		l[13] = 0x02; /* SYN */
		l[14] = 0xff, l[15] = 0xff;
	}
	return tot;
}

#endif
