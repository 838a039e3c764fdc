/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_config.c - libFuzzer target: flowtapd's config file parser (the
 * same parser as its command-line flags), merge and free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowtapd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ftd_config c = {0}, m = {0};
	char err[256];
	char *text = malloc(size + 1);
	size_t sz;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (ftd_config_parse(&c, text, "fuzz.conf", err, sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0)
			abort(); /* errors name the file and line */
	} else {
		if (ftd_config_merge(&m, &c, err, sizeof(err)) == 0 &&
		    ftd_config_merge(&m, &c, err, sizeof(err)) == 0 &&
		    m.interfaces.n > FTD_MAX_LIST)
			abort();
	}
	(void)ftd_parse_size(text, &sz);
	ftd_config_free(&c);
	ftd_config_free(&m);
	free(text);
	return 0;
}
