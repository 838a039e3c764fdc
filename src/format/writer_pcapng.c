/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: pcapng writer: SHB, one IDB per capture path or interface, EPB
 * with direction flags and NAT metadata, ISB with counters at the end.
 *
 * Format: draft-ietf-opsawg-pcapng. Written little-endian; timestamps are
 * nanoseconds (if_tsresol 9). Every block is
 *
 *   +------------+--------------+------ body ------+--------------+
 *   | type (u32) | length (u32) | fields, options  | length (u32) |
 *   +------------+--------------+------------------+--------------+
 *
 * and options are (code u16, length u16, value padded to 32 bits).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flowtap/peers.h>

#include "clock.h"
#include "drop.h"
#include "pkt_ip.h"
#include "writer_int.h"

#define BT_SHB		 0x0a0d0d0au
#define BT_IDB		 0x00000001u
#define BT_ISB		 0x00000005u
#define BT_EPB		 0x00000006u
#define BT_NRB		 0x00000004u
#define NRB_IPV4	 1
#define NRB_IPV6	 2
#define BYTE_ORDER_MAGIC 0x1a2b3c4du

#define OPT_END		 0
#define OPT_COMMENT	 1
#define SHB_USERAPPL	 4
#define OPT_COMMENT_SHB	 1
#define IF_NAME		 2
#define IF_TSRESOL	 9
#define EPB_FLAGS	 2
#define ISB_IFRECV	 4
#define ISB_IFDROP	 5
#define ISB_FILTERACCEPT 6
#define OPT_CUSTOM_BIN	 2989 /* custom option, binary, copyable */

/*
 * The pre-NAT addresses a user0 record carries, in every EPB that has them:
 * a comment for people ("pre-nat src 192.168.1.5 dst 10.0.0.9") and a custom
 * option for programs (ours read it back):
 *
 *   +------------------+------+---------+---------+---------+---------+
 *   | PEN (u32, 32473) | 0x01 | src len | src ... | dst len | dst ... |
 *   +------------------+------+---------+---------+---------+---------+
 *
 * PEN in the section's byte order, as the pcapng draft says; 0x01 is the
 * record type (NAT addresses); lengths 0, 4 or 16. 32473 is IANA's PEN for
 * documentation (RFC 5612), a placeholder until flowtap has its own.
 */
#define FT_PCAPNG_PEN	32473u
#define FT_PCAPNG_NAT	1
#define NAT_COMMENT_MAX (8 + 4 + 46 + 5 + 46)
#define NAT_CUSTOM_MAX	(4 + 1 + 1 + 16 + 1 + 16)

/*
 * A dropped packet (ft_tap_drop()) gets a comment for people ("drop:
 * acl-denied rule 12 at ip_rcv_finish_core+0x1a") and a custom option for
 * programs, record type 0x02 under the same PEN (integers in the section's
 * byte order):
 *
 *   +-----+------+-----------+----------+----------+------+-----------+-------+
 *   | PEN | 0x02 | reason u16| rule u32 | name len | name | where len | where |
 *   +-----+------+-----------+----------+----------+------+-----------+-------+
 *
 * reason: the id (enum ft_drop_reason, or one the datapath registered,
 * whose name follows); rule: the policy rule, 0 for none; names up to 31
 * and where-text up to 63 bytes. pcapng's epb_verdict does not fit: its
 * types are a hardware verdict or an eBPF TC/XDP return code, not a reason.
 */
#define FT_PCAPNG_DROP	 2
#define DROP_COMMENT_MAX (6 + FT_DROP_TEXT_MAX)
#define DROP_CUSTOM_MAX	 (4 + 1 + 2 + 4 + 1 + FT_DROP_NAME_MAX + 1 + FT_DROP_WHERE_MAX)

/*
 * EPB comments. Several concerns annotate a packet (pre-NAT addresses, the
 * peers' names, ...); each adds its own opt_comment (pcapng allows any
 * number) through put_comment(), which bounds it to EPB_COMMENT_MAX bytes,
 * so that max_record() can count EPB_COMMENTS of them whatever they say.
 */
#define EPB_COMMENT_MAX 160
#define EPB_COMMENTS	1 /* peer names (NAT and drop comments have their own bounds) */

/* "peers src NAME dst NAME": names are at most FT_PEER_NAME_MAX bytes. */
#define NAMES_COMMENT_MAX (6 + 5 + FT_PEER_NAME_MAX + 5 + FT_PEER_NAME_MAX)
_Static_assert(NAMES_COMMENT_MAX <= EPB_COMMENT_MAX, "peer names comment bound");

