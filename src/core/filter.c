/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: tcpdump filter expressions, compiled by libpcap, and structured filters. */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/filter.h>

#include "bpf_exec.h"
#include "filter_int.h"

/* Snapshot length the filter is compiled for: the largest any writer keeps. */
#define FILTER_SNAPLEN 262144

/*
 * pcap_compile() keeps parser state in globals in libpcap before 1.8 and
 * some distributions still ship such builds; one lock for every compile is
 * cheap (compiles are rare) and keeps us correct everywhere.
 */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static bool expr_empty(const char *expr)
{
	if (!expr)
		return true;
	for (; *expr; expr++)
		if (*expr != ' ' && *expr != '\t' && *expr != '\n')
			return false;
	return true;
}

static int compile_locked(struct ft_filter *f, int dlt, const char *expr, char *errbuf,
			  size_t errlen)
{
	int ret = -ENOMEM;
	pcap_t *pd = pcap_open_dead(dlt, FILTER_SNAPLEN);

	if (!pd)
		return ret;
	if (pcap_compile(pd, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s", pcap_geterr(pd));
		ret = FT_EFILTER;
		goto out;
	}
	/* Without memory for the fused copy, bpf_filter() runs it. */
	if (ft__bpf_runnable(f->prog.bf_insns, f->prog.bf_len))
		f->fused = ft__bpf_fuse(f->prog.bf_insns, f->prog.bf_len);
	ret = 0;
out:
	pcap_close(pd);
	return ret;
}

FT_EXPORT int ft_filter_compile(struct ft_filter **out, int dlt, const char *expr, char *errbuf,
				size_t errlen)
{
	int ret;
	struct ft_filter *f;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (expr_empty(expr)) {
		f->all = true;
		*out = f;
		return 0;
	}
	pthread_mutex_lock(&compile_lock);
	ret = compile_locked(f, dlt, expr, errbuf, errlen);
	pthread_mutex_unlock(&compile_lock);
	if (ret < 0) {
		free(f);
		return ret;
	}
	*out = f;
	return 0;
}

FT_EXPORT bool ft_filter_match(const struct ft_filter *f, const uint8_t *data, uint32_t caplen,
			       uint32_t len)
{
	return ft__filter_match(f, data, caplen, len);
}

FT_EXPORT bool ft_filter_match_all(const struct ft_filter *f)
{
	return !f || f->all;
}

FT_EXPORT void ft_filter_free(struct ft_filter *f)
{
	if (!f)
		return;
	if (!f->all)
		pcap_freecode(&f->prog);
	free(f->fused);
	free(f);
}

/* Values are checked strictly so that nothing reaches the expression
 * unvalidated: an address is re-printed from its parsed form. */
static int render_addr(const char *s, char *out, size_t len)
{
	struct ft_addr a;

	if (ft_addr_parse(s, &a) < 0)
		return -EINVAL;
	ft_addr_format(&a, out, len);
	return 0;
}

static int render_net(const char *s, char *out, size_t len)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	struct ft_addr a;
	char *end;
	long bits;
	size_t n;

	if (!slash)
		return render_addr(s, out, len);
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr) || !slash[1])
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (ft_addr_parse(addr, &a) < 0)
		return -EINVAL;
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (*end || slash[1] < '0' || slash[1] > '9' || bits < 0 || bits > a.len * 8)
		return -EINVAL;
	/* libpcap rejects a net with host bits set; say so here instead. */
	for (long i = bits; i < a.len * 8; i++)
		if (a.b[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	ft_addr_format(&a, addr, sizeof(addr));
	snprintf(out, len, "%s/%ld", addr, bits);
	return 0;
}

static const char *const protos[] = {"tcp", "udp", "icmp", "icmp6", "ip", "ip6"};

static int check_proto(const char *p)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(p, protos[i]))
			return 0;
	return -EINVAL;
}

struct render {
	char *buf;
	size_t len, pos;
	bool overflow;
};

static void put_term(struct render *r, const char *fmt, const char *kw, const char *val)
{
	char term[160];
	int n = snprintf(term, sizeof(term), fmt, kw, val);

	if (n < 0 || (size_t)n >= sizeof(term)) {
		r->overflow = true;
		return;
	}
	n = snprintf(r->buf + r->pos, r->pos < r->len ? r->len - r->pos : 0, "%s%s",
		     r->pos ? " and " : "", term);
	if (n < 0 || r->pos + (size_t)n >= r->len) {
		r->overflow = true;
		return;
	}
	r->pos += (size_t)n;
}

static int put_addr(struct render *r, const char *kw, const char *val, bool net)
{
	char a[80];

	if (!val)
		return 0;
	if ((net ? render_net(val, a, sizeof(a)) : render_addr(val, a, sizeof(a))) < 0)
		return -EINVAL;
	put_term(r, "%s %s", kw, a);
	return 0;
}

static void put_port(struct render *r, const char *kw, uint16_t port)
{
	char p[8];

	if (!port)
		return;
	snprintf(p, sizeof(p), "%u", port);
	put_term(r, "%s %s", kw, p);
}

int ft__filter_render(const struct ft_filter_spec *s, char *buf, size_t len)
{
	struct render r = {buf, len, 0, false};

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	if (s->proto) {
		if (check_proto(s->proto) < 0)
			return -EINVAL;
		put_term(&r, "%s%s", s->proto, "");
	}
	if (put_addr(&r, "host", s->host, false) < 0 ||
	    put_addr(&r, "src host", s->src_host, false) < 0 ||
	    put_addr(&r, "dst host", s->dst_host, false) < 0 ||
	    put_addr(&r, "net", s->net, true) < 0)
		return -EINVAL;
	put_port(&r, "port", s->port);
	put_port(&r, "src port", s->src_port);
	put_port(&r, "dst port", s->dst_port);
	if (r.overflow) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)r.pos;
}
