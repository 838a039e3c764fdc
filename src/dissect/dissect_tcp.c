/* SPDX-License-Identifier: BSD-2-Clause */
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
 * Sequence numbers are relative to the first seen of each connection, as
 * tcpdump prints them, when the caller passes a state (text_state.c) and
 * not FT_TEXT_ABSSEQ; absolute otherwise. Payloads are decoded by port as
 * tcpdump does (SSH 22, HTTP 80/8080, DNS 53); what flowtap recognises on
 * other ports (TLS, HTTP, SSH) comes after what tcpdump would print.
 */
#include <strings.h>

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

/* "sack 2 {a:b}{c:d}", relative to the other side's initial number. */
static void opt_sack(struct ft_strbuf *o, struct ft_rd *v, uint32_t base)
{
	unsigned blocks = (unsigned)ft_rd_left(v) / 8;
	if (ft_rd_left(v) % 8) {
		FT_PUTS(o, "sack invalid sack");
		ft_rd_skip(v, ft_rd_left(v));
		return;
	}
	FT_PUTS(o, "sack ");
	ft__put_u32(o, blocks);
	ft__putc(o, ' ');
	for (unsigned i = 0; i < blocks; i++) {
		uint32_t l = ft_rd_be32(v), rt = ft_rd_be32(v);
		ft__putc(o, '{');
		ft__put_u32(o, l - base);
		ft__putc(o, ':');
		ft__put_u32(o, rt - base);
		ft__putc(o, '}');
	}
}

/* One option with its value @v (kind and length already consumed). */
static void opt_value(struct ft_strbuf *o, unsigned kind, struct ft_rd v, uint32_t sack_base)
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
		opt_sack(o, &v, sack_base);
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
		if (n)
			FT_PUTS(o, " 0x");
		for (size_t i = 0; i < n; i++)
			ft__put_hex(o, ft_rd_u8(&v), 2);
		break;
	}
	/* A value of the wrong size for its kind. */
	if (v.err || ((kind == 2 && n != 2) || (kind == 3 && n != 1) || (kind == 8 && n != 8)))
		FT_PUTS(o, " [bad opt]");
}

static void tcp_options(struct ft_dis *d, struct ft_rd r, uint32_t sack_base)
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
		opt_value(o, kind, ft_rd_sub(&r, olen - 2u), sack_base);
	}
	ft__putc(o, ']');
}

/* tcpdump's txtproto_print token: printable ASCII up to a blank. Returns
 * the offset after the token and the blanks that follow, 0 if none. */
static size_t fetch_token(const uint8_t *p, size_t idx, size_t len, char *tok, size_t toksz)
{
	size_t n = 0;

	for (; idx < len; idx++) {
		uint8_t c = p[idx];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break;
		if (c < 0x20 || c > 0x7e || n + 2 > toksz)
			return 0;
		tok[n++] = (char)c;
	}
	if (!n)
		return 0;
	tok[n] = '\0';
	for (; idx < len; idx++) {
		uint8_t c = p[idx];
		if (c == '\r' || c == '\n' || c < 0x20 || c > 0x7e || (c != ' ' && c != '\t'))
			break;
	}
	return idx;
}

static const char *const http_methods[] = {
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
};

/* One text line from @idx, tcpdump's print_txt_line: returns the offset
 * after its end, or 0 (binary, or no end: then cut with " [|http]"). */
static size_t txt_line(struct ft_strbuf *o, const char *prefix, const uint8_t *p, size_t idx,
		       size_t len, size_t cap)
{
	size_t start = idx;

	while (idx < len) {
		/* @len is the payload length the header claims; only @cap bytes
		 * were captured: never read a byte before checking it is there. */
		if (idx >= cap) {
			ft__puts(o, prefix);
			ft__put(o, (const char *)p + start, idx - start);
			FT_PUTS(o, " [|http]");
			return 0;
		}
		uint8_t c = p[idx];
		if (c == '\n') {
			ft__puts(o, prefix);
			ft__put(o, (const char *)p + start, idx - start);
			return idx + 1;
		}
		if (c == '\r') {
			if (idx + 1 >= len)
				return 0;
			if (idx + 1 >= cap) {
				FT_PUTS(o, " [|http]");
				return 0;
			}
			if (p[idx + 1] != '\n')
				return 0;
			ft__puts(o, prefix);
			ft__put(o, (const char *)p + start, idx - start);
			return idx + 2;
		}
		if ((c < 0x20 || c > 0x7e) && c != '\t')
			return 0;
		idx++;
	}
	ft__puts(o, prefix);
	ft__put(o, (const char *)p + start, idx - start);
	FT_PUTS(o, " [|http]");
	return 0;
}