/* An NRB before a packet: two records (an IPv6 address and a name with its
 * NUL, padded), the end record, block header and trailer. */
#define NRB_MAX (12 + 2 * (4 + 16 + FT_PEER_NAME_MAX + 1 + 3) + 4 + 4)

/* The addresses an NRB named, so each is named once per table: a sorted
 * array, bounded (past it packets still carry names in their comments). */
#define NRB_SEEN_MAX 4096

/* Interfaces are created on first use; a capture has a handful of paths, so
 * a small array searched from the last hit is enough, and it is bounded. */
#define MAX_IFACES   1024
#define NAME_MAX_LEN 64

struct iface {
	uint16_t path;
	uint32_t ifid;
	uint64_t written;
};

struct ng {
	struct iface *ifs;
	unsigned n, last;
	struct ft_addr *seen; /* NRB_SEEN_MAX, sorted by (len, bytes) */
	unsigned nseen;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *v, uint16_t len)
{
	p = ft__put_le16(p, code);
	p = ft__put_le16(p, len);
	memcpy(p, v, len);
	memset(p + len, 0, pad4(len) - len);
	return p + pad4(len);
}

static uint8_t *put_opt64(uint8_t *p, uint16_t code, uint64_t v)
{
	uint8_t b[8];
	ft__put_le64(b, v);
	return put_opt(p, code, b, 8);
}

static uint8_t *put_end(uint8_t *p)
{
	return ft__put_le32(p, OPT_END); /* opt_endofopt: code 0, length 0 */
}

/* Close a block that starts at @blk and whose body ends at @p: write the
 * trailing length and patch the leading one. Returns the block length. */
static size_t close_block(uint8_t *blk, uint8_t *p)
{
	uint32_t len = (uint32_t)(p - blk) + 4;
	ft__put_le32(p, len);
	ft__put_le32(blk + 4, len);
	return len;
}

static size_t max_record(const struct ft_writer_opts *o, uint32_t snaplen)
{
	/* EPB: 28 bytes of fields, padding, epb_flags (12), the NAT comment and
	 * custom option (each with 4 of header and 3 of padding), end (4),
	 * trailer (4). */
	return 28 + snaplen + 3 + 12 + (4 + NAT_COMMENT_MAX + 3) + (4 + NAT_CUSTOM_MAX + 3) +
	       (4 + DROP_COMMENT_MAX + 3) + (4 + DROP_CUSTOM_MAX + 3) +
	       EPB_COMMENTS * (4 + EPB_COMMENT_MAX + 3) + 4 + 4 + 64 + NRB_MAX;
}

static int init(struct ft_writer *w)
{
	struct ng *ng = calloc(1, sizeof(*ng));

	if (!ng)
		return -ENOMEM;
	w->priv = ng;
	return 0;
}

static void fini(struct ft_writer *w)
{
	struct ng *ng = w->priv;

	if (ng) {
		free(ng->ifs);
		free(ng->seen);
	}
	free(ng);
	w->priv = NULL;
}

static int header(struct ft_writer *w)
{
	static const char appl[] = "flowtap " FT_VERSION_STRING;
	size_t clen = w->comment ? strlen(w->comment) : 0;
	uint8_t *blk = ft__writer_reserve(w, 64 + clen + 8), *p;

	if (!blk)
		return w->err;
	p = ft__put_le32(blk, BT_SHB);
	p = ft__put_le32(p, 0);
	p = ft__put_le32(p, BYTE_ORDER_MAGIC);
	p = ft__put_le16(p, 1); /* version 1.0 */
	p = ft__put_le16(p, 0);
	p = ft__put_le64(p, UINT64_MAX); /* section length not given */
	if (clen)
		p = put_opt(p, OPT_COMMENT_SHB, w->comment, (uint16_t)clen);
	p = put_opt(p, SHB_USERAPPL, appl, sizeof(appl) - 1);
	p = put_end(p);
	w->len += close_block(blk, p);
	return 0;
}

static const char *iface_name(const struct ft_writer *w, const struct iface *f, char *buf,
			      size_t len)
{
	if (f->path != FT_PATH_NONE)
		return ft__writer_path_name(w, f->path, buf, len);
	if (f->ifid)
		snprintf(buf, len, "if-%u", f->ifid);
	else
		snprintf(buf, len, "capture");
	return buf;
}

