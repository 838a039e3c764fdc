/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: libcurl helpers for talking to the local API over its Unix socket. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
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
	return cli_http_request(sock, false, path, b, code);
}

int cli_http_request(const char *sock, bool post, const char *path, struct cli_buf *b, long *code)
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
	if (post) /* an empty body: the request is in the query */
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c);
	curl_easy_cleanup(h);
	if (code)
		*code = c;
	if (rc == CURLE_COULDNT_CONNECT)
		return -ECONNREFUSED;
	return rc == CURLE_OK ? 0 : -EIO;
}

void cli_connect_error(const char *sock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, err = 0;

	/* curl says only "could not connect": ask the socket why. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && strlen(sock) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, sock, strlen(sock) + 1);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			err = errno;
	}
	if (fd >= 0)
		close(fd);
	if ((err == EACCES || err == EPERM) && stat(sock, &st) == 0) {
		struct group *g = getgrgid(st.st_gid);
		fprintf(stderr,
			"flowtap: cannot connect to %s: permission denied; root and members of "
			"group '%s' may connect (ask for that group, or use sudo)\n",
			sock, g ? g->gr_name : "?");
		return;
	}
	if (err == EACCES || err == EPERM) {
		fprintf(stderr, "flowtap: cannot connect to %s: permission denied\n", sock);
		return;
	}
	fprintf(stderr, "flowtap: cannot connect to %s: is flowtapd or the datapath running?\n",
		sock);
}
