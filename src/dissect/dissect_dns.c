/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: DNS (RFC 1035) and mDNS message summaries, as tcpdump -n prints.
 *
 *   +-------------------------------+-------------------------------+
 *   |              ID               |Q|Opcode |A|T|R|R|Z|A|C| RCODE |
 *   +-------------------------------+-------------------------------+
 *   |   QDCOUNT   |   ANCOUNT   |   NSCOUNT   |   ARCOUNT           |
 *   +---------------------------------------------------------------+
 *
 * Query:    "4660+ [1au] A? example.com. (40)"
 * Response: "4660* 2/0/1 CNAME www.example.com., A 93.184.216.34 (80)"
 * At most MAX_ANSWERS answers are printed, then ", ..." if there are more.
 * Names follow compression pointers with a bound on jumps, so pointer loops
 * in crafted packets end.
 */
#include "dissect.h"

#define MAX_ANSWERS 4
#define MAX_JUMPS   16
#define MAX_NAME    255

static const char *const opcodes[16] = {
    "",	    " inv_q",	" stat",    " op3",	 " notify",  " update",	  " op6",      " op7",
    " op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef",
};

static const char *const rcodes[16] = {
    "",		 " FormErr", " ServFail", " NXDomain", " NotImp",  " Refused",
    " YXDomain", " YXRRSet", " NXRRSet",  " NotAuth",  " NotZone", " Resp11",
    " Resp12",	 " Resp13",  " Resp14",	  " NoChange",
};

static const struct {
	uint16_t type;
	char name[7];
} types[] = {
    {1, "A"},	   {2, "NS"},	  {5, "CNAME"}, {6, "SOA"},	{12, "PTR"},   {13, "HINFO"},
    {15, "MX"},	   {16, "TXT"},	  {28, "AAAA"}, {33, "SRV"},	{35, "NAPTR"}, {41, "OPT"},
    {43, "DS"},	   {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {64, "SVCB"},  {65, "HTTPS"},
    {252, "AXFR"}, {255, "ANY"},  {257, "CAA"},
};

static void put_type(struct ft_strbuf *o, unsigned t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i].type == t) {
			ft__puts(o, types[i].name);
			return;
		}
	}
	FT_PUTS(o, "Type");
	ft__put_u32(o, t);
}

/*
 * Print the name at @r (advancing @r past it) in the message @msg.
 * Returns false on truncation or a malformed name.
 */
static bool put_name(struct ft_strbuf *o, struct ft_rd msg, struct ft_rd *r)
{
	struct ft_rd cur = *r;
	bool jumped = false;
	unsigned jumps = 0, total = 0;

	for (;;) {
		unsigned l = ft_rd_u8(&cur);
		if (cur.err)
			return false;
		if ((l & 0xc0) == 0xc0) {
			unsigned off = (l & 0x3fu) << 8 | ft_rd_u8(&cur);
			if (cur.err || ++jumps > MAX_JUMPS)
				return false;
			if (!jumped)
				*r = cur;
			jumped = true;
			cur = msg;
			if (!ft_rd_skip(&cur, off))
				return false;
			continue;
		}
		if (l & 0xc0)
			return false; /* EDNS0 extended label types are obsolete */
		if (l == 0)
			break;
		const uint8_t *s = ft_rd_ptr(&cur, l);
		total += l + 1;
		if (!s || total > MAX_NAME)
			return false;
		ft__put_text(o, s, l);
		ft__putc(o, '.');
	}
	if (total == 0)
		ft__putc(o, '.');
	if (!jumped)
		*r = cur;
	return true;
}

/* A name printed nowhere: skips it (compression pointers included). */
static bool skip_name(struct ft_rd msg, struct ft_rd *r)
{
	char scratch[1];
	struct ft_strbuf none = {scratch, 0, 0, false};
	return put_name(&none, msg, r);
}

/* One answer: " A 1.2.3.4", " CNAME x.", " MX x. 10". */
static bool put_rr(struct ft_strbuf *o, struct ft_rd msg, struct ft_rd *r)
{
	uint8_t a[16];

	/* The owner name is not printed (tcpdump shows it only with -vv). */
	if (!skip_name(msg, r))
		return false;
	unsigned type = ft_rd_be16(r);
	ft_rd_skip(r, 6);
	unsigned rdlen = ft_rd_be16(r);
	struct ft_rd rd = ft_rd_sub(r, rdlen);
	if (r->err)
		return false;
	ft__putc(o, ' ');
	put_type(o, type);
	switch (type) {
	case 1:
	case 28:
		if (rdlen != (type == 1 ? 4u : 16u) || !ft_rd_copy(&rd, a, rdlen))
			return false;
		ft__putc(o, ' ');
		if (type == 1)
			ft__put_ip4(o, a);
		else
			ft__put_ip6(o, a);
		return true;
	case 2:
	case 5:
	case 12:
		ft__putc(o, ' ');
		return put_name(o, msg, &rd);
	case 15: {
		unsigned pref = ft_rd_be16(&rd);
		ft__putc(o, ' ');
		if (rd.err || !put_name(o, msg, &rd))
			return false;
		ft__putc(o, ' ');
		ft__put_u32(o, pref);
		return true;
	}
	case 16: {
		unsigned l = ft_rd_u8(&rd);
		const uint8_t *s = ft_rd_ptr(&rd, l);
		if (!s)
			return false;
		FT_PUTS(o, " \"");
		ft__put_text(o, s, l);
		ft__putc(o, '"');
		return true;
	}
	default:
		return true;
	}
}