static int write_idb(struct ft_writer *w, const struct iface *f)
{
	char nbuf[32];
	const char *name = iface_name(w, f, nbuf, sizeof(nbuf));
	size_t nlen = strnlen(name, NAME_MAX_LEN);
	uint8_t tsresol = 9;
	uint8_t *blk = ft__writer_reserve(w, 20 + 4 + NAME_MAX_LEN + 8 + 4 + 4), *p;

	if (!blk)
		return w->err;
	p = ft__put_le32(blk, BT_IDB);
	p = ft__put_le32(p, 0);
	p = ft__put_le16(p, (uint16_t)ft_dlt_to_linktype(w->o.dlt));
	p = ft__put_le16(p, 0);
	p = ft__put_le32(p, w->snaplen);
	p = put_opt(p, IF_NAME, name, (uint16_t)nlen);
	p = put_opt(p, IF_TSRESOL, &tsresol, 1);
	p = put_end(p);
	w->len += close_block(blk, p);
	return 0;
}

/* The interface id for @pk: by path for datapath packets, by interface id
 * for the others. A new interface gets its IDB written now. */
static int iface_for(struct ft_writer *w, const struct ft_pkt *pk)
{
	struct ng *ng = w->priv;
	uint32_t ifid = pk->path == FT_PATH_NONE ? pk->ifid : 0;
	struct iface *f;
	int ret;

	if (ng->n && ng->ifs[ng->last].path == pk->path && ng->ifs[ng->last].ifid == ifid)
		return (int)ng->last;
	for (unsigned i = 0; i < ng->n; i++) {
		if (ng->ifs[i].path == pk->path && ng->ifs[i].ifid == ifid) {
			ng->last = i;
			return (int)i;
		}
	}
	if (ng->n == MAX_IFACES)
		return FT_ELIMIT;
	/* Grows by doubling, at most log2(MAX_IFACES) times in a writer's life. */
	if ((ng->n & (ng->n - 1)) == 0) {
		struct iface *ifs = realloc(ng->ifs, sizeof(*ifs) * (ng->n ? ng->n * 2 : 4));
		if (!ifs)
			return -ENOMEM;
		ng->ifs = ifs;
	}
	f = &ng->ifs[ng->n];
	f->path = pk->path;
	f->ifid = ifid;
	f->written = 0;
	ret = write_idb(w, f);
	if (ret < 0)
		return ret;
	ng->last = ng->n++;
	return (int)ng->last;
}

static bool has_nat(const struct ft_pkt *pk)
{
	return pk->nat_src.len == 4 || pk->nat_src.len == 16 || pk->nat_dst.len == 4 ||
	       pk->nat_dst.len == 16;
}

static uint8_t *put_nat_addr(uint8_t *q, const struct ft_addr *a)
{
	uint8_t len = a->len == 4 || a->len == 16 ? a->len : 0;

	*q++ = len;
	memcpy(q, a->b, len);
	return q + len;
}

/* The NAT comment and custom option of an EPB (see the top of the file). */
static uint8_t *put_nat(uint8_t *p, const struct ft_pkt *pk)
{
	char text[NAT_COMMENT_MAX + 1], a[64];
	uint8_t bin[NAT_CUSTOM_MAX], *q;
	int n = snprintf(text, sizeof(text), "pre-nat");

	if (pk->nat_src.len == 4 || pk->nat_src.len == 16)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " src %s",
			      ft_addr_format(&pk->nat_src, a, sizeof(a)));
	if (pk->nat_dst.len == 4 || pk->nat_dst.len == 16)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " dst %s",
			      ft_addr_format(&pk->nat_dst, a, sizeof(a)));
	p = put_opt(p, OPT_COMMENT, text, (uint16_t)n);
	q = ft__put_le32(bin, FT_PCAPNG_PEN);
	*q++ = FT_PCAPNG_NAT;
	q = put_nat_addr(q, &pk->nat_src);
	q = put_nat_addr(q, &pk->nat_dst);
	return put_opt(p, OPT_CUSTOM_BIN, bin, (uint16_t)(q - bin));
}

/* The drop comment and custom option of an EPB (see the top of the file). */
static uint8_t *put_drop(uint8_t *p, const struct ft_pkt *pk)
{
	char text[DROP_COMMENT_MAX];
	uint8_t bin[DROP_CUSTOM_MAX], *q;
	const char *name = pk->drop_name ? pk->drop_name : ft__drop_builtin_name(pk->drop_reason);
	size_t n = (size_t)snprintf(text, sizeof(text), "drop: ");

	n += ft__drop_describe(text + n, sizeof(text) - n, pk);
	p = put_opt(p, OPT_COMMENT, text, (uint16_t)n);
	q = ft__put_le32(bin, FT_PCAPNG_PEN);
	*q++ = FT_PCAPNG_DROP;
	*q++ = (uint8_t)pk->drop_reason;
	*q++ = (uint8_t)(pk->drop_reason >> 8);
	q = ft__put_le32(q, pk->drop_rule);
	n = name ? strnlen(name, FT_DROP_NAME_MAX) : 0;
	*q++ = (uint8_t)n;
	memcpy(q, name, n);
	q += n;
	n = pk->drop_where ? ft__drop_where_copy((char *)q + 1, pk->drop_where) : 0;
	*q++ = (uint8_t)n;
	q += n;
	return put_opt(p, OPT_CUSTOM_BIN, bin, (uint16_t)(q - bin));
}

