/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the flow logger: classification, JSON format, splitting,
 * run-time reconfiguration, the interval thread and callback sinks. Every
 * message is parsed with jansson. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtap/flows.h>
#include <flowtap/peers.h>

#include "flows/classify.h"

#include "flow_key.h"

struct cap {
	pthread_mutex_t mu;
	json_t *msgs; /* array of parsed messages */
	size_t max_len;
	char last[4096];
};

static void cap_fn(void *ctx, const char *json, size_t len)
{
	struct cap *c = ctx;
	json_error_t err;
	assert_int_equal(strlen(json), len); /* NUL-terminated, no newline */
	json_t *m = json_loadb(json, len, 0, &err);
	if (!m)
		fail_msg("invalid JSON from the logger: %s: %.200s", err.text, json);
	pthread_mutex_lock(&c->mu);
	json_array_append_new(c->msgs, m);
	if (len > c->max_len)
		c->max_len = len;
	snprintf(c->last, sizeof(c->last), "%s", json);
	pthread_mutex_unlock(&c->mu);
}

static size_t cap_count(struct cap *c)
{
	pthread_mutex_lock(&c->mu);
	size_t n = json_array_size(c->msgs);
	pthread_mutex_unlock(&c->mu);
	return n;
}

struct fixture {
	struct ft_flows *tun, *phys;
	struct ft_flowlog *log;
	struct cap cap;
	int sink;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_int_equal(ft_flows_new(&fx->tun, 0), 0);
	assert_int_equal(ft_flows_new(&fx->phys, 0), 0);
	assert_int_equal(ft_flowlog_new(&fx->log, fx->tun, fx->phys), 0);
	pthread_mutex_init(&fx->cap.mu, NULL);
	fx->cap.msgs = json_array();
	fx->sink = ft_flowlog_add_sink_fn(fx->log, cap_fn, &fx->cap);
	assert_true(fx->sink > 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	ft_flowlog_free(fx->log);
	ft_flows_free(fx->tun);
	ft_flows_free(fx->phys);
	json_decref(fx->cap.msgs);
	pthread_mutex_destroy(&fx->cap.mu);
	free(fx);
	return 0;
}

static void add(struct fixture *fx, const char *s, uint16_t sp, const char *d, uint16_t dp,
		uint8_t proto, uint64_t txp, uint64_t txb, uint64_t rxp, uint64_t rxb)
{
	struct ft_flow_key k = mkkey(s, sp, d, dp, proto);
	if (txp)
		assert_int_equal(ft_flows_add(fx->tun, &k, FT_DIR_OUT, txp, txb), 0);
	if (rxp)
		assert_int_equal(ft_flows_add(fx->tun, &k, FT_DIR_IN, rxp, rxb), 0);
}

static json_t *last_msg(struct fixture *fx)
{
	size_t n = json_array_size(fx->cap.msgs);
	assert_true(n > 0);
	return json_array_get(fx->cap.msgs, n - 1);
}

static const uint64_t T0 = 1795428000000000000ull; /* 2026-11-23T10:00:00Z */

static void test_format_exact(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(ft_flowlog_set_node_id(fx->log, "n1"), 0);
	add(fx, "100.64.0.1", 54321, "100.64.0.2", 443, 6, 3, 180, 2, 120);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 5000000000ull), 1);
	json_t *m = last_msg(fx);
	/* The established format, byte for byte after the id. */
	const char *id = json_string_value(json_object_get(m, "id"));
	assert_non_null(id);
	char want[1024];
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"nodeId\":\"n1\",\"start\":\"2026-11-23T10:00:00.000000000Z\","
		 "\"end\":\"2026-11-23T10:00:05.000000000Z\",\"virtualTraffic\":[{\"proto\":6,"
		 "\"src\":\"100.64.0.1:54321\",\"dst\":\"100.64.0.2:443\",\"txPkts\":3,"
		 "\"txBytes\":180,\"rxPkts\":2,\"rxBytes\":120}]}",
		 id);
	assert_string_equal(fx->cap.last, want);
	/* No traffic: no message. */
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 0);
	assert_int_equal(cap_count(&fx->cap), 1);
}

