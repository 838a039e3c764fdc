/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: GET /localapi/v0/status: the server, its taps and sessions as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <flowtap/flows.h>

#include "api_int.h"

/* The datapath's own drops (ft_tap_drop()), per reason that has any. */
static json_t *drops_json(struct ft_tap *t)
{
	uint64_t pk[FT_DROP_REASON_MAX], by[FT_DROP_REASON_MAX];
	int n = ft_tap_drop_counts(t, pk, by, FT_DROP_REASON_MAX);
	json_t *a = json_array();
	char name[128];

	for (int r = 1; r < n && r < FT_DROP_REASON_MAX; r++) {
		const char *rn = ft_drop_reason_name(t, (unsigned)r);
		if (!pk[r])
			continue;
		ft__api_escape(name, sizeof(name), rn ? rn : "?");
		json_array_append_new(a, json_pack("{s:s,s:i,s:I,s:I}", "reason", name, "id", r,
						   "packets", (json_int_t)pk[r], "bytes",
						   (json_int_t)by[r]));
	}
	return a;
}

/* The paths a recorder keeps: "all", or their names. */
static json_t *recorder_paths_json(struct ft_tap *t, const struct ft_pathset *ps)
{
	char names[1024] = "", name[64];
	size_t n = 0;

	for (unsigned p = 0; p <= FT_PATH_MAX && n < sizeof(names) - 80; p++)
		if (ft_pathset_has(ps, p)) {
			const char *pn = ft_tap_path_name(t, p);
			int k = pn ? snprintf(names + n, sizeof(names) - n, "%s%s", n ? "," : "",
					      ft__api_escape(name, sizeof(name), pn))
				   : snprintf(names + n, sizeof(names) - n, "%spath-%u",
					      n ? "," : "", p);
			n += k > 0 ? (size_t)k : 0;
		}
	return json_string(n ? names : "all");
}

/* A running recorder: what it holds now, its counters, its trigger. */
static json_t *recorder_on_json(struct ft_tap *t, const struct ft_recorder_stats *r)
{
	return json_pack("{s:b,s:f,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "on", 1,
			 "window_s", (double)r->window_ns / 1e9, "bytes", (json_int_t)r->bytes,
			 "packets", (json_int_t)r->packets, "recorded", (json_int_t)r->recorded,
			 "overwritten", (json_int_t)r->overwritten, "missed", (json_int_t)r->missed,
			 "byte_bound", (int)r->wrapped_by_bytes, "max_age_s",
			 (json_int_t)(r->max_age_ms / 1000), "max_bytes", (json_int_t)r->max_bytes,
			 "snaplen", (json_int_t)r->snaplen, "triggers", (json_int_t)r->triggers,
			 "files", (json_int_t)r->files, "trigger", ft__api_trigger_json(t), "paths",
			 recorder_paths_json(t, &r->paths));
}

/* The flight recorder: on or off, what it holds now, its counters. */
static json_t *recorder_json(struct ft_tap *t)
{
	struct ft_recorder_stats r;

	ft_tap_recorder_stats(t, &r);
	if (r.on)
		return recorder_on_json(t, &r);
	return json_pack("{s:b,s:I,s:I}", "on", 0, "triggers", (json_int_t)r.triggers, "files",
			 (json_int_t)r.files);
}

static json_t *tap_json(struct ft_tap *t)
{
	unsigned paths[256];
	int n = ft_tap_paths(t, paths, 256);
	struct ft_tap_stats st;
	json_t *jp = json_array(), *o;

	char name[128];

	for (int i = 0; i < n && i < 256; i++) {
		ft__api_escape(name, sizeof(name), ft_tap_path_name(t, paths[i]));
		json_array_append_new(jp,
				      json_pack("{s:i,s:s}", "id", (int)paths[i], "name", name));
	}
	ft_tap_get_stats(t, &st);
	ft__api_escape(name, sizeof(name), ft_tap_name(t));
	o = json_pack("{s:s,s:i,s:o,s:I,s:I,s:I,s:o,s:o}", "name", name, "dlt", ft_tap_dlt(t),
		      "paths", jp, "offered", (json_int_t)st.offered, "sessions",
		      (json_int_t)st.sessions, "sessions_total", (json_int_t)st.sessions_total,
		      "drops", drops_json(t), "recorder", recorder_json(t));
	return o;
}