/* Whether an EPB carries options besides epb_flags. */
static bool has_annotations(const struct ft_pkt *pk)
{
	return has_nat(pk) || pk->drop_reason;
}

/* The comments and custom options of an EPB, each kind in its own helper
 * (NAT, drop); a new annotation adds its helper here and to
 * has_annotations() and max_record(). */
static uint8_t *put_annotations(uint8_t *p, const struct ft_pkt *pk)
{
	if (has_nat(pk))
		p = put_nat(p, pk);
	if (pk->drop_reason)
		p = put_drop(p, pk);
	return p;
}

/* One opt_comment of at most EPB_COMMENT_MAX bytes (cut beyond). */
static uint8_t *put_comment(uint8_t *p, const char *text, size_t n)
{
	return put_opt(p, OPT_COMMENT, text, (uint16_t)(n < EPB_COMMENT_MAX ? n : EPB_COMMENT_MAX));
}

static int cmp_addr(const struct ft_addr *a, const struct ft_addr *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->b, b->b, a->len);
}

/* Whether @a still needs an NRB record; if so it is remembered as named.
 * Binary search, and an insertion bounded by NRB_SEEN_MAX. */
static bool nrb_first_use(struct ng *ng, const struct ft_addr *a)
{
	unsigned lo = 0, hi = ng->nseen;

	if (!ng->seen && !(ng->seen = malloc(NRB_SEEN_MAX * sizeof(*ng->seen))))
		return false;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int c = cmp_addr(&ng->seen[mid], a);
		if (!c)
			return false;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ng->nseen == NRB_SEEN_MAX)
		return false;
	memmove(&ng->seen[lo + 1], &ng->seen[lo], (ng->nseen - lo) * sizeof(*ng->seen));
	ng->seen[lo] = *a;
	ng->nseen++;
	return true;
}

static uint8_t *put_nrb_record(uint8_t *p, const struct ft_addr *a, const char *name)
{
	size_t nlen = strlen(name) + 1, vlen = a->len + nlen;

	p = ft__put_le16(p, a->len == 4 ? NRB_IPV4 : NRB_IPV6);
	p = ft__put_le16(p, (uint16_t)vlen);
	memcpy(p, a->b, a->len);
	memcpy(p + a->len, name, nlen);
	memset(p + vlen, 0, pad4(vlen) - vlen);
	return p + pad4(vlen);
}

/*
 * The peers of the packet's two ends: their names into @text ("peers src
 * laptop-a dst laptop-b", unknown ends left out; returns its length, 0 if
 * neither is known), and an NRB naming the addresses not named before, so
 * that readers resolving names from the file (Wireshark, tshark -N n)
 * show them from this packet on.
 */
static size_t peer_names(struct ft_writer *w, const struct ft_pkt *pk, uint32_t caplen, char *text)
{
	struct ng *ng = w->priv;
	struct ft_addr a[2];
	const struct ft_peer *n[2];
	uint8_t *blk, *p;
	size_t len = 0;
	bool rec = false;

	if (!ft__pkt_ip_addrs(pk->data, caplen, w->o.dlt, &a[0], &a[1]))
		return 0;
	n[0] = ft_peers_lookup(w->peers, &a[0]);
	n[1] = ft_peers_lookup(w->peers, &a[1]);
	if (!n[0] && !n[1])
		return 0;
	if (!(blk = ft__writer_reserve(w, NRB_MAX)))
		return 0;
	p = ft__put_le32(blk, BT_NRB);
	p = ft__put_le32(p, 0);
	len = (size_t)sprintf(text, "peers");
	for (int i = 0; i < 2; i++) {
		if (!n[i])
			continue;
		len += (size_t)sprintf(text + len, " %s %s", i ? "dst" : "src", n[i]->name);
		if ((i == 0 || cmp_addr(&a[0], &a[1])) && nrb_first_use(ng, &a[i])) {
			p = put_nrb_record(p, &a[i], n[i]->name);
			rec = true;
		}
	}
	if (rec) {
		p = ft__put_le32(p, 0); /* nrb_record_end */
		w->len += close_block(blk, p);
	}
	return len;
}

