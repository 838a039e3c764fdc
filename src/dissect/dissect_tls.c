/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: TLS handshake (RFC 8446, RFC 5246): ClientHello SNI (RFC 6066)
 * and ServerHello version and cipher suite.
 *
 *   record:    type(1)=22 version(2) length(2)
 *   handshake: type(1) (1 ClientHello, 2 ServerHello) length(3)
 *   hello:     version(2) random(32) session_id<0..32>
 *              ClientHello: cipher_suites<2..2^16-2> compression<1..2^8-1>
 *              ServerHello: cipher_suite(2) compression(1)
 *              extensions<0..2^16-1>: type(2) length(2) data
 *
 * Printed after the TCP length: ": TLS ClientHello, SNI example.com",
 * ": TLS ServerHello, version TLS1.3, cipher 0x1301". Only the first
 * record of a segment is looked at.
 */
#include "dissect.h"

#define EXT_SNI		       0
#define EXT_SUPPORTED_VERSIONS 43

static void put_version(struct ft_strbuf *o, unsigned v)
{
	if (v == 0x0300) {
		FT_PUTS(o, "SSL3.0");
	} else if (v >= 0x0301 && v <= 0x0304) {
		FT_PUTS(o, "TLS1.");
		ft__put_u32(o, v - 0x0301);
	} else {
		FT_PUTS(o, "0x");
		ft__put_hex(o, v, 4);
	}
}

/* server_name extension: list<2>, of name_type(1) name<2>; the first
 * host_name entry is printed. */
static bool ext_sni(struct ft_strbuf *o, struct ft_rd e)
{
	struct ft_rd list = ft_rd_sub(&e, ft_rd_be16(&e));
	while (ft_rd_left(&list)) {
		unsigned type = ft_rd_u8(&list), n = ft_rd_be16(&list);
		const uint8_t *s = ft_rd_ptr(&list, n);
		if (!s)
			return false;
		if (type == 0) {
			FT_PUTS(o, ", SNI ");
			ft__put_text(o, s, n);
			return true;
		}
	}
	return !list.err && !e.err;
}

/* Walk the extensions, calling back for SNI (ClientHello) or the selected
 * version (ServerHello). Returns false on truncation. */
static bool extensions(struct ft_strbuf *o, struct ft_rd *r, bool client, unsigned *version)
{
	if (!ft_rd_left(r))
		return true; /* no extensions at all */
	struct ft_rd exts = ft_rd_sub(r, ft_rd_be16(r));
	while (ft_rd_left(&exts)) {
		unsigned type = ft_rd_be16(&exts), n = ft_rd_be16(&exts);
		struct ft_rd e = ft_rd_sub(&exts, n);
		if (exts.err)
			return false;
		if (client && type == EXT_SNI && !ext_sni(o, e))
			return false;
		if (!client && type == EXT_SUPPORTED_VERSIONS) {
			*version = ft_rd_be16(&e);
			if (e.err)
				return false;
		}
	}
	return !r->err;
}

static bool hello(struct ft_strbuf *o, struct ft_rd h, bool client)
{
	unsigned version = ft_rd_be16(&h), cipher = 0;

	ft_rd_skip(&h, 32);
	ft_rd_skip(&h, ft_rd_u8(&h));
	if (client) {
		ft_rd_skip(&h, ft_rd_be16(&h));
		ft_rd_skip(&h, ft_rd_u8(&h));
	} else {
		cipher = ft_rd_be16(&h);
		ft_rd_skip(&h, 1);
	}
	if (h.err)
		return false;
	bool ok = extensions(o, &h, client, &version);
	if (!client) {
		FT_PUTS(o, ", version ");
		put_version(o, version);
		FT_PUTS(o, ", cipher 0x");
		ft__put_hex(o, cipher, 4);
	}
	return ok;
}

bool ft__dis_tls(struct ft_dis *d, struct ft_rd r)
{
	struct ft_strbuf *o = d->out;
	int b0 = ft_rd_peek(&r, 0), b1 = ft_rd_peek(&r, 1), b5 = ft_rd_peek(&r, 5);

	if (b0 != 22 || b1 != 3 || (b5 != 1 && b5 != 2))
		return false;
	ft_rd_skip(&r, 3);
	struct ft_rd rec = ft_rd_sub(&r, ft_rd_be16(&r));
	ft_rd_skip(&rec, 1);
	uint32_t hlen = (uint32_t)ft_rd_u8(&rec) << 16;
	hlen |= ft_rd_be16(&rec);
	/* A hello spread over several segments is decoded as far as it goes. */
	struct ft_rd h = ft_rd_sub(&rec, hlen);
	ft__puts(o, b5 == 1 ? ": TLS ClientHello" : ": TLS ServerHello");
	/* rec.err: the hello is longer than what was captured, so an end of
	 * data before the extensions is a cut, not "no extensions". */
	if (!hello(o, h, b5 == 1) || rec.err)
		ft__trunc(d, "tls");
	return true;
}
