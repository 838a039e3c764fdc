/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_flows.c - libFuzzer target: round trips of the flow-log encoders.
 *
 * The input is a list of connection updates (tunnel and socket layer, IPv4
 * and IPv6, overlay / routed / other addresses so every class appears), a
 * node id and the exit-anonymization switch. One flush of the logger goes
 * to a callback sink (JSON) and to the IPFIX sink, whose datagrams come
 * back on a loopback UDP socket. Then:
 *   - every JSON message parses with jansson, carries the node id, the
 *     window and stays under FT_FLOWLOG_MAX_MSG;
 *   - packet and byte totals equal what was counted;
 *   - the IPFIX messages, decoded per RFC 7011 from the templates they
 *     carry (not from our own constants), hold exactly one record per
 *     direction with traffic of each JSON entry, and their sequence numbers
 *     count the data records sent before.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <flowtap/flows.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_UPD 256
#define T_START 1700000000123000000ull
#define T_END	1700000005456000000ull

/* One IPFIX data record, normalized for comparison. */
struct rec {
	uint8_t fam;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t proto, dir, cls;
	uint64_t pkts, bytes, start_ms, end_ms;
};

/* A received template: element ids and lengths in order. */
struct tmpl {
	int n;
	uint16_t id[32], len[32];
	uint32_t pen[32];
};

static struct ft_flows *tun, *phys;
static struct ft_flowlog *lg;
static int usock = -1;
/* 256/257: flows (IPv4/IPv6); 258/259 with forwardingStatus (drops);
 * 260/261 with peer names. The exporter announces all six; this input
 * reports no drops and sets no peer table, so data comes in 256/257. */
static struct tmpl tmpls[6];
static uint32_t next_seq;
static json_t *msgs;

static void on_json(void *ctx, const char *json, size_t len)
{
	json_error_t e;
	json_t *m;

	if (len > FT_FLOWLOG_MAX_MSG || strlen(json) != len)
		abort();
	m = json_loadb(json, len, 0, &e);
	if (!m) {
		fprintf(stderr, "bad JSON (%s): %s\n", e.text, json);
		abort();
	}
	json_array_append_new(msgs, m);
}

static void setup(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	char hp[64];
	int big = 8 << 20;

	if (ft_flows_new(&tun, 4096) || ft_flows_new(&phys, 4096) || ft_flowlog_new(&lg, tun, phys))
		abort();
	usock = socket(AF_INET, SOCK_DGRAM, 0);
	if (usock < 0 || bind(usock, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(usock, (struct sockaddr *)&a, &al) < 0)
		abort();
	setsockopt(usock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", ntohs(a.sin_port));
	if (ft_flowlog_add_sink_ipfix(lg, hp) < 0 ||
	    ft_flowlog_add_sink_fn(lg, on_json, NULL) < 0 ||
	    ft_flowlog_add_route_str(lg, "10.0.0.0/8") < 0 ||
	    ft_flowlog_add_route_str(lg, "2001:db8::/32") < 0)
		abort();
}

/* Builds an address of family @v6 from 4 input bytes; the first picks
 * overlay, routed or any address so that every class shows up. */
static void mkaddr(struct ft_addr *a, int v6, const uint8_t *b)
{
	static const uint8_t ov6[] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
	static const uint8_t rt6[] = {0x20, 0x01, 0x0d, 0xb8};

	memset(a, 0, sizeof(*a));
	if (!v6) {
		a->len = 4;
		memcpy(a->b, b, 4);
		if (b[0] % 3 == 0)
			a->b[0] = 100, a->b[1] = (uint8_t)(64 | (b[1] & 63));
		else if (b[0] % 3 == 1)
			a->b[0] = 10;
		return;
	}
	a->len = 16;
	memcpy(a->b + 12, b, 4);
	if (b[0] % 3 == 0)
		memcpy(a->b, ov6, sizeof(ov6));
	else if (b[0] % 3 == 1)
		memcpy(a->b, rt6, sizeof(rt6));
	else
		a->b[0] = 0x24, a->b[1] = b[1];
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* "1.2.3.4:80", "[::1]:80" into @fam/@b/@port. */
static void parse_addrport(const char *s, uint8_t *fam, uint8_t b[16], uint16_t *port)
{
	char host[64];
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':')
			abort();
		hl = (size_t)(e - s - 1);
		memcpy(host, s + 1, hl < sizeof(host) ? hl : 0);
		colon = e + 1;
		*fam = 16;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			abort();
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			abort();
		memcpy(host, s, hl);
		*fam = 4;
	}
	host[hl] = '\0';
	if (inet_pton(*fam == 4 ? AF_INET : AF_INET6, host, b) != 1)
		abort();
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535 || end == colon + 1)
		abort();
	*port = (uint16_t)p;
}

static int cmp_rec(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rec));
}

static uint64_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		abort();
	return (uint64_t)json_integer_value(v);
}

/* The records one JSON entry stands for (the exporter's rule: the family
 * is the destination's, else the source's; an address of the other family
 * is sent as zeros). */
