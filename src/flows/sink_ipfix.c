/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flow-log sink: IPFIX (RFC 7011) export over UDP.
 *
 * Message header (RFC 7011 section 3.1), then sets (3.3):
 *
 *    0                   1                   2                   3
 *   +-------------------------------+-------------------------------+
 *   |       Version = 0x000a        |        Length (bytes)         |
 *   +-------------------------------+-------------------------------+
 *   |                Export Time (seconds, UTC)                     |
 *   +---------------------------------------------------------------+
 *   |   Sequence Number (data records sent before this message)    |
 *   +---------------------------------------------------------------+
 *   |                 Observation Domain ID                         |
 *   +-------------------------------+-------------------------------+
 *   |      Set ID (2 = template)    |          Set Length           |
 *
 * Templates 256 (IPv4) and 257 (IPv6) are in the header file's comment;
 * the traffic class is the enterprise element 1 of PEN 32473, the number
 * RFC 5612 reserves for documentation, since no IANA element says
 * "virtual/subnet/exit/physical". Collectors that do not know it skip it by
 * its length. Over UDP templates must be resent (section 8.4): every
 * TEMPLATE_EVERY messages or TEMPLATE_SECS seconds, whichever first.
 *
 * Datagrams go through a token bucket (rate per second, FT_IPFIX_BURST
 * deep): UDP has no flow control, and a window sent as one burst overflows
 * the receive buffer of a collector with default settings.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <flowtap/peers.h>
#include <flowtap/tap.h>

#include "sink.h"

#define MTU_BUDGET     1400
#define TEMPLATE_EVERY 100
#define TEMPLATE_SECS  600
#define TID4	       256
#define TID6	       257
#define TID4_DROP      258 /* the same plus forwardingStatus: dropped packets */
#define TID6_DROP      259
#define TID4_NAMES     260 /* the same plus the peers' names (a peer table is set) */
#define TID6_NAMES     261
#define REC4	       47
#define REC6	       71

struct sink_ipfix {
	struct ft__sink base;
	int fd;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	uint32_t seq;
	unsigned msgs_since_tmpl;
	uint64_t tmpl_ns;
	bool tmpl_sent;
	bool tmpl_names; /* the names templates went with the last templates */
	uint8_t buf[MTU_BUDGET];
	size_t len;	/* bytes in buf */
	size_t set_off; /* offset of the open data set header, 0 if none */
	int set_id;
	uint32_t nrec; /* data records in buf */
	unsigned rate; /* datagrams per second; 0: unpaced */
	double tokens;
	uint64_t tokens_ns; /* monotonic time tokens was last brought up to date */
};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

/*
 * forwardingStatus (IANA IE 89, RFC 7270 section 4.12), one octet: the top
 * two bits 10 (dropped) and the reason code of RFC 7270's registry below.
 * Reasons without a code there (invalid, other, registered ones) are 128,
 * "Unknown".
 */
static uint8_t forwarding_status(unsigned reason)
{
	switch (reason) {
	case FT_DROP_ACL:
		return 129; /* ACL deny */
	case FT_DROP_NO_ROUTE:
		return 131; /* Unroutable */
	case FT_DROP_MTU:
		return 133; /* Fragmentation and DF set */
	case FT_DROP_TTL:
		return 137; /* Bad TTL */
	case FT_DROP_RATE_LIMIT:
		return 138; /* Policer */
	case FT_DROP_QUEUE_FULL:
		return 139; /* WRED: a queue drop */
	case FT_DROP_FOREIGN:
		return 140; /* RPF: a source that may not come from there */
	default:
		return 128; /* Unknown */
	}
}

static uint8_t *put_template(uint8_t *p, uint16_t tid, bool v6, bool drop, bool names)
{
	static const uint16_t tail[][2] = {{7, 2}, {11, 2},  {4, 1},   {2, 8},
					   {1, 8}, {152, 8}, {153, 8}, {61, 1}};
	p = put16(p, tid);
	p = put16(p, drop ? 12 : names ? 13 : 11);
	p = put16(p, v6 ? 27 : 8);
	p = put16(p, v6 ? 16 : 4);
	p = put16(p, v6 ? 28 : 12);
	p = put16(p, v6 ? 16 : 4);
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		p = put16(p, tail[i][0]);
		p = put16(p, tail[i][1]);
	}
	p = put16(p, 0x8000 | FT_IPFIX_IE_TRAFFIC_CLASS);
	p = put16(p, 1);
	p = put32(p, FT_IPFIX_PEN);
	if (drop) {
		p = put16(p, 89); /* forwardingStatus */
		p = put16(p, 1);
	}
	if (names) {
		/* Variable length (65535): a one-octet length, then UTF-8. */
		p = put16(p, 0x8000 | FT_IPFIX_IE_SRC_NODE_NAME);
		p = put16(p, 0xffff);
		p = put32(p, FT_IPFIX_PEN);
		p = put16(p, 0x8000 | FT_IPFIX_IE_DST_NODE_NAME);
		p = put16(p, 0xffff);
		p = put32(p, FT_IPFIX_PEN);
	}
	return p;
}

