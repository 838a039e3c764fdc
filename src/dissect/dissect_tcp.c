/* \summary: TCP (RFC 9293) with options (RFC 7323 TS/wscale, RFC 2018 SACK).
 *
 *   +-------------------------------+-------------------------------+
 *   |          Source Port          |       Destination Port        |
 *   +-------------------------------+-------------------------------+
 *   |                        Sequence Number                        |
 *   |                     Acknowledgment Number                     |
 *   +-------+-------+---------------+-------------------------------+
 *   | Offset| Rsvd  |C|E|U|A|P|R|S|F|            Window             |
 *   +-------+-------+---------------+-------------------------------+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-------------------------------+-------------------------------+
 *
 * Sequence numbers are printed absolute (tcpdump -S): relative numbers need
 * per-connection state that a stateless formatter does not keep.
 */
#include "dissect.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

static void put_flags(struct ft_strbuf *o, unsigned f)
{
	static const char chars[8] = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};
	char tmp[16];
	size_t n = 0;

	memcpy(tmp, "Flags [", 7);
	n = 7;
	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			tmp[n++] = chars[i];
	if (n == 7) {
		FT_PUTS(o, "Flags [none]");
		return;
	}
	tmp[n++] = ']';
	ft__put(o, tmp, n);
}

static void opt_sack(struct ft_strbuf *o, struct ft_rd *v)
{
	unsigned blocks = (unsigned)ft_rd_left(v) / 8;
	FT_PUTS(o, "sack ");
	ft__put_u32(o, blocks);
	for (unsigned i = 0; i < blocks; i++) {
		uint32_t l = ft_rd_be32(v), rt = ft_rd_be32(v);
		FT_PUTS(o, " {");
		ft__put_u32(o, l);
		ft__putc(o, ':');
		ft__put_u32(o, rt);
		ft__putc(o, '}');
	}
}

/* One option with its value @v (kind and length already consumed). */
static void opt_value(struct ft_strbuf *o, unsigned kind, struct ft_rd v)
{
	size_t n = ft_rd_left(&v);
	switch (kind) {
	case 2:
		FT_PUTS(o, "mss ");
		ft__put_u32(o, ft_rd_be16(&v));
		break;
	case 3:
		FT_PUTS(o, "wscale ");
		ft__put_u32(o, ft_rd_u8(&v));
		break;
	case 4:
		FT_PUTS(o, "sackOK");
		break;
	case 5:
		opt_sack(o, &v);
		break;
	case 8: {
		uint32_t val = ft_rd_be32(&v), ecr = ft_rd_be32(&v);
		FT_PUTS(o, "TS val ");
		ft__put_u32(o, val);
		FT_PUTS(o, " ecr ");
		ft__put_u32(o, ecr);
		break;
	}
	case 19:
		FT_PUTS(o, "md5");
		break;
	case 29:
		FT_PUTS(o, "tcp-ao");
		break;
	case 30:
		FT_PUTS(o, "mptcp");
		break;
	case 34:
		FT_PUTS(o, "tfo");
		break;
	default:
		FT_PUTS(o, "unknown-");
		ft__put_u32(o, kind);
		break;
	}
	/* A value of the wrong size for its kind. */
	if (v.err || ((kind == 2 && n != 2) || (kind == 3 && n != 1) || (kind == 8 && n != 8)))
		FT_PUTS(o, " [bad opt]");
}

static void tcp_options(struct ft_dis *d, struct ft_rd r)
{
	struct ft_strbuf *o = d->out;
	FT_PUTS(o, ", options [");
	for (int i = 0; ft_rd_left(&r); i++) {
		unsigned kind = ft_rd_u8(&r);
		if (i)
			ft__putc(o, ',');
		if (kind == 0) {
			FT_PUTS(o, "eol");
			break;
		}
		if (kind == 1) {
			FT_PUTS(o, "nop");
			continue;
		}
		unsigned olen = ft_rd_u8(&r);
		if (r.err || olen < 2 || ft_rd_left(&r) < olen - 2u) {
			FT_PUTS(o, "bad opt");
			break;
		}
		opt_value(o, kind, ft_rd_sub(&r, olen - 2u));
	}
	ft__putc(o, ']');
}

static void tcp_payload(struct ft_dis *d, struct ft_rd p, uint16_t sport, uint16_t dport,
			uint32_t paylen)
{
	if (!ft_rd_left(&p))
		return;
	if (sport == 53 || dport == 53 || sport == 5353 || dport == 5353) {
		/* DNS over TCP: a 2-byte length precedes each message. */
		uint16_t mlen = ft_rd_be16(&p);
		if (p.err)
			return;
		FT_PUTS(d->out, ": ");
		ft__dis_dns(d, p, mlen);
		return;
	}
	if (ft__dis_tls(d, p) || ft__dis_http(d, p) || ft__dis_ssh(d, p))
		return;
}

void ft__dis_tcp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	uint16_t sport, dport, win, urp;
	uint32_t seq, ack, hlen, paylen;
	uint8_t off, flags;

	sport = ft_rd_be16(&r);
	dport = ft_rd_be16(&r);
	if (r.err) {
		ft__put_hosts(o, l3);
		ft__trunc(d, "tcp");
		return;
	}
	ft__put_endpoints(o, l3, sport, dport);
	seq = ft_rd_be32(&r);
	ack = ft_rd_be32(&r);
	off = ft_rd_u8(&r);
	flags = ft_rd_u8(&r);
	win = ft_rd_be16(&r);
	ft_rd_skip(&r, 2);
	urp = ft_rd_be16(&r);
	if (r.err) {
		ft__trunc(d, "tcp");
		return;
	}
	hlen = (off >> 4u) * 4u;
	if (hlen < 20) {
		FT_PUTS(o, "bad hdr length ");
		ft__put_u32(o, hlen);
		FT_PUTS(o, " - too short, < 20");
		return;
	}
	if (hlen > len) {
		FT_PUTS(o, "bad hdr length ");
		ft__put_u32(o, hlen);
		FT_PUTS(o, " - too long, > ");
		ft__put_u32(o, len);
		return;
	}
	paylen = len - hlen;
	put_flags(o, flags);
	if (paylen || (flags & (TH_SYN | TH_FIN | TH_RST))) {
		FT_PUTS(o, ", seq ");
		ft__put_u32(o, seq);
		if (paylen) {
			ft__putc(o, ':');
			ft__put_u32(o, seq + paylen);
		}
	}
	if (flags & TH_ACK) {
		FT_PUTS(o, ", ack ");
		ft__put_u32(o, ack);
	}
	FT_PUTS(o, ", win ");
	ft__put_u32(o, win);
	if (flags & TH_URG) {
		FT_PUTS(o, ", urg ");
		ft__put_u32(o, urp);
	}
	struct ft_rd opts = ft_rd_sub(&r, hlen - 20);
	if (opts.err || ft_rd_left(&opts) < hlen - 20) {
		ft__trunc(d, "tcp");
		return;
	}
	if ((d->flags & FT_TEXT_VERBOSE) && hlen > 20)
		tcp_options(d, opts);
	FT_PUTS(o, ", length ");
	ft__put_u32(o, paylen);
	tcp_payload(d, r, sport, dport, paylen);
}
