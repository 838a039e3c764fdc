/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: IPv6 (RFC 8200) and its extension headers.
 *
 *   +-------+---------------+---------------------------------------+
 *   |Version| Traffic Class |              Flow Label               |
 *   +-------+-------+-------+-------+---------------+---------------+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-------------------------------+---------------+---------------+
 *   |            Source Address (16), Destination Address (16)      |
 *
 * Hop-by-hop (0), routing (43), fragment (44), destination options (60)
 * and AH (51, RFC 4302) are walked; ESP (50, RFC 4303) ends the walk since
 * what follows is encrypted. Only a first fragment carries the transport
 * header. Wording follows tcpdump: "HBH", "DSTOPT", "srcrt (...)",
 * "frag (0xID:OFFSET|LEN)", "AH(spi=...,seq=...):", "ESP(spi=...,seq=...)".
 */
#include "dissect.h"

/* Bounds the walk: no legitimate packet has more extension headers. */
#define MAX_EXT 16

static void ip6_verbose(struct ft_dis *d, uint32_t vfl, unsigned nh, unsigned hlim, unsigned plen)
{
	struct ft_strbuf *o = d->out;
	const char *name = ft__ipproto_name(nh);

	ft__putc(o, '(');
	if (vfl & 0x0ff00000) {
		FT_PUTS(o, "class 0x");
		ft__put_hex(o, vfl >> 20 & 0xff, 2);
		FT_PUTS(o, ", ");
	}
	if (vfl & 0x000fffff) {
		FT_PUTS(o, "flowlabel 0x");
		ft__put_hex(o, vfl & 0xfffff, 5);
		FT_PUTS(o, ", ");
	}
	FT_PUTS(o, "hlim ");
	ft__put_u32(o, hlim);
	FT_PUTS(o, ", next-header ");
	ft__puts(o, name ? name : "unknown");
	FT_PUTS(o, " (");
	ft__put_u32(o, nh);
	FT_PUTS(o, ") payload length: ");
	ft__put_u32(o, plen);
	FT_PUTS(o, ") ");
}

static void put_spi_seq(struct ft_strbuf *o, const char *what, uint32_t spi, uint32_t seq)
{
	ft__puts(o, what);
	FT_PUTS(o, "(spi=0x");
	ft__put_hex(o, spi, 8);
	FT_PUTS(o, ",seq=0x");
	ft__put_hex(o, seq, 1);
	ft__putc(o, ')');
}

/*
 * One extension header at @r. Returns the next header number, or -1 when
 * the walk ends here (ESP, a later fragment, truncation); *len is reduced
 * by the bytes consumed.
 */
static int ext_header(struct ft_dis *d, unsigned nh, struct ft_rd *r, uint32_t *len,
		      struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	struct ft_rd h = *r;
	unsigned next = ft_rd_u8(&h), hl = ft_rd_u8(&h);
	size_t size = 0;

	switch (nh) {
	case 44: { /* fragment: fixed 8 bytes */
		uint16_t offlg = ft_rd_be16(&h);
		uint32_t id = ft_rd_be32(&h);
		if (h.err)
			break;
		size = 8;
		uint32_t rest = *len >= size ? *len - (uint32_t)size : 0;
		FT_PUTS(o, "frag (0x");
		ft__put_hex(o, id, 8);
		ft__putc(o, ':');
		ft__put_u32(o, offlg & 0xfff8u);
		ft__putc(o, '|');
		ft__put_u32(o, rest);
		ft__putc(o, ')');
		ft_rd_skip(r, size);
		*len = rest;
		if (offlg & 0xfff8)
			return -1; /* nothing follows a later fragment */
		l3->first_frag = (offlg & 1) != 0;
		ft__putc(o, ' ');
		return (int)next;
	}
	case 51: { /* AH: length in 4-byte units minus 2 */
		ft_rd_skip(&h, 2);
		uint32_t spi = ft_rd_be32(&h), seq = ft_rd_be32(&h);
		if (h.err)
			break;
		size = ((size_t)hl + 2) * 4;
		put_spi_seq(o, "AH", spi, seq);
		FT_PUTS(o, ": ");
		break;
	}
	case 43: {
		unsigned type = ft_rd_u8(&h), segleft = ft_rd_u8(&h);
		if (h.err)
			break;
		size = ((size_t)hl + 1) * 8;
		FT_PUTS(o, "srcrt (type ");
		ft__put_u32(o, type);
		FT_PUTS(o, ", segleft ");
		ft__put_u32(o, segleft);
		FT_PUTS(o, ") ");
		break;
	}
	default: /* hop-by-hop (0) and destination options (60) */
		size = ((size_t)hl + 1) * 8;
		ft__puts(o, nh == 0 ? "HBH " : "DSTOPT ");
		break;
	}
	if (h.err || !ft_rd_skip(r, size)) {
		if (o->len && o->p[o->len - 1] == ' ')
			o->len--;
		ft__trunc(d, "ip6");
		return -1;
	}
	*len = *len >= size ? *len - (uint32_t)size : 0;
	return (int)next;
}

