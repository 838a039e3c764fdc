/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Drops (ft_tap_drop()): reason names, per-reason counters, selection by
 * verdict and reason, and the reason in every output: text markers, pcapng
 * comments that tshark finds and a custom option our reader reads back,
 * user0 records on the "dropped" path.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/reader.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

static char dir[64];

#include "session_files.h"

struct sink {
	char buf[1 << 16];
	size_t len;
};

static int to_sink(void *ctx, const void *data, size_t len)
{
	struct sink *k = ctx;
	if (k->len + len >= sizeof(k->buf))
		return -ENOSPC;
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return 0;
}

static struct ft_session *start_text(struct ft_tap *t, struct sink *k, enum ft_drop_select drops,
				     int reason)
{
	struct ft_session_opts o;
	struct ft_session *s;
	char err[FT_ERRBUF_SIZE];

	ft_session_opts_init(&o);
	o.format = FT_FORMAT_TEXT;
	o.time = FT_TIME_NONE;
	o.out = to_sink;
	o.out_ctx = k;
	o.drops = drops;
	if (reason > 0)
		ft_pathset_add(&o.drop_reasons, (unsigned)reason);
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), 0);
	return s;
}

static void test_reason_names(void **state)
{
	struct ft_tap *t;
	int id;

	(void)state;
	assert_string_equal(ft_drop_reason_name(NULL, FT_DROP_ACL), "acl-denied");
	assert_string_equal(ft_drop_reason_name(NULL, FT_DROP_NO_ROUTE), "no-route");
	assert_string_equal(ft_drop_reason_name(NULL, FT_DROP_FOREIGN), "foreign-source");
	assert_string_equal(ft_drop_reason_name(NULL, FT_DROP_QUEUE_FULL), "queue-full");
	assert_string_equal(ft_drop_reason_name(NULL, FT_DROP_TTL), "ttl-expired");
	assert_null(ft_drop_reason_name(NULL, FT_DROP_BUILTIN_MAX));
	assert_int_equal(ft_drop_reason_parse(NULL, "mtu-exceeded"), FT_DROP_MTU);
	assert_int_equal(ft_drop_reason_parse(NULL, "nope"), -ENOENT);

	assert_int_equal(ft_tap_new(&t, "t"), 0);
	id = ft_tap_add_drop_reason(t, "NETFILTER_DROP");
	assert_int_equal(id, FT_DROP_BUILTIN_MAX);
	assert_int_equal(ft_tap_add_drop_reason(t, "NETFILTER_DROP"), id); /* idempotent */
	assert_int_equal(ft_tap_add_drop_reason(t, "service"), id + 1);
	assert_int_equal(ft_tap_add_drop_reason(t, "acl-denied"), -EEXIST);
	assert_int_equal(ft_tap_add_drop_reason(t, ""), -EINVAL);
	assert_int_equal(ft_tap_add_drop_reason(t, "has space"), -EINVAL);
	assert_int_equal(ft_tap_add_drop_reason(t, "a23456789012345678901234567890123"), -EINVAL);
	assert_string_equal(ft_drop_reason_name(t, (unsigned)id), "NETFILTER_DROP");
	assert_int_equal(ft_drop_reason_parse(t, "service"), id + 1);
	assert_int_equal(ft_drop_reason_parse(t, "acl-denied"), FT_DROP_ACL);
	assert_null(ft_drop_reason_name(t, (unsigned)id + 2));
	/* The "dropped" path is reserved for user0's drops. */
	assert_int_equal(ft_tap_path_register(t, FT_PATH_DROPPED, "x"), -EEXIST);
	assert_string_equal(ft_tap_path_name(t, FT_PATH_DROPPED), "dropped");
	/* Only the number is reserved: a datapath that named a path of its own
	 * "dropped" before drops existed still starts. */
	assert_int_equal(ft_tap_path_register(t, 4, "dropped"), 0);
	for (int i = id + 2; i < FT_DROP_REASON_MAX; i++) {
		char n[16];
		snprintf(n, sizeof(n), "r%d", i);
		assert_int_equal(ft_tap_add_drop_reason(t, n), i);
	}
	assert_int_equal(ft_tap_add_drop_reason(t, "one-too-many"), -ENOSPC);
	ft_tap_free(t);
}