static void start_msg(struct sink_ipfix *x)
{
	x->len = 16;
	x->set_off = 0;
	x->set_id = 0;
	x->nrec = 0;
}

static void close_set(struct sink_ipfix *x)
{
	if (x->set_off)
		put16(x->buf + x->set_off + 2, (uint16_t)(x->len - x->set_off));
	x->set_off = 0;
	x->set_id = 0;
}

/* Waits, if needed, until the bucket has a token for one datagram. */
static void pace(struct sink_ipfix *x)
{
	if (!x->rate)
		return;
	uint64_t now = ft__mono_ns();
	x->tokens += (double)(now - x->tokens_ns) * x->rate / 1e9;
	if (x->tokens > FT_IPFIX_BURST)
		x->tokens = FT_IPFIX_BURST;
	x->tokens_ns = now;
	if (x->tokens < 1) {
		uint64_t wait = (uint64_t)((1 - x->tokens) * 1e9 / x->rate);
		struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		FT__COUNT(&x->base, ipfix_paced_ms, wait / 1000000u);
		x->tokens = 1;
		x->tokens_ns = ft__mono_ns();
	}
	x->tokens -= 1;
}

static void send_msg(struct sink_ipfix *x)
{
	close_set(x);
	if (x->len <= 16)
		return;
	pace(x);
	uint8_t *p = put16(x->buf, 10);
	p = put16(p, (uint16_t)x->len);
	p = put32(p, (uint32_t)(ft__now_ns() / 1000000000u));
	p = put32(p, x->seq);
	put32(p, 1);
	ssize_t n = sendto(x->fd, x->buf, x->len, 0, (struct sockaddr *)&x->dst, x->dstlen);
	if (n == (ssize_t)x->len) {
		FT__COUNT(&x->base, ipfix_sent, 1);
		FT__COUNT(&x->base, ipfix_records, x->nrec);
	} else {
		FT__COUNT(&x->base, ipfix_errors, 1);
		ft__sink_logf(&x->base, LOG_WARNING, "flow log: IPFIX send failed: %s",
			      n < 0 ? strerror(errno) : "short write");
	}
	x->seq += x->nrec;
	start_msg(x);
}

static void add_templates(struct sink_ipfix *x, bool names)
{
	uint8_t *p = x->buf + x->len;
	uint8_t *set = p;
	p = put16(p, 2);
	p += 2;
	p = put_template(p, TID4, false, false, false);
	p = put_template(p, TID6, true, false, false);
	p = put_template(p, TID4_DROP, false, true, false);
	p = put_template(p, TID6_DROP, true, true, false);
	/* Only with a peer table: without one the export is as before. */
	if (names) {
		p = put_template(p, TID4_NAMES, false, false, true);
		p = put_template(p, TID6_NAMES, true, false, true);
	}
	x->tmpl_names = names;
	put16(set + 2, (uint16_t)(p - set));
	x->len = (size_t)(p - x->buf);
	x->tmpl_sent = true;
	x->msgs_since_tmpl = 0;
	x->tmpl_ns = ft__now_ns();
}

static void add_record(struct sink_ipfix *x, const struct ft_addr *src, uint16_t sport,
		       const struct ft_addr *dst, uint16_t dport, uint8_t proto, uint64_t pkts,
		       uint64_t bytes, const struct ft__window *w, uint8_t dir, uint8_t cls,
		       unsigned drop)
{
	int fam = dst->len ? dst->len : (src->len ? src->len : 4);
	int tid = fam == 16 ? (drop ? TID6_DROP : TID6) : (drop ? TID4_DROP : TID4);
	size_t rlen = (fam == 16 ? REC6 : REC4) + (drop ? 1 : 0);
	static const uint8_t zero[16];
	const struct ft_peer *sn = NULL, *dn = NULL;
	size_t sl = 0, dl = 0;

	/* Names (at most FT_PEER_NAME_MAX bytes each) when either end has one;
	 * drop records keep their own template. */
	if (w->peers && !drop) {
		sn = ft_peers_lookup(w->peers, src);
		dn = ft_peers_lookup(w->peers, dst);
		if (sn || dn) {
			tid = fam == 16 ? TID6_NAMES : TID4_NAMES;
			sl = sn ? strlen(sn->name) : 0;
			dl = dn ? strlen(dn->name) : 0;
			rlen += 2 + sl + dl;
		}
	}

	if (x->len + rlen + (x->set_id == tid ? 0 : 4) > MTU_BUDGET)
		send_msg(x);
	if (x->set_id != tid) {
		close_set(x);
		x->set_off = x->len;
		x->set_id = tid;
		put16(x->buf + x->len, (uint16_t)tid);
		x->len += 4;
	}
	uint8_t *p = x->buf + x->len;
	memcpy(p, src->len == fam ? src->b : zero, (size_t)fam);
	p += fam;
	memcpy(p, dst->len == fam ? dst->b : zero, (size_t)fam);
	p += fam;
	p = put16(p, sport);
	p = put16(p, dport);
	*p++ = proto;
	p = put64(p, pkts);
	p = put64(p, bytes);
	p = put64(p, w->start_ns / 1000000u);
	p = put64(p, w->end_ns / 1000000u);
	*p++ = dir;
	*p++ = cls;
	if (drop)
		*p++ = forwarding_status(drop);
	if (tid == TID4_NAMES || tid == TID6_NAMES) {
		*p++ = (uint8_t)sl;
		memcpy(p, sn ? sn->name : "", sl);
		p += sl;
		*p++ = (uint8_t)dl;
		memcpy(p, dn ? dn->name : "", dl);
		p += dl;
	}
	x->len = (size_t)(p - x->buf);
	x->nrec++;
}

