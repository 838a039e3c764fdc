/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: helpers of the local API with no state: replies, the parsing of
 * query parameters, and the escaping of client-supplied strings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "api_int.h"

void ft__api_reply(struct evhttp_request *req, int code, const char *reason, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	if (b)
		evbuffer_add_printf(b, "%s\n", body);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

void ft__api_reply_405(struct evhttp_request *req, const char *allow)
{
	char body[64];

	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	snprintf(body, sizeof(body), "%s required", allow);
	ft__api_reply(req, 405, "Method Not Allowed", body);
}

char *ft__api_escape(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	if (!len)
		return buf;
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char tmp[5];
		size_t k;

		if (ch == '\\')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (ch < 0x20 || ch >= 0x7f)
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
		else
			k = (size_t)snprintf(tmp, sizeof(tmp), "%c", ch);
		if (n + k >= len)
			break; /* cut between escapes, never inside one */
		memcpy(buf + n, tmp, k);
		n += k;
	}
	buf[n] = '\0';
	return buf;
}

int ft__api_parse_bool(const char *s, bool *out)
{
	if (!*s || !strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
		 !strcasecmp(s, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int ft__api_parse_duration(const char *s, uint64_t *ms)
{
	double total = 0;
	bool any = false;

	while (*s) {
		char *end;
		double v, mul = 1000;

		if (*s == '-' || *s == '+' || *s == ' ')
			return -EINVAL;
		v = strtod(s, &end);
		if (end == s || v != v || v < 0)
			return -EINVAL;
		s = end;
		if (!strncmp(s, "ms", 2)) {
			mul = 1;
			s += 2;
		} else if (*s == 's') {
			s++;
		} else if (*s == 'm') {
			mul = 60000;
			s++;
		} else if (*s == 'h') {
			mul = 3600000;
			s++;
		} else if (*s) {
			return -EINVAL;
		}
		total += v * mul;
		any = true;
	}
	/* The bound keeps the session's deadline (ns since boot) far from
	 * overflowing 64 bits. */
	if (!any || total > (double)FT_API_MAX_DURATION_MS)
		return -EINVAL;
	*ms = (uint64_t)(total + 0.5);
	return 0;
}

/* Decodes @s (@n bytes; '+' is a space) into a new string; -EINVAL if it
 * holds a NUL, which C strings would silently cut. */
static int decode(const char *s, size_t n, char **out, const char *what, char *err, size_t errlen)
{
	char *raw = strndup(s, n), *dec;
	size_t len = 0;

	if (!raw)
		return -ENOMEM;
	dec = evhttp_uridecode(raw, 1, &len);
	free(raw);
	if (!dec)
		return -ENOMEM;
	if (strlen(dec) != len) {
		snprintf(err, errlen, "%s contains a NUL byte", what);
		free(dec);
		return -EINVAL;
	}
	*out = dec;
	return 0;
}

const char *ft__api_query_get(const struct api_query *q, const char *key)
{
	for (unsigned i = 0; i < q->n; i++)
		if (!strcmp(q->kv[i].k, key))
			return q->kv[i].v;
	return NULL;
}

void ft__api_query_free(struct api_query *q)
{
	for (unsigned i = 0; i < q->n; i++) {
		free(q->kv[i].k);
		free(q->kv[i].v);
	}
	q->n = 0;
}

/* One "key[=value]" field of @n bytes at @p into @q. */
static int add_field(struct api_query *q, const char *p, size_t n, char *err, size_t errlen)
{
	const char *eq = memchr(p, '=', n), *end = p + n;
	char *k = NULL, *v = NULL, ek[96], what[128];
	int ret;

	ret = decode(p, (size_t)((eq ? eq : end) - p), &k, "a parameter name", err, errlen);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "parameter '%s'", ft__api_escape(ek, sizeof(ek), k));
	if (eq && (ret = decode(eq + 1, (size_t)(end - eq - 1), &v, what, err, errlen)) < 0)
		goto fail;
	ret = -EINVAL;
	if (ft__api_query_get(q, k)) {
		snprintf(err, errlen, "parameter '%s' given twice", ek);
		goto fail;
	}
	if (q->n == FT__API_MAX_PARAMS) {
		snprintf(err, errlen, "more than %d query parameters", FT__API_MAX_PARAMS);
		goto fail;
	}
	ret = -ENOMEM;
	if (!v && !(v = strdup("")))
		goto fail;
	q->kv[q->n].k = k;
	q->kv[q->n].v = v;
	q->n++;
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(k);
	free(v);
	return ret;
}

int ft__api_parse_query(const char *query, struct api_query *q, char *err, size_t errlen)
{
	const char *p = query;

	q->n = 0;
	while (p && *p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		int ret;

		/* An empty field ("a=1&&b=2") carries nothing. */
		if (end > p && (ret = add_field(q, p, (size_t)(end - p), err, errlen)) < 0) {
			ft__api_query_free(q);
			return ret;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

char *ft__api_clean_filter(const char *s, char *err, size_t errlen)
{
	char *out = strdup(s);

	if (!out) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (char *c = out; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if (ch == '\t' || ch == '\n' || ch == '\r') {
			*c = ' ';
		} else if (ch < 0x20 || ch >= 0x7f) {
			snprintf(err, errlen,
				 "bad value for parameter 'filter': byte 0x%02x at offset %zu "
				 "(a filter is printable ASCII)",
				 ch, (size_t)(c - out));
			free(out);
			errno = EINVAL;
			return NULL;
		}
	}
	return out;
}