static void test_counting(void **state)
{
	struct ft_tap *t;
	uint8_t a[128];
	size_t na = tb_ip4(a, "100.64.0.1", "100.64.0.2", 17, 4000, 53, 10);
	uint64_t pk[FT_DROP_REASON_MAX], by[FT_DROP_REASON_MAX];
	int n, mine;

	(void)state;
	assert_int_equal(ft_tap_new(&t, "t"), 0);
	mine = ft_tap_add_drop_reason(t, "service");
	/* Off: nothing counted, nothing watched. */
	ft_tap_drop(t, FT_PATH_FROM_PEER, a, na, FT_DROP_ACL, NULL);
	n = ft_tap_drop_counts(t, pk, by, FT_DROP_REASON_MAX);
	assert_int_equal(n, mine + 1);
	assert_int_equal(pk[FT_DROP_ACL], 0);
	assert_false(ft_tap_watched(t));

	ft_tap_set_drop_counting(t, true);
	for (int i = 0; i < 3; i++)
		ft_tap_drop(t, FT_PATH_FROM_PEER, a, na, FT_DROP_ACL, NULL);
	ft_tap_drop(t, FT_PATH_FROM_LOCAL, a, na, (unsigned)mine, NULL);
	ft_tap_drop(t, FT_PATH_FROM_LOCAL, a, na, 0, NULL);    /* no reason: other */
	ft_tap_drop(t, FT_PATH_FROM_LOCAL, a, na, 9999, NULL); /* out of range: other */
	ft_tap_hook(t, FT_PATH_FROM_LOCAL, a, na, NULL);       /* not a drop */
	ft_tap_drop_counts(t, pk, by, FT_DROP_REASON_MAX);
	assert_int_equal(pk[FT_DROP_ACL], 3);
	assert_int_equal(by[FT_DROP_ACL], 3 * na);
	assert_int_equal(pk[mine], 1);
	assert_int_equal(pk[FT_DROP_OTHER], 2);
	assert_int_equal(pk[FT_DROP_NONE], 0);
	ft_tap_set_drop_counting(t, false);
	ft_tap_drop(t, FT_PATH_FROM_PEER, a, na, FT_DROP_ACL, NULL);
	ft_tap_drop_counts(t, pk, NULL, FT_DROP_ACL + 1);
	assert_int_equal(pk[FT_DROP_ACL], 3);
	ft_tap_free(t);
}

/* Delivered, dropped by rule 12, dropped for a registered reason somewhere. */
static void offer_mix(struct ft_tap *t, int mine)
{
	uint8_t a[128], b[128];
	size_t na = tb_ip4(a, "100.64.0.1", "100.64.0.2", 17, 4000, 5000, 10);
	size_t nb = tb_ip4(b, "100.64.0.2", "100.64.0.1", 1, 7, 1, 32);
	struct ft_meta m = FT_META_INIT;

	ft_tap_hook(t, FT_PATH_FROM_LOCAL, a, na, NULL);
	m.drop_rule = 12;
	ft_tap_drop(t, FT_PATH_FROM_PEER, b, nb, FT_DROP_ACL, &m);
	m.drop_rule = 0;
	m.drop_where = "ip_rcv_finish_core+0x1a\n(x)";
	ft_tap_drop(t, FT_PATH_FROM_LOCAL, a, na, (unsigned)mine, &m);
}

static void test_text_and_selection(void **state)
{
	static struct sink all, only, none, acl;
	struct ft_session *s[4];
	struct ft_session_stats st;
	struct ft_tap *t;
	int mine;

	(void)state;
	assert_int_equal(ft_tap_new(&t, "t"), 0);
	mine = ft_tap_add_drop_reason(t, "service");
	s[0] = start_text(t, &all, FT_DROPS_BOTH, 0);
	s[1] = start_text(t, &only, FT_DROPS_ONLY, 0);
	s[2] = start_text(t, &none, FT_DROPS_EXCLUDE, 0);
	s[3] = start_text(t, &acl, FT_DROPS_BOTH, FT_DROP_ACL);
	offer_mix(t, mine);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ft_session_stop(s[i], &st), 0);
		ft_session_free(s[i]);
	}
	assert_string_equal(all.buf,
			    "OUT from-local IP 100.64.0.1.4000 > 100.64.0.2.5000: UDP, length 10\n"
			    "IN from-peer DROP(acl-denied rule 12) IP 100.64.0.2 > 100.64.0.1: "
			    "ICMP echo request, id 7, seq 1, length 40\n"
			    "OUT from-local DROP(service at ip_rcv_finish_core+0x1a__x_) "
			    "IP 100.64.0.1.4000 > 100.64.0.2.5000: UDP, length 10\n");
	assert_string_equal(only.buf, strchr(all.buf, '\n') + 1);
	assert_string_equal(
	    none.buf, "OUT from-local IP 100.64.0.1.4000 > 100.64.0.2.5000: UDP, length 10\n");
	assert_string_equal(acl.buf,
			    "IN from-peer DROP(acl-denied rule 12) IP 100.64.0.2 > 100.64.0.1: "
			    "ICMP echo request, id 7, seq 1, length 40\n");
	ft_tap_free(t);
}

