/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dissect.h - internal interface of the packet decoders behind
 * ft_text_format() (one dissect_<proto>.c per protocol).
 *
 * Every decoder takes a bounds-checked cursor (rd.h) over the bytes that were
 * captured for its layer and the length that layer has on the wire (which
 * can be larger: snaplen). It appends text to the output buffer and, when a
 * read fails, appends a truncation marker such as " [|tcp]" and returns: a
 * failure stops that layer, never the caller.
 *
 * Output helpers are inline because they run several times per packet on
 * the text hot path: no printf, no allocation, no syscall.
 */
#ifndef FT_DISSECT_H
#define FT_DISSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <flowtap/text.h>

#include "rd.h"

/* A TCP conversation as tcpdump keys it: lower port first (or lower
 * address on equal ports), so both directions share an entry. */
struct ft__seq_key {
	uint8_t src[16], dst[16];
	uint32_t port;
	uint32_t alen;
};

struct ft__seq_ent {
	struct ft__seq_key k;
	uint32_t seq, ack; /* initial numbers, tcpdump's th->seq and th->ack */
	uint32_t stamp;	   /* for least-recently-used eviction */
	bool used;
};

struct ft_text_state {
	struct ft__seq_ent *tab;
	size_t nbuckets;
	uint64_t key[2]; /* random hash secret */
	uint32_t clock;
	uint64_t prev_ns, first_ns;
	bool have_prev;
	uint64_t npkts;
};

/* The entry of @k, or a fresh one (evicting); *found says which. */
struct ft__seq_ent *ft__seq_lookup(struct ft_text_state *st, const struct ft__seq_key *k,
				   bool *found);

/* State shared by the decoders of one packet. */
struct ft_dis {
	struct ft_text_state *st; /* NULL: stateless */
	struct ft_strbuf *out;
	unsigned flags;		      /* FT_TEXT_* */
	const uint8_t *l3;	      /* start of the network layer (for -A/-x), or NULL */
	size_t l3len;		      /* captured bytes from l3 on */
	unsigned depth;		      /* nesting (ICMP errors quote IP) to bound recursion */
	const struct ft_peers *peers; /* names endpoints; NULL: none */
};

/* An L3 header summary, so that L4 decoders can print "addr.port". */
struct ft_l3 {
	uint8_t alen; /* 4 or 16 */
	uint8_t src[16];
	uint8_t dst[16];
	bool hosts_done;	      /* "src > dst: " already printed (IPv6 extension headers) */
	bool first_frag;	      /* a first fragment: L4 lengths exceed what follows */
	bool fragmented;	      /* any IPv4 fragment (tcpdump checks no checksum then) */
	const struct ft_peers *peers; /* from ft_dis: names the endpoints */
};

/* Output helpers (dissect_fmt.c for the slow paths). */
void ft__put_slow(struct ft_strbuf *o, const char *s, size_t n);
void ft__put_ip4(struct ft_strbuf *o, const uint8_t a[4]);
void ft__put_ip6(struct ft_strbuf *o, const uint8_t a[16]);
void ft__put_hex(struct ft_strbuf *o, uint32_t v, unsigned min_digits);
void ft__put_mac(struct ft_strbuf *o, const uint8_t a[6]);
/* Printable text: bytes outside 0x20..0x7e are written as "\xHH". */
void ft__put_text(struct ft_strbuf *o, const uint8_t *s, size_t n);

static inline void ft__put(struct ft_strbuf *o, const char *s, size_t n)
{
	/* Keep one byte spare so the result can always be NUL-terminated. */
	if (o->cap - o->len > n) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
	} else {
		ft__put_slow(o, s, n);
	}
}

#define FT_PUTS(o, lit) ft__put((o), (lit), sizeof(lit) - 1)

static inline void ft__putc(struct ft_strbuf *o, char c)
{
	if (o->cap - o->len > 1)
		o->p[o->len++] = c;
	else
		o->overflow = true;
}

static inline void ft__puts(struct ft_strbuf *o, const char *s)
{
	ft__put(o, s, strlen(s));
}

static inline unsigned ft__ndigits(uint32_t v)
{
	unsigned n = 1;
	while (v >= 100) {
		v /= 100;
		n += 2;
	}
	return n + (v >= 10);
}

