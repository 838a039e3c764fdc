/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flow-log records: one flat JSON object per connection per window.
 *
 * The records format (see flowtap-flows(5)) is what column stores ingest as
 * rows (ClickHouse: INSERT ... FORMAT JSONEachRow):
 *   {"id":"<message id>.<index>","nodeId":"n1","start":"<RFC 3339>",
 *    "end":"<RFC 3339>","startMs":1,"endMs":2,"class":"virtual","proto":6,
 *    "src":"a:p","dst":"b:q","txPkts":3,"txBytes":180,"rxPkts":2,"rxBytes":120}
 * Records follow the message split: the records of one message carry its id
 * and their index in it, so a record's id is as stable as the message's and
 * names the same connection in both formats. Unlike messages, every field is
 * always present (a row has every column). Encoded by hand, like msg.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flows_int.h"

static const char *const class_names[] = {
    [FT_FLOW_VIRTUAL] = "virtual",
    [FT_FLOW_SUBNET] = "subnet",
    [FT_FLOW_EXIT] = "exit",
    [FT_FLOW_PHYSICAL] = "physical",
};

FT_EXPORT int ft_flow_format_parse(const char *name, enum ft_flow_format *out)
{
	if (name && !strcmp(name, "messages"))
		*out = FT_FLOW_FORMAT_MESSAGES;
	else if (name && !strcmp(name, "records"))
		*out = FT_FLOW_FORMAT_RECORDS;
	else
		return -EINVAL;
	return 0;
}

FT_EXPORT const char *ft_flow_format_name(enum ft_flow_format f)
{
	switch (f) {
	case FT_FLOW_FORMAT_MESSAGES:
		return "messages";
	case FT_FLOW_FORMAT_RECORDS:
		return "records";
	}
	return "?";
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

static char *put_lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define PUT(p, lit) put_lit((p), (lit), sizeof(lit) - 1)

static char *put_addr(char *p, const struct ft_addr *a, uint16_t port)
{
	*p++ = '"';
	if (a->len)
		p += ft__fmt_addrport(a, port, p);
	*p++ = '"';
	return p;
}

/*
 * The part every record of a window shares after its id: the node fields
 * and the times. This is the extension point for peer fields: once a peer
 * table exists, the node's own fields (name, tags) go here and the remote
 * peer's (looked up by the record's dst) in put_record().
 */
static size_t fmt_common(const struct ft__window *w, const char *node_esc, char *buf)
{
	char *p = buf;
	char t[32];
	p = PUT(p, ",\"nodeId\":\"");
	p = put_lit(p, node_esc, strlen(node_esc));
	p = PUT(p, "\",\"start\":\"");
	p = put_lit(p, t, ft__fmt_time(w->start_ns, t));
	p = PUT(p, "\",\"end\":\"");
	p = put_lit(p, t, ft__fmt_time(w->end_ns, t));
	p = PUT(p, "\",\"startMs\":");
	p = put_u64(p, w->start_ns / 1000000u);
	p = PUT(p, ",\"endMs\":");
	p = put_u64(p, w->end_ns / 1000000u);
	p = PUT(p, ",\"class\":\"");
	return (size_t)(p - buf);
}

static char *put_record(char *p, const struct ft__flowent *e, const char *id, size_t idlen,
			size_t idx, const char *common, size_t clen)
{
	const struct ft_flow_stat *s = &e->s;
	p = PUT(p, "{\"id\":\"");
	p = put_lit(p, id, idlen);
	*p++ = '.';
	p = put_u64(p, idx);
	*p++ = '"';
	p = put_lit(p, common, clen);
	p = put_lit(p, class_names[e->cls], strlen(class_names[e->cls]));
	p = PUT(p, "\",\"proto\":");
	p = put_u64(p, s->key.proto);
	p = PUT(p, ",\"src\":");
	p = put_addr(p, &s->key.src, s->key.sport);
	p = PUT(p, ",\"dst\":");
	p = put_addr(p, &s->key.dst, s->key.dport);
	p = PUT(p, ",\"txPkts\":");
	p = put_u64(p, s->c.tx_pkts);
	p = PUT(p, ",\"txBytes\":");
	p = put_u64(p, s->c.tx_bytes);
	p = PUT(p, ",\"rxPkts\":");
	p = put_u64(p, s->c.rx_pkts);
	p = PUT(p, ",\"rxBytes\":");
	p = put_u64(p, s->c.rx_bytes);
	/* Drops only where there were some (flowtap-flows(5)). */
	if (s->c.drop_pkts) {
		const char *rn = ft_drop_reason_name(NULL, s->c.drop_reason);
		p = PUT(p, ",\"dropPkts\":");
		p = put_u64(p, s->c.drop_pkts);
		p = PUT(p, ",\"dropBytes\":");
		p = put_u64(p, s->c.drop_bytes);
		p = PUT(p, ",\"dropReason\":\"");
		p = put_lit(p, rn ? rn : "other", strlen(rn ? rn : "other"));
		*p++ = '"';
	}
	*p++ = '}';
	return p;
}

int ft__records_build(struct ft__recbuf *b, const struct ft__window *w, size_t first, size_t n,
		      const char *msg_id, const char *node_esc)
{
	/* nodeId (escaped), two times, two ms values and the key names. */
	size_t clen_max = strlen(node_esc) + 2 * 32 + 2 * 20 + 128;
	size_t idlen = strlen(msg_id);
	/* id + index, the common part, class, two addresses, seven numbers,
	 * a reason name (31), the key names and the newline. */
	size_t per = idlen + 24 + clen_max + 16 + 2 * 58 + 7 * 20 + 31 + 160;
	char *p;

	b->len = 0;
	if (!n)
		return 0;
	if (b->cap < n * per + clen_max) {
		char *nb = realloc(b->buf, n * per + clen_max);
		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->cap = n * per + clen_max;
	}
	/* The shared part is formatted once, at the end of the buffer's
	 * reserve, and copied into each record. */
	char *common = b->buf + n * per;
	size_t clen = fmt_common(w, node_esc, common);
	p = b->buf;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = '\n';
		p = put_record(p, &w->ents[first + i], msg_id, idlen, i, common, clen);
	}
	*p = '\0'; /* over the shared part, which is no longer needed */
	b->len = (size_t)(p - b->buf);
	return 0;
}
