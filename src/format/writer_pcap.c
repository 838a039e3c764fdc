/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: classic pcap writer, microsecond and nanosecond timestamps.
 *
 * Format: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
 * Written little-endian whatever the host, so that output is byte-for-byte
 * reproducible; every reader handles both byte orders.
 */
#include <errno.h>
#include <string.h>

#include "writer_int.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_HDRLEN   24
#define PCAP_RECLEN   16

uint8_t *ft__pcap_put_header(uint8_t *p, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
	p = ft__put_le32(p, magic);
	p = ft__put_le16(p, 2); /* version 2.4 */
	p = ft__put_le16(p, 4);
	p = ft__put_le32(p, 0); /* thiszone */
	p = ft__put_le32(p, 0); /* sigfigs */
	p = ft__put_le32(p, snaplen);
	return ft__put_le32(p, linktype);
}

static size_t max_record(const struct ft_writer_opts *o, uint32_t snaplen)
{
	return PCAP_RECLEN + snaplen;
}

static int header(struct ft_writer *w)
{
	uint8_t *p = ft__writer_reserve(w, PCAP_HDRLEN);
	uint32_t magic = w->o.format == FT_FORMAT_PCAP_NS ? PCAP_MAGIC_NS : PCAP_MAGIC_US;

	if (!p)
		return w->err;
	ft__pcap_put_header(p, magic, w->snaplen, (uint32_t)ft_dlt_to_linktype(w->o.dlt));
	w->len += PCAP_HDRLEN;
	return 0;
}

/* Hot path: one reservation and a copy; no allocation. */
static int packet(struct ft_writer *w, const struct ft_pkt *pk, uint32_t caplen)
{
	uint8_t *p = ft__writer_reserve(w, PCAP_RECLEN + caplen);

	if (!p)
		return w->err;
	p = ft__pcap_put_rec(p, pk->ts_ns, w->o.format == FT_FORMAT_PCAP_NS, caplen, pk->len);
	memcpy(p, pk->data, caplen);
	w->len += PCAP_RECLEN + caplen;
	return 0;
}

const struct ft__writer_ops ft__writer_pcap_ops = {
    .max_record = max_record,
    .header = header,
    .packet = packet,
};