static struct ft_peers *peer_table(const char *bname)
{
	struct ft_prefix a1[2], a2[2], a3;
	const char *tags[] = {"tag:server", "tag:prod"};
	struct ft_peers *p;
	ft_prefix_parse("100.64.0.1", &a1[0]);
	ft_prefix_parse("fd7a:115c:a1e0::1", &a1[1]);
	ft_prefix_parse("100.64.0.2", &a2[0]);
	ft_prefix_parse("10.0.0.0/24", &a2[1]); /* a route: not in "addresses" */
	ft_prefix_parse("100.64.0.3", &a3);
	struct ft_peer self = {"n1", "laptop-a", "linux", "alice@example.com", NULL, 0, a1, 2};
	struct ft_peer b = {"n2", bname, "macOS", NULL, tags, 2, a2, 2};
	struct ft_peer c = {"n3", "phone \"c\"", "iOS", "bob@example.com", NULL, 0, &a3, 1};
	assert_int_equal(ft_peers_new(&p), 0);
	assert_int_equal(ft_peers_set_self(p, &self), 0);
	assert_int_equal(ft_peers_add(p, &b), 0);
	assert_int_equal(ft_peers_add(p, &c), 0);
	assert_int_equal(ft_peers_build(p), 0);
	return p;
}

/* srcNode and dstNodes, byte for byte and field by field; a replaced table
 * names the next window; removing it brings today's messages back. */