/* HTTP on ports 80 and 8080, as tcpdump's http_print: ": HTTP", then the
 * first line of a request or response (all lines with -v). */
static void http_port(struct ft_dis *d, struct ft_rd r, uint32_t paylen)
{
	struct ft_strbuf *o = d->out;
	size_t cap = ft_rd_left(&r), idx;
	const uint8_t *p = r.p;
	bool print = false;
	char tok[129];

	idx = fetch_token(p, 0, cap < paylen ? cap : paylen, tok, sizeof(tok));
	if (idx) {
		for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
			if (!strcasecmp(tok, http_methods[i]))
				print = true;
		idx = fetch_token(p, idx, cap < paylen ? cap : paylen, tok, sizeof(tok));
		if (idx && tok[0] >= '0' && tok[0] <= '9' && tok[1] >= '0' && tok[1] <= '9' &&
		    tok[2] >= '0' && tok[2] <= '9' && tok[3] == '\0')
			print = true;
	}
	FT_PUTS(o, ": HTTP");
	if (!print)
		return;
	if (d->flags & FT_TEXT_VERBOSE) {
		FT_PUTS(o, ", length: ");
		ft__put_u32(o, paylen);
		for (idx = 0; idx < paylen && (idx = txt_line(o, "\n\t", p, idx, paylen, cap));)
			;
	} else {
		txt_line(o, ": ", p, 0, paylen, cap);
	}
}

/* SSH on port 22, as tcpdump's ssh_print: the identification line, only
 * when it ends in this segment. */
static void ssh_port(struct ft_dis *d, struct ft_rd r, uint32_t paylen)
{
	size_t cap = ft_rd_left(&r), len = cap < paylen ? cap : paylen, idx;
	const uint8_t *p = r.p;

	if (len < 4 || memcmp(p, "SSH-", 4))
		return;
	for (idx = 4; idx < len; idx++) {
		if (p[idx] == '\n')
			break;
		if (p[idx] == '\r') {
			if (idx + 1 >= len || p[idx + 1] != '\n')
				return;
			break;
		}
		if (p[idx] < 0x20 || p[idx] > 0x7e)
			return;
	}
	if (idx >= len)
		return;
	FT_PUTS(d->out, ": SSH: ");
	ft__put(d->out, (const char *)p, idx);
}

/* DNS over TCP (RFC 1035 4.2.2): a two-byte length, then the message. */
static void dns_tcp(struct ft_dis *d, struct ft_rd r, uint32_t paylen)
{
	struct ft_strbuf *o = d->out;
	uint16_t prefix;

	if (paylen < 2) {
		FT_PUTS(o, " [DNS over TCP: length ");
		ft__put_u32(o, paylen);
		FT_PUTS(o, " < 2] (invalid)");
		return;
	}
	prefix = ft_rd_be16(&r);
	if (r.err) {
		ft__trunc(d, "domain");
		return;
	}
	if (prefix != paylen - 2) {
		FT_PUTS(o, " [prefix length(");
		ft__put_u32(o, prefix);
		FT_PUTS(o, ") != length(");
		ft__put_u32(o, paylen - 2);
		FT_PUTS(o, ")] (invalid)");
		return;
	}
	ft__putc(o, ' ');
	ft__dis_dns(d, r, prefix, false);
}

/* " [RST+ text]": the data of a reset, with -v (RFC 1122 4.2.2.12). */
static void rst_data(struct ft_strbuf *o, struct ft_rd r, uint32_t paylen)
{
	size_t cap = ft_rd_left(&r), n = paylen;

	ft__puts(o, cap >= paylen ? " [RST" : " [!RST");
	if (n > 30) {
		n = 30;
		ft__putc(o, '+');
	}
	ft__putc(o, ' ');
	ft__put_safe(o, r.p, n < cap ? n : cap);
	ft__putc(o, ']');
}

static void tcp_payload(struct ft_dis *d, struct ft_rd p, uint16_t sport, uint16_t dport,
			uint32_t paylen, uint8_t flags)
{
	bool tcpdump_port;

	if (!paylen)
		return;
	if ((flags & TH_RST) && (d->flags & FT_TEXT_VERBOSE)) {
		rst_data(d->out, p, paylen);
		return;
	}
	if (!ft_rd_left(&p))
		return;
	tcpdump_port = true;
	if (sport == 22 || dport == 22)
		ssh_port(d, p, paylen);
	else if (sport == 80 || dport == 80 || sport == 8080 || dport == 8080)
		http_port(d, p, paylen);
	else if (sport == 53 || dport == 53)
		dns_tcp(d, p, paylen);
	else
		tcpdump_port = false;
	/* What tcpdump does not decode here comes after what it prints. */
	if (ft__dis_tls(d, p))
		return;
	if (!tcpdump_port)
		(void)(ft__dis_http(d, p) || ft__dis_ssh(d, p));
}

