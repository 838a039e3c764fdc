/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the records format (one flat JSON object per connection)
 * beside the messages format: every field, ids that name the message and
 * the index in it, the same split, node id escaping, and the sink format
 * API's errors. Every line is parsed with jansson. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtap/flows.h>

#include "flow_key.h"

/* Collects what a callback sink receives, one JSON value per line. */
static void collect(void *ctx, const char *text, size_t len)
{
	json_t *out = ctx;
	json_error_t err;
	const char *p = text, *end = text + len;
	assert_int_equal(strlen(text), len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *v = json_loadb(p, n, 0, &err);
		if (!v)
			fail_msg("invalid JSON line: %s: %.200s", err.text, p);
		json_array_append_new(out, v);
		p += n + 1;
	}
}

static void test_format_names(void **state)
{
	enum ft_flow_format f = FT_FLOW_FORMAT_MESSAGES;
	assert_int_equal(ft_flow_format_parse("records", &f), 0);
	assert_int_equal(f, FT_FLOW_FORMAT_RECORDS);
	assert_int_equal(ft_flow_format_parse("messages", &f), 0);
	assert_int_equal(f, FT_FLOW_FORMAT_MESSAGES);
	assert_int_equal(ft_flow_format_parse("rows", &f), -EINVAL);
	assert_int_equal(ft_flow_format_parse("", &f), -EINVAL);
	assert_int_equal(ft_flow_format_parse(NULL, &f), -EINVAL);
	assert_string_equal(ft_flow_format_name(FT_FLOW_FORMAT_RECORDS), "records");
	assert_string_equal(ft_flow_format_name(FT_FLOW_FORMAT_MESSAGES), "messages");
}