static void test_bad_selection(void **state)
{
	struct ft_session_opts o;
	struct ft_session *s;
	struct ft_tap *t;
	char err[FT_ERRBUF_SIZE];

	(void)state;
	assert_int_equal(ft_tap_new(&t, "t"), 0);
	ft_session_opts_init(&o);
	o.out_fd = 1;
	o.drops = FT_DROPS_EXCLUDE;
	ft_pathset_add(&o.drop_reasons, FT_DROP_ACL);
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), -EINVAL);
	o.drops = (enum ft_drop_select)7;
	ft_pathset_clear(&o.drop_reasons);
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), -EINVAL);
	ft_tap_free(t);
}

static void capture_files(void)
{
	struct ft_tap *t;
	struct ft_session *s[2];
	int fd[2], mine;

	assert_int_equal(ft_tap_new(&t, "t"), 0);
	mine = ft_tap_add_drop_reason(t, "service");
	s[0] = start_file(t, FT_FORMAT_PCAPNG, "d.pcapng", &fd[0]);
	s[1] = start_file(t, FT_FORMAT_USER0, "d.user0", &fd[1]);
	offer_mix(t, mine);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ft_session_stop(s[i], NULL), 0);
		ft_session_free(s[i]);
		close(fd[i]);
	}
	ft_tap_free(t);
}

/* Our reader takes the drop back from the custom option; user0 puts
 * dropped packets on path 253 "dropped" and loses the reason. */
static void test_read_back(void **state)
{
	struct ft_reader *r;
	struct ft_pkt p;
	char path[128], err[FT_ERRBUF_SIZE];
	uint16_t want_path[3] = {FT_PATH_FROM_LOCAL, FT_PATH_FROM_PEER, FT_PATH_FROM_LOCAL};

	(void)state;
	capture_files();
	snprintf(path, sizeof(path), "%s/d.pcapng", dir);
	assert_int_equal(ft_reader_open(&r, path, err), 0);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.drop_reason, 0);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.path, FT_PATH_FROM_PEER);
	assert_int_equal(p.drop_reason, FT_DROP_ACL);
	assert_int_equal(p.drop_rule, 12);
	assert_string_equal(p.drop_name, "acl-denied");
	assert_null(p.drop_where);
	assert_int_equal(ft_reader_next(r, &p), 1);
	assert_int_equal(p.drop_reason, FT_DROP_BUILTIN_MAX);
	assert_string_equal(p.drop_name, "service");
	assert_string_equal(p.drop_where, "ip_rcv_finish_core+0x1a__x_");
	assert_int_equal(ft_reader_next(r, &p), 0);
	ft_reader_close(r);

	snprintf(path, sizeof(path), "%s/d.user0", dir);
	assert_int_equal(ft_reader_open(&r, path, err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ft_reader_next(r, &p), 1);
		assert_int_equal(p.path, i ? FT_PATH_DROPPED : want_path[i]);
		assert_int_equal(p.drop_reason, 0);
	}
	assert_int_equal(ft_reader_next(r, &p), 0);
	ft_reader_close(r);
}

/* tshark finds the drops by their comment. */
static void test_tshark(void **state)
{
	char cmd[512], out[1024];

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	capture_files();
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s/d.pcapng -Y 'frame.comment contains \"acl-denied\"' -T fields "
		 "-e frame.number -e frame.interface_name -e frame.comment 2>/dev/null",
		 dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "2\tfrom-peer\tdrop: acl-denied rule 12\n");
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s/d.pcapng -Y 'frame.comment contains \"drop: \"' -T fields "
		 "-e frame.comment 2>/dev/null",
		 dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "drop: acl-denied rule 12\n"
				 "drop: service at ip_rcv_finish_core+0x1a__x_\n");
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/ft-drop-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reason_names),       cmocka_unit_test(test_counting),
	    cmocka_unit_test(test_text_and_selection), cmocka_unit_test(test_bad_selection),
	    cmocka_unit_test(test_read_back),	       cmocka_unit_test(test_tshark),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