/* A JSON string of @s with its control and non-ASCII bytes escaped. */
static json_t *escaped(const char *s)
{
	size_t len = strlen(s) * 4 + 1;
	char *buf = malloc(len);
	json_t *j;

	if (!buf)
		return NULL;
	j = json_string(ft__api_escape(buf, len, s));
	free(buf);
	return j;
}

static json_t *client_json(const struct api_client *c, uint64_t now)
{
	struct ft_session_stats st;
	json_t *o;

	o = json_pack("{s:I,s:s,s:I,s:I,s:f}", "id", (json_int_t)c->id, "kind",
		      c->kind == API_CLIENT_CAPTURE ? "capture" : "flows", "uid",
		      (json_int_t)c->uid, "pid", (json_int_t)c->pid, "seconds",
		      (double)(now - c->started_ns) / 1e9);
	if (!o)
		return NULL;
	if (c->kind == API_CLIENT_FLOWS) {
		json_object_set_new(o, "dropped", json_integer((json_int_t)c->flows_dropped));
		return o;
	}
	/* Every string a client or a datapath chose is shown escaped: status
	 * is read by every socket user, on their terminals. */
	json_object_set_new(o, "tap", escaped(ft_tap_name(c->tap)));
	json_object_set_new(o, "format", json_string(ft_format_name(c->so.format)));
	json_object_set_new(o, "filter", escaped(c->filter ? c->filter : ""));
	if (!c->sess) {
		/* Starting (a worker attaches it) or ending (a worker drains it). */
		json_object_set_new(o, "state", json_string(c->ending ? "ending" : "starting"));
		return o;
	}
	ft_session_get_stats(c->sess, &st);
	json_object_set_new(o, "state", json_string("running"));
	json_object_set_new(o, "offered", json_integer((json_int_t)st.offered));
	json_object_set_new(o, "matched", json_integer((json_int_t)st.matched));
	json_object_set_new(o, "packets", json_integer((json_int_t)st.written));
	json_object_set_new(o, "bytes", json_integer((json_int_t)st.bytes));
	json_object_set_new(o, "dropped", json_integer((json_int_t)st.dropped));
	json_object_set_new(o, "truncated", json_integer((json_int_t)st.truncated));
	json_object_set_new(o, "paused", json_boolean(atomic_load(&c->blocked)));
	return o;
}

FT_EXPORT void ft_api_set_status_fn(struct ft_api *api, const char *key, ft_api_status_fn fn,
				    void *ctx)
{
	struct api_status_ext *slot = NULL;
	if (!key)
		return;
	pthread_mutex_lock(&api->mu);
	for (int i = 0; i < FT_API_STATUS_MAX && !slot; i++)
		if (strncmp(api->status_ext[i].key, key, sizeof(slot->key) - 1) == 0 &&
		    api->status_ext[i].fn)
			slot = &api->status_ext[i];
	for (int i = 0; i < FT_API_STATUS_MAX && !slot && fn; i++)
		if (!api->status_ext[i].fn)
			slot = &api->status_ext[i];
	if (slot) {
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->fn = fn;
		slot->ctx = ctx;
	}
	pthread_mutex_unlock(&api->mu);
}

/* Add the sections of the ft_api_set_status_fn() callbacks to @root. The
 * callbacks run without the lock (they may be slow), on a copy. */
static void status_extra(struct ft_api *api, json_t *root)
{
	struct api_status_ext ext[FT_API_STATUS_MAX];
	pthread_mutex_lock(&api->mu);
	memcpy(ext, api->status_ext, sizeof(ext));
	pthread_mutex_unlock(&api->mu);
	for (int i = 0; i < FT_API_STATUS_MAX; i++) {
		if (!ext[i].fn)
			continue;
		char *text = ext[i].fn(ext[i].ctx);
		json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		free(text);
		if (j)
			json_object_set_new(root, ext[i].key, j);
	}
}

/* The counters of the flow logger behind GET /localapi/v0/flows, or NULL:
 * what its sinks delivered and, above all, lost. */