static size_t expect(json_t *e, uint8_t cls, struct rec *out)
{
	uint8_t fs = 0, fd = 0, as[16] = {0}, ad[16] = {0};
	uint16_t ps = 0, pd = 0;
	json_t *s = json_object_get(e, "src"), *d = json_object_get(e, "dst");
	size_t n = 0;

	if (s)
		parse_addrport(json_string_value(s), &fs, as, &ps);
	if (d)
		parse_addrport(json_string_value(d), &fd, ad, &pd);
	for (int dir = 1; dir >= 0; dir--) {
		uint64_t pk = jint(e, dir ? "txPkts" : "rxPkts");
		uint64_t by = jint(e, dir ? "txBytes" : "rxBytes");
		struct rec r;
		if (!pk && !by)
			continue;
		memset(&r, 0, sizeof(r));
		/* tx: src -> dst; rx: the reverse. */
		uint8_t f1 = dir ? fs : fd, f2 = dir ? fd : fs;
		const uint8_t *a1 = dir ? as : ad, *a2 = dir ? ad : as;
		r.fam = f2 ? f2 : (f1 ? f1 : 4);
		if (f1 == r.fam)
			memcpy(r.src, a1, r.fam);
		if (f2 == r.fam)
			memcpy(r.dst, a2, r.fam);
		r.sport = dir ? ps : pd;
		r.dport = dir ? pd : ps;
		r.proto = (uint8_t)jint(e, "proto");
		r.dir = (uint8_t)dir;
		r.cls = cls;
		r.pkts = pk;
		r.bytes = by;
		r.start_ms = T_START / 1000000;
		r.end_ms = T_END / 1000000;
		out[n++] = r;
	}
	return n;
}

/* Decodes one IPFIX message; appends its data records to @recs. */
static void decode_ipfix(const uint8_t *m, size_t len, struct rec *recs, size_t *nrecs, size_t cap)
{
	size_t off = 16;
	uint32_t nd = 0;

	if (len < 16 || get(m, 2) != 10 || get(m + 2, 2) != len || get(m + 12, 4) != 1)
		abort();
	if (get(m + 8, 4) != next_seq)
		abort(); /* sequence number: data records sent before this message */
	while (off < len) {
		if (len - off < 4)
			abort();
		uint16_t sid = (uint16_t)get(m + off, 2), slen = (uint16_t)get(m + off + 2, 2);
		if (slen < 4 || slen > len - off)
			abort();
		const uint8_t *p = m + off + 4, *end = m + off + slen;
		if (sid == 2) {
			while (end - p >= 4) {
				uint16_t tid = (uint16_t)get(p, 2), fc = (uint16_t)get(p + 2, 2);
				p += 4;
				if (tid < 256 || tid > 261)
					abort();
				struct tmpl *t = &tmpls[tid - 256];
				if (fc > 32)
					abort();
				t->n = fc;
				for (int i = 0; i < fc; i++) {
					if (end - p < 4)
						abort();
					t->id[i] = (uint16_t)get(p, 2);
					t->len[i] = (uint16_t)get(p + 2, 2);
					t->pen[i] = 0;
					p += 4;
					if (t->id[i] & 0x8000) {
						if (end - p < 4)
							abort();
						t->pen[i] = (uint32_t)get(p, 4);
						t->id[i] &= 0x7fff;
						p += 4;
					}
				}
			}
		} else if (sid == 256 || sid == 257) {
			const struct tmpl *t = &tmpls[sid - 256];
			size_t rl = 0;
			if (!t->n)
				abort(); /* data before its template */
			for (int i = 0; i < t->n; i++)
				rl += t->len[i];
			while ((size_t)(end - p) >= rl) {
				struct rec r;
				memset(&r, 0, sizeof(r));
				r.fam = sid == 256 ? 4 : 16;
				for (int i = 0; i < t->n; i++) {
					uint16_t l = t->len[i];
					uint64_t v = l <= 8 ? get(p, l) : 0;
					if (t->pen[i] == FT_IPFIX_PEN &&
					    t->id[i] == FT_IPFIX_IE_TRAFFIC_CLASS)
						r.cls = (uint8_t)v;
					else if (t->pen[i])
						abort();
					else
						switch (t->id[i]) {
						case 8:
						case 27:
							memcpy(r.src, p, l);
							break;
						case 12:
						case 28:
							memcpy(r.dst, p, l);
							break;
						case 7:
							r.sport = (uint16_t)v;
							break;
						case 11:
							r.dport = (uint16_t)v;
							break;
						case 4:
							r.proto = (uint8_t)v;
							break;
						case 2:
							r.pkts = v;
							break;
						case 1:
							r.bytes = v;
							break;
						case 152:
							r.start_ms = v;
							break;
						case 153:
							r.end_ms = v;
							break;
						case 61:
							r.dir = (uint8_t)v;
							break;
						default:
							abort();
						}
					p += l;
				}
				if (*nrecs >= cap)
					abort();
				recs[(*nrecs)++] = r;
				nd++;
			}
			if (p != end)
				abort(); /* padding is not used */
		} else {
			abort();
		}
		off += slen;
	}
	next_seq += nd;
}

