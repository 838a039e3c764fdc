/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: URLs as messages show them: without their credentials. */
#include <stdio.h>
#include <string.h>

#include "url.h"

char *ft__url_redact(char *buf, size_t len, const char *url)
{
	const char *auth = strstr(url, "://"), *at = NULL;
	size_t alen;

	if (!len)
		return buf;
	if (auth) {
		auth += 3;
		alen = strcspn(auth, "/?#");
		for (size_t i = 0; i < alen; i++)
			if (auth[i] == '@')
				at = auth + i;
	}
	if (at)
		snprintf(buf, len, "%.*s***%s", (int)(auth - url), url, at);
	else
		snprintf(buf, len, "%s", url);
	return buf;
}