static void test_peer_nodes(void **state)
{
	struct fixture *fx = *state;
	struct ft_peers *p = peer_table("laptop-b");
	char want[2048];
	assert_int_equal(ft_flowlog_set_peers(fx->log, p), 0);
	ft_peers_free(p);
	assert_int_equal(ft_flowlog_set_node_id(fx->log, "n1"), 0);
	add(fx, "100.64.0.1", 54321, "100.64.0.2", 443, 6, 3, 180, 2, 120);
	add(fx, "100.64.0.1", 1000, "100.64.0.3", 22, 6, 1, 60, 0, 0);
	add(fx, "100.64.0.1", 1001, "10.0.0.9", 80, 6, 1, 60, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 5000000000ull), 1);
	json_t *m = last_msg(fx);
	const char *id = json_string_value(json_object_get(m, "id"));
	snprintf(
	    want, sizeof(want),
	    "{\"id\":\"%s\",\"nodeId\":\"n1\",\"start\":\"2026-11-23T10:00:00.000000000Z\","
	    "\"end\":\"2026-11-23T10:00:05.000000000Z\",\"virtualTraffic\":["
	    "{\"proto\":6,\"src\":\"100.64.0.1:54321\",\"dst\":\"100.64.0.2:443\",\"txPkts\":3,"
	    "\"txBytes\":180,\"rxPkts\":2,\"rxBytes\":120},"
	    "{\"proto\":6,\"src\":\"100.64.0.1:1000\",\"dst\":\"100.64.0.3:22\",\"txPkts\":1,"
	    "\"txBytes\":60}],"
	    "\"exitTraffic\":[{\"proto\":6,\"src\":\"100.64.0.1:0\",\"txPkts\":1,\"txBytes\":60}],"
	    "\"srcNode\":{\"nodeId\":\"n1\",\"name\":\"laptop-a\",\"addresses\":[\"100.64.0.1\","
	    "\"fd7a:115c:a1e0::1\"],\"os\":\"linux\",\"user\":\"alice@example.com\"},"
	    "\"dstNodes\":[{\"nodeId\":\"n2\",\"name\":\"laptop-b\",\"addresses\":[\"100.64.0.2\"],"
	    "\"os\":\"macOS\",\"tags\":[\"tag:server\",\"tag:prod\"]},"
	    "{\"nodeId\":\"n3\",\"name\":\"phone \\\"c\\\"\",\"addresses\":"
	    "[\"100.64.0.3\"],\"os\":\"iOS\",\"user\":\"bob@example.com\"}]}",
	    id);
	assert_string_equal(fx->cap.last, want);
	/* Field by field, as a consumer reads them. */
	json_t *src = json_object_get(m, "srcNode"), *dst = json_object_get(m, "dstNodes");
	assert_string_equal(json_string_value(json_object_get(src, "nodeId")), "n1");
	assert_string_equal(json_string_value(json_object_get(src, "name")), "laptop-a");
	assert_int_equal(json_array_size(json_object_get(src, "addresses")), 2);
	assert_string_equal(json_string_value(json_object_get(src, "os")), "linux");
	assert_string_equal(json_string_value(json_object_get(src, "user")), "alice@example.com");
	assert_null(json_object_get(src, "tags"));
	assert_int_equal(json_array_size(dst), 2);
	json_t *b = json_array_get(dst, 0);
	assert_string_equal(json_string_value(json_object_get(b, "name")), "laptop-b");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "tags"), 1)),
			    "tag:prod");
	assert_null(json_object_get(b, "user"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(dst, 1), "name")),
			    "phone \"c\"");

	/* A replaced table names the next window. */
	p = peer_table("laptop-b2");
	assert_int_equal(ft_flowlog_set_peers(fx->log, p), 0);
	ft_peers_free(p);
	add(fx, "100.64.0.1", 54321, "100.64.0.2", 443, 6, 1, 60, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	dst = json_object_get(last_msg(fx), "dstNodes");
	assert_int_equal(json_array_size(dst), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(dst, 0), "name")),
			    "laptop-b2");

	/* No table: the message as before, no srcNode, no dstNodes. */
	assert_int_equal(ft_flowlog_set_peers(fx->log, NULL), 0);
	add(fx, "100.64.0.1", 54321, "100.64.0.2", 443, 6, 3, 180, 2, 120);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 5000000000ull), 1);
	id = json_string_value(json_object_get(last_msg(fx), "id"));
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"nodeId\":\"n1\",\"start\":\"2026-11-23T10:00:00.000000000Z\","
		 "\"end\":\"2026-11-23T10:00:05.000000000Z\",\"virtualTraffic\":[{\"proto\":6,"
		 "\"src\":\"100.64.0.1:54321\",\"dst\":\"100.64.0.2:443\",\"txPkts\":3,"
		 "\"txBytes\":180,\"rxPkts\":2,\"rxBytes\":120}]}",
		 id);
	assert_string_equal(fx->cap.last, want);
}

/* staleNodes: events counted per window, byte for byte; a node that
 * recovered is listed once more with "stale":false, then dropped; bad
 * arguments refused; an anonymized log lists none. */
