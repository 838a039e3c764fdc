/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ft_text_format - one tcpdump-like text line per packet.
 *
 * Line layout (flowtap-text(7) is the reference):
 *
 *   [TIME ][IN |OUT ][PATH ]PROTOCOL-SUMMARY[ [pre-nat src A][ dst B]]\n
 *   [-x hex+ASCII lines][-A payload lines]
 *
 * This is the text hot path: the time of day is converted once per second
 * and cached per thread, numbers and addresses are written by hand, and
 * nothing here allocates or makes a system call per packet.
 */
#include <pcap/pcap.h>
#include <pthread.h>
#include <time.h>

#include <flowtap/text.h>

#include "dissect.h"
#include "drop.h"

/* Linux DLT values that not every libpcap header spells the same way. */
#define DLT_LINKTYPE_RAW 101
#define DLT_IPV4_	 228
#define DLT_IPV6_	 229
#define DLT_LINUX_SLL_	 113
#define DLT_LINUX_SLL2_	 276
#define DLT_NFLOG_	 239
#define DLT_LOOP_	 108
#define DLT_USER0_	 147
#define DLT_PPP_SERIAL_	 50
#define DLT_C_HDLC_	 104

static pthread_once_t tz_once = PTHREAD_ONCE_INIT;

static void tz_init(void)
{
	tzset();
}

/* The formatted "HH:MM:SS" or "YYYY-MM-DD HH:MM:SS" of the last second seen
 * by this thread, per time mode. */
struct ts_cache {
	int64_t sec;
	int mode;
	size_t n;
	char txt[24];
};

static _Thread_local struct ts_cache tcache = {.sec = -1, .mode = -1};

static void put2(char *q, int v)
{
	q[0] = (char)('0' + v / 10 % 10);
	q[1] = (char)('0' + v % 10);
}

static void ts_fill(struct ts_cache *c, int64_t sec, int mode)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char *q = c->txt;
	bool utc = mode == FT_TIME_UTC || mode == FT_TIME_DATE_UTC;

	if (utc) {
		gmtime_r(&t, &tm);
	} else {
		pthread_once(&tz_once, tz_init);
		localtime_r(&t, &tm);
	}
	if (mode == FT_TIME_DATE || mode == FT_TIME_DATE_UTC) {
		int y = tm.tm_year + 1900;
		if (y < 0 || y > 9999)
			y = 0;
		q[0] = (char)('0' + y / 1000);
		q[1] = (char)('0' + y / 100 % 10);
		put2(q + 2, y % 100);
		q[4] = '-';
		put2(q + 5, tm.tm_mon + 1);
		q[7] = '-';
		put2(q + 8, tm.tm_mday);
		q[10] = ' ';
		q += 11;
	}
	put2(q, tm.tm_hour);
	q[2] = ':';
	put2(q + 3, tm.tm_min);
	q[5] = ':';
	put2(q + 6, tm.tm_sec);
	q += 8;
	c->n = (size_t)(q - c->txt);
	c->sec = sec;
	c->mode = mode;
}

static void put_time(struct ft_strbuf *o, uint64_t ts_ns, enum ft_time_mode mode)
{
	int64_t sec = (int64_t)(ts_ns / 1000000000u);
	uint32_t us = (uint32_t)(ts_ns % 1000000000u / 1000u);
	char frac[8];

	if (tcache.sec != sec || tcache.mode != (int)mode)
		ts_fill(&tcache, sec, (int)mode);
	ft__put(o, tcache.txt, tcache.n);
	frac[0] = '.';
	for (int i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + us % 10);
		us /= 10;
	}
	frac[7] = ' ';
	ft__put(o, frac, sizeof(frac));
}

/* tcpdump -tt: "1700000000.000010 ". */
static void put_epoch(struct ft_strbuf *o, uint64_t ts_ns)
{
	char frac[8];
	uint32_t us = (uint32_t)(ts_ns % 1000000000u / 1000u);

	ft__put_u32(o, (uint32_t)(ts_ns / 1000000000u));
	frac[0] = '.';
	for (int i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + us % 10);
		us /= 10;
	}
	frac[7] = ' ';
	ft__put(o, frac, sizeof(frac));
}

/* tcpdump -ttt and -ttttt: " HH:MM:SS.uuuuuu " since the reference (the
 * previous or the first packet), "-" first when it lies in the future. */
static void put_delta(struct ft_strbuf *o, uint64_t ts_ns, enum ft_time_mode mode,
		      struct ft_text_state *st)
{
	uint64_t ref = ts_ns, d;
	char txt[17];
	uint32_t sec, us;