static bool is_ext(unsigned nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

void ft__dis_ip6(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	struct ft_strbuf *o = d->out;
	struct ft_l3 l3;
	uint32_t vfl, len;
	unsigned nh, hlim;
	int next;

	if (!d->l3) {
		d->l3 = r.p;
		d->l3len = ft_rd_left(&r);
	}
	if (!(d->flags & FT_TEXT_LINKHDR) || d->depth)
		FT_PUTS(o, "IP6");
	vfl = ft_rd_be32(&r);
	len = ft_rd_be16(&r);
	nh = ft_rd_u8(&r);
	hlim = ft_rd_u8(&r);
	l3.alen = 16;
	l3.peers = d->peers;
	l3.hosts_done = false;
	l3.first_frag = false;
	l3.fragmented = false;
	ft_rd_copy(&r, l3.src, 16);
	ft_rd_copy(&r, l3.dst, 16);
	if (r.err) {
		ft__trunc(d, "ip6");
		return;
	}
	if (!(d->flags & FT_TEXT_LINKHDR) || d->depth)
		ft__putc(o, ' ');
	if (vfl >> 28 != 6) {
		FT_PUTS(o, "bad version ");
		ft__put_u32(o, vfl >> 28);
		FT_PUTS(o, ", length ");
		ft__put_u32(o, wlen);
		return;
	}
	if (d->flags & FT_TEXT_VERBOSE)
		ip6_verbose(d, vfl, nh, hlim, len);
	if (len == 0 && wlen >= 40)
		len = wlen - 40; /* jumbogram or TSO */
	if (len + 40 > wlen) {
		FT_PUTS(o, "truncated-ip6 - ");
		ft__put_u32(o, len + 40 - wlen);
		FT_PUTS(o, " bytes missing! ");
	}
	if (ft_rd_left(&r) > len)
		r.end = r.p + len; /* drop link-layer padding */

	for (int i = 0; is_ext(nh); i++) {
		if (i == MAX_EXT) {
			FT_PUTS(o, "too many extension headers");
			return;
		}
		ft__put_hosts(o, &l3);
		l3.hosts_done = true;
		next = ext_header(d, nh, &r, &len, &l3);
		if (next < 0)
			return;
		nh = (unsigned)next;
	}
	switch (nh) {
	case 50: {
		uint32_t spi = ft_rd_be32(&r), seq = ft_rd_be32(&r);
		ft__put_hosts(o, &l3);
		if (r.err) {
			FT_PUTS(o, "ESP");
			ft__trunc(d, "esp");
			return;
		}
		put_spi_seq(o, "ESP", spi, seq);
		FT_PUTS(o, ", length ");
		ft__put_u32(o, len);
		return;
	}
	case 59:
		ft__put_hosts(o, &l3);
		FT_PUTS(o, "no next header, length ");
		ft__put_u32(o, len);
		return;
	default:
		ft__dis_l4(d, nh, r, len, &l3);
	}
}
