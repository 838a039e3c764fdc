/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: decoders for what kernel capture sources deliver: psample generic
 * netlink messages (linux/psample.h), DLT_NFLOG records
 * (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html) and the IP packet
 * inside link-layer frames.
 *
 * Pure functions over a byte buffer: every byte is read through ft_rd, so the
 * unit tests and fuzzers can feed them anything.
 */
#include <errno.h>
#include <pcap/dlt.h>

#include <flowtap/sources.h>
#include "rd.h"
#include "decode.h"
#include "nflog_tlv.h"

#define NLMSG_HDRLEN_	    16
#define GENL_HDRLEN_	    4
#define NLA_HDRLEN_	    4
#define NLA_ALIGN_(n)	    (((n) + 3u) & ~3u)
#define NLA_TYPE_MASK_	    0x3fffu /* without NLA_F_NESTED and NLA_F_NET_BYTEORDER */
#define PSAMPLE_CMD_SAMPLE_ 0

/* Netlink headers and attributes are in host byte order. */
static uint16_t rd_h16(struct ft_rd *r)
{
	uint16_t v = 0;
	ft_rd_copy(r, &v, sizeof(v));
	return v;
}

static uint32_t rd_h32(struct ft_rd *r)
{
	uint32_t v = 0;
	ft_rd_copy(r, &v, sizeof(v));
	return v;
}

static uint64_t rd_h64(struct ft_rd *r)
{
	uint64_t v = 0;
	ft_rd_copy(r, &v, sizeof(v));
	return v;
}

/* Expected payload size of each known attribute; 0: any (binary), -1: flag. */
static const int psample_attr_size[] = {
    [FT_PSAMPLE_ATTR_IIFINDEX] = 2,
    [FT_PSAMPLE_ATTR_OIFINDEX] = 2,
    [FT_PSAMPLE_ATTR_ORIGSIZE] = 4,
    [FT_PSAMPLE_ATTR_SAMPLE_GROUP] = 4,
    [FT_PSAMPLE_ATTR_GROUP_SEQ] = 4,
    [FT_PSAMPLE_ATTR_SAMPLE_RATE] = 4,
    [FT_PSAMPLE_ATTR_DATA] = 0,
    [FT_PSAMPLE_ATTR_GROUP_REFCOUNT] = 4,
    [FT_PSAMPLE_ATTR_TUNNEL] = 0,
    [FT_PSAMPLE_ATTR_PAD] = 0,
    [FT_PSAMPLE_ATTR_OUT_TC] = 2,
    [FT_PSAMPLE_ATTR_OUT_TC_OCC] = 8,
    [FT_PSAMPLE_ATTR_LATENCY] = 8,
    [FT_PSAMPLE_ATTR_TIMESTAMP] = 8,
    [FT_PSAMPLE_ATTR_PROTO] = 2,
    [FT_PSAMPLE_ATTR_USER_COOKIE] = 0,
    [FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY] = -1,
};

#define PSAMPLE_NATTRS (sizeof(psample_attr_size) / sizeof(psample_attr_size[0]))

static void psample_attr(struct ft_psample_msg *m, unsigned type, struct ft_rd *v)
{
	size_t n = ft_rd_left(v);

	switch (type) {
	case FT_PSAMPLE_ATTR_IIFINDEX:
		m->iif = rd_h16(v);
		break;
	case FT_PSAMPLE_ATTR_OIFINDEX:
		m->oif = rd_h16(v);
		break;
	case FT_PSAMPLE_ATTR_ORIGSIZE:
		m->origsize = rd_h32(v);
		break;
	case FT_PSAMPLE_ATTR_SAMPLE_GROUP:
		m->group = rd_h32(v);
		break;
	case FT_PSAMPLE_ATTR_GROUP_SEQ:
		m->group_seq = rd_h32(v);
		break;
	case FT_PSAMPLE_ATTR_SAMPLE_RATE:
		m->rate = rd_h32(v);
		break;
	case FT_PSAMPLE_ATTR_GROUP_REFCOUNT:
		m->group_refcount = rd_h32(v);
		break;
	case FT_PSAMPLE_ATTR_OUT_TC:
		m->out_tc = rd_h16(v);
		break;
	case FT_PSAMPLE_ATTR_OUT_TC_OCC:
		m->out_tc_occ = rd_h64(v);
		break;
	case FT_PSAMPLE_ATTR_LATENCY:
		m->latency_ns = rd_h64(v);
		break;
	case FT_PSAMPLE_ATTR_TIMESTAMP:
		m->timestamp_ns = rd_h64(v);
		break;
	case FT_PSAMPLE_ATTR_PROTO:
		m->proto = rd_h16(v);
		break;
	case FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY:
		m->probability = true;
		break;
	case FT_PSAMPLE_ATTR_DATA:
		m->data = v->p;
		m->data_len = (uint32_t)n;
		break;
	case FT_PSAMPLE_ATTR_USER_COOKIE:
		m->cookie = v->p;
		m->cookie_len = (uint32_t)n;
		break;
	case FT_PSAMPLE_ATTR_TUNNEL:
		m->tunnel = v->p;
		m->tunnel_len = (uint32_t)n;
		break;
	default: /* PAD */
		break;
	}
}

