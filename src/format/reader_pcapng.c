/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: pcapng reader that keeps what libpcap drops: interface names
 * (capture paths), EPB direction flags, and interfaces of several link types.
 *
 * Format: draft-ietf-opsawg-pcapng. libpcap 1.10 hands out neither the
 * interface of a packet nor its flags, and refuses a file whose second raw-IP
 * interface says LINKTYPE_RAW (101) after its first one became DLT_RAW (12),
 * which is exactly what a multi-path capture is. Blocks are read one at a
 * time into a buffer bounded by MAX_BLOCK; every field is read through a
 * bounds-checked cursor.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "rd.h"
#include "reader_ng.h"

#define BT_IDB	   0x00000001u
#define BT_PB	   0x00000002u /* obsolete Packet Block */
#define BT_SPB	   0x00000003u
#define BT_EPB	   0x00000006u
#define BOM	   0x1a2b3c4du
#define MAX_BLOCK  (16u << 20) /* as libpcap */
#define MAX_IFACES 1024
#define MAX_CAPLEN 262144

struct ng_if {
	int dlt;
	uint32_t snaplen;
	uint64_t units; /* timestamp units per second */
	uint16_t path;	/* from if_name when it names a path, else FT_PATH_NONE */
	/* if_name of another path of flowtap's ("disco"): its number is not
	 * in the file, its name is (ft__ng_ifname()). */
	char name[FT__NG_IFNAME_MAX + 1];
};

struct ft__ng {
	FILE *fp;
	uint8_t *blk;
	size_t cap;
	bool swap;
	struct ng_if ifs[MAX_IFACES];
	unsigned nifs;
	bool flowtap; /* the section's shb_userappl says flowtap wrote it */
	int dlt;      /* of the first interface */
	uint32_t snaplen;
	uint8_t pre[8];
	size_t npre; /* bytes of the next block header already read */
	/* The drop option's texts of the last packet (ft_pkt points here). */
	char drop_name[FT_DROP_NAME_MAX + 1];
	char drop_where[FT_DROP_WHERE_MAX + 1];
	/* The last packet's "peers ..." comment (in blk), 0 bytes if none. */
	const char *peers;
	size_t npeers;
};

