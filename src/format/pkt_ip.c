/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the IP source and destination of a captured frame, for writers
 * that name its ends (pcapng peer names). Every byte read bounds-checked. */
#include <pcap/pcap.h>
#include <string.h>

#include "pkt_ip.h"
#include "rd.h"

/* Skip the link layer of @dlt; returns the EtherType-style protocol or -1. */
static int skip_link(struct ft_rd *r, int dlt)
{
	uint16_t type;

	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 0; /* by the version nibble */
	case DLT_EN10MB:
		ft_rd_skip(r, 12);
		type = ft_rd_be16(r);
		for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8); i++) {
			ft_rd_skip(r, 2);
			type = ft_rd_be16(r);
		}
		return r->err ? -1 : type;
	case DLT_LINUX_SLL:
		ft_rd_skip(r, 14);
		type = ft_rd_be16(r);
		return r->err ? -1 : type;
	case DLT_LINUX_SLL2:
		type = ft_rd_be16(r);
		ft_rd_skip(r, 18);
		return r->err ? -1 : type;
	case DLT_NULL:
	case DLT_LOOP:
		ft_rd_skip(r, 4);
		return r->err ? -1 : 0;
	default:
		return -1;
	}
}

bool ft__pkt_ip_addrs(const uint8_t *data, uint32_t caplen, int dlt, struct ft_addr *src,
		      struct ft_addr *dst)
{
	struct ft_rd r = ft_rd_init(data, caplen);
	int type = skip_link(&r, dlt);
	int v;

	if (type < 0 || (type && type != 0x0800 && type != 0x86dd))
		return false;
	v = ft_rd_peek(&r, 0);
	if (v < 0)
		return false;
	if (v >> 4 == 4) {
		ft_rd_skip(&r, 12);
		src->len = dst->len = 4;
		ft_rd_copy(&r, src->b, 4);
		ft_rd_copy(&r, dst->b, 4);
	} else if (v >> 4 == 6) {
		ft_rd_skip(&r, 8);
		src->len = dst->len = 16;
		ft_rd_copy(&r, src->b, 16);
		ft_rd_copy(&r, dst->b, 16);
	} else {
		return false;
	}
	return !r.err;
}