/* Checks the messages in @msgs (and frees them); fills @want with the IPFIX
 * records they stand for. Totals must equal what was counted. */
static size_t check_json(const char *node, struct rec *want, size_t cap, uint64_t sum_pkts,
			 uint64_t sum_bytes)
{
	static const char *const cls_names[] = {NULL, "virtualTraffic", "subnetTraffic",
						"exitTraffic", "physicalTraffic"};
	uint64_t js_pkts = 0, js_bytes = 0;
	size_t i, nwant = 0;
	json_t *m;

	json_array_foreach(msgs, i, m)
	{
		json_t *id = json_object_get(m, "id"), *nid = json_object_get(m, "nodeId");
		if (!json_is_string(id) || !json_string_length(id))
			abort();
		if (node[0] ? !nid || strcmp(json_string_value(nid), node) : nid != NULL)
			abort();
		if (strcmp(json_string_value(json_object_get(m, "start")),
			   "2023-11-14T22:13:20.123000000Z") ||
		    strcmp(json_string_value(json_object_get(m, "end")),
			   "2023-11-14T22:13:25.456000000Z"))
			abort();
		for (uint8_t c = 1; c <= 4; c++) {
			json_t *arr = json_object_get(m, cls_names[c]), *e;
			size_t j;
			json_array_foreach(arr, j, e)
			{
				js_pkts += jint(e, "txPkts") + jint(e, "rxPkts");
				js_bytes += jint(e, "txBytes") + jint(e, "rxBytes");
				if (nwant + 2 > cap)
					abort();
				nwant += expect(e, c, want + nwant);
			}
		}
	}
	json_decref(msgs);
	msgs = NULL;
	if (js_pkts != sum_pkts || js_bytes != sum_bytes)
		abort();
	return nwant;
}

/* Decodes every IPFIX datagram waiting on the socket into @got. */
static size_t recv_ipfix(struct rec *got, size_t cap)
{
	static uint8_t dg[65536];
	size_t ngot = 0;

	for (;;) {
		ssize_t n = recv(usock, dg, sizeof(dg), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			abort();
		}
		decode_ipfix(dg, (size_t)n, got, &ngot, cap);
	}
	return ngot;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec want[4 * MAX_UPD + 8], got[4 * MAX_UPD + 8];
	char node[256];
	uint64_t sum_pkts = 0, sum_bytes = 0;

	if (!lg)
		setup();
	if (size < 2)
		return 0;
	ft_flowlog_set_log_exit_flows(lg, data[0] & 1);
	size_t nl = data[1] < size - 2 ? data[1] : size - 2;
	memcpy(node, data + 2, nl);
	node[nl] = '\0';
	if (ft_flowlog_set_node_id(lg, node) < 0)
		ft_flowlog_set_node_id(lg, ""), node[0] = '\0';
	data += 2 + nl;
	size -= 2 + nl;

	for (int i = 0; i < MAX_UPD && size >= 20; i++, data += 20, size -= 20) {
		struct ft_flow_key k;
		int v6 = data[0] & 1, dir = (data[0] >> 2) % 3;
		uint64_t pk = 1 + get(data + 14, 1), by = get(data + 15, 4);
		enum ft_dir d = dir == 0 ? FT_DIR_UNKNOWN : dir == 1 ? FT_DIR_IN : FT_DIR_OUT;

		memset(&k, 0, sizeof(k));
		mkaddr(&k.src, v6, data + 6);
		mkaddr(&k.dst, (data[0] & 0x10) ? !v6 : v6, data + 10);
		if (data[0] & 2) {
			/* Socket layer: peer (overlay) through endpoint dst:port. */
			if (d == FT_DIR_UNKNOWN)
				d = FT_DIR_OUT;
			if (ft_flows_add_physical(phys, &k.src, &k.dst, (uint16_t)get(data + 2, 2),
						  d, by) == 0)
				sum_pkts += 1, sum_bytes += by;
		} else {
			if (k.dst.len != k.src.len)
				k.dst.len = k.src.len, memset(k.dst.b + 4, 0, 12);
			k.proto = data[1];
			k.sport = (uint16_t)get(data + 2, 2);
			k.dport = (uint16_t)get(data + 4, 2);
			if (ft_flows_add(tun, &k, d, pk, by) == 0)
				sum_pkts += pk, sum_bytes += by;
		}
	}

	msgs = json_array();
	int nm = ft_flowlog_flush(lg, T_START, T_END);
	if (nm < 0 || (size_t)nm != json_array_size(msgs) || (nm == 0) != (sum_pkts == 0))
		abort();

	size_t nwant = check_json(node, want, sizeof(want) / sizeof(want[0]), sum_pkts, sum_bytes);
	size_t ngot = recv_ipfix(got, sizeof(got) / sizeof(got[0]));
	qsort(want, nwant, sizeof(want[0]), cmp_rec);
	qsort(got, ngot, sizeof(got[0]), cmp_rec);
	if (nwant != ngot || memcmp(want, got, nwant * sizeof(want[0]))) {
		fprintf(stderr, "IPFIX: %zu records, JSON says %zu\n", ngot, nwant);
		abort();
	}
	return 0;
}
