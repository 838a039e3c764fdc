/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_api_query.c - libFuzzer target: the local API's query parsing, as
 * the capture endpoint does it: evhttp splits the query string, then each
 * value goes through its parser (duration, booleans, format, direction,
 * the path list against a tap with a registered path).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <flowtap/filter.h>
#include <flowtap/tap.h>
#include <flowtap/writer.h>

#include "api/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ft_tap *tap;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evkeyvalq q;
	struct evkeyval *kv;
	char *s = malloc(size + 1);
	char err[256];

	if (!s)
		return 0;
	if (!tap && ft_tap_new(&tap, "fuzz") == 0)
		ft_tap_path_register(tap, 7, "from-gw");
	memcpy(s, data, size);
	s[size] = '\0';
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(s, &q) == 0) {
		TAILQ_FOREACH(kv, &q, next)
		{
			uint64_t ms;
			bool b;
			enum ft_format f;
			enum ft_dir d;
			struct ft_pathset ps;

			if (ft__api_parse_duration(kv->value, &ms) == 0 && ms > 1000000000000000ull)
				abort();
			(void)ft__api_parse_bool(kv->value, &b);
			if (ft_format_parse(kv->value, &f) == 0 && !ft_format_name(f))
				abort();
			(void)ft_dir_parse(kv->value, &d);
			memset(&ps, 0, sizeof(ps));
			err[0] = '\0';
			if (ft_pathset_parse(&ps, kv->value, ft_tap_path_name, tap, err,
					     sizeof(err)) < 0 &&
			    !err[0])
				abort(); /* a rejected list names the bad entry */
		}
	}
	evhttp_clear_headers(&q);
	free(s);
	return 0;
}
