/* SPDX-License-Identifier: BSD-2-Clause */
/* url.h - URLs as messages show them. */
#ifndef FT_URL_H
#define FT_URL_H

#include <stddef.h>

/*
 * ft__url_redact - @url with the user and password of its authority
 * replaced by "***" ("https://user:secret@host/in" is shown with "***" in
 * place of "user:secret"), into @buf (@len bytes, NUL-terminated, cut if
 * need be); any other URL unchanged. A collector URL may carry basic-auth
 * credentials, and status and logs are read by more people than the
 * configuration. Returns @buf.
 */
char *ft__url_redact(char *buf, size_t len, const char *url);

#endif
