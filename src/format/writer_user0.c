/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: user0 debug-capture stream writer.
 *
 * Classic little-endian pcap v2.4, microsecond timestamps, snaplen 65535,
 * linktype 147 (USER0); each record is the user0 prefix (see user0.c) then
 * the IP packet. This is byte-for-byte what the established Go
 * implementation streams, so its Wireshark Lua dissector reads our files.
 */
#include <string.h>

#include "user0.h"
#include "writer_int.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_HDRLEN   24
#define PCAP_RECLEN   16

static size_t max_record(const struct ft_writer_opts *o, uint32_t snaplen)
{
	return PCAP_RECLEN + FT__USER0_PREFIX_MAX + snaplen;
}

static int header(struct ft_writer *w)
{
	uint8_t *p = ft__writer_reserve(w, PCAP_HDRLEN);

	if (!p)
		return w->err;
	ft__pcap_put_header(p, PCAP_MAGIC_US, w->snaplen, FT_LINKTYPE_USER0);
	w->len += PCAP_HDRLEN;
	return 0;
}

/* Hot path. The snaplen bounds the whole record, prefix included, as pcap
 * readers expect (ft_writer_new() refuses a snaplen shorter than the longest
 * prefix); the original length counts the prefix too. */
static int packet(struct ft_writer *w, const struct ft_pkt *pk, uint32_t caplen)
{
	uint8_t prefix[FT__USER0_PREFIX_MAX];
	struct ft_pkt dropped;
	size_t plen;

	/* The stream has no verdict field: a dropped packet goes on the
	 * "dropped" path (its own path and reason are not carried). */
	if (pk->drop_reason) {
		dropped = *pk;
		dropped.path = FT_PATH_DROPPED;
		pk = &dropped;
	}
	plen = ft__user0_put(prefix, pk);
	uint32_t room = w->snaplen > plen ? w->snaplen - (uint32_t)plen : 0;
	uint32_t n = caplen < room ? caplen : room;
	uint32_t inc = (uint32_t)plen + n;
	uint32_t wire = pk->len > pk->caplen ? pk->len : pk->caplen;
	/* Saturated: a pcapng orig_len near 4 GiB must not wrap below incl_len. */
	uint32_t orig = wire > UINT32_MAX - plen ? UINT32_MAX : (uint32_t)plen + wire;
	uint8_t *p = ft__writer_reserve(w, PCAP_RECLEN + plen + n);

	if (!p)
		return w->err;
	p = ft__pcap_put_rec(p, pk->ts_ns, false, inc, orig);
	memcpy(p, prefix, plen);
	memcpy(p + plen, pk->data, n);
	w->len += PCAP_RECLEN + inc;
	return 0;
}

const struct ft__writer_ops ft__writer_user0_ops = {
    .max_record = max_record,
    .header = header,
    .packet = packet,
};
