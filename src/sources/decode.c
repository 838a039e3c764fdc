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
#include <libmnl/libmnl.h>
#include <pcap/dlt.h>

#include <flowtap/sources.h>
#include "rd.h"
#include "decode.h"
#include "nflog_tlv.h"

#define NLMSG_HDRLEN_	    16
#define GENL_HDRLEN_	    4
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

/* Each known attribute's type, which libmnl validates: the integers must
 * have exactly their size, the flag no payload; binary ones any length. */
static const enum mnl_attr_data_type psample_attr_type[] = {
    [FT_PSAMPLE_ATTR_IIFINDEX] = MNL_TYPE_U16,
    [FT_PSAMPLE_ATTR_OIFINDEX] = MNL_TYPE_U16,
    [FT_PSAMPLE_ATTR_ORIGSIZE] = MNL_TYPE_U32,
    [FT_PSAMPLE_ATTR_SAMPLE_GROUP] = MNL_TYPE_U32,
    [FT_PSAMPLE_ATTR_GROUP_SEQ] = MNL_TYPE_U32,
    [FT_PSAMPLE_ATTR_SAMPLE_RATE] = MNL_TYPE_U32,
    [FT_PSAMPLE_ATTR_DATA] = MNL_TYPE_BINARY,
    [FT_PSAMPLE_ATTR_GROUP_REFCOUNT] = MNL_TYPE_U32,
    [FT_PSAMPLE_ATTR_TUNNEL] = MNL_TYPE_BINARY,
    [FT_PSAMPLE_ATTR_PAD] = MNL_TYPE_BINARY,
    [FT_PSAMPLE_ATTR_OUT_TC] = MNL_TYPE_U16,
    [FT_PSAMPLE_ATTR_OUT_TC_OCC] = MNL_TYPE_U64,
    [FT_PSAMPLE_ATTR_LATENCY] = MNL_TYPE_U64,
    [FT_PSAMPLE_ATTR_TIMESTAMP] = MNL_TYPE_U64,
    [FT_PSAMPLE_ATTR_PROTO] = MNL_TYPE_U16,
    [FT_PSAMPLE_ATTR_USER_COOKIE] = MNL_TYPE_BINARY,
    [FT_PSAMPLE_ATTR_SAMPLE_PROBABILITY] = MNL_TYPE_FLAG,
};

#define PSAMPLE_NATTRS (sizeof(psample_attr_type) / sizeof(psample_attr_type[0]))

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

struct psample_parse {
	struct ft_psample_msg *m;
	const char *next; /* where the attribute after the last one parsed starts */
};

/* One attribute, from mnl_attr_parse_payload(), which has checked that its
 * header and its stated length lie inside the message. */
static int psample_attr_cb(const struct nlattr *a, void *data)
{
	struct psample_parse *p = data;
	unsigned type = mnl_attr_get_type(a);
	struct ft_rd v;

	p->next = (const char *)a + MNL_ALIGN(mnl_attr_get_len(a));
	if (type >= PSAMPLE_NATTRS) {
		p->m->unknown++;
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(a, psample_attr_type[type]) < 0) {
		p->m->malformed++;
		return MNL_CB_OK;
	}
	v = ft_rd_init(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	psample_attr(p->m, type, &v);
	p->m->present |= 1u << type;
	return MNL_CB_OK;
}

int ft__psample_decode(const void *buf, size_t len, uint16_t family_id, struct ft_psample_msg *m)
{
	struct ft_rd r = ft_rd_init(buf, len);
	struct psample_parse p = {.m = m};
	const char *attrs = (const char *)buf + NLMSG_HDRLEN_ + GENL_HDRLEN_;

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
	/* The attributes up to the message's own length, not its aligned end
	 * as mnl_attr_parse() would take it: the last attribute's padding may
	 * be absent, and nothing past @len is read. The walk stops at the first
	 * attribute that does not fit; bytes left after it are corrupt. */
	p.next = attrs;
	mnl_attr_parse_payload(attrs, nlen - NLMSG_HDRLEN_ - GENL_HDRLEN_, psample_attr_cb, &p);
	if (p.next < (const char *)buf + nlen)
		return FT_ECORRUPT;
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