static inline void ft__put_u32(struct ft_strbuf *o, uint32_t v)
{
	/* Digits are written in place, right to left: no copy, no libc call. */
	if (o->cap - o->len > 10) {
		unsigned n = ft__ndigits(v);
		char *q = o->p + o->len + n;
		do {
			*--q = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		o->len += n;
		return;
	}
	char tmp[10], *e = tmp + sizeof(tmp), *q = e;
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ft__put(o, q, (size_t)(e - q));
}

static inline void ft__put_addr(struct ft_strbuf *o, const struct ft_l3 *l3, const uint8_t *a)
{
	if (l3->alen == 4)
		ft__put_ip4(o, a);
	else
		ft__put_ip6(o, a);
}

/* "src.sport > dst.dport: " as tcpdump -n prints it. */
void ft__put_endpoints(struct ft_strbuf *o, const struct ft_l3 *l3, uint16_t sport, uint16_t dport);
/* "src > dst: " */
void ft__put_hosts(struct ft_strbuf *o, const struct ft_l3 *l3);

/* " [|name]": the marker printed when a layer is cut short. */
static inline void ft__trunc(struct ft_dis *d, const char *name)
{
	struct ft_strbuf *o = d->out;
	if (o->len && o->p[o->len - 1] == ' ')
		FT_PUTS(o, "[|");
	else
		FT_PUTS(o, " [|");
	ft__puts(d->out, name);
	ft__putc(d->out, ']');
}

/* Link layers: @r covers the captured frame, @wlen is its length on the wire. */
void ft__dis_ether(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_sll(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_sll2(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_null(struct ft_dis *d, struct ft_rd r, uint32_t wlen, bool big_endian);
void ft__dis_nflog(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_ppp(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_chdlc(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
/* Dispatch on an Ethernet type (also used by SLL); VLAN tags recurse. */
void ft__dis_ethertype(struct ft_dis *d, uint16_t type, struct ft_rd r, uint32_t wlen);
/* Raw IP: dispatch on the version nibble. */
void ft__dis_raw(struct ft_dis *d, struct ft_rd r, uint32_t wlen);

/* Network layers. */
void ft__dis_ip4(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_ip6(struct ft_dis *d, struct ft_rd r, uint32_t wlen);
void ft__dis_arp(struct ft_dis *d, struct ft_rd r, uint32_t wlen);

/* Transport layers: @r covers the captured L4 bytes, @len is the L4 length
 * that the IP header announces. */
void ft__dis_tcp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3);
void ft__dis_udp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3);
void ft__dis_icmp(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3);
void ft__dis_icmp6(struct ft_dis *d, struct ft_rd r, uint32_t len, const struct ft_l3 *l3);
/* Dispatch on an IP protocol number (ICMP, TCP, UDP, ICMPv6, IP-in-IP). */
void ft__dis_l4(struct ft_dis *d, unsigned proto, struct ft_rd r, uint32_t len,
		const struct ft_l3 *l3);
/* Name of an IP protocol number for -v ("TCP"), or NULL. */
const char *ft__ipproto_name(unsigned proto);

/* Application annotations. ft__dis_dns prints a DNS message summary (the
 * message without any TCP length prefix); @len is the message length;
 * @mdns adds the question's unicast-response bit, as tcpdump on port 5353. */
void ft__dis_dns(struct ft_dis *d, struct ft_rd r, uint32_t len, bool mdns);
/* TLS handshake, HTTP and SSH: each returns false (printing nothing) when
 * the payload does not look like its protocol. */
bool ft__dis_tls(struct ft_dis *d, struct ft_rd r);
bool ft__dis_http(struct ft_dis *d, struct ft_rd r);
bool ft__dis_ssh(struct ft_dis *d, struct ft_rd r);
/* Prints ": TAG: <first line>" when @r starts with one of @prefixes. */
bool ft__put_line_if(struct ft_dis *d, struct ft_rd r, const char *tag, const char *const *prefixes,
		     size_t nprefixes);

/* Checksums (dissect_cksum.c): 0 when @p with its checksum field is right;
 * ft__cksum_shouldbe gives the value the field should have held. */
uint16_t ft__cksum(const uint8_t *p, size_t n);
uint16_t ft__l4_cksum(const struct ft_l3 *l3, unsigned proto, const uint8_t *p, uint32_t len);
uint16_t ft__cksum_shouldbe(uint16_t sum, uint16_t computed);
/* "[udp sum ok] " or "[bad udp cksum 0x0000 -> 0x1234!] " over @len bytes
 * at @p (all captured), the checksum field at @sum_off. */
void ft__put_l4_sum(struct ft_strbuf *o, const char *what, const struct ft_l3 *l3, unsigned proto,
		    const uint8_t *p, uint32_t len, size_t sum_off);

/* tcpdump's safe printing of payload bytes: printable ASCII as is, others
 * as "^X" or "M-x" (nd_printn). */
void ft__put_safe(struct ft_strbuf *o, const uint8_t *s, size_t n);

/* -x and -A dumps (hexdump.c). */
void ft__hexdump(struct ft_strbuf *o, const uint8_t *p, size_t n, bool ascii);
void ft__asciidump(struct ft_strbuf *o, const uint8_t *p, size_t n);

#endif
