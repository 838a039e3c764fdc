/* \summary: libcurl helpers for talking to the local API over its Unix socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "localapi.h"

#define BUF_MAX (16u << 20)

int cli_buf_add(struct cli_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *p;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if (ncap > BUF_MAX)
			return -E2BIG;
		p = realloc(b->p, ncap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

size_t cli_buf_write(char *data, size_t sz, size_t nmemb, void *arg)
{
	return cli_buf_add(arg, data, sz * nmemb) < 0 ? 0 : sz * nmemb;
}

int cli_http_get(const char *sock, const char *path, struct cli_buf *b, long *code)
{
	char url[512];
	CURL *h = curl_easy_init();
	CURLcode rc;
	long c = 0;

	if (!h)
		return -ENOMEM;
	snprintf(url, sizeof(url), "http://local%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cli_buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c);
	curl_easy_cleanup(h);
	if (code)
		*code = c;
	if (rc == CURLE_COULDNT_CONNECT)
		return -ECONNREFUSED;
	return rc == CURLE_OK ? 0 : -EIO;
}
