/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flow-log JSON messages, hand-encoded and split at a size bound.
 *
 * The established format (see flowtap-flows(5)):
 *   {"id":"...","nodeId":"n1","start":"<RFC 3339>","end":"<RFC 3339>",
 *    "virtualTraffic":[{"proto":6,"src":"a:p","dst":"b:q","txPkts":3,...}],
 *    "subnetTraffic":[...],"exitTraffic":[...],"physicalTraffic":[...]}
 * Empty arrays and zero fields are omitted. Encoding by hand rather than
 * through jansson's object tree keeps a 100,000-connection interval cheap;
 * the tests parse every message with jansson.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flows_int.h"

static const char *const class_names[] = {
    [FT_FLOW_VIRTUAL] = "virtualTraffic",
    [FT_FLOW_SUBNET] = "subnetTraffic",
    [FT_FLOW_EXIT] = "exitTraffic",
    [FT_FLOW_PHYSICAL] = "physicalTraffic",
};

size_t ft__fmt_time(uint64_t ns, char *buf)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&sec, &tm);
	/* The modulos bound every field for the compiler (and years past 9999,
	 * which RFC 3339 cannot express anyway). */
	return (size_t)snprintf(buf, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%09uZ",
				(unsigned)(tm.tm_year + 1900) % 10000u,
				(unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
				(unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
				(unsigned)tm.tm_sec % 100u, (unsigned)(ns % 1000000000u));
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t ft__fmt_addrport(const struct ft_addr *a, uint16_t port, char *buf)
{
	char *p = buf;
	if (a->len == 16)
		*p++ = '[';
	ft_addr_format(a, p, 48);
	p += strlen(p);
	if (a->len == 16)
		*p++ = ']';
	*p++ = ':';
	p = put_u64(p, port);
	*p = '\0';
	return (size_t)(p - buf);
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static char *put_field(char *p, bool *first, const char *name, uint64_t v)
{
	if (!v)
		return p;
	if (!*first)
		*p++ = ',';
	*first = false;
	p = put_str(p, name);
	return put_u64(p, v);
}

/* One connection object; @buf has room for 512 bytes (the key about 140,
 * six counters with names about 200, a drop reason name 31). */
static size_t fmt_entry(const struct ft_flow_stat *s, char *buf)
{
	char *p = buf;
	bool first = true;
	*p++ = '{';
	p = put_field(p, &first, "\"proto\":", s->key.proto);
	if (s->key.src.len) {
		p = put_str(p, first ? "\"src\":\"" : ",\"src\":\"");
		p += ft__fmt_addrport(&s->key.src, s->key.sport, p);
		*p++ = '"';
		first = false;
	}
	if (s->key.dst.len) {
		p = put_str(p, first ? "\"dst\":\"" : ",\"dst\":\"");
		p += ft__fmt_addrport(&s->key.dst, s->key.dport, p);
		*p++ = '"';
		first = false;
	}
	p = put_field(p, &first, "\"txPkts\":", s->c.tx_pkts);
	p = put_field(p, &first, "\"txBytes\":", s->c.tx_bytes);
	p = put_field(p, &first, "\"rxPkts\":", s->c.rx_pkts);
	p = put_field(p, &first, "\"rxBytes\":", s->c.rx_bytes);
	p = put_field(p, &first, "\"dropPkts\":", s->c.drop_pkts);
	p = put_field(p, &first, "\"dropBytes\":", s->c.drop_bytes);
	if (s->c.drop_pkts) {
		const char *rn = ft_drop_reason_name(NULL, s->c.drop_reason);
		p = put_str(p, ",\"dropReason\":\"");
		p = put_str(p, rn ? rn : "other");
		*p++ = '"';
	}
	*p++ = '}';
	return (size_t)(p - buf);
}

size_t ft__json_escape(const char *s, char *buf)
{
	char *p = buf;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			p += sprintf(p, "\\u%04x", c);
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}

struct builder {
	char *buf;
	size_t len;
	size_t max;
	int cls;      /* class of the open array, 0 if none */
	size_t nents; /* entries in the current message */
	const struct ft__window *w;
	const char *node_esc;
	ft__msg_id_fn next_id;
	ft__msg_emit_fn emit;
	void *ctx;
	int nmsgs;
	size_t cap;		    /* of buf */
	struct ft__msg_nodes nodes; /* srcNode, dstNodes (with a peer table) */
	bool oom;
};

static void start_msg(struct builder *b)
{
	char id[160], t0[32], t1[32];
	b->next_id(b->ctx, id, sizeof(id));
	ft__fmt_time(b->w->start_ns, t0);
	ft__fmt_time(b->w->end_ns, t1);
	b->len = (size_t)sprintf(b->buf, "{\"id\":\"%s\"", id);
	if (*b->node_esc)
		b->len += (size_t)sprintf(b->buf + b->len, ",\"nodeId\":\"%s\"", b->node_esc);
	b->len += (size_t)sprintf(b->buf + b->len, ",\"start\":\"%s\",\"end\":\"%s\"", t0, t1);
	/* Per-reason drop totals and the stale nodes of the window go in its
	 * first message. */
	const char *extra[2] = {b->w->drops_json, b->w->stale_json};
	for (int i = 0; i < 2 && !b->nmsgs; i++) {
		if (!extra[i])
			continue;
		/* Bounded lists (256 reasons, FT_FLOWLOG_STALE_LIST nodes): the
		 * buffer grows past the bound rather than cut them, keeping room
		 * for one entry after them. */
		size_t dl = strlen(extra[i]), need = b->len + dl + 1024;
		char *nb = need > b->cap ? realloc(b->buf, need) : NULL;
		if (nb) {
			b->buf = nb;
			b->cap = need;
		}
		if (need <= b->cap) {
			memcpy(b->buf + b->len, extra[i], dl + 1);
			b->len += dl;
		}
	}
	b->cls = 0;
	b->nents = 0;
	ft__msg_nodes_reset(&b->nodes);
}

static void finish_msg(struct builder *b)
{
	size_t need = b->len + ft__msg_nodes_tail(&b->nodes) + 3;
	/* A single entry's nodes may pass the bound (it must go somewhere). */
	if (need > b->cap) {
		char *nb = realloc(b->buf, need);
		if (!nb) {
			b->oom = true;
			return;
		}
		b->buf = nb;
		b->cap = need;
	}
	b->buf[b->len++] = ']';
	b->len = (size_t)(ft__msg_nodes_put(&b->nodes, b->buf + b->len) - b->buf);
	memcpy(b->buf + b->len, "}", 2);
	b->len += 1;
	b->emit(b->ctx, b->buf, b->len, b->nents);
	b->nmsgs++;
}

static void add_entry(struct builder *b, const struct ft__flowent *e)
{
	char ent[512];
	size_t elen = fmt_entry(&e->s, ent);
	/* Room needed: a separator, perhaps a new array's name, the entry and
	 * the closing "]}". */
	size_t need = 1 + (e->cls != b->cls ? strlen(class_names[e->cls]) + 4 : 0) + elen + 2;
	if (b->nents && b->len + need + ft__msg_nodes_need(&b->nodes, &e->s.key) +
				ft__msg_nodes_tail(&b->nodes) >
			    b->max) {
		finish_msg(b);
		start_msg(b);
	}
	ft__msg_nodes_add(&b->nodes, &e->s.key);
	if (e->cls != b->cls) {
		if (b->cls)
			b->buf[b->len++] = ']';
		b->len += (size_t)sprintf(b->buf + b->len, ",\"%s\":[", class_names[e->cls]);
		b->cls = e->cls;
	} else {
		b->buf[b->len++] = ',';
	}
	memcpy(b->buf + b->len, ent, elen);
	b->len += elen;
	b->nents++;
}

int ft__msg_build(const struct ft__window *w, const char *node_id, size_t max,
		  ft__msg_id_fn next_id, ft__msg_emit_fn emit, void *ctx)
{
	struct builder b = {.w = w, .next_id = next_id, .emit = emit, .ctx = ctx};
	char *esc;

	if (!w->n)
		return 0;
	/* The header (id, node id, times) plus one entry always fits. */
	esc = malloc(strlen(node_id) * 6 + 1);
	b.max = max < 4096 ? 4096 : max;
	b.cap = b.max + 512;
	b.buf = malloc(b.cap);
	if (!esc || !b.buf || ft__msg_nodes_init(&b.nodes, w->peers) < 0) {
		free(esc);
		free(b.buf);
		return -ENOMEM;
	}
	ft__json_escape(node_id, esc);
	b.node_esc = esc;
	start_msg(&b);
	for (size_t i = 0; i < w->n; i++)
		add_entry(&b, &w->ents[i]);
	finish_msg(&b);
	ft__msg_nodes_fini(&b.nodes);
	free(esc);
	free(b.buf);
	return b.oom ? -ENOMEM : b.nmsgs;
}