/* tcpdump's relative numbers: the first packet with ACK of a conversation
 * (or any SYN with ACK) records its numbers and prints them absolute; later
 * ones print the difference. *base receives what SACK blocks subtract. */
static void relative(struct ft_dis *d, const struct ft_l3 *l3, uint16_t sport, uint16_t dport,
		     uint8_t flags, uint32_t *seq, uint32_t *ack, uint32_t *sack_base)
{
	struct ft__seq_key k;
	struct ft__seq_ent *e;
	bool rev = false, found;

	if (sport > dport)
		rev = true;
	else if (sport == dport && memcmp(l3->src, l3->dst, l3->alen) > 0)
		rev = true;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, rev ? l3->dst : l3->src, l3->alen);
	memcpy(k.dst, rev ? l3->src : l3->dst, l3->alen);
	k.port = rev ? (uint32_t)dport << 16 | sport : (uint32_t)sport << 16 | dport;
	k.alen = l3->alen;
	e = ft__seq_lookup(d->st, &k, &found);
	if (!found || (flags & TH_SYN)) {
		if (rev) {
			e->ack = *seq;
			e->seq = *ack - 1;
		} else {
			e->seq = *seq;
			e->ack = *ack - 1;
		}
	} else if (rev) {
		*seq -= e->ack;
		*ack -= e->seq;
	} else {
		*seq -= e->seq;
		*ack -= e->ack;
	}
	*sack_base = rev ? e->seq : e->ack;
}

/* ", cksum 0x1234 (correct)" with -v, when the whole segment is there. */
static void tcp_cksum(struct ft_dis *d, struct ft_rd all, uint32_t len, const struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	uint16_t sum, c;

	if (l3->fragmented || ft_rd_left(&all) < len)
		return;
	sum = (uint16_t)(all.p[16] << 8 | all.p[17]);
	c = ft__l4_cksum(l3, 6, all.p, len);
	FT_PUTS(o, ", cksum 0x");
	ft__put_hex(o, sum, 4);
	if (c) {
		FT_PUTS(o, " (incorrect -> 0x");
		ft__put_hex(o, ft__cksum_shouldbe(sum, c), 4);
		ft__putc(o, ')');
	} else {
		FT_PUTS(o, " (correct)");
	}
}

void ft__dis_tcp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3)
{
	struct ft_strbuf *o = d->out;
	struct ft_rd all = r;
	uint16_t sport, dport, win, urp;
	uint32_t seq, ack, hlen, paylen, sack_base = 0;
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
	hlen = (off >> 4u) * 4u;
	if (!r.err && hlen < 20) {
		FT_PUTS(o, " tcp ");
		ft__put_u32(o, len - hlen);
		FT_PUTS(o, " [bad hdr length ");
		ft__put_u32(o, hlen);
		FT_PUTS(o, " - too short, < 20]");
		return;
	}
	if (r.err) {
		ft__trunc(d, "tcp");
		return;
	}
	if (d->flags & FT_TEXT_QUICK) {
		FT_PUTS(o, "tcp ");
		ft__put_u32(o, len - hlen);
		if (hlen > len) {
			FT_PUTS(o, " [bad hdr length ");
			ft__put_u32(o, hlen);
			FT_PUTS(o, " - too long, > ");
			ft__put_u32(o, len);
			ft__putc(o, ']');
		}
		return;
	}
	put_flags(o, flags);
	if (d->st && !(d->flags & FT_TEXT_ABSSEQ) && (flags & TH_ACK))
		relative(d, l3, sport, dport, flags, &seq, &ack, &sack_base);
	if (hlen > len) {
		FT_PUTS(o, " [bad hdr length ");
		ft__put_u32(o, hlen);
		FT_PUTS(o, " - too long, > ");
		ft__put_u32(o, len);
		ft__putc(o, ']');
		return;
	}
	if (d->flags & FT_TEXT_VERBOSE)
		tcp_cksum(d, all, len, l3);
	paylen = len - hlen;
	if (paylen || (flags & (TH_SYN | TH_FIN | TH_RST)) || (d->flags & FT_TEXT_VERBOSE2)) {
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
	if (hlen > 20)
		tcp_options(d, opts, sack_base);
	FT_PUTS(o, ", length ");
	ft__put_u32(o, paylen);
	tcp_payload(d, r, sport, dport, paylen, flags);
}
