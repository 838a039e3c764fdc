/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: HTTP/1.x request and status lines (RFC 9112).
 *
 * Printed after the TCP length like tcpdump: ": HTTP: GET /index.html
 * HTTP/1.1", ": HTTP: HTTP/1.1 200 OK". The line is recognised by its
 * method or "HTTP/1." prefix, whatever the port, and cut at CR, LF or
 * MAX_LINE bytes.
 */
#include "dissect.h"

#define MAX_LINE 200

static const char *const methods[] = {
    "GET ",	"POST ",    "PUT ",   "HEAD ",	"DELETE ",
    "OPTIONS ", "CONNECT ", "PATCH ", "TRACE ", "HTTP/1.",
};

bool ft__put_line_if(struct ft_dis *d, struct ft_rd r, const char *tag, const char *const *prefixes,
		     size_t nprefixes)
{
	size_t left = ft_rd_left(&r), n = 0;
	const uint8_t *s = ft_rd_ptr(&r, left);
	size_t i;

	if (!s || !left)
		return false;
	for (i = 0; i < nprefixes; i++) {
		if (s[0] != (uint8_t)prefixes[i][0])
			continue; /* most payloads fail here, without a call */
		size_t pl = strlen(prefixes[i]);
		if (left >= pl && memcmp(s, prefixes[i], pl) == 0)
			break;
	}
	if (i == nprefixes)
		return false;
	while (n < left && n < MAX_LINE && s[n] != '\r' && s[n] != '\n')
		n++;
	FT_PUTS(d->out, ": ");
	ft__puts(d->out, tag);
	FT_PUTS(d->out, ": ");
	ft__put_text(d->out, s, n);
	return true;
}

bool ft__dis_http(struct ft_dis *d, struct ft_rd r)
{
	return ft__put_line_if(d, r, "HTTP", methods, sizeof(methods) / sizeof(methods[0]));
}
