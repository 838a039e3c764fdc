/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ARP (RFC 826) for Ethernet/IPv4, briefly.
 *
 *   hw type(2) proto type(2) hw len(1) proto len(1) op(2)
 *   sender hw(hlen) sender proto(plen) target hw(hlen) target proto(plen)
 *
 * Wording follows tcpdump -n: "ARP, Request who-has 10.0.0.1 tell
 * 10.0.0.2, length 28", "ARP, Reply 10.0.0.1 is-at 00:11:22:33:44:55".
 */
#include "dissect.h"

void ft__dis_arp(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	struct ft_strbuf *o = d->out;
	uint16_t htype, ptype, op;
	uint8_t hlen, plen, sha[6], spa[4], tpa[4];

	if (!d->l3) {
		d->l3 = r.p;
		d->l3len = ft_rd_left(&r);
	}
	if (!(d->flags & FT_TEXT_LINKHDR)) /* -e named it already */
		FT_PUTS(o, "ARP, ");
	htype = ft_rd_be16(&r);
	ptype = ft_rd_be16(&r);
	hlen = ft_rd_u8(&r);
	plen = ft_rd_u8(&r);
	op = ft_rd_be16(&r);
	if (r.err) {
		ft__trunc(d, "arp");
		return;
	}
	if (htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4 || (op != 1 && op != 2)) {
		FT_PUTS(o, "hardware type ");
		ft__put_u32(o, htype);
		FT_PUTS(o, ", proto 0x");
		ft__put_hex(o, ptype, 4);
		FT_PUTS(o, ", op ");
		ft__put_u32(o, op);
	} else {
		ft_rd_copy(&r, sha, 6);
		ft_rd_copy(&r, spa, 4);
		ft_rd_skip(&r, 6);
		ft_rd_copy(&r, tpa, 4);
		if (r.err) {
			ft__puts(o, op == 1 ? "Request" : "Reply");
			ft__trunc(d, "arp");
			return;
		}
		if (op == 1) {
			FT_PUTS(o, "Request who-has ");
			ft__put_ip4(o, tpa);
			FT_PUTS(o, " tell ");
			ft__put_ip4(o, spa);
		} else {
			FT_PUTS(o, "Reply ");
			ft__put_ip4(o, spa);
			FT_PUTS(o, " is-at ");
			ft__put_mac(o, sha);
		}
	}
	FT_PUTS(o, ", length ");
	ft__put_u32(o, wlen);
}