int ft__psample_decode(const void *buf, size_t len, uint16_t family_id, struct ft_psample_msg *m)
{
	struct ft_rd r = ft_rd_init(buf, len);

	memset(m, 0, sizeof(*m));
	uint32_t nlen = rd_h32(&r);
	uint16_t type = rd_h16(&r);
	if (r.err || nlen < NLMSG_HDRLEN_ + GENL_HDRLEN_ || nlen > len)
		return FT_ECORRUPT;
	if (type != family_id)
		return -EINVAL;
	r = ft_rd_init(buf, nlen);
	ft_rd_skip(&r, NLMSG_HDRLEN_);
	if (ft_rd_u8(&r) != PSAMPLE_CMD_SAMPLE_)
		return -EINVAL;
	ft_rd_skip(&r, GENL_HDRLEN_ - 1);

	while (ft_rd_left(&r) > 0) {
		uint16_t alen = rd_h16(&r);
		unsigned atype = rd_h16(&r) & NLA_TYPE_MASK_;
		if (r.err || alen < NLA_HDRLEN_)
			return FT_ECORRUPT;
		struct ft_rd v = ft_rd_sub(&r, alen - NLA_HDRLEN_);
		if (r.err)
			return FT_ECORRUPT;
		/* The last attribute's padding may be absent. */
		size_t pad = NLA_ALIGN_(alen) - alen;
		ft_rd_skip(&r, pad < ft_rd_left(&r) ? pad : ft_rd_left(&r));

		if (atype >= PSAMPLE_NATTRS) {
			m->unknown++;
			continue;
		}
		int want = psample_attr_size[atype];
		size_t have = ft_rd_left(&v);
		if ((want > 0 && have != (size_t)want) || (want < 0 && have != 0)) {
			m->malformed++;
			continue;
		}
		psample_attr(m, atype, &v);
		m->present |= 1u << atype;
	}
	return 0;
}

uint32_t ft__psample_scale(const struct ft_psample_msg *m)
{
	if (!m->probability)
		return m->rate ? m->rate : 1;
	if (m->rate == 0)
		return 1;
	/* A probability p = rate / UINT32_MAX samples one packet in 1/p. */
	uint64_t n = ((uint64_t)UINT32_MAX + m->rate / 2) / m->rate;
	return n ? (uint32_t)n : 1;
}

bool ft__psample_l3(const struct ft_psample_msg *m)
{
	unsigned ver;

	if (m->proto == 0x0800)
		ver = 4;
	else if (m->proto == 0x86dd)
		ver = 6;
	else
		return false;
	struct ft_rd r = ft_rd_init(m->data, m->data_len);
	int b0 = ft_rd_peek(&r, 0), t0 = ft_rd_peek(&r, 12), t1 = ft_rd_peek(&r, 13);
	if (b0 < 0 || (unsigned)b0 >> 4 != ver)
		return false;
	/* An Ethernet frame whose type field holds the protocol (or a VLAN tag). */
	if (t0 >= 0 && t1 >= 0) {
		unsigned et = (unsigned)t0 << 8 | (unsigned)t1;
		if (et == m->proto || et == 0x8100 || et == 0x88a8)
			return false;
	}
	return true;
}

uint32_t ft__psample_seq_gap(uint32_t last, uint32_t seq)
{
	uint32_t d = seq - last; /* wraps */
	/* Duplicates or reordering (d == 0 or "negative") are no loss. */
	if (d == 0 || d > 0x80000000u)
		return 0;
	return d - 1;
}

/* NFLOG TLV types (linux/netfilter/nfnetlink_log.h, NFULA_*). */
enum {
	NFULA_PACKET_HDR = 1,
	NFULA_TIMESTAMP = 3,
	NFULA_IFINDEX_INDEV = 4,
	NFULA_IFINDEX_OUTDEV = 5,
	NFULA_IFINDEX_PHYSINDEV = 6,
	NFULA_IFINDEX_PHYSOUTDEV = 7,
	NFULA_PAYLOAD = 9,
	NFULA_PREFIX = 10,
	NFULA_UID = 11,
	NFULA_GID = 14,
};

