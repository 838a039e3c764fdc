/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: pseudonymize the addresses inside JSON documents (status,
 * flow-log messages) for flowtap bundle: every word of every string that is
 * an address, ADDR:PORT, [ADDR]:PORT or ADDR/BITS is mapped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon_cli.h"

/* Maps @w (one word) into @out if it is an address form; false otherwise. */
static bool map_word(struct ft_anon *a, const char *w, char *out, size_t outlen)
{
	char host[64], buf[64];
	const char *tail = "";
	struct ft_addr x;
	size_t n = strlen(w);
	int bits = -1;

	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, w, n + 1);
	if (host[0] == '[') { /* [v6]:port */
		char *e = strstr(host, "]:");
		if (!e)
			return false;
		tail = w + (e - host) + 1;
		*e = 0;
		memmove(host, host + 1, strlen(host));
	} else if (strchr(host, '/')) {
		char *s = strchr(host, '/');
		bits = atoi(s + 1);
		tail = w + (s - host);
		*s = 0;
	} else if (strchr(host, '.') && strchr(host, ':')) { /* v4:port */
		char *c = strrchr(host, ':');
		tail = w + (c - host);
		*c = 0;
	}
	if (ft_addr_parse(host, &x) < 0)
		return false;
	ft_anon_addr(a, &x);
	/* A prefix keeps its length: host bits cleared, as the input had. */
	for (int i = 0; bits >= 0 && i < x.len; i++) {
		int keep = bits - 8 * i;
		x.b[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff00 >> keep);
	}
	ft_addr_format(&x, buf, sizeof(buf));
	snprintf(out, outlen, w[0] == '[' ? "[%s%s" : "%s%s", buf, tail);
	return true;
}

static json_t *map_string(struct ft_anon *a, const char *s)
{
	size_t n = strlen(s), cap = 2 * n + 64, len = 0;
	char *out = malloc(cap), *copy = strdup(s);
	json_t *j = NULL;

	if (!out || !copy)
		goto out;
	for (char *p = copy; *p;) {
		size_t w = strcspn(p, " ,;()\"'=");
		char word[256], mapped[128];
		if (w && w < sizeof(word)) {
			memcpy(word, p, w);
			word[w] = 0;
			if (map_word(a, word, mapped, sizeof(mapped))) {
				len += (size_t)snprintf(out + len, cap - len, "%s", mapped);
				p += w;
				continue;
			}
		}
		size_t k = w ? w : 1; /* the word as is, or one separator */
		if (len + k + 1 > cap)
			break;
		memcpy(out + len, p, k);
		len += k;
		p += k;
	}
	out[len] = 0;
	j = json_string(out);
out:
	free(out);
	free(copy);
	return j;
}

void cli_anon_json(struct ft_anon *a, json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
		{
			if (json_is_string(v)) {
				json_t *m = map_string(a, json_string_value(v));
				if (m)
					json_object_set_new(j, k, m);
			} else {
				cli_anon_json(a, v);
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (json_is_string(v)) {
				json_t *m = map_string(a, json_string_value(v));
				if (m)
					json_array_set_new(j, i, m);
			} else {
				cli_anon_json(a, v);
			}
		}
	}
}
