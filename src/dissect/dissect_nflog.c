/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: Linux netfilter NFLOG (DLT_NFLOG).
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html
 *   family(1) version(1) resource id(2, big endian), then TLVs:
 *   length(2) type(2) value, padded to 4 bytes. length and type are in the
 *   capturing host's byte order (libpcap converts them when it reads a file
 *   of the other order, so they are in our order here).
 * The prefix (NFULA_PREFIX) is printed as `NFLOG prefix "..."`; the payload
 * (NFULA_PAYLOAD) is an IPv4 or IPv6 packet according to the family.
 */
#include "dissect.h"
#include "nflog_tlv.h"

#define NFULA_PAYLOAD 9
#define NFULA_PREFIX  10
#define MAX_TLVS      64

static void nflog_prefix(struct ft_dis *d, struct ft_rd v)
{
	size_t n = ft_rd_left(&v);
	const uint8_t *s = ft_rd_ptr(&v, n);
	size_t k = 0;

	while (s && k < n && s[k])
		k++;
	if (!k)
		return;
	FT_PUTS(d->out, "NFLOG prefix \"");
	ft__put_text(d->out, s, k);
	FT_PUTS(d->out, "\" ");
}

void ft__dis_nflog(struct ft_dis *d, struct ft_rd r, uint32_t wlen)
{
	uint8_t family = ft_rd_u8(&r);
	struct ft_rd payload = {0};
	uint32_t plen = 0;
	bool have_payload = false;

	ft_rd_skip(&r, 3);
	struct ft__nflog_tlv t;
	for (int i = 0; i < MAX_TLVS && ft__nflog_tlv_next(&r, &t) > 0; i++) {
		if (t.type == NFULA_PREFIX) {
			nflog_prefix(d, t.v);
		} else if (t.type == NFULA_PAYLOAD) {
			/* Cut short by the snaplen, the TLV still gives the
			 * payload's real length. */
			payload = t.v;
			plen = t.len;
			have_payload = true;
		}
	}
	if (!have_payload) {
		FT_PUTS(d->out, "NFLOG, length ");
		ft__put_u32(d->out, wlen);
		ft__trunc(d, "nflog");
		return;
	}
	switch (family) {
	case 2:
		ft__dis_ip4(d, payload, plen);
		break;
	case 10:
		ft__dis_ip6(d, payload, plen);
		break;
	default:
		FT_PUTS(d->out, "NFLOG family ");
		ft__put_u32(d->out, family);
		FT_PUTS(d->out, ", length ");
		ft__put_u32(d->out, plen);
		break;
	}
}
