/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: Ethernet II, IEEE 802.1Q/802.1ad VLAN tags and raw IP.
 *
 * IEEE 802.3 / 802.1Q. Like tcpdump without -e, the MAC header itself is not
 * printed; VLAN tags are printed with -v only.
 *
 *   +----------------+----------------+--------+-----------------
 *   | destination(6) | source(6)      | type(2)| payload
 *   +----------------+----------------+--------+-----------------
 *   VLAN: type 0x8100/0x88a8/0x9100, then TCI(2) = PCP(3) DEI(1) VID(12), type(2)
 */
#include "dissect.h"

#define ETH_IP	     0x0800
#define ETH_ARP	     0x0806
#define ETH_IP6	     0x86dd
#define ETH_VLAN     0x8100
#define ETH_QINQ     0x88a8
#define ETH_QINQ_OLD 0x9100

/* Bounds the number of stacked VLAN tags we follow. */
#define MAX_TAGS 8

static void other_type(struct ft_dis *d, uint16_t type, uint32_t wlen)
{
	struct ft_strbuf *o = d->out;
	if (type == 0x88cc) {
		FT_PUTS(o, "LLDP");
	} else if (type == 0x8863 || type == 0x8864) {
		FT_PUTS(o, type == 0x8863 ? "PPPoE discovery" : "PPPoE session");
	} else if (type == 0x8847 || type == 0x8848) {
		FT_PUTS(o, "MPLS");
	} else if (type == 0x888e) {
		FT_PUTS(o, "EAPOL");
	} else {
		FT_PUTS(o, "ethertype 0x");
		ft__put_hex(o, type, 4);
	}
	FT_PUTS(o, ", length ");
	ft__put_u32(o, wlen);
}

void ft__dis_ethertype(struct ft_dis *d, uint16_t type, struct ft_rd r, uint32_t wlen)
{
	for (unsigned tags = 0;; tags++) {
		if (type != ETH_VLAN && type != ETH_QINQ && type != ETH_QINQ_OLD)
			break;
		if (tags == MAX_TAGS) {
			FT_PUTS(d->out, "too many vlan tags, length ");
			ft__put_u32(d->out, wlen);
			return;
		}
		uint16_t tci = ft_rd_be16(&r);
		type = ft_rd_be16(&r);
		if (r.err) {
			FT_PUTS(d->out, "vlan");
			ft__trunc(d, "vlan");
			return;
		}
		wlen = wlen >= 4 ? wlen - 4 : 0;
		if (d->flags & FT_TEXT_VERBOSE) {
			FT_PUTS(d->out, "vlan ");
			ft__put_u32(d->out, tci & 0xfff);
			FT_PUTS(d->out, ", p ");
			ft__put_u32(d->out, tci >> 13);
			FT_PUTS(d->out, ", ");
		}
	}
	switch (type) {
	case ETH_IP:
		ft__dis_ip4(d, r, wlen);
		break;
	case ETH_IP6:
		ft__dis_ip6(d, r, wlen);
		break;
	case ETH_ARP:
		ft__dis_arp(d, r, wlen);
		break;
	default:
		if (type < 0x0600) {
			/* An IEEE 802.3 length field: LLC follows. */
			FT_PUTS(d->out, "802.3 LLC, length ");
			ft__put_u32(d->out, wlen);
		} else {
			other_type(d, type, wlen);
		}
		break;
	}
}

/* -e: "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800),
 * length 74: ", as tcpdump -e prints it. */
static void link_header(struct ft_strbuf *o, const uint8_t *mac, uint16_t type, uint32_t wlen)
{
	const char *name = type == 0x0800   ? "IPv4"
			   : type == 0x86dd ? "IPv6"
			   : type == 0x0806 ? "ARP"
			   : type == 0x8100 ? "802.1Q"
					    : "Unknown";

	ft__put_mac(o, mac + 6);
	FT_PUTS(o, " > ");
	ft__put_mac(o, mac);
	FT_PUTS(o, ", ethertype ");
	ft__puts(o, name);
	FT_PUTS(o, " (0x");
	ft__put_hex(o, type, 4);
	FT_PUTS(o, "), length ");
	ft__put_u32(o, wlen);
	FT_PUTS(o, ": ");
}

void ft__dis_ether(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	const uint8_t *mac = r.p;
	uint16_t type;

	ft_rd_skip(&r, 12);
	type = ft_rd_be16(&r);
	if (!r.err && (d->flags & FT_TEXT_LINKHDR))
		link_header(d->out, mac, type, wlen);
	if (r.err) {
		FT_PUTS(d->out, "ether, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "ether");
		return;
	}
	ft__dis_ethertype(d, type, r, wlen - 14);
}

void ft__dis_raw(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	int v = ft_rd_peek(&r, 0);
	if (d->flags & FT_TEXT_LINKHDR)
		FT_PUTS(d->out, "ip: ");
	if (v < 0) {
		FT_PUTS(d->out, "raw IP, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "ip");
		return;
	}
	switch (v >> 4) {
	case 4:
		ft__dis_ip4(d, r, wlen);
		break;
	case 6:
		ft__dis_ip6(d, r, wlen);
		break;
	default:
		FT_PUTS(d->out, "IP bad version ");
		ft__put_u32(d->out, (uint32_t)v >> 4);
		FT_PUTS(d->out, ", length ");
		ft__put_u32(d->out, wlen);
		break;
	}
}