static void test_stale_nodes(void **state)
{
	struct fixture *fx = *state;
	const char *ab[] = {"kB=", "kA+/", "kB="}; /* a duplicate counts once */
	const char *b[] = {"kB="};
	char want[1024];
	assert_int_equal(ft_flowlog_set_stale(fx->log, ab, 3), 0);
	assert_int_equal(ft_flowlog_set_stale(fx->log, ab, 3), 0); /* still stale: no event */
	assert_int_equal(ft_flowlog_set_stale(fx->log, b, 1), 0);  /* kA+/ recovers, */
	assert_int_equal(ft_flowlog_set_stale(fx->log, ab, 2), 0); /* turns stale again */
	assert_int_equal(ft_flowlog_set_stale(fx->log, b, 1), 0);  /* and recovers */
	/* No traffic, no message: the window goes on. */
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1000000000ull), 1);
	const char *id = json_string_value(json_object_get(last_msg(fx), "id"));
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"start\":\"2026-11-23T10:00:00.000000000Z\","
		 "\"end\":\"2026-11-23T10:00:01.000000000Z\",\"staleNodes\":["
		 "{\"nodeId\":\"kA+/\",\"stale\":false,\"staleEvents\":2},"
		 "{\"nodeId\":\"kB=\",\"stale\":true,\"staleEvents\":1}],"
		 "\"virtualTraffic\":[{\"proto\":17,\"src\":\"100.64.0.1:1\","
		 "\"dst\":\"100.64.0.2:2\",\"txPkts\":1,\"txBytes\":40}]}",
		 id);
	assert_string_equal(fx->cap.last, want);
	/* Next window: kB= still stale, no new event; kA+/ gone. */
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	json_t *sn = json_object_get(last_msg(fx), "staleNodes");
	assert_int_equal(json_array_size(sn), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sn, 0), "nodeId")),
			    "kB=");
	assert_true(json_is_true(json_object_get(json_array_get(sn, 0), "stale")));
	assert_null(json_object_get(json_array_get(sn, 0), "staleEvents"));
	/* Healthy again: listed once as not stale, then never. */
	assert_int_equal(ft_flowlog_set_stale(fx->log, NULL, 0), 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	sn = json_object_get(last_msg(fx), "staleNodes");
	assert_int_equal(json_array_size(sn), 1);
	assert_true(json_is_false(json_object_get(json_array_get(sn, 0), "stale")));
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_null(json_object_get(last_msg(fx), "staleNodes"));
	/* Bad arguments change nothing. */
	const char *bad[] = {"ok", ""};
	char longid[300];
	memset(longid, 'k', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	const char *lng[] = {longid}, *nul[] = {NULL};
	assert_int_equal(ft_flowlog_set_stale(fx->log, bad, 2), -EINVAL);
	assert_int_equal(ft_flowlog_set_stale(fx->log, lng, 1), -EINVAL);
	assert_int_equal(ft_flowlog_set_stale(fx->log, nul, 1), -EINVAL);
	assert_int_equal(ft_flowlog_set_stale(fx->log, NULL, 1), -EINVAL);
	assert_int_equal(ft_flowlog_set_stale(fx->log, bad, FT_FLOWLOG_STALE_MAX + 1), -E2BIG);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_null(json_object_get(last_msg(fx), "staleNodes"));
	/* Anonymized: node ids are names; none listed. */
	uint8_t key[32] = {1};
	assert_int_equal(ft_flowlog_set_anonymize(fx->log, key), 0);
	assert_int_equal(ft_flowlog_set_stale(fx->log, b, 1), 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_null(json_object_get(last_msg(fx), "staleNodes"));
}

/* Many stale nodes: 1,024 listed in order, the rest counted. */
static void test_stale_nodes_many(void **state)
{
	struct fixture *fx = *state;
	enum { N = 3000 };
	static char ids[N][16];
	static const char *v[N];
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "k%05d", N - 1 - i);
		v[i] = ids[i];
	}
	assert_int_equal(ft_flowlog_set_stale(fx->log, v, N), 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 17, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	json_t *m = last_msg(fx), *sn = json_object_get(m, "staleNodes");
	assert_int_equal(json_array_size(sn), 1024);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sn, 0), "nodeId")),
			    "k00000");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sn, 1023), "nodeId")),
			    "k01023");
	assert_int_equal(json_integer_value(json_object_get(m, "staleNodesOmitted")), N - 1024);
}