/* A new table: its names are written again as addresses appear. */
static void peers_changed(struct ft_writer *w)
{
	((struct ng *)w->priv)->nseen = 0;
}

/* Hot path once the interface exists: one reservation and a copy. */
static int packet(struct ft_writer *w, const struct ft_pkt *pk, uint32_t caplen)
{
	struct ng *ng = w->priv;
	int id = iface_for(w, pk);
	char names[NAMES_COMMENT_MAX + 1];
	size_t nlen = 0;
	uint8_t *blk, *p;
	uint32_t flags;

	if (id < 0)
		return id;
	/* Any NRB goes before the packet that needs it. */
	if (w->peers && ft_peers_count(w->peers))
		nlen = peer_names(w, pk, caplen, names);
	blk = ft__writer_reserve(w, max_record(&w->o, caplen));
	if (!blk)
		return w->err;
	p = ft__put_le32(blk, BT_EPB);
	p = ft__put_le32(p, 0);
	p = ft__put_le32(p, (uint32_t)id);
	p = ft__put_le32(p, (uint32_t)(pk->ts_ns >> 32));
	p = ft__put_le32(p, (uint32_t)pk->ts_ns);
	p = ft__put_le32(p, caplen);
	p = ft__put_le32(p, pk->len > caplen ? pk->len : caplen);
	memcpy(p, pk->data, caplen);
	memset(p + caplen, 0, pad4(caplen) - caplen);
	p += pad4(caplen);
	/* epb_flags bits 0-1: 01 inbound, 10 outbound. */
	if (pk->dir == FT_DIR_IN || pk->dir == FT_DIR_OUT) {
		uint8_t b[4];
		flags = pk->dir == FT_DIR_IN ? 1 : 2;
		ft__put_le32(b, flags);
		p = put_opt(p, EPB_FLAGS, b, 4);
	}
	p = put_annotations(p, pk);
	if (nlen)
		p = put_comment(p, names, nlen);
	if (pk->dir == FT_DIR_IN || pk->dir == FT_DIR_OUT || has_annotations(pk) || nlen)
		p = put_end(p);
	w->len += close_block(blk, p);
	ng->ifs[id].written++;
	return 0;
}

static int write_isb(struct ft_writer *w, unsigned id, uint64_t now,
		     const struct ft_writer_isb *isb, const char *comment)
{
	uint8_t *blk = ft__writer_reserve(w, 128), *p;

	if (!blk)
		return w->err;
	p = ft__put_le32(blk, BT_ISB);
	p = ft__put_le32(p, 0);
	p = ft__put_le32(p, id);
	p = ft__put_le32(p, (uint32_t)(now >> 32));
	p = ft__put_le32(p, (uint32_t)now);
	if (comment)
		p = put_opt(p, OPT_COMMENT, comment, (uint16_t)strlen(comment));
	if (isb) {
		p = put_opt64(p, ISB_IFRECV, isb->received);
		p = put_opt64(p, ISB_IFDROP, isb->dropped);
	}
	p = put_opt64(p, ISB_FILTERACCEPT,
		      isb ? isb->filter_accepted : ((struct ng *)w->priv)->ifs[id].written);
	p = put_end(p);
	w->len += close_block(blk, p);
	return 0;
}

/*
 * One ISB per interface. The caller's counters are for the whole capture:
 * with a single interface they are that interface's; with several, the
 * first interface's ISB carries them (with a comment saying so) and the
 * others count the packets written on them as isb_filteraccept.
 */
static int finish(struct ft_writer *w, const struct ft_writer_isb *isb)
{
	struct ng *ng = w->priv;
	uint64_t now;
	int ret;

	if (!ng->n) {
		/* No packet came; an ISB needs an interface to belong to. */
		struct ft_pkt none = {.path = FT_PATH_NONE};
		if (!isb)
			return 0;
		ret = iface_for(w, &none);
		if (ret < 0)
			return ret;
	}
	now = ft__now_ns();
	for (unsigned i = 0; i < ng->n; i++) {
		const struct ft_writer_isb *mine = i == 0 ? isb : NULL;
		const char *c = i == 0 && isb && ng->n > 1 ? "counters of all interfaces" : NULL;
		ret = write_isb(w, i, now, mine, c);
		if (ret < 0)
			return ret;
	}
	return 0;
}

const struct ft__writer_ops ft__writer_pcapng_ops = {
    .max_record = max_record,
    .init = init,
    .fini = fini,
    .header = header,
    .packet = packet,
    .finish = finish,
    .peers_changed = peers_changed,
};
