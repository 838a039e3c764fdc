/* SPDX-License-Identifier: BSD-2-Clause */
/* localapi.h - the CLI side of the local API: small libcurl helpers. */
#ifndef FT_CLI_LOCALAPI_H
#define FT_CLI_LOCALAPI_H

#include <stdbool.h>
#include <stddef.h>

/* A growing byte buffer for response bodies (bounded at 16 MiB). */
struct cli_buf {
	char *p;
	size_t len, cap;
};

/* cli_buf_add - append @n bytes; returns 0 or -ENOMEM / -E2BIG. */
int cli_buf_add(struct cli_buf *b, const void *data, size_t n);

/* libcurl write callback: appends to the struct cli_buf at @arg. */
size_t cli_buf_write(char *data, size_t sz, size_t nmemb, void *arg);

/*
 * cli_http_get - GET @path (e.g. "/localapi/v0/status") over the Unix socket
 * @sock, the body into @b. Returns 0 with *code the HTTP status, or prints
 * nothing and returns -ECONNREFUSED (nothing listening / no socket) or -EIO.
 */
int cli_http_get(const char *sock, const char *path, struct cli_buf *b, long *code);

/* cli_http_request - cli_http_get(), or with @post a POST without a body. */
int cli_http_request(const char *sock, bool post, const char *path, struct cli_buf *b, long *code);

/* cli_connect_error - why the socket at @sock took no connection, on stderr:
 * permission denied (and the socket's group, whose members may connect) or
 * nobody listening. */
void cli_connect_error(const char *sock);

/* cli_dissector_path - the installed Lua dissector, or the source tree's
 * when running from a build directory; NULL if neither exists. */
const char *cli_dissector_path(void);

#endif