static void ipfix_window(struct ft__sink *s, const struct ft__window *w)
{
	struct sink_ipfix *x = (struct sink_ipfix *)s;
	start_msg(x);
	if (!x->tmpl_sent || x->msgs_since_tmpl >= TEMPLATE_EVERY ||
	    ft__now_ns() - x->tmpl_ns > (uint64_t)TEMPLATE_SECS * 1000000000u ||
	    (w->peers && !x->tmpl_names))
		add_templates(x, w->peers != NULL);
	x->msgs_since_tmpl++;
	for (size_t i = 0; i < w->n; i++) {
		const struct ft_flow_stat *e = &w->ents[i].s;
		uint8_t cls = w->ents[i].cls;
		/* flowDirection (IE 61): 0 ingress, 1 egress. */
		if (e->c.tx_pkts || e->c.tx_bytes)
			add_record(x, &e->key.src, e->key.sport, &e->key.dst, e->key.dport,
				   e->key.proto, e->c.tx_pkts, e->c.tx_bytes, w, 1, cls, 0);
		if (e->c.rx_pkts || e->c.rx_bytes)
			add_record(x, &e->key.dst, e->key.dport, &e->key.src, e->key.sport,
				   e->key.proto, e->c.rx_pkts, e->c.rx_bytes, w, 0, cls, 0);
		/* Dropped packets: one record in the direction of the latest
		 * drop, with its forwardingStatus. */
		if (e->c.drop_pkts && e->c.drop_dir == FT_DIR_IN)
			add_record(x, &e->key.dst, e->key.dport, &e->key.src, e->key.sport,
				   e->key.proto, e->c.drop_pkts, e->c.drop_bytes, w, 0, cls,
				   e->c.drop_reason ? e->c.drop_reason : FT_DROP_OTHER);
		else if (e->c.drop_pkts)
			add_record(x, &e->key.src, e->key.sport, &e->key.dst, e->key.dport,
				   e->key.proto, e->c.drop_pkts, e->c.drop_bytes, w, 1, cls,
				   e->c.drop_reason ? e->c.drop_reason : FT_DROP_OTHER);
	}
	send_msg(x);
}

static void ipfix_close(struct ft__sink *s)
{
	struct sink_ipfix *x = (struct sink_ipfix *)s;
	close(x->fd);
	free(x);
}

/* Splits "HOST:PORT" or "[V6]:PORT". */
static int split_hostport(const char *hp, char *host, size_t hlen, const char **port)
{
	const char *colon;
	size_t n;
	if (hp[0] == '[') {
		const char *rb = strchr(hp, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		n = (size_t)(rb - hp - 1);
		hp++;
		colon = rb + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - hp);
	}
	if (!n || n >= hlen || !colon[1])
		return -EINVAL;
	memcpy(host, hp, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

FT_EXPORT void ft_ipfix_sink_opts_init(struct ft_ipfix_sink_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = FT_IPFIX_DEFAULT_RATE;
}

int ft__sink_ipfix_new(struct ft__sink **out, const char *hostport,
		       const struct ft_ipfix_sink_opts *o)
{
	struct ft_ipfix_sink_opts def;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	struct sink_ipfix *x;
	const char *port;
	char host[256], *end;
	int ret;

	if (!o) {
		ft_ipfix_sink_opts_init(&def);
		o = &def;
	}
	if (!hostport || split_hostport(hostport, host, sizeof(host), &port) < 0 ||
	    o->rate > 1000000)
		return -EINVAL;
	long pn = strtol(port, &end, 10);
	if (*end || pn < 1 || pn > 65535)
		return -EINVAL;
	/* A name that does not resolve is not a malformed HOST:PORT: say so. */
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return FT_ERESOLVE;
	x = calloc(1, sizeof(*x));
	ret = -ENOMEM;
	if (!x)
		goto out;
	x->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		ret = -errno;
		free(x);
		goto out;
	}
	memcpy(&x->dst, ai->ai_addr, ai->ai_addrlen);
	x->dstlen = ai->ai_addrlen;
	x->rate = o->rate;
	x->tokens = FT_IPFIX_BURST;
	x->tokens_ns = ft__mono_ns();
	x->base.emit_window = ipfix_window;
	x->base.close = ipfix_close;
	*out = &x->base;
	ret = 0;
out:
	freeaddrinfo(ai);
	return ret;
}
