/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: ICMP echo (RFC 792): the responder for the service address and keepalive probes. */
#include <arpa/inet.h>
#include <string.h>

#include "tunnel.h"

#define ICMP_ECHO_REPLY	  0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR	  8
#define IP4_HDR		  20

static const char keepalive_payload[] = "flowtap-tunnel keepalive";

/* An unfragmented echo request with a whole 8-byte ICMP header. */
bool icmp_is_echo_request(const struct ip4 *v)
{
	return v->proto == IPPROTO_ICMP && v->has_l4 && !v->fragmented &&
	       v->icmp_type == ICMP_ECHO_REQUEST && v->len - v->ihl >= ICMP_HDR;
}

bool icmp_is_keepalive_reply(const struct ip4 *v, uint32_t our_be)
{
	return v->proto == IPPROTO_ICMP && v->has_l4 && !v->fragmented &&
	       v->icmp_type == ICMP_ECHO_REPLY && v->sport == KEEPALIVE_ID && v->dst_be == our_be;
}

static void icmp_fix_csum(uint8_t *icmp, uint32_t len)
{
	uint16_t c;

	icmp[2] = icmp[3] = 0;
	c = csum_fold(csum_add(0, icmp, len));
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
}

/*
 * icmp_echo_reply - build the reply to the echo request @req in @out (@cap
 * bytes): addresses swapped, a fresh TTL, type 0, the same id, sequence and
 * data. IP options are dropped. Returns the reply's length, or 0 if it does
 * not fit.
 */
uint32_t icmp_echo_reply(const struct ip4 *req, uint8_t *out, uint32_t cap)
{
	uint32_t icmp_len = req->len - req->ihl;
	uint32_t len = IP4_HDR + icmp_len;

	if (len > cap)
		return 0;
	memset(out, 0, IP4_HDR);
	out[0] = 0x45;
	out[1] = req->p[1]; /* keep the DSCP/ECN byte */
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[8] = 64;
	out[9] = IPPROTO_ICMP;
	memcpy(out + 12, &req->dst_be, 4);
	memcpy(out + 16, &req->src_be, 4);
	ip4_fix_csum(out, IP4_HDR);
	memcpy(out + IP4_HDR, req->p + req->ihl, icmp_len);
	out[IP4_HDR] = ICMP_ECHO_REPLY;
	icmp_fix_csum(out + IP4_HDR, icmp_len);
	return len;
}

/*
 * icmp_keepalive - build a keepalive probe: an echo request with id
 * KEEPALIVE_ID from @src_be to @dst_be (the peer's service address, which the
 * peer's responder answers). Returns its length, or 0 if @cap is too small.
 */
uint32_t icmp_keepalive(uint32_t src_be, uint32_t dst_be, uint16_t seq, uint8_t *out, uint32_t cap)
{
	uint32_t icmp_len = ICMP_HDR + sizeof(keepalive_payload) - 1;
	uint32_t len = IP4_HDR + icmp_len;
	uint8_t *icmp = out + IP4_HDR;

	if (len > cap)
		return 0;
	memset(out, 0, len);
	out[0] = 0x45;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[6] = 0x40; /* don't fragment */
	out[8] = 64;
	out[9] = IPPROTO_ICMP;
	memcpy(out + 12, &src_be, 4);
	memcpy(out + 16, &dst_be, 4);
	ip4_fix_csum(out, IP4_HDR);
	icmp[0] = ICMP_ECHO_REQUEST;
	icmp[4] = KEEPALIVE_ID >> 8;
	icmp[5] = KEEPALIVE_ID & 0xff;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	memcpy(icmp + ICMP_HDR, keepalive_payload, sizeof(keepalive_payload) - 1);
	icmp_fix_csum(icmp, icmp_len);
	return len;
}
