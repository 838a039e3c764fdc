/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ICMP for IPv4 (RFC 792, RFC 1191), types and codes by name.
 *
 *   +---------------+---------------+-------------------------------+
 *   |     Type      |     Code      |          Checksum             |
 *   +---------------+---------------+-------------------------------+
 *   |  echo: Identifier, Sequence   | errors: unused / MTU / gateway|
 *   +---------------------------------------------------------------+
 *   | errors: the offending IP header and 8 bytes of its payload     |
 *
 * Wording follows tcpdump: "ICMP echo request, id 1, seq 1, length 64",
 * "ICMP 10.0.0.2 udp port 53 unreachable, length 36".
 */
#include "dissect.h"

/* The quoted packet of an ICMP error: its destination, protocol, port. */
struct quoted {
	bool ok, have_port;
	uint8_t dst[4];
	uint8_t proto;
	uint16_t dport;
};

static struct quoted quote_ip4(struct ft_rd r)
{
	struct quoted q = {0};
	uint8_t vhl = ft_rd_u8(&r);
	ft_rd_skip(&r, 8);
	q.proto = ft_rd_u8(&r);
	ft_rd_skip(&r, 6);
	ft_rd_copy(&r, q.dst, 4);
	q.ok = !r.err && vhl >> 4 == 4 && (vhl & 0xf) >= 5;
	if (q.ok && ft_rd_skip(&r, (vhl & 0xfu) * 4u - 20u)) {
		ft_rd_skip(&r, 2);
		q.dport = ft_rd_be16(&r);
		q.have_port = !r.err;
	}
	return q;
}

/* "PREFIX dst unreachable SUFFIX" for the codes without a number in them. */
static const struct {
	const char *prefix, *suffix;
} unreach_text[16] = {
    [0] = {"net ", ""},
    [1] = {"host ", ""},
    [5] = {"", " - source route failed"},
    [6] = {"net ", " - unknown"},
    [7] = {"host ", " - unknown"},
    [8] = {"", " - source host isolated"},
    [9] = {"net ", " - admin prohibited"},
    [10] = {"host ", " - admin prohibited"},
    [11] = {"net ", " - tos prohibited"},
    [12] = {"host ", " - tos prohibited"},
    [13] = {"host ", " - admin prohibited filter"},
    [14] = {"host ", " - host precedence violation"},
    [15] = {"host ", " - precedence cutoff"},
};

/* Returns false when the quoted header is missing or cut short. */
static bool unreach(struct ft_strbuf *o, unsigned code, uint16_t mtu, struct ft_rd r)
{
	struct quoted q = quote_ip4(r);

	if (!q.ok) {
		FT_PUTS(o, "unreachable, code ");
		ft__put_u32(o, code);
		return false;
	}
	if (code < 16 && unreach_text[code].prefix) {
		ft__puts(o, unreach_text[code].prefix);
		ft__put_ip4(o, q.dst);
		FT_PUTS(o, " unreachable");
		ft__puts(o, unreach_text[code].suffix);
		return true;
	}
	ft__put_ip4(o, q.dst);
	switch (code) {
	case 2:
		FT_PUTS(o, " protocol ");
		ft__put_u32(o, q.proto);
		FT_PUTS(o, " unreachable");
		break;
	case 3:
		if (q.have_port && (q.proto == 6 || q.proto == 17)) {
			ft__puts(o, q.proto == 6 ? " tcp port " : " udp port ");
			ft__put_u32(o, q.dport);
		} else {
			FT_PUTS(o, " port");
		}
		FT_PUTS(o, " unreachable");
		break;
	case 4:
		FT_PUTS(o, " unreachable - need to frag (mtu ");
		ft__put_u32(o, mtu);
		ft__putc(o, ')');
		break;
	default:
		FT_PUTS(o, " unreachable - code ");
		ft__put_u32(o, code);
		break;
	}
	return true;
}

static const char *simple_type(unsigned type, unsigned code)
{
	switch (type) {
	case 4:
		return "source quench";
	case 9:
		return "router advertisement";
	case 10:
		return "router solicitation";
	case 11:
		return code == 1 ? "ip reassembly time exceeded" : "time exceeded in-transit";
	case 15:
		return "information request";
	case 16:
		return "information reply";
	case 17:
		return "address mask request";
	case 18:
		return "address mask reply";
	default:
		return NULL;
	}
}

void ft__dis_icmp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	struct ft_rd all = r;
	unsigned type, code;
	uint16_t w1, w2;
	const char *name;

	ft__put_hosts(o, l3);
	FT_PUTS(o, "ICMP");
	type = ft_rd_u8(&r);
	code = ft_rd_u8(&r);
	ft_rd_skip(&r, 2);
	if (r.err) {
		ft__trunc(d, "icmp");
		return;
	}
	ft__putc(o, ' ');
	w1 = ft_rd_be16(&r);
	w2 = ft_rd_be16(&r);
	switch (type) {
	case 0:
	case 8:
	case 13:
	case 14:
		if (type == 0 || type == 8)
			ft__puts(o, type ? "echo request" : "echo reply");
		else
			ft__puts(o, type == 13 ? "time stamp query" : "time stamp reply");
		if (r.err) {
			ft__trunc(d, "icmp");
			return;
		}
		FT_PUTS(o, ", id ");
		ft__put_u32(o, w1);
		FT_PUTS(o, ", seq ");
		ft__put_u32(o, w2);
		break;
	case 3:
		if (!unreach(o, code, w2, r)) {
			ft__trunc(d, "icmp");
			return;
		}
		break;
	case 5: {
		struct quoted q = quote_ip4(r);
		uint8_t gw[4] = {(uint8_t)(w1 >> 8), (uint8_t)w1, (uint8_t)(w2 >> 8), (uint8_t)w2};
		ft__puts(o, code < 2 ? "redirect" : "redirect-tos");
		if (!q.ok) {
			ft__trunc(d, "icmp");
			return;
		}
		ft__putc(o, ' ');
		ft__put_ip4(o, q.dst);
		ft__puts(o, code == 0 || code == 2 ? " to net " : " to host ");
		ft__put_ip4(o, gw);
		break;
	}
	case 12:
		FT_PUTS(o, "parameter problem - octet ");
		ft__put_u32(o, w1 >> 8);
		break;
	default:
		name = simple_type(type, code);
		if (name) {
			ft__puts(o, name);
		} else {
			FT_PUTS(o, "type-#");
			ft__put_u32(o, type);
		}
		break;
	}
	FT_PUTS(o, ", length ");
	ft__put_u32(o, len);
	if ((d->flags & FT_TEXT_VERBOSE) && !l3->fragmented && ft_rd_left(&all) >= len) {
		uint16_t c = ft__cksum(all.p, len), sum = (uint16_t)(all.p[2] << 8 | all.p[3]);
		if (c) {
			FT_PUTS(o, " (wrong icmp cksum ");
			ft__put_hex(o, sum, 1);
			FT_PUTS(o, " (->");
			ft__put_hex(o, ft__cksum_shouldbe(sum, c), 1);
			FT_PUTS(o, ")!)");
		}
	}
}