static uint32_t rd32(struct ft_rd *r, bool swap)
{
	uint32_t v = ft_rd_le32(r);
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(struct ft_rd *r, bool swap)
{
	uint16_t v = ft_rd_le16(r);
	return swap ? __builtin_bswap16(v) : v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The path an interface name stands for, as flowtap's writer names them. */
static uint16_t name_to_path(const char *name)
{
	char *end;
	unsigned long v;

	for (unsigned p = 0; ft_path_builtin_name(p); p++)
		if (!strcmp(name, ft_path_builtin_name(p)))
			return (uint16_t)p;
	if (!strncmp(name, "path-", 5) && name[5] >= '0' && name[5] <= '9') {
		v = strtoul(name + 5, &end, 10);
		if (!*end && v <= FT_PATH_MAX)
			return (uint16_t)v;
	}
	return FT_PATH_NONE;
}

/* The inverse of ft_dlt_to_linktype(): only a few values differ. */
static int linktype_to_dlt(uint16_t lt)
{
	if (lt == (uint16_t)ft_dlt_to_linktype(DLT_RAW))
		return DLT_RAW;
#ifdef DLT_ATM_RFC1483
	if (lt == (uint16_t)ft_dlt_to_linktype(DLT_ATM_RFC1483))
		return DLT_ATM_RFC1483;
#endif
	return lt;
}

static uint64_t tsresol_units(uint8_t v)
{
	uint64_t u = 1;
	unsigned e = v & 0x7f;

	if (v & 0x80)
		return e < 64 ? (uint64_t)1 << e : 0;
	for (unsigned i = 0; i < e; i++) {
		if (u > UINT64_MAX / 10)
			return 0;
		u *= 10;
	}
	return u;
}

static int corrupt(char *err, size_t errlen, const char *msg, uint32_t a, uint32_t b)
{
	snprintf(err, errlen, msg, a, b);
	return FT_ECORRUPT;
}

/* Reads one whole block into g->blk. Returns its type via @type and its
 * total length via @len; 1, 0 at a clean end, or FT_ECORRUPT. */
static int read_block(struct ft__ng *g, uint32_t *type, uint32_t *len, char *err, size_t errlen)
{
	uint8_t hdr[8];
	size_t got = g->npre;
	struct ft_rd r;

	memcpy(hdr, g->pre, g->npre);
	g->npre = 0;
	got += fread(hdr + got, 1, sizeof(hdr) - got, g->fp);
	if (got == 0)
		return 0;
	if (got < sizeof(hdr))
		return corrupt(
		    err, errlen,
		    "truncated pcapng file; tried to read %u block header bytes, only got %u", 8,
		    (uint32_t)got);
	r = ft_rd_init(hdr, sizeof(hdr));
	*type = ft_rd_le32(&r);
	if (*type == FT__PCAPNG_SHB) {
		/* A new section may change the byte order: look at its BOM. */
		uint8_t bom[4];
		if (fread(bom, 1, 4, g->fp) != 4)
			return corrupt(err, errlen, "truncated pcapng section header%.0u%.0u", 0,
				       0);
		struct ft_rd b = ft_rd_init(bom, 4);
		uint32_t m = ft_rd_le32(&b);
		if (m != BOM && m != __builtin_bswap32(BOM))
			return corrupt(
			    err, errlen,
			    "pcapng section header with a bad byte-order magic 0x%08x%.0u", m, 0);
		g->swap = m != BOM;
		*len = rd32(&r, g->swap);
		if (*len < 28 || *len % 4 || *len > MAX_BLOCK)
			return corrupt(err, errlen, "pcapng section header has a bad length %u%.0u",
				       *len, 0);
		memcpy(g->blk, hdr, 8);
		memcpy(g->blk + 8, bom, 4);
		got = 12;
	} else {
		if (g->swap)
			*type = __builtin_bswap32(*type);
		*len = rd32(&r, g->swap);
		if (*len < 12 || *len % 4 || *len > MAX_BLOCK)
			return corrupt(err, errlen, "pcapng block of type 0x%x has a bad length %u",
				       *type, *len);
		memcpy(g->blk, hdr, 8);
		got = 8;
	}
	if (*len > g->cap) {
		uint8_t *b = realloc(g->blk, *len);
		if (!b)
			return -ENOMEM;
		g->blk = b;
		g->cap = *len;
	}
	got += fread(g->blk + got, 1, *len - got, g->fp);
	if (got < *len)
		return corrupt(err, errlen,
			       "truncated pcapng file; tried to read %u block bytes, only got %u",
			       *len, (uint32_t)got);
	return 1;
}

/* The next option of a block's option list: its code, its value in @v and
 * its length in @olen; 0 at opt_endofopt or where the list is truncated. */
static uint16_t next_option(struct ft__ng *g, struct ft_rd *r, struct ft_rd *v, uint16_t *olen)
{
	uint16_t code;

	if (!ft_rd_has(r, 4))
		return 0;
	code = rd16(r, g->swap);
	*olen = rd16(r, g->swap);
	*v = ft_rd_sub(r, *olen);
	ft_rd_skip(r, pad4(*olen) - *olen);
	return v->err ? 0 : code;
}

/* Options of an IDB: if_name and if_tsresol. */
static void idb_options(struct ft__ng *g, struct ft_rd *r, struct ng_if *f)
{
	struct ft_rd v;
	uint16_t code, olen;

	while ((code = next_option(g, r, &v, &olen))) {
		if (code == 2 && olen > 0 && olen < 64) {
			char name[64];
			ft_rd_copy(&v, name, olen);
			name[olen] = '\0';
			f->path = name_to_path(name);
			/* "capture" and "if-N" are the writer's names for
			 * packets without a path. */
			if (f->path == FT_PATH_NONE && g->flowtap && olen <= FT__NG_IFNAME_MAX &&
			    strcmp(name, "capture") && strncmp(name, "if-", 3))
				memcpy(f->name, name, olen + 1);
		} else if (code == 9 && olen >= 1) {
			f->units = tsresol_units(ft_rd_u8(&v));
		}
	}
}

static int parse_idb(struct ft__ng *g, uint32_t len, char *err, size_t errlen)
{
	struct ft_rd r = ft_rd_init(g->blk + 8, len - 12);
	struct ng_if *f;

	if (g->nifs == MAX_IFACES)
		return corrupt(err, errlen, "pcapng file with more than %u interfaces%.0u",
			       MAX_IFACES, 0);
	f = &g->ifs[g->nifs];
	f->dlt = linktype_to_dlt(rd16(&r, g->swap));
	ft_rd_skip(&r, 2);
	f->snaplen = rd32(&r, g->swap);
	f->units = 1000000;
	f->path = FT_PATH_NONE;
	f->name[0] = '\0';
	if (r.err)
		return corrupt(err, errlen, "pcapng interface block too short (%u bytes)%.0u", len,
			       0);
	idb_options(g, &r, f);
	if (!f->units)
		return corrupt(err, errlen, "pcapng interface %u has a bad if_tsresol%.0u", g->nifs,
			       0);
	if (g->nifs == 0) {
		g->dlt = f->dlt;
		g->snaplen = f->snaplen;
	}
	g->nifs++;
	return 0;
}

static uint64_t to_ns(uint64_t t, uint64_t units)
{
	if (units == 1000000000u)
		return t;
	if (1000000000u % units == 0)
		return t * (1000000000u / units);
	return (uint64_t)((unsigned __int128)t * 1000000000u / units);
}

/* One address of flowtap's NAT custom option: a length (0, 4, 16), then
 * that many bytes. A bad length leaves the address absent. */
static void nat_addr(struct ft_rd *v, struct ft_addr *a)
{
	uint8_t len = ft_rd_u8(v);

	if ((len != 4 && len != 16) || !ft_rd_has(v, len)) {
		ft_rd_skip(v, len);
		return;
	}
	a->len = len;
	ft_rd_copy(v, a->b, len);
}

/* A length-prefixed text of the drop option into @buf (@cap bytes with the
 * NUL), made printable; NULL when empty or truncated. */
static const char *drop_text(struct ft_rd *v, char *buf, size_t cap)
{
	uint8_t n = ft_rd_u8(v);
	char raw[256];

	if (!n || n >= cap || !ft_rd_has(v, n)) {
		ft_rd_skip(v, n);
		return NULL;
	}
	ft_rd_copy(v, raw, n);
	raw[n] = '\0';
	buf[ft__drop_where_copy(buf, raw)] = '\0';
	return buf;
}

/* flowtap's drop custom option (type 2, see writer_pcapng.c). */
static void drop_opt(struct ft__ng *g, struct ft_rd *v, struct ft_pkt *p)
{
	uint16_t reason = rd16(v, g->swap);
	uint32_t rule = rd32(v, g->swap);

	if (v->err || !reason)
		return;
	p->drop_reason = reason;
	p->drop_rule = rule;
	p->drop_name = drop_text(v, g->drop_name, sizeof(g->drop_name));
	p->drop_where = drop_text(v, g->drop_where, sizeof(g->drop_where));
}

/* EPB/PB options: epb_flags (2: inbound/outbound in bits 0-1), the
 * pre-NAT addresses and the drop of flowtap's custom option (2989 under PEN
 * 32473, see writer_pcapng.c); other options and other PENs are skipped. */
static void packet_options(struct ft__ng *g, struct ft_rd *r, struct ft_pkt *p)
{
	struct ft_rd v;
	uint16_t code, olen;

	while ((code = next_option(g, r, &v, &olen))) {
		if (code == 1 && olen > 6 && !memcmp(v.p, "peers ", 6)) {
			g->peers = (const char *)v.p;
			g->npeers = olen;
		} else if (code == 2 && olen == 4) {
			uint32_t fl = rd32(&v, g->swap) & 3;
			p->dir = fl == 1 ? FT_DIR_IN : fl == 2 ? FT_DIR_OUT : FT_DIR_UNKNOWN;
		} else if (code == 2989 && olen >= 5 && rd32(&v, g->swap) == 32473u) {
			uint8_t kind = ft_rd_u8(&v);
			if (kind == 1) {
				nat_addr(&v, &p->nat_src);
				nat_addr(&v, &p->nat_dst);
			} else if (kind == 2) {
				drop_opt(g, &v, p);
			}
		}
	}
}

static int parse_packet(struct ft__ng *g, uint32_t type, uint32_t len, struct ft_pkt *p, char *err,
			size_t errlen)
{
	struct ft_rd r = ft_rd_init(g->blk + 8, len - 12);
	uint32_t ifid, hi, lo, caplen, orig;
	const struct ng_if *f;

	if (type == BT_SPB) {
		ifid = 0;
		hi = lo = 0;
		orig = rd32(&r, g->swap);
		caplen = (uint32_t)ft_rd_left(&r);
		if (caplen > orig)
			caplen = orig;
	} else {
		ifid = type == BT_PB ? rd16(&r, g->swap) : rd32(&r, g->swap);
		if (type == BT_PB)
			ft_rd_skip(&r, 2); /* drops count */
		hi = rd32(&r, g->swap);
		lo = rd32(&r, g->swap);
		caplen = rd32(&r, g->swap);
		orig = rd32(&r, g->swap);
	}
	if (ifid >= g->nifs)
		return corrupt(err, errlen, "pcapng packet on undeclared interface %u%.0u", ifid,
			       0);
	f = &g->ifs[ifid];
	if (type == BT_SPB && f->snaplen && caplen > f->snaplen)
		caplen = f->snaplen;
	if (r.err || caplen > MAX_CAPLEN || !ft_rd_has(&r, caplen))
		return corrupt(err, errlen, "pcapng packet block with a bad captured length %u%.0u",
			       caplen, 0);
	p->data = r.p;
	ft_rd_skip(&r, pad4(caplen) > ft_rd_left(&r) ? caplen : pad4(caplen));
	p->caplen = caplen;
	p->len = orig < caplen ? caplen : orig;
	p->ts_ns = to_ns((uint64_t)hi << 32 | lo, f->units);
	p->dlt = f->dlt;
	p->path = f->path;
	p->ifid = f->path == FT_PATH_NONE ? ifid : 0;
	p->dir = FT_DIR_UNKNOWN;
	p->nat_src.len = p->nat_dst.len = 0;
	p->drop_reason = 0;
	p->drop_rule = 0;
	p->drop_name = p->drop_where = NULL;
	g->npeers = 0;
	if (type != BT_SPB)
		packet_options(g, &r, p);
	return 1;
}

/* A section header: whether flowtap wrote it (shb_userappl "flowtap ..."). */
static void parse_shb(struct ft__ng *g, uint32_t len)
{
	struct ft_rd r = ft_rd_init(g->blk + 8, len - 12), v;
	uint16_t code, olen;

	g->nifs = 0; /* interfaces are per section */
	g->flowtap = false;
	ft_rd_skip(&r, 16); /* byte-order magic, version, section length */
	while ((code = next_option(g, &r, &v, &olen)))
		if (code == 4 && olen >= 8 && !memcmp(v.p, "flowtap ", 8))
			g->flowtap = true;
}

int ft__ng_next(struct ft__ng *g, struct ft_pkt *p, char *err, size_t errlen)
{
	uint32_t type, len;
	int rc;

	for (;;) {
		rc = read_block(g, &type, &len, err, errlen);
		if (rc <= 0)
			return rc;
		if (type == FT__PCAPNG_SHB) {
			parse_shb(g, len);
		} else if (type == BT_IDB) {
			rc = parse_idb(g, len, err, errlen);
			if (rc < 0)
				return rc;
		} else if (type == BT_EPB || type == BT_SPB || type == BT_PB) {
			return parse_packet(g, type, len, p, err, errlen);
		}
	}
}

int ft__ng_open(struct ft__ng **out, FILE *fp, const uint8_t *pre, size_t npre, char *err,
		size_t errlen)
{
	struct ft__ng *g = calloc(1, sizeof(*g));
	uint32_t type, len;
	int rc = -ENOMEM;

	*out = NULL;
	if (!g || !(g->blk = malloc(4096)))
		goto fail;
	g->cap = 4096;
	g->fp = fp;
	g->dlt = DLT_RAW; /* a file with no interface has no packets either */
	memcpy(g->pre, pre, npre);
	g->npre = npre;
	/* Up to the first interface, so that the link type is known; a packet
	 * before it would be on an undeclared interface. */
	while ((rc = read_block(g, &type, &len, err, errlen)) == 1) {
		if (type == FT__PCAPNG_SHB)
			parse_shb(g, len);
		if (type == BT_IDB) {
			rc = parse_idb(g, len, err, errlen);
			break;
		}
		if (type == BT_EPB || type == BT_SPB || type == BT_PB) {
			rc = corrupt(err, errlen, "pcapng packet before any interface%.0u%.0u", 0,
				     0);
			break;
		}
	}
	if (rc < 0)
		goto fail;
	*out = g;
	return 0;
fail:
	if (g)
		free(g->blk);
	free(g);
	return rc;
}

const char *ft__ng_ifname(const struct ft__ng *g, uint32_t ifid)
{
	return ifid < g->nifs && g->ifs[ifid].name[0] ? g->ifs[ifid].name : NULL;
}

const char *ft__ng_peers(const struct ft__ng *g, size_t *len)
{
	*len = g->npeers;
	return g->npeers ? g->peers : NULL;
}

int ft__ng_dlt(const struct ft__ng *g)
{
	return g->dlt;
}

uint32_t ft__ng_snaplen(const struct ft__ng *g)
{
	return g->snaplen;
}

void ft__ng_close(struct ft__ng *g)
{
	if (!g)
		return;
	free(g->blk);
	free(g);
}