static void test_zero_fields_ipv6_times(void **state)
{
	struct fixture *fx = *state;
	add(fx, "fd7a:115c:a1e0::1", 0, "fd7a:115c:a1e0::2", 0, 58, 0, 0, 4, 400);
	assert_int_equal(ft_flowlog_flush(fx->log, T0 + 123456789, T0 + 987654321), 1);
	json_t *m = last_msg(fx);
	assert_null(json_object_get(m, "nodeId")); /* empty node id omitted */
	assert_string_equal(json_string_value(json_object_get(m, "start")),
			    "2026-11-23T10:00:00.123456789Z");
	assert_null(json_object_get(m, "subnetTraffic"));
	assert_null(json_object_get(m, "exitTraffic"));
	assert_null(json_object_get(m, "physicalTraffic"));
	json_t *e = json_array_get(json_object_get(m, "virtualTraffic"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "src")), "[fd7a:115c:a1e0::1]:0");
	assert_null(json_object_get(e, "txPkts"));
	assert_null(json_object_get(e, "txBytes"));
	assert_int_equal(json_integer_value(json_object_get(e, "rxPkts")), 4);
	assert_int_equal(json_integer_value(json_object_get(e, "rxBytes")), 400);
}

static json_t *arr(json_t *m, const char *name)
{
	return json_object_get(m, name);
}

static void test_classify_and_anonymize(void **state)
{
	struct fixture *fx = *state;
	struct ft_addr peer, ep;
	assert_int_equal(ft_flowlog_add_route_str(fx->log, "10.1.0.0/16"), 0);
	assert_int_equal(ft_flowlog_add_route_str(fx->log, "2001:db8:1::/48"), 0);
	assert_int_equal(ft_flowlog_add_route_str(fx->log, "10.1.0.0/99"), -EINVAL);
	add(fx, "100.64.0.1", 1000, "100.64.0.2", 22, 6, 1, 60, 0, 0);		      /* virtual */
	add(fx, "fd7a:115c:a1e0::1", 1000, "fd7a:115c:a1e0::5", 53, 17, 1, 70, 0, 0); /* virtual */
	add(fx, "100.64.0.1", 2000, "10.1.2.3", 80, 6, 2, 100, 1, 50);		      /* subnet */
	add(fx, "fd7a:115c:a1e0::1", 2000, "2001:db8:1::9", 80, 6, 1, 90, 0, 0);      /* subnet */
	add(fx, "100.64.0.1", 3000, "8.8.8.8", 443, 6, 5, 500, 4, 4000);	      /* exit */
	add(fx, "100.64.0.1", 3001, "1.1.1.1", 443, 6, 1, 100, 1, 1000);	      /* exit */
	add(fx, "100.64.0.1", 3002, "1.1.1.1", 53, 17, 1, 60, 1, 120);		      /* exit */
	add(fx, "fd7a:115c:a1e0::1", 3000, "2001:db8:9::1", 443, 6, 1, 100, 0, 0);    /* exit */
	ft_addr_parse("100.64.0.2", &peer);
	ft_addr_parse("192.0.2.10", &ep);
	assert_int_equal(ft_flows_add_physical(fx->phys, &peer, &ep, 41641, FT_DIR_OUT, 1000), 0);

	/* Classification alone. */
	struct ft_flow_key k = mkkey("100.64.0.1", 1, "10.1.0.1", 2, 6);
	assert_int_equal(ft__flowlog_classify(fx->log, &k), FT_FLOW_SUBNET);
	k = mkkey("100.64.0.1", 1, "100.127.0.1", 2, 6);
	assert_int_equal(ft__flowlog_classify(fx->log, &k), FT_FLOW_VIRTUAL);
	k = mkkey("100.64.0.1", 1, "100.128.0.1", 2, 6);
	assert_int_equal(ft__flowlog_classify(fx->log, &k), FT_FLOW_EXIT);

	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1000), 1);
	json_t *m = last_msg(fx);
	assert_int_equal(json_array_size(arr(m, "virtualTraffic")), 2);
	assert_int_equal(json_array_size(arr(m, "subnetTraffic")), 2);
	assert_int_equal(json_array_size(arr(m, "physicalTraffic")), 1);
	/* Anonymized: one aggregate per local address and protocol, no ports,
	 * no non-overlay addresses. */
	json_t *ex = arr(m, "exitTraffic");
	assert_int_equal(json_array_size(ex), 3);
	size_t i;
	json_t *e;
	int seen_tcp4 = 0;
	json_array_foreach(ex, i, e)
	{
		assert_null(json_object_get(e, "dst"));
		const char *src = json_string_value(json_object_get(e, "src"));
		assert_non_null(strstr(src, ":0"));
		if (!strcmp(src, "100.64.0.1:0") &&
		    json_integer_value(json_object_get(e, "proto")) == 6) {
			seen_tcp4 = 1;
			assert_int_equal(json_integer_value(json_object_get(e, "txPkts")), 6);
			assert_int_equal(json_integer_value(json_object_get(e, "txBytes")), 600);
			assert_int_equal(json_integer_value(json_object_get(e, "rxPkts")), 5);
			assert_int_equal(json_integer_value(json_object_get(e, "rxBytes")), 5000);
		}
	}
	assert_true(seen_tcp4);
	json_t *ph = json_array_get(arr(m, "physicalTraffic"), 0);
	assert_string_equal(json_string_value(json_object_get(ph, "src")), "100.64.0.2:0");
	assert_string_equal(json_string_value(json_object_get(ph, "dst")), "192.0.2.10:41641");
	assert_null(json_object_get(ph, "proto"));
	assert_int_equal(json_integer_value(json_object_get(ph, "txBytes")), 1000);

	/* With log_exit_flows the tuples are kept. */
	ft_flowlog_set_log_exit_flows(fx->log, true);
	add(fx, "100.64.0.1", 3000, "8.8.8.8", 443, 6, 5, 500, 4, 4000);
	add(fx, "100.64.0.1", 3001, "1.1.1.1", 443, 6, 1, 100, 1, 1000);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1000), 1);
	ex = arr(last_msg(fx), "exitTraffic");
	assert_int_equal(json_array_size(ex), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ex, 0), "dst")),
			    "1.1.1.1:443");
}

