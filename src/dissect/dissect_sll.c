/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: Linux "cooked" capture headers, SLL (v1) and SLL2.
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
 *   SLL:  packet type(2) ARPHRD type(2) addr len(2) addr(8) protocol(2)
 *   SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD type(2) packet type(1)
 *         addr len(1) addr(8)
 * The packet type (host/outgoing) becomes the line's IN/OUT field in
 * text.c; here only the protocol matters.
 */
#include "dissect.h"

/* Protocol values below 0x0600 are not Ethernet types (linux/if_ether.h). */
static void cooked_proto(struct ft_dis *d, uint16_t proto, struct ft_rd r, uint32_t wlen)
{
	if (proto >= 0x0600) {
		ft__dis_ethertype(d, proto, r, wlen);
		return;
	}
	switch (proto) {
	case 1:
		FT_PUTS(d->out, "802.3");
		break;
	case 4:
		FT_PUTS(d->out, "802.2 LLC");
		break;
	case 0x0c:
		FT_PUTS(d->out, "CAN");
		break;
	default:
		FT_PUTS(d->out, "cooked protocol 0x");
		ft__put_hex(d->out, proto, 4);
		break;
	}
	FT_PUTS(d->out, ", length ");
	ft__put_u32(d->out, wlen);
}

void ft__dis_sll(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	uint16_t proto;

	ft_rd_skip(&r, 14);
	proto = ft_rd_be16(&r);
	if (r.err) {
		FT_PUTS(d->out, "SLL, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "sll");
		return;
	}
	cooked_proto(d, proto, r, wlen - 16);
}

void ft__dis_sll2(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	uint16_t proto = ft_rd_be16(&r);

	ft_rd_skip(&r, 18);
	if (r.err) {
		FT_PUTS(d->out, "SLL2, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "sll2");
		return;
	}
	cooked_proto(d, proto, r, wlen - 20);
}