static void test_sink_format_errors(void **state)
{
	struct ft_flowlog *l;
	json_t *a = json_array();
	assert_int_equal(ft_flowlog_new(&l, NULL, NULL), 0);
	int fn = ft_flowlog_add_sink_fn(l, collect, a);
	int ipfix = ft_flowlog_add_sink_ipfix(l, "127.0.0.1:9");
	assert_true(fn > 0 && ipfix > 0);
	assert_int_equal(ft_flowlog_set_sink_format(l, fn + ipfix + 10, FT_FLOW_FORMAT_RECORDS),
			 -ENOENT);
	assert_int_equal(ft_flowlog_set_sink_format(l, ipfix, FT_FLOW_FORMAT_RECORDS), -EINVAL);
	assert_int_equal(ft_flowlog_set_sink_format(l, fn, (enum ft_flow_format)7), -EINVAL);
	assert_int_equal(ft_flowlog_set_sink_format(l, fn, FT_FLOW_FORMAT_RECORDS), 0);
	struct ft_http_sink_opts o = {.format = 7};
	assert_int_equal(ft_flowlog_add_sink_http(l, "http://127.0.0.1:9/", NULL, &o), -EINVAL);
	char err[64] = "x";
	assert_int_equal(ft_flowlog_get_http_error(l, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	ft_flowlog_free(l);
	json_decref(a);
}

static const char *const arrays[] = {NULL, "virtualTraffic", "subnetTraffic", "exitTraffic",
				     "physicalTraffic"};
static const char *const classes[] = {NULL, "virtual", "subnet", "exit", "physical"};

static json_int_t num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* Every record equals the entry of its message (by id and index). */
static void check_against_messages(json_t *msgs, json_t *recs, size_t *nrec)
{
	size_t i, ri = 0;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		const char *mid = json_string_value(json_object_get(m, "id"));
		size_t idx = 0;
		for (int c = 1; c <= 4; c++) {
			size_t j;
			json_t *e;
			json_array_foreach(json_object_get(m, arrays[c]), j, e)
			{
				json_t *r = json_array_get(recs, ri++);
				char want[200];
				assert_non_null(r);
				snprintf(want, sizeof(want), "%s.%zu", mid, idx++);
				assert_string_equal(json_string_value(json_object_get(r, "id")),
						    want);
				assert_string_equal(json_string_value(json_object_get(r, "class")),
						    classes[c]);
				assert_string_equal(json_string_value(json_object_get(r, "start")),
						    json_string_value(json_object_get(m, "start")));
				assert_string_equal(json_string_value(json_object_get(r, "end")),
						    json_string_value(json_object_get(m, "end")));
				const char *src = json_string_value(json_object_get(e, "src"));
				const char *dst = json_string_value(json_object_get(e, "dst"));
				assert_string_equal(json_string_value(json_object_get(r, "src")),
						    src ? src : "");
				assert_string_equal(json_string_value(json_object_get(r, "dst")),
						    dst ? dst : "");
				static const char *const f[] = {"proto", "txPkts", "txBytes",
								"rxPkts", "rxBytes"};
				for (int k = 0; k < 5; k++) {
					/* Present even when zero. */
					assert_true(json_is_integer(json_object_get(r, f[k])));
					assert_int_equal(num(r, f[k]), num(e, f[k]));
				}
				assert_int_equal(json_object_size(r), 14);
			}
		}
	}
	*nrec = ri;
}

static void test_records_match_messages(void **state)
{
	struct ft_flows *tun, *phys;
	struct ft_flowlog *l;
	json_t *msgs = json_array(), *recs = json_array();
	enum { N = 4000 }; /* several messages of 256 KiB at most */
	char a[64];

	assert_int_equal(ft_flows_new(&tun, 0), 0);
	assert_int_equal(ft_flows_new(&phys, 0), 0);
	assert_int_equal(ft_flowlog_new(&l, tun, phys), 0);
	assert_int_equal(ft_flowlog_set_node_id(l, "n\"1\\"), 0);
	ft_flowlog_add_route_str(l, "10.1.0.0/16");
	ft_flowlog_set_log_exit_flows(l, true);
	int ms = ft_flowlog_add_sink_fn(l, collect, msgs);
	int rs = ft_flowlog_add_sink_fn(l, collect, recs);
	assert_int_equal(ft_flowlog_set_sink_format(l, rs, FT_FLOW_FORMAT_RECORDS), 0);
	assert_true(ms > 0);
	for (int i = 0; i < N; i++) {
		snprintf(a, sizeof(a), "%s.%d.%d",
			 i % 3 == 0   ? "100.64"
			 : i % 3 == 1 ? "10.1"
				      : "8.8",
			 (i >> 8) & 255, i & 255);
		struct ft_flow_key k = mkkey("100.64.0.1", (uint16_t)(1000 + i), a, 443, 6);
		assert_int_equal(ft_flows_add(tun, &k, FT_DIR_OUT, 2, 100 + (uint64_t)i), 0);
		if (i % 2)
			assert_int_equal(ft_flows_add(tun, &k, FT_DIR_IN, 1, 60), 0);
	}
	struct ft_addr peer, ep;
	ft_addr_parse("100.64.0.2", &peer);
	ft_addr_parse("2001:db8::7", &ep);
	assert_int_equal(ft_flows_add_physical(phys, &peer, &ep, 4242, FT_DIR_OUT, 1234), 0);

	uint64_t t0 = 1700000000123456789ull, t1 = t0 + 5000000000ull;
	int n = ft_flowlog_flush(l, t0, t1);
	assert_true(n >= 2);
	assert_int_equal(json_array_size(msgs), (size_t)n);
	size_t nrec = 0;
	check_against_messages(msgs, recs, &nrec);
	assert_int_equal(nrec, N + 1);
	assert_int_equal(json_array_size(recs), N + 1);

	json_t *r = json_array_get(recs, 0);
	assert_string_equal(json_string_value(json_object_get(r, "nodeId")), "n\"1\\");
	assert_int_equal(num(r, "startMs"), 1700000000123);
	assert_int_equal(num(r, "endMs"), 1700000005123);
	json_t *last = json_array_get(recs, N);
	assert_string_equal(json_string_value(json_object_get(last, "class")), "physical");
	assert_string_equal(json_string_value(json_object_get(last, "src")), "100.64.0.2:0");
	assert_string_equal(json_string_value(json_object_get(last, "dst")), "[2001:db8::7]:4242");
	assert_int_equal(num(last, "proto"), 0);
	assert_int_equal(num(last, "txBytes"), 1234);
	assert_int_equal(num(last, "rxPkts"), 0);

	ft_flowlog_free(l);
	ft_flows_free(tun);
	ft_flows_free(phys);
	json_decref(msgs);
	json_decref(recs);
}

/* Only a records sink: the records are the same as beside a messages sink. */
static void test_records_alone(void **state)
{
	struct ft_flows *tun;
	struct ft_flowlog *l;
	json_t *recs = json_array();
	assert_int_equal(ft_flows_new(&tun, 0), 0);
	assert_int_equal(ft_flowlog_new(&l, tun, NULL), 0);
	int rs = ft_flowlog_add_sink_fn(l, collect, recs);
	assert_int_equal(ft_flowlog_set_sink_format(l, rs, FT_FLOW_FORMAT_RECORDS), 0);
	struct ft_flow_key k = mkkey("100.64.0.1", 0, "1.1.1.1", 0, 1);
	assert_int_equal(ft_flows_add(tun, &k, FT_DIR_OUT, 1, 84), 0);
	assert_int_equal(ft_flowlog_flush(l, 0, 1000000), 1);
	assert_int_equal(json_array_size(recs), 1);
	json_t *r = json_array_get(recs, 0);
	/* Exit traffic anonymized by default: the remote end is "". */
	assert_string_equal(json_string_value(json_object_get(r, "class")), "exit");
	assert_string_equal(json_string_value(json_object_get(r, "dst")), "");
	assert_string_equal(json_string_value(json_object_get(r, "nodeId")), "");
	assert_string_equal(json_string_value(json_object_get(r, "start")),
			    "1970-01-01T00:00:00.000000000Z");
	assert_int_equal(num(r, "endMs"), 1);
	ft_flowlog_free(l);
	ft_flows_free(tun);
	json_decref(recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_names),
	    cmocka_unit_test(test_sink_format_errors),
	    cmocka_unit_test(test_records_match_messages),
	    cmocka_unit_test(test_records_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
