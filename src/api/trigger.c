/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: POST /localapi/v0/recorder-trigger: save a tap's flight recorder
 * now, through the trigger its program started (flowtap/trigger.h).
 *
 * Query: tap=NAME (default: the first tap), why=TEXT (the file's comment
 * says it; at most 200 bytes). Answers 200 with the trigger's state as
 * JSON, 404 (no such tap), 409 (the tap has no trigger) or 400.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include <flowtap/trigger.h>

#include "api_int.h"

#define WHY_MAX 200

/* The trigger's state, as status shows it too. */
struct json_t *ft__api_trigger_json(struct ft_tap *t)
{
	struct ft_trigger_stats st;
	char dir[512], last[512], error[512];

	if (ft_tap_trigger_stats(t, &st) < 0)
		return json_null();
	return json_pack(
	    "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:s,s:s}", "dir",
	    ft__api_escape(dir, sizeof(dir), st.dir), "before_ms", (json_int_t)st.before_ms,
	    "after_ms", (json_int_t)st.after_ms, "max_files", (json_int_t)st.max_files, "max_bytes",
	    (json_int_t)st.max_bytes, "fired", (json_int_t)st.fired, "files", (json_int_t)st.files,
	    "removed", (json_int_t)st.removed, "failed", (json_int_t)st.failed, "saving",
	    (int)st.saving, "last_file", ft__api_escape(last, sizeof(last), st.last_file),
	    "last_error", ft__api_escape(error, sizeof(error), st.last_error));
}

static void reply_json(struct evhttp_request *req, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	struct evbuffer *b = evbuffer_new();

	json_decref(j);
	if (!s || !b) {
		free(s);
		evbuffer_free(b);
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evbuffer_add_printf(b, "%s\n", s);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	free(s);
}

void ft__api_handle_trigger(struct ft_api *api, struct evhttp_request *req, uid_t uid)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct api_query q;
	char err[256], why[WHY_MAX + 64], e1[96], ew[WHY_MAX + 1];
	const char *tapname, *w;
	struct ft_tap *t;

	if (ft__api_parse_query(uri ? evhttp_uri_get_query(uri) : NULL, &q, err, sizeof(err)) < 0) {
		ft__api_reply(req, 400, "Bad Request", err);
		return;
	}
	for (unsigned i = 0; i < q.n; i++)
		if (strcmp(q.kv[i].k, "tap") && strcmp(q.kv[i].k, "why")) {
			snprintf(err, sizeof(err), "unknown parameter '%s' (want tap, why)",
				 ft__api_escape(e1, sizeof(e1), q.kv[i].k));
			ft__api_reply(req, 400, "Bad Request", err);
			goto out;
		}
	tapname = ft__api_query_get(&q, "tap");
	w = ft__api_query_get(&q, "why");
	if (w && strlen(w) > WHY_MAX) {
		ft__api_reply(req, 400, "Bad Request", "why: at most 200 bytes");
		goto out;
	}
	if (!(t = ft__api_find_tap(api, tapname))) {
		snprintf(err, sizeof(err), tapname ? "no tap named '%s'" : "no tap",
			 ft__api_escape(e1, sizeof(e1), tapname));
		ft__api_reply(req, 404, "Not Found", err);
		goto out;
	}
	/* The comment says who asked (files are shared with people later),
	 * with control characters made visible; the trigger keeps 200 bytes. */
	snprintf(why, sizeof(why), "API request by uid %u%s%s", (unsigned)uid, w ? ": " : "",
		 w ? ft__api_escape(ew, sizeof(ew), w) : "");
	if (ft_tap_trigger_fire(t, why) < 0) {
		snprintf(err, sizeof(err),
			 "tap '%s' has no recorder trigger (flowtapd or flowtap-tunnel: "
			 "--recorder and --trigger-dir)",
			 ft__api_escape(e1, sizeof(e1), ft_tap_name(t)));
		ft__api_reply(req, 409, "Conflict", err);
		goto out;
	}
	reply_json(req,
		   json_pack("{s:s,s:o}", "tap", ft__api_escape(e1, sizeof(e1), ft_tap_name(t)),
			     "trigger", ft__api_trigger_json(t)));
out:
	ft__api_query_free(&q);
}