static json_t *flowlog_json(struct ft_api *api)
{
	struct ft_flowlog_stats st;
	char err[512];

	pthread_mutex_lock(&api->mu);
	if (!api->flowlog) {
		pthread_mutex_unlock(&api->mu);
		return NULL;
	}
	ft_flowlog_get_stats(api->flowlog, &st);
	ft_flowlog_get_http_error(api->flowlog, err, sizeof(err));
	pthread_mutex_unlock(&api->mu);
	json_t *o =
	    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s%}", "messages", (json_int_t)st.messages,
		      "conns", (json_int_t)st.conns, "http_sent", (json_int_t)st.http_sent,
		      "http_dropped", (json_int_t)st.http_dropped, "http_retries",
		      (json_int_t)st.http_retries, "ipfix_sent", (json_int_t)st.ipfix_sent,
		      "ipfix_errors", (json_int_t)st.ipfix_errors, "http_error", err, strlen(err));
	/* What the IPFIX pacing sent and waited, and what the counter tables
	 * could not count (full, or the probe limit of the keyed hash). */
	json_object_set_new(o, "ipfix_records", json_integer((json_int_t)st.ipfix_records));
	json_object_set_new(o, "ipfix_paced_ms", json_integer((json_int_t)st.ipfix_paced_ms));
	json_object_set_new(o, "counter_overflow", json_integer((json_int_t)st.counter_overflow));
	json_object_set_new(o, "counter_collided", json_integer((json_int_t)st.counter_collided));
	return o;
}

static json_t *recent_json(const struct ft_api *api)
{
	json_t *a = json_array();
	unsigned n = api->nrecent < FT__API_RECENT ? api->nrecent : FT__API_RECENT;

	for (unsigned i = 0; i < n; i++) {
		const struct api_recent *r = &api->recent[(api->nrecent - 1 - i) % FT__API_RECENT];
		json_array_append_new(
		    a, json_pack("{s:I,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "id",
				 (json_int_t)r->id, "uid", (json_int_t)r->uid, "pid",
				 (json_int_t)r->pid, "tap", r->tap, "format",
				 ft_format_name(r->format), "offered", (json_int_t)r->st.offered,
				 "matched", (json_int_t)r->st.matched, "packets",
				 (json_int_t)r->st.written, "bytes", (json_int_t)r->st.bytes,
				 "dropped", (json_int_t)r->st.dropped, "error",
				 r->st.error ? ft_strerror(r->st.error) : ""));
	}
	return a;
}

void ft__api_handle_status(struct ft_api *api, struct evhttp_request *req)
{
	uint64_t now = ft__mono_ns();
	struct ft_api_stats st;
	json_t *root, *taps = json_array(), *sess = json_array();
	struct evbuffer *b = evbuffer_new();
	char *text = NULL;

	pthread_mutex_lock(&api->mu);
	for (int i = 0; i < api->ntaps; i++)
		json_array_append_new(taps, tap_json(api->taps[i]));
	pthread_mutex_unlock(&api->mu);
	for (const struct api_client *c = api->clients; c; c = c->next)
		json_array_append_new(sess, client_json(c, now));
	ft_api_get_stats(api, &st);
	json_t *flowlog = flowlog_json(api);
	root = json_pack(
	    "{s:s,s:s,s:f,s:I,s:I,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I}}", "version",
	    FT_VERSION_STRING, "socket", api->path, "uptime", (double)(now - api->start_ns) / 1e9,
	    "pid", (json_int_t)getpid(), "max_sessions", (json_int_t)api->o.max_sessions, "taps",
	    taps, "sessions", sess, "recent", recent_json(api), "counters", "requests",
	    (json_int_t)st.requests, "denied", (json_int_t)st.denied, "sessions_total",
	    (json_int_t)st.sessions_total, "rejected_busy", (json_int_t)st.rejected_busy,
	    "flows_dropped", (json_int_t)st.flows_dropped);
	if (root && flowlog)
		json_object_set(root, "flowlog", flowlog);
	if (root)
		status_extra(api, root);
	json_decref(flowlog);
	if (root)
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text || !b) {
		ft__api_reply(req, 500, "Internal Server Error", "out of memory");
		goto out;
	}
	evbuffer_add(b, text, strlen(text));
	evbuffer_add(b, "\n", 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, 200, "OK", b);
out:
	free(text);
	json_decref(root);
	if (b)
		evbuffer_free(b);
}
