/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rec.h - the capture record a producer writes into a session's ring.
 *
 * A 16-byte header, then the optional fields its flags announce (4-byte
 * words, in this order), then the captured bytes:
 *
 *	 0      4      5       6        8                16
 *	+------+------+-------+--------+-----------------+
 *	| word | path | flags | reason |      ts_ns      |
 *	+------+------+-------+--------+-----------------+
 *	[len][ifid][rule where_len where-text][nat_src nat_dst (36)] packet bytes...
 *
 * word is unused by the rings (the recorder's names the producer slot). reason is the verdict of a
 * packet offered as dropped (ft_tap_drop(): 0 for none); its rule id and
 * where-text (not NUL-terminated, at most FT_DROP_WHERE_MAX bytes) ride in
 * the optional FT_REC_DROP field. The common packet (no metadata, captured
 * whole) costs the header alone.
 */
#ifndef FT_REC_H
#define FT_REC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <flowtap/common.h>

struct ft_rec {
	uint32_t word;
	uint8_t path;
	uint8_t flags;
	uint16_t reason;
	uint64_t ts_ns;
};
_Static_assert(sizeof(struct ft_rec) == 16, "the record header is 16 bytes");

#define FT_REC_DIR	0x03u /* enum ft_dir */
#define FT_REC_CUT	0x04u /* shortened by the session's snaplen */
#define FT_REC_LEN	0x08u /* a wire length other than the captured length follows */
#define FT_REC_IFID	0x10u
#define FT_REC_DROP	0x20u /* u32 rule, u32 where_len, the where-text */
#define FT_REC_NAT	0x40u
#define FT_REC_NOPATH	0x80u /* path beyond FT_PATH_MAX: FT_PATH_NONE */
#define FT_REC_NAT_SIZE 36u   /* two struct ft_addr (17 bytes each), padded */

/*
 * A file record: what the hook writes instead for a session that writes
 * pcap, pcap-ns or user0 records where they lie in its rings (session.c:
 * direct). In a slot ring, exactly the bytes the file holds: the pcap
 * record header, user0's prefix (user0.h) and the packet bytes, back to
 * back with the records before and after it; its index entry (spsc.h)
 * holds its time and ft__frec_aux(). The shared ring has no index: there
 * struct ft_frec_hdr holds them, before the file's bytes.
 */
#define FT_PCAP_RECLEN 16

struct ft_frec_hdr {
	uint32_t aux; /* ft__frec_aux() */
	uint32_t reserved;
	uint64_t ts_ns;
};
_Static_assert(sizeof(struct ft_frec_hdr) == 16, "the shared ring's file record header");

/* A record's path, flags (FT_REC_DIR, FT_REC_CUT and FT_REC_NOPATH for a
 * file record: pcap has nowhere to put the others) and reason in a word. */
static inline uint32_t ft__frec_aux(uint16_t path, uint8_t flags, uint16_t reason)
{
	return (uint32_t)(uint8_t)path | (uint32_t)flags << 8 | (uint32_t)reason << 16;
}

static inline uint8_t ft__frec_flags(uint32_t aux)
{
	return (uint8_t)(aux >> 8);
}

/* What a producer knows about a packet before it reserves its record. */
struct ft_rec_info {
	uint64_t ts_ns;
	uint32_t len; /* on the wire */
	uint32_t ifid;
	uint32_t rule;
	uint32_t where_len;
	const char *where; /* where_len bytes, already cleaned (drop.h) */
	uint16_t reason;
	uint16_t path;
	uint8_t dir;
	const struct ft_addr *nat_src, *nat_dst; /* NULL: none */
};

/* Flags of the optional fields for @i with @cap bytes captured. */
static inline uint8_t ft__rec_flags(const struct ft_rec_info *i, uint32_t cap)
{
	uint8_t f = i->dir & FT_REC_DIR;
	if (i->path > FT_PATH_MAX)
		f |= FT_REC_NOPATH;
	if (i->len != cap)
		f |= FT_REC_LEN;
	if (i->ifid)
		f |= FT_REC_IFID;
	if (i->reason && (i->rule || i->where_len))
		f |= FT_REC_DROP;
	if (i->nat_src || i->nat_dst)
		f |= FT_REC_NAT;
	return f;
}

/* Bytes of the optional fields of a record with flags @f for @i. */
static inline uint32_t ft__rec_ext_size(const struct ft_rec_info *i, uint8_t f)
{
	return (f & FT_REC_LEN ? 4 : 0) + (f & FT_REC_IFID ? 4 : 0) +
	       (f & FT_REC_DROP ? 8 + i->where_len : 0) + (f & FT_REC_NAT ? FT_REC_NAT_SIZE : 0);
}

/* Write the header (all but word) and optional fields of a record with
 * flags @f at @rec; returns where the packet bytes go. Hot path. */
static inline uint8_t *ft__rec_put(void *rec, const struct ft_rec_info *i, uint8_t f)
{
	struct ft_rec *r = rec;
	uint8_t *p = (uint8_t *)(r + 1);
	r->path = (uint8_t)i->path;
	r->flags = f;
	r->reason = i->reason;
	r->ts_ns = i->ts_ns;
	if (f & FT_REC_LEN)
		memcpy(p, &i->len, 4), p += 4;
	if (f & FT_REC_IFID)
		memcpy(p, &i->ifid, 4), p += 4;
	if (f & FT_REC_DROP) {
		memcpy(p, &i->rule, 4);
		memcpy(p + 4, &i->where_len, 4);
		if (i->where_len)
			memcpy(p + 8, i->where, i->where_len);
		p += 8 + i->where_len;
	}
	if (f & FT_REC_NAT) {
		static const struct ft_addr none;
		memcpy(p, i->nat_src ? i->nat_src : &none, sizeof(none));
		memcpy(p + sizeof(none), i->nat_dst ? i->nat_dst : &none, sizeof(none));
		p += FT_REC_NAT_SIZE;
	}
	return p;
}

/*
 * Read the record of @size bytes at @rec into @p: its data points into the
 * record, and so does *@where (*@where_len bytes, not NUL-terminated) for a
 * drop with a where-text. Returns false if the record is too short for what
 * its flags announce.
 */
static inline bool ft__rec_get(const void *rec, uint32_t size, struct ft_pkt *p, const char **where,
			       uint32_t *where_len)
{
	const struct ft_rec *r = rec;
	const uint8_t *q = (const uint8_t *)(r + 1), *end = (const uint8_t *)rec + size;
	uint8_t f = r->flags;
	uint32_t fixed = (f & FT_REC_LEN ? 4 : 0) + (f & FT_REC_IFID ? 4 : 0) +
			 (f & FT_REC_DROP ? 8 : 0) + (f & FT_REC_NAT ? FT_REC_NAT_SIZE : 0);

	if (size < sizeof(*r) + fixed)
		return false;
	memset(p, 0, sizeof(*p));
	p->ts_ns = r->ts_ns;
	p->path = f & FT_REC_NOPATH ? FT_PATH_NONE : r->path;
	p->dir = f & FT_REC_DIR;
	p->drop_reason = r->reason;
	*where = NULL;
	*where_len = 0;
	if (f & FT_REC_LEN)
		memcpy(&p->len, q, 4), q += 4;
	if (f & FT_REC_IFID)
		memcpy(&p->ifid, q, 4), q += 4;
	if (f & FT_REC_DROP) {
		memcpy(&p->drop_rule, q, 4);
		memcpy(where_len, q + 4, 4);
		q += 8;
		if (*where_len > (size_t)(end - q) - (f & FT_REC_NAT ? FT_REC_NAT_SIZE : 0))
			return false;
		*where = (const char *)q;
		q += *where_len;
	}
	if (f & FT_REC_NAT) {
		memcpy(&p->nat_src, q, sizeof(p->nat_src));
		memcpy(&p->nat_dst, q + sizeof(p->nat_src), sizeof(p->nat_dst));
		q += FT_REC_NAT_SIZE;
	}
	p->data = q;
	p->caplen = (uint32_t)(end - q);
	if (!(f & FT_REC_LEN))
		p->len = p->caplen;
	return true;
}

#endif