static void counts(struct ft_strbuf *o, unsigned n, const char *what)
{
	if (!n)
		return;
	FT_PUTS(o, " [");
	ft__put_u32(o, n);
	ft__puts(o, what);
	ft__putc(o, ']');
}

static bool question(struct ft_strbuf *o, struct ft_rd msg, struct ft_rd *r, bool mdns)
{
	struct ft_rd name = *r;

	/* The type comes after the name but is printed first: "A? name.". */
	if (!skip_name(msg, r))
		return false;
	unsigned type = ft_rd_be16(r);
	unsigned qclass = ft_rd_be16(r), cls = mdns ? qclass & 0x7fff : qclass;
	if (r->err)
		return false;
	ft__putc(o, ' ');
	put_type(o, type);
	if (cls != 1) {
		static const char *const classes[] = {
		    [3] = "CHAOS", [4] = "Hesiod", [254] = "NONE", [255] = "ANY"};
		if (cls < 256 && classes[cls]) {
			ft__putc(o, ' ');
			ft__puts(o, classes[cls]);
		} else {
			FT_PUTS(o, " (Class ");
			ft__put_u32(o, cls);
			ft__putc(o, ')');
		}
	}
	if (mdns)
		ft__puts(o, qclass & 0x8000 ? " (QU)" : " (QM)");
	FT_PUTS(o, "? ");
	return put_name(o, msg, &name);
}

static void put_qd(struct ft_strbuf *o, unsigned qd)
{
	if (qd == 1)
		return;
	FT_PUTS(o, " [");
	ft__put_u32(o, qd);
	FT_PUTS(o, "q]");
}

/* "[rcode][*][-][|][$][ [Nq]] an/ns/ar answer, answer, ..." */
static bool response(struct ft_strbuf *o, struct ft_rd msg, struct ft_rd *r, uint16_t fl,
		     const uint16_t c[4])
{
	bool ok = true;

	ft__puts(o, rcodes[fl & 0xf]);
	if (fl & 0x0400)
		ft__putc(o, '*');
	if (!(fl & 0x0080))
		ft__putc(o, '-');
	if (fl & 0x0200)
		ft__putc(o, '|');
	if (fl & 0x0020)
		ft__putc(o, '$');
	put_qd(o, c[0]);
	ft__putc(o, ' ');
	ft__put_u32(o, c[1]);
	ft__putc(o, '/');
	ft__put_u32(o, c[2]);
	ft__putc(o, '/');
	ft__put_u32(o, c[3]);
	for (unsigned i = 0; ok && i < c[0] && i < 64; i++)
		ok = skip_name(msg, r) && ft_rd_skip(r, 4);
	for (unsigned i = 0; ok && i < c[1] && i < MAX_ANSWERS; i++) {
		if (i)
			ft__putc(o, ',');
		ok = put_rr(o, msg, r);
	}
	if (ok && c[1] > MAX_ANSWERS)
		FT_PUTS(o, ", ...");
	return ok;
}

/* "[+][%][ [b2&3=0x..]][ [Na]][ [Nq]][ [Nn]][ [Nau]] TYPE? name.", in
 * tcpdump's order (an inverse query puts the questions first). */
static bool query(struct ft_strbuf *o, struct ft_rd msg, struct ft_rd *r, uint16_t fl,
		  const uint16_t c[4], bool mdns)
{
	if (fl & 0x0100)
		ft__putc(o, '+');
	if (fl & 0x0010)
		ft__putc(o, '%');
	if (fl & 0x6cf) {
		FT_PUTS(o, " [b2&3=0x");
		ft__put_hex(o, fl, 1);
		ft__putc(o, ']');
	}
	if ((fl >> 11 & 0xf) == 1) {
		counts(o, c[0], "q");
		if (c[1] != 1) {
			FT_PUTS(o, " [");
			ft__put_u32(o, c[1]);
			FT_PUTS(o, "a]");
		}
	} else {
		counts(o, c[1], "a");
		put_qd(o, c[0]);
	}
	counts(o, c[2], "n");
	counts(o, c[3], "au");
	return c[0] ? question(o, msg, r, mdns) : true;
}

void ft__dis_dns(struct ft_dis *d, struct ft_rd r, uint32_t len, bool mdns)
{
	struct ft_strbuf *o = d->out;
	struct ft_rd msg = r;
	uint16_t id, fl, c[4];
	bool ok;

	if (len < 12) {
		FT_PUTS(o, "domain [length ");
		ft__put_u32(o, len);
		FT_PUTS(o, " < 12] (invalid)");
		return;
	}
	id = ft_rd_be16(&r);
	fl = ft_rd_be16(&r);
	for (int i = 0; i < 4; i++)
		c[i] = ft_rd_be16(&r); /* qd, an, ns, ar */
	if (r.err) {
		FT_PUTS(o, "DNS");
		ft__trunc(d, "domain");
		return;
	}
	ft__put_u32(o, id);
	ft__puts(o, opcodes[fl >> 11 & 0xf]);
	ok = fl & 0x8000 ? response(o, msg, &r, fl, c) : query(o, msg, &r, fl, c, mdns);
	if (!ok) {
		ft__trunc(d, "domain");
		return;
	}
	FT_PUTS(o, " (");
	ft__put_u32(o, len);
	ft__putc(o, ')');
}