static void nflog_tlv(struct ft_nflog_msg *m, unsigned type, struct ft_rd *v)
{
	size_t n = ft_rd_left(v);

	switch (type) {
	case NFULA_PACKET_HDR: /* be16 hw_protocol, u8 hook, u8 pad */
		m->hw_protocol = ft_rd_be16(v);
		break;
	case NFULA_TIMESTAMP: { /* be64 sec, be64 usec */
		uint64_t sec = (uint64_t)ft_rd_be32(v) << 32;
		sec |= ft_rd_be32(v);
		uint64_t usec = (uint64_t)ft_rd_be32(v) << 32;
		usec |= ft_rd_be32(v);
		if (!v->err)
			m->ts_ns = sec * 1000000000ull + usec * 1000ull;
		break;
	}
	case NFULA_IFINDEX_INDEV:
		m->indev = ft_rd_be32(v);
		break;
	case NFULA_IFINDEX_OUTDEV:
		m->outdev = ft_rd_be32(v);
		break;
	case NFULA_IFINDEX_PHYSINDEV:
		m->physindev = ft_rd_be32(v);
		break;
	case NFULA_IFINDEX_PHYSOUTDEV:
		m->physoutdev = ft_rd_be32(v);
		break;
	case NFULA_UID:
		m->uid = ft_rd_be32(v);
		break;
	case NFULA_GID:
		m->gid = ft_rd_be32(v);
		break;
	case NFULA_PAYLOAD:
		m->payload = v->p;
		m->payload_len = (uint32_t)n;
		break;
	case NFULA_PREFIX: {
		/* The kernel includes the NUL; stop at the first one anyway. */
		size_t i = 0;
		while (i < n && i + 1 < sizeof(m->prefix) && v->p[i])
			i++;
		memcpy(m->prefix, v->p, i);
		m->prefix[i] = 0;
		break;
	}
	default:
		m->unknown++;
		break;
	}
}

int ft__nflog_decode(const void *buf, size_t len, struct ft_nflog_msg *m)
{
	struct ft_rd r = ft_rd_init(buf, len);

	memset(m, 0, sizeof(*m));
	m->family = ft_rd_u8(&r);
	ft_rd_u8(&r); /* version */
	m->resource_id = ft_rd_be16(&r);
	if (r.err)
		return FT_ECORRUPT;
	struct ft__nflog_tlv t;
	int k;
	while ((k = ft__nflog_tlv_next(&r, &t)) > 0) {
		/* From the kernel, a record is whole: a cut TLV is corruption. */
		if (t.cut)
			return FT_ECORRUPT;
		nflog_tlv(m, t.type, &t.v);
		if (t.v.err)
			return FT_ECORRUPT;
	}
	if (k < 0)
		return FT_ECORRUPT;
	return 0;
}

static int ether_ip(struct ft_rd *r, const uint8_t *base)
{
	ft_rd_skip(r, 12);
	uint16_t et = ft_rd_be16(r);
	for (int tags = 0; tags < 2 && (et == 0x8100 || et == 0x88a8); tags++) {
		ft_rd_skip(r, 2);
		et = ft_rd_be16(r);
	}
	if (r->err || (et != 0x0800 && et != 0x86dd))
		return -1;
	return (int)(r->p - base);
}

int ft__frame_ip(int dlt, const uint8_t *p, uint32_t caplen)
{
	struct ft_rd r = ft_rd_init(p, caplen);
	uint16_t et;

	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6: {
		int b = ft_rd_peek(&r, 0);
		return (b >> 4 == 4 || b >> 4 == 6) ? 0 : -1;
	}
	case DLT_EN10MB:
		return ether_ip(&r, p);
	case DLT_LINUX_SLL: /* type, arphrd, addrlen, addr[8], protocol */
		ft_rd_skip(&r, 14);
		et = ft_rd_be16(&r);
		return (!r.err && (et == 0x0800 || et == 0x86dd)) ? 16 : -1;
	case DLT_LINUX_SLL2: /* protocol first */
		et = ft_rd_be16(&r);
		ft_rd_skip(&r, 18);
		return (!r.err && (et == 0x0800 || et == 0x86dd)) ? 20 : -1;
	case DLT_NFLOG: {
		struct ft_nflog_msg m;
		if (ft__nflog_decode(p, caplen, &m) < 0 || !m.payload)
			return -1;
		return (int)(m.payload - p);
	}
	default:
		return -1;
	}
}
