/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: flowtapd's peer table from WireGuard devices (wg_peers.c):
 * keys as node ids, names from the peer file by key or by address, derived
 * names, default routes left out, the file's other nodes kept, self from
 * the file or the device's own key, and the rebuild hash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtap/peers.h>

#include "wg_peers.h"

#define K1 "ab+/cdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO="
#define K2 "Z9ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ="

static void allow(struct ft_wg_device *d, struct ft_wg_peer *p, const char *cidr)
{
	struct ft_prefix x;
	assert_int_equal(ft_prefix_parse(cidr, &x), 0);
	assert_int_equal(ft__wg_peer_add_allowed(d, p, &x), 0);
}

/* wga: K1 with a host, a subnet and 0.0.0.0/0; K2 with two hosts. */
static void device(struct ft_wg_device *d, const char *own_key)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->ifname, sizeof(d->ifname), "wga");
	snprintf(d->pubkey, sizeof(d->pubkey), "%s", own_key);
	struct ft_wg_peer *p = ft__wg_peer_add(d, K1);
	assert_non_null(p);
	allow(d, p, "100.64.0.2/32");
	allow(d, p, "10.77.0.0/16");
	allow(d, p, "0.0.0.0/0");
	p = ft__wg_peer_add(d, K2);
	assert_non_null(p);
	allow(d, p, "100.64.0.3/32");
	allow(d, p, "fd7a:115c:a1e0::3/128");
}

static const struct ft_peer *at(const struct ft_peers *t, const char *addr)
{
	struct ft_prefix p;
	assert_int_equal(ft_prefix_parse(addr, &p), 0);
	return ft_peers_lookup(t, &p.addr);
}

static struct ft_peers *file_table(void)
{
	char path[] = "/tmp/ft-wg-peers.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct ft_peers *p;
	char err[256];
	assert_non_null(f);
	fprintf(f, "{\"self\": {\"nodeId\": \"n-self\", \"name\": \"host-a\", \"addresses\": "
		   "[\"100.64.0.1\"]},\n"
		   " \"peers\": [{\"nodeId\": \"" K1 "\", \"name\": \"peer-one\", \"os\": "
		   "\"linux\", \"user\": \"bob@example.com\"},\n"
		   "  {\"nodeId\": \"n-x\", \"name\": \"by-ip\", \"addresses\": [\"100.64.0.3\", "
		   "\"192.168.9.0/24\"]},\n"
		   "  {\"nodeId\": \"n-free\", \"name\": \"free\", \"addresses\": "
		   "[\"100.64.0.50\"]}]}\n");
	fclose(f);
	assert_int_equal(ft_peers_load_file(path, &p, err, sizeof(err)), 0);
	unlink(path);
	return p;
}

static void test_names_from_the_file(void **state)
{
	struct ft_wg_device d;
	const struct ft_wg_device *devs[] = {&d};
	struct ft_peers *file = file_table(), *t;
	char err[256];
	(void)state;
	device(&d, "");
	assert_int_equal(ftd_wg_peers_build(devs, 1, file, &t, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* self, K1, K2 (which took n-x), and n-free as it was. */
	assert_int_equal(ft_peers_count(t), 4);
	assert_string_equal(ft_peers_self(t)->node_id, "n-self");
	assert_ptr_equal(at(t, "100.64.0.1"), ft_peers_self(t));
	/* By key: the key is the node id, the file gives the rest. */
	const struct ft_peer *n = at(t, "100.64.0.2");
	assert_non_null(n);
	assert_string_equal(n->node_id, K1);
	assert_string_equal(n->name, "peer-one");
	assert_string_equal(n->os, "linux");
	assert_string_equal(n->user, "bob@example.com");
	assert_ptr_equal(at(t, "10.77.9.9"), n);
	/* 0.0.0.0/0 is not the peer's: the Internet is nobody's. */
	assert_null(at(t, "8.8.8.8"));
	/* By address: n-x owns 100.64.0.3; its addresses join K2's, once each. */
	n = at(t, "100.64.0.3");
	assert_non_null(n);
	assert_string_equal(n->node_id, K2);
	assert_string_equal(n->name, "by-ip");
	assert_ptr_equal(at(t, "fd7a:115c:a1e0::3"), n);
	assert_ptr_equal(at(t, "192.168.9.4"), n);
	assert_int_equal(n->naddrs, 3);
	/* The file's node no peer matched, as it was. */
	n = at(t, "100.64.0.50");
	assert_non_null(n);
	assert_string_equal(n->node_id, "n-free");
	assert_string_equal(n->name, "free");
	ft_peers_free(t);
	ft_peers_free(file);
	ft__wg_device_clear(&d);
}

static void test_derived_names_and_self(void **state)
{
	struct ft_wg_device d;
	const struct ft_wg_device *devs[] = {&d};
	struct ft_peers *t;
	char err[256], host[FT_PEER_NAME_MAX + 1] = "";
	(void)state;
	/* UAPI: the device's own key is unknown, so no self. */
	device(&d, "");
	assert_int_equal(ftd_wg_peers_build(devs, 1, NULL, &t, err, sizeof(err)), 0);
	assert_int_equal(ft_peers_count(t), 2);
	assert_null(ft_peers_self(t));
	const struct ft_peer *n = at(t, "100.64.0.2");
	assert_string_equal(n->node_id, K1);
	assert_string_equal(n->name, "wg-ab-_cdef"); /* '+' and '/' made name-safe */
	assert_string_equal(at(t, "100.64.0.3")->name, "wg-Z9ZZZZZZ");
	assert_null(n->os);
	ft_peers_free(t);
	ft__wg_device_clear(&d);
	/* Netlink: the device's key is self, named after the host. */
	device(&d, K2);
	assert_int_equal(ftd_wg_peers_build(devs, 1, NULL, &t, err, sizeof(err)), 0);
	assert_non_null(ft_peers_self(t));
	assert_string_equal(ft_peers_self(t)->node_id, K2);
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(ft_peers_self(t)->name, host[0] ? host : "wga");
	ft_peers_free(t);
	ft__wg_device_clear(&d);
	/* No device, no file: an empty table. */
	assert_int_equal(ftd_wg_peers_build(devs, 0, NULL, &t, err, sizeof(err)), 0);
	assert_int_equal(ft_peers_count(t), 0);
	ft_peers_free(t);
}

static void test_hash(void **state)
{
	struct ft_wg_device d;
	const struct ft_wg_device *devs[] = {&d};
	(void)state;
	device(&d, "");
	uint64_t h = ftd_wg_peers_hash(devs, 1);
	assert_true(h == ftd_wg_peers_hash(devs, 1));
	d.peers[1].rx_bytes += 1000; /* counters are not identity */
	d.peers[1].hs_sec = 12345;
	assert_true(h == ftd_wg_peers_hash(devs, 1));
	d.peers[1].allowed[0].addr.b[3] = 4; /* 100.64.0.4/32 */
	assert_true(h != ftd_wg_peers_hash(devs, 1));
	d.peers[1].allowed[0].addr.b[3] = 3;
	assert_true(h == ftd_wg_peers_hash(devs, 1));
	d.peers[0].pubkey[0] = 'X';
	assert_true(h != ftd_wg_peers_hash(devs, 1));
	assert_true(h != ftd_wg_peers_hash(devs, 0));
	ft__wg_device_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_from_the_file),
	    cmocka_unit_test(test_derived_names_and_self),
	    cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