	if (st) {
		if (!st->have_prev) {
			st->first_ns = st->prev_ns = ts_ns;
			st->have_prev = true;
		}
		ref = mode == FT_TIME_DELTA ? st->prev_ns : st->first_ns;
		st->prev_ns = ts_ns;
	}
	/* tcpdump works in microseconds (or nanoseconds with
	 * --time-stamp-precision): the difference of truncated stamps. */
	ts_ns -= ts_ns % 1000;
	ref -= ref % 1000;
	d = ts_ns >= ref ? ts_ns - ref : ref - ts_ns;
	sec = (uint32_t)(d / 1000000000u % 86400u);
	us = (uint32_t)(d % 1000000000u / 1000u);
	txt[0] = ts_ns >= ref ? ' ' : '-';
	put2(txt + 1, (int)(sec / 3600));
	txt[3] = ':';
	put2(txt + 4, (int)(sec / 60 % 60));
	txt[6] = ':';
	put2(txt + 7, (int)(sec % 60));
	txt[9] = '.';
	for (int i = 15; i >= 10; i--) {
		txt[i] = (char)('0' + us % 10);
		us /= 10;
	}
	txt[16] = ' ';
	ft__put(o, txt, sizeof(txt));
}

/* tcpdump -#: the packet number, "%5u  ". */
static void put_number(struct ft_strbuf *o, uint64_t n)
{
	char tmp[24];
	size_t k = 0;
	char digits[20];
	size_t nd = 0;

	do {
		digits[nd++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (nd + k < 5)
		tmp[k++] = ' ';
	while (nd)
		tmp[k++] = digits[--nd];
	tmp[k++] = ' ';
	tmp[k++] = ' ';
	ft__put(o, tmp, k);
}

static void put_path(struct ft_strbuf *o, const struct ft_text_opts *opt, unsigned path)
{
	const char *name = NULL;
	if (opt && opt->path_name)
		name = opt->path_name(opt->path_ctx, path);
	if (!name)
		name = ft_path_builtin_name(path);
	if (!name && path == FT_PATH_DROPPED)
		name = "dropped";
	if (name) {
		ft__puts(o, name);
	} else {
		FT_PUTS(o, "path-");
		ft__put_u32(o, path);
	}
	ft__putc(o, ' ');
}

/* "DROP(acl-denied rule 12) ": a marker grep finds (flowtap-text(7)). */
static void put_drop(struct ft_strbuf *o, const struct ft_pkt *p)
{
	char text[FT_DROP_TEXT_MAX];

	ft__drop_describe(text, sizeof(text), p);
	FT_PUTS(o, "DROP(");
	ft__puts(o, text);
	FT_PUTS(o, ") ");
}

static void put_nat(struct ft_strbuf *o, const struct ft_addr *src, const struct ft_addr *dst)
{
	const char *sep = " [pre-nat ";
	const struct ft_addr *a[2] = {src, dst};
	const char *what[2] = {"src ", "dst "};

	for (int i = 0; i < 2; i++) {
		if (a[i]->len != 4 && a[i]->len != 16)
			continue;
		ft__puts(o, sep);
		ft__puts(o, what[i]);
		if (a[i]->len == 4)
			ft__put_ip4(o, a[i]->b);
		else
			ft__put_ip6(o, a[i]->b);
		sep = " ";
	}
	if (sep[0] == ' ' && sep[1] == '\0')
		ft__putc(o, ']');
}

/* The direction a Linux cooked header records (packet type), if any. */
static enum ft_dir cooked_dir(const struct ft_pkt *p)
{
	struct ft_rd r = ft_rd_init(p->data, p->caplen);
	int t = -1;

	if (p->dlt == DLT_LINUX_SLL_) {
		t = ft_rd_peek(&r, 1); /* low byte of the big-endian u16 */
	} else if (p->dlt == DLT_LINUX_SLL2_) {
		t = ft_rd_peek(&r, 10);
	}
	if (t == 0)
		return FT_DIR_IN; /* PACKET_HOST */
	if (t == 4)
		return FT_DIR_OUT; /* PACKET_OUTGOING */
	return FT_DIR_UNKNOWN;
}

/*
 * user0 record: u16 LE path, u8 pre-SNAT length (0/4/16) + address, u8
 * pre-DNAT length + address, then the IP packet. Readers normally unwrap it
 * (ft_reader); a pcap opened directly with libpcap still has it in place.
 * Returns false when the prefix is malformed.
 */
static bool user0_split(struct ft_rd *r, struct ft_pkt *m)
{
	m->path = ft_rd_le16(r);
	for (int i = 0; i < 2; i++) {
		struct ft_addr *a = i ? &m->nat_dst : &m->nat_src;
		a->len = ft_rd_u8(r);
		if (a->len != 0 && a->len != 4 && a->len != 16) {
			a->len = 0;
			return false;
		}
		if (!ft_rd_copy(r, a->b, a->len))
			return false;
	}
	if (r->err)
		return false;
	if (m->dir == FT_DIR_UNKNOWN)
		m->dir = (uint8_t)ft_path_builtin_dir(m->path);
	return true;
}

static void put_unsupported(struct ft_strbuf *o, int dlt, uint32_t len)
{
	const char *name = pcap_datalink_val_to_name(dlt);
	FT_PUTS(o, "unsupported link type ");
	ft__put_u32(o, (uint32_t)dlt);
	if (name) {
		FT_PUTS(o, " (");
		ft__puts(o, name);
		ft__putc(o, ')');
	}
	FT_PUTS(o, ", length ");
	ft__put_u32(o, len);
}

static void dispatch(struct ft_dis *d, int dlt, struct ft_rd r, uint32_t wlen)
{
	switch (dlt) {
	case DLT_EN10MB:
		ft__dis_ether(d, r, wlen);
		break;
	case DLT_RAW:
	case DLT_LINKTYPE_RAW:
#if DLT_RAW != 14
	case 14: /* DLT_RAW on OpenBSD, as some files carry it */
#endif
		ft__dis_raw(d, r, wlen);
		break;
	case DLT_IPV4_:
		ft__dis_ip4(d, r, wlen);
		break;
	case DLT_IPV6_:
		ft__dis_ip6(d, r, wlen);
		break;
	case DLT_LINUX_SLL_:
		ft__dis_sll(d, r, wlen);
		break;
	case DLT_LINUX_SLL2_:
		ft__dis_sll2(d, r, wlen);
		break;
	case DLT_NULL:
		ft__dis_null(d, r, wlen, false);
		break;
	case DLT_LOOP_:
		ft__dis_null(d, r, wlen, true);
		break;
	case DLT_NFLOG_:
		ft__dis_nflog(d, r, wlen);
		break;
	case DLT_PPP:
	case DLT_PPP_SERIAL_:
		ft__dis_ppp(d, r, wlen);
		break;
	case DLT_C_HDLC_:
		ft__dis_chdlc(d, r, wlen);
		break;
	default:
		put_unsupported(d->out, dlt, wlen);
		break;
	}
}

FT_EXPORT size_t ft_text_format(const struct ft_pkt *pkt, const struct ft_text_opts *o,
				struct ft_strbuf *out)
{
	static const struct ft_text_opts defaults = {0};
	struct ft_pkt m = *pkt;
	struct ft_rd r;
	struct ft_dis d;
	size_t start = out->len;
	uint32_t wlen;
	int dlt = pkt->dlt;

	if (!o)
		o = &defaults;
	if (out->len >= out->cap || !out->p) {
		out->overflow = true;
		return 0;
	}
	r = ft_rd_init(pkt->data, pkt->data ? pkt->caplen : 0);
	wlen = pkt->len > pkt->caplen ? pkt->len : pkt->caplen;
	if (dlt == DLT_USER0_) {
		struct ft_rd pre = r;
		struct ft_pkt u = m;
		if (user0_split(&pre, &u)) {
			wlen -= (uint32_t)(pre.p - r.p);
			r = pre;
			m = u;
			dlt = DLT_RAW;
		}
	}
	if (m.dir == FT_DIR_UNKNOWN)
		m.dir = (uint8_t)cooked_dir(pkt);

	if (o->flags & FT_TEXT_NUMBER)
		put_number(out, o->state ? ++o->state->npkts : 1);
	if (o->time == FT_TIME_EPOCH)
		put_epoch(out, pkt->ts_ns);
	else if (o->time == FT_TIME_DELTA || o->time == FT_TIME_SINCE_FIRST)
		put_delta(out, pkt->ts_ns, o->time, o->state);
	else if (o->time != FT_TIME_NONE)
		put_time(out, pkt->ts_ns, o->time);
	if (m.dir == FT_DIR_IN)
		FT_PUTS(out, "IN ");
	else if (m.dir == FT_DIR_OUT)
		FT_PUTS(out, "OUT ");
	if (m.path != FT_PATH_NONE)
		put_path(out, o, m.path);
	if (m.drop_reason)
		put_drop(out, &m);

	d.out = out;
	d.st = o->state;
	d.flags = o->flags;
	d.l3 = NULL;
	d.l3len = 0;
	d.depth = 0;
	d.peers = o->peers;
	if (dlt == DLT_USER0_)
		FT_PUTS(out, "user0 [bad record prefix], length ");
	if (dlt == DLT_USER0_)
		ft__put_u32(out, wlen);
	else
		dispatch(&d, dlt, r, wlen);
	put_nat(out, &m.nat_src, &m.nat_dst);
	ft__putc(out, '\n');

	/* One dump, as tcpdump chooses: -X, else -x, else -A. */
	if (o->flags & (FT_TEXT_HEX | FT_TEXT_HEXONLY | FT_TEXT_ASCII)) {
		bool whole = !d.l3 || (o->flags & FT_TEXT_DUMPLINK);
		const uint8_t *p = whole ? r.p : d.l3;
		size_t n = whole ? ft_rd_left(&r) : d.l3len;
		if (o->flags & (FT_TEXT_HEX | FT_TEXT_HEXONLY))
			ft__hexdump(out, p, n, o->flags & FT_TEXT_HEX);
		else
			ft__asciidump(out, p, n);
	}
	if (out->len < out->cap)
		out->p[out->len] = '\0';
	return out->len - start;
}
