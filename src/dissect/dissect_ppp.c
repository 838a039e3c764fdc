/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: PPP (RFC 1661, HDLC-like framing RFC 1662) and Cisco HDLC.
 *
 *   PPP:       [address 0xff, control 0x03] protocol (1 or 2 bytes, RFC 1661
 *              section 6.5 field compression) information
 *   Cisco HDLC: address(1) control(1) protocol(2, an Ethernet type)
 *
 * Only IPv4 (0x0021) and IPv6 (0x0057) are decoded; other PPP protocols
 * (LCP, IPCP, ...) are named by number.
 */
#include "dissect.h"

static void other(struct ft_dis *d, const char *what, unsigned proto, uint32_t wlen)
{
	ft__puts(d->out, what);
	FT_PUTS(d->out, " protocol 0x");
	ft__put_hex(d->out, proto, 4);
	FT_PUTS(d->out, ", length ");
	ft__put_u32(d->out, wlen);
}

void ft__dis_ppp(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	struct ft_rd start = r;
	unsigned proto;

	if (ft_rd_peek(&r, 0) == 0xff && ft_rd_peek(&r, 1) == 0x03)
		ft_rd_skip(&r, 2);
	proto = ft_rd_u8(&r);
	if (!(proto & 1)) /* the low bit ends the protocol field */
		proto = proto << 8 | ft_rd_u8(&r);
	if (r.err) {
		FT_PUTS(d->out, "PPP, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "ppp");
		return;
	}
	wlen -= (uint32_t)(r.p - start.p);
	switch (proto) {
	case 0x21:
		ft__dis_ip4(d, r, wlen);
		break;
	case 0x57:
		ft__dis_ip6(d, r, wlen);
		break;
	default:
		other(d, "PPP", proto, wlen);
		break;
	}
}

void ft__dis_chdlc(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	uint16_t proto;

	ft_rd_skip(&r, 2);
	proto = ft_rd_be16(&r);
	if (r.err) {
		FT_PUTS(d->out, "CHDLC, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "chdlc");
		return;
	}
	if (proto == 0x0800 || proto == 0x86dd)
		ft__dis_ethertype(d, proto, r, wlen - 4);
	else
		other(d, "CHDLC", proto, wlen - 4);
}