static void test_routes_at_run_time(void **state)
{
	struct fixture *fx = *state;
	struct ft_prefix p;
	/* Reconfigured while the thread runs; its long interval keeps it from
	 * taking the counts before the explicit flushes below. */
	assert_int_equal(ft_flowlog_set_interval(fx->log, 60000), 0);
	assert_int_equal(ft_flowlog_start(fx->log), 0);
	add(fx, "100.64.0.1", 1, "10.1.0.1", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_non_null(arr(last_msg(fx), "exitTraffic"));
	assert_int_equal(ft_prefix_parse("10.1.0.0/16", &p), 0);
	assert_int_equal(ft_flowlog_set_routes(fx->log, &p, 1), 0);
	add(fx, "100.64.0.1", 1, "10.1.0.1", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_non_null(arr(last_msg(fx), "subnetTraffic"));
	assert_null(arr(last_msg(fx), "exitTraffic"));
	assert_int_equal(ft_flowlog_set_routes(fx->log, NULL, 0), 0);
	add(fx, "100.64.0.1", 1, "10.1.0.1", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_non_null(arr(last_msg(fx), "exitTraffic"));
	/* A custom overlay range turns the same connection virtual. */
	assert_int_equal(ft_prefix_parse("10.0.0.0/8", &p), 0);
	struct ft_prefix ov[2] = {p, p};
	assert_int_equal(ft_prefix_parse("100.64.0.0/10", &ov[1]), 0);
	assert_int_equal(ft_flowlog_set_overlay(fx->log, ov, 2), 0);
	add(fx, "100.64.0.1", 1, "10.1.0.1", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_non_null(arr(last_msg(fx), "virtualTraffic"));
	assert_int_equal(ft_flowlog_stop(fx->log), 0);
}

static void test_split_100k(void **state)
{
	struct fixture *fx = *state;
	struct ft_flows *big;
	struct ft_flowlog *log;
	struct cap cap = {.msgs = json_array()};
	pthread_mutex_init(&cap.mu, NULL);
	assert_int_equal(ft_flows_new(&big, 200000), 0);
	assert_int_equal(ft_flowlog_new(&log, big, NULL), 0);
	assert_int_equal(ft_flowlog_set_node_id(log, "node-with-a-long-name"), 0);
	ft_flowlog_set_log_exit_flows(log, true);
	assert_true(ft_flowlog_add_sink_fn(log, cap_fn, &cap) > 0);
	for (uint32_t i = 0; i < 100000; i++) {
		struct ft_flow_key k;
		memset(&k, 0, sizeof(k));
		k.src.len = k.dst.len = 16;
		ft_addr_parse("fd7a:115c:a1e0:ab12:cd34:ef56:7890:1234", &k.src);
		ft_addr_parse("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", &k.dst);
		memcpy(k.dst.b + 12, &i, 4);
		k.sport = (uint16_t)(40000 + i % 20000);
		k.dport = 443;
		k.proto = 6;
		assert_int_equal(ft_flows_add(big, &k, FT_DIR_OUT, 123456789, 1234567890123ull), 0);
		assert_int_equal(ft_flows_add(big, &k, FT_DIR_IN, 987654321, 9876543210987ull), 0);
	}
	int n = ft_flowlog_flush(log, T0, T0 + 5000000000ull);
	assert_true(n > 1);
	assert_int_equal((size_t)n, json_array_size(cap.msgs));
	assert_true(cap.max_len <= FT_FLOWLOG_MAX_MSG);
	size_t total = 0, i;
	json_t *m;
	json_t *ids = json_object();
	json_array_foreach(cap.msgs, i, m)
	{
		const char *id = json_string_value(json_object_get(m, "id"));
		assert_null(json_object_get(ids, id)); /* unique ids */
		json_object_set_new(ids, id, json_true());
		total += json_array_size(json_object_get(m, "exitTraffic"));
		assert_string_equal(json_string_value(json_object_get(m, "nodeId")),
				    "node-with-a-long-name");
	}
	assert_int_equal(total, 100000);
	json_decref(ids);
	print_message("100000 connections -> %d messages, largest %zu bytes\n", n, cap.max_len);
	ft_flowlog_free(log);
	ft_flows_free(big);
	json_decref(cap.msgs);
	(void)fx;
}

static void test_start_stop_errors(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(ft_flowlog_stop(fx->log), FT_ESTOPPED);
	assert_int_equal(ft_flowlog_start(fx->log), 0);
	assert_true(ft_flowlog_running(fx->log));
	assert_int_equal(ft_flowlog_start(fx->log), FT_ERUNNING);
	assert_int_equal(ft_flowlog_stop(fx->log), 0);
	assert_false(ft_flowlog_running(fx->log));
	assert_int_equal(ft_flowlog_stop(fx->log), FT_ESTOPPED);
	assert_int_equal(ft_flowlog_set_interval(fx->log, 99), -EINVAL);
	assert_int_equal(ft_flowlog_set_node_id(fx->log, "bad\xff utf8"), -EINVAL);
	assert_int_equal(ft_flowlog_set_node_id(fx->log, "q\"uote\\"), 0);
	assert_int_equal(ft_flowlog_add_sink_fn(fx->log, NULL, NULL), -EINVAL);
	assert_int_equal(ft_flowlog_remove_sink(fx->log, 9999), -ENOENT);
	assert_int_equal(ft_flowlog_add_sink_ipfix(fx->log, "nonsense"), -EINVAL);
	assert_int_equal(ft_flowlog_add_sink_ipfix(fx->log, "127.0.0.1:99999"), -EINVAL);
	assert_int_equal(ft_flowlog_add_sink_http(fx->log, "ftp://x/", NULL, NULL), -EINVAL);
	assert_int_equal(ft_flowlog_add_sink_file(fx->log, "/nonexistent-dir/x"), -ENOENT);
	/* The node id is escaped. */
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_string_equal(json_string_value(json_object_get(last_msg(fx), "nodeId")),
			    "q\"uote\\");
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void test_thread_intervals(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(ft_flowlog_set_interval(fx->log, 200), 0);
	assert_int_equal(ft_flowlog_start(fx->log), 0);
	sleep_ms(300);
	assert_int_equal(cap_count(&fx->cap), 0); /* no traffic, no message */
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 6, 1, 40, 0, 0);
	for (int i = 0; i < 100 && cap_count(&fx->cap) < 1; i++)
		sleep_ms(20);
	assert_int_equal(cap_count(&fx->cap), 1);
	/* Idle again: nothing more. */
	sleep_ms(500);
	assert_int_equal(cap_count(&fx->cap), 1);
	/* Counts pending at stop are flushed by stop. */
	ft_flowlog_set_interval(fx->log, 60000);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 6, 1, 40, 0, 0);
	sleep_ms(50);
	assert_int_equal(ft_flowlog_stop(fx->log), 0);
	assert_int_equal(cap_count(&fx->cap), 2);
	json_t *m = last_msg(fx);
	assert_int_not_equal(strcmp(json_string_value(json_object_get(m, "start")),
				    json_string_value(json_object_get(m, "end"))),
			     0);
	/* A removed sink is not called any more. */
	assert_int_equal(ft_flowlog_remove_sink(fx->log, fx->sink), 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	assert_int_equal(cap_count(&fx->cap), 2);
}

static void test_file_sink(void **state)
{
	struct fixture *fx = *state;
	char path[] = "/tmp/ftc-flowlog-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_true(ft_flowlog_add_sink_file(fx->log, path) > 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	add(fx, "100.64.0.1", 1, "100.64.0.3", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *m = json_loads(line, 0, &err);
		assert_non_null(m);
		assert_string_equal(line + strlen(line) - 1, "\n");
		json_decref(m);
		n++;
	}
	fclose(f);
	unlink(path);
	assert_int_equal(n, 2);
}

/* What the HTTP sink logs and keeps as its last error (shown in the API's
 * status to every user of the socket) names the collector without the
 * password of its URL. */
struct notes {
	pthread_mutex_t mu;
	char all[8192];
};

static void note_fn(void *ctx, int level, const char *msg)
{
	struct notes *n = ctx;
	pthread_mutex_lock(&n->mu);
	snprintf(n->all + strlen(n->all), sizeof(n->all) - strlen(n->all), "%s\n", msg);
	pthread_mutex_unlock(&n->mu);
}

static void test_http_url_password_hidden(void **state)
{
	struct fixture *fx = *state;
	struct notes n = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct ft_http_sink_opts o = {.batch_max = 1};
	char err[640] = "";

	ft_flowlog_set_log(fx->log, note_fn, &n);
	/* Port 9 on loopback: nothing listens, every POST fails. */
	assert_true(
	    ft_flowlog_add_sink_http(fx->log, "http://flows:s3cr3t@127.0.0.1:9/in", NULL, &o) > 0);
	assert_int_equal(ft_flowlog_start(fx->log), 0);
	add(fx, "100.64.0.1", 1, "100.64.0.2", 2, 6, 1, 40, 0, 0);
	assert_int_equal(ft_flowlog_flush(fx->log, T0, T0 + 1), 1);
	for (int i = 0; i < 1500 && !ft_flowlog_get_http_error(fx->log, err, sizeof(err)); i++)
		usleep(10000);
	ft_flowlog_stop(fx->log);
	ft_flowlog_free(fx->log); /* logs what was not delivered */
	fx->log = NULL;
	assert_non_null(strstr(err, "http://***@127.0.0.1:9/in: "));
	assert_null(strstr(err, "s3cr3t"));
	assert_non_null(strstr(n.all, "***@127.0.0.1:9/in"));
	assert_null(strstr(n.all, "s3cr3t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_format_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_nodes_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zero_fields_ipv6_times, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_classify_and_anonymize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_routes_at_run_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_100k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_stop_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thread_intervals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_sink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_url_password_hidden, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
