/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_wireguard.c - the WireGuard device readers: UAPI answers as
 * wireguard-go writes them (and garbage, errno answers, early ends, every
 * truncation), byte-exact WG_CMD_GET_DEVICE netlink replies built per
 * linux/wireguard.h (several peers and allowed IPs, IPv6 endpoints, a peer
 * split across messages, every truncation), and a real UAPI socket served by
 * a thread that misbehaves. The kernel here has no WireGuard module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "sources/wireguard.h"

/* Keys: the private key must never reach the decoded device. */
#define PRIV_HEX  "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define PEER1_HEX "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
#define PEER2_HEX "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376"
#define PSK_HEX	  "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"

static void hex2key(const char *h, uint8_t k[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		k[i] = (uint8_t)v;
	}
}

static void b64_of(const char *hex, char out[FT_WG_KEY_B64])
{
	uint8_t k[32];
	hex2key(hex, k);
	ft__wg_key_b64(k, out);
}

static const char uapi_answer[] = "private_key=" PRIV_HEX "\n"
				  "listen_port=51820\n"
				  "fwmark=0\n"
				  "public_key=" PEER1_HEX "\n"
				  "preshared_key=" PSK_HEX "\n"
				  "protocol_version=1\n"
				  "endpoint=192.0.2.7:51821\n"
				  "last_handshake_time_sec=1764700000\n"
				  "last_handshake_time_nsec=123456789\n"
				  "tx_bytes=1234\n"
				  "rx_bytes=5678\n"
				  "persistent_keepalive_interval=25\n"
				  "allowed_ip=100.64.0.2/32\n"
				  "allowed_ip=10.9.0.0/16\n"
				  "public_key=" PEER2_HEX "\n"
				  "endpoint=[2001:db8::7]:4500\n"
				  "last_handshake_time_sec=0\n"
				  "last_handshake_time_nsec=0\n"
				  "tx_bytes=0\n"
				  "rx_bytes=0\n"
				  "allowed_ip=0.0.0.0/0\n"
				  "allowed_ip=::/0\n"
				  "errno=0\n"
				  "\n";

static void check_secret_absent(const struct ft_wg_device *d)
{
	char priv[FT_WG_KEY_B64], psk[FT_WG_KEY_B64];
	b64_of(PRIV_HEX, priv);
	b64_of(PSK_HEX, psk);
	assert_string_not_equal(d->pubkey, priv);
	for (size_t i = 0; i < d->npeers; i++) {
		assert_string_not_equal(d->peers[i].pubkey, priv);
		assert_string_not_equal(d->peers[i].pubkey, psk);
	}
}

static void test_b64(void **state)
{
	uint8_t k[32];
	char out[FT_WG_KEY_B64];
	memset(k, 0, sizeof(k));
	ft__wg_key_b64(k, out);
	assert_string_equal(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	memset(k, 0xff, sizeof(k));
	ft__wg_key_b64(k, out);
	assert_string_equal(out, "//////////////////////////////////////////8=");
	/* As `wg pubkey` prints a key made of the bytes 0..31. */
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	ft__wg_key_b64(k, out);
	assert_string_equal(out, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
}

static void test_uapi_full(void **state)
{
	struct ft_wg_device d = {0};
	char err[256] = "";
	assert_int_equal(ft__wg_uapi_parse(&d, uapi_answer, strlen(uapi_answer), err, sizeof(err)),
			 0);
	assert_int_equal(d.listen_port, 51820);
	assert_int_equal(d.npeers, 2);
	char k1[FT_WG_KEY_B64], k2[FT_WG_KEY_B64], buf[64];
	b64_of(PEER1_HEX, k1);
	b64_of(PEER2_HEX, k2);
	const struct ft_wg_peer *p = &d.peers[0];
	assert_string_equal(p->pubkey, k1);
	assert_true(p->has_endpoint);
	assert_string_equal(ft_addr_format(&p->ep, buf, sizeof(buf)), "192.0.2.7");
	assert_int_equal(p->ep_port, 51821);
	assert_int_equal(p->hs_sec, 1764700000);
	assert_int_equal(p->hs_nsec, 123456789);
	assert_int_equal(p->tx_bytes, 1234);
	assert_int_equal(p->rx_bytes, 5678);
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->nallowed, 2);
	assert_string_equal(ft_addr_format(&p->allowed[1].addr, buf, sizeof(buf)), "10.9.0.0");
	assert_int_equal(p->allowed[1].bits, 16);
	p = &d.peers[1];
	assert_string_equal(p->pubkey, k2);
	assert_string_equal(ft_addr_format(&p->ep, buf, sizeof(buf)), "2001:db8::7");
	assert_int_equal(p->ep_port, 4500);
	assert_int_equal(p->hs_sec, 0);
	assert_int_equal(p->nallowed, 2);
	assert_int_equal(p->allowed[0].bits, 0);
	assert_int_equal(p->allowed[1].addr.len, 16);
	check_secret_absent(&d);
	ft__wg_device_clear(&d);
}

static int parse_str(const char *s, char *err, size_t errlen)
{
	struct ft_wg_device d = {0};
	int r = ft__wg_uapi_parse(&d, s, strlen(s), err, errlen);
	ft__wg_device_clear(&d);
	return r;
}

static void test_uapi_bad(void **state)
{
	char err[256];
	assert_int_equal(parse_str("errno=1\n\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "errno=1"));
	assert_int_equal(parse_str("listen_port=1\n\n", err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "no errno"));
	assert_int_equal(parse_str("garbage\nerrno=0\n\n", err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(parse_str("listen_port=99999\nerrno=0\n\n", err, sizeof(err)), -EPROTO);
	assert_int_equal(parse_str("public_key=zz\nerrno=0\n\n", err, sizeof(err)), -EPROTO);
	assert_int_equal(
	    parse_str("public_key=" PEER1_HEX "\nendpoint=nope\nerrno=0\n\n", err, sizeof(err)),
	    -EPROTO);
	assert_int_equal(parse_str("public_key=" PEER1_HEX "\nallowed_ip=1.2.3.4/33\nerrno=0\n\n",
				   err, sizeof(err)),
			 -EPROTO);
	/* A bad private key value is reported without echoing it. */
	assert_int_equal(parse_str("listen_port=" PRIV_HEX "\nerrno=0\n\n", err, sizeof(err)),
			 -EPROTO);
	assert_null(strstr(err, PRIV_HEX));
	/* Unknown keys from a newer implementation are skipped. */
	assert_int_equal(parse_str("listen_port=1\nnew_thing=5\nerrno=0\n\n", err, sizeof(err)), 0);
}

/* Every prefix of a good answer is an error or a success, never a crash. */
static void test_uapi_truncated(void **state)
{
	size_t n = strlen(uapi_answer);
	for (size_t i = 0; i < n; i++) {
		char *cut = malloc(i ? i : 1);
		memcpy(cut, uapi_answer, i);
		struct ft_wg_device d = {0};
		char err[256];
		int r = ft__wg_uapi_parse(&d, cut, i, err, sizeof(err));
		assert_int_equal(r, -EPROTO);
		ft__wg_device_clear(&d);
		free(cut);
	}
}

/* --- netlink --------------------------------------------------------------- */

struct nlbuf {
	uint8_t b[8192];
};

static struct nlmsghdr *msg_start(struct nlbuf *m)
{
	memset(m, 0, sizeof(*m));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b);
	nlh->nlmsg_type = 0x20;
	nlh->nlmsg_flags = NLM_F_MULTI;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	return nlh;
}

static void put_allowed(struct nlmsghdr *nlh, int idx, int fam, const char *ip, uint8_t bits)
{
	uint8_t a[16];
	inet_pton(fam, ip, a);
	struct nlattr *n = mnl_attr_nest_start(nlh, (uint16_t)idx);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, (uint16_t)fam);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, fam == AF_INET ? 4 : 16, a);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, bits);
	mnl_attr_nest_end(nlh, n);
}

static void put_device(struct nlmsghdr *nlh)
{
	uint8_t priv[32], pub[32];
	hex2key(PRIV_HEX, priv);
	hex2key(PEER2_HEX, pub);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, 32, priv);
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, 32, pub);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
}

/* Message 1: peer 1 (IPv4 endpoint, two allowed IPs) and the start of peer
 * 2 (IPv6 endpoint, one allowed IP); message 2 continues peer 2. */
static void build_dump(struct nlbuf *m1, struct nlbuf *m2)
{
	uint8_t k1[32], k2[32], psk[32];
	hex2key(PEER1_HEX, k1);
	hex2key(PEER2_HEX, k2);
	hex2key(PSK_HEX, psk);
	struct nlmsghdr *nlh = msg_start(m1);
	put_device(nlh);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, k1);
	mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, 32, psk);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(51821)};
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	int64_t ts[2] = {1764700000, 5};
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 5678);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 1234);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
	struct nlattr *ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	put_allowed(nlh, 0, AF_INET, "100.64.0.2", 32);
	put_allowed(nlh, 1, AF_INET, "10.9.255.255", 16); /* host bits cleared */
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	mnl_attr_nest_end(nlh, p);
	p = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, k2);
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(4500)};
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	put_allowed(nlh, 0, AF_INET, "0.0.0.0", 0);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);

	nlh = msg_start(m2);
	put_device(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, k2);
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	put_allowed(nlh, 0, AF_INET6, "::", 0);
	put_allowed(nlh, 1, AF_INET6, "fd00:1:2:3::", 64);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
}

static void test_genl_dump(void **state)
{
	struct nlbuf m1, m2;
	build_dump(&m1, &m2);
	struct ft_wg_device d = {0};
	char err[256] = "", buf[64], k1[FT_WG_KEY_B64], k2[FT_WG_KEY_B64];
	const struct nlmsghdr *h1 = (void *)m1.b, *h2 = (void *)m2.b;
	assert_int_equal(ft__wg_genl_parse(&d, h1, h1->nlmsg_len, err, sizeof(err)), 0);
	assert_int_equal(ft__wg_genl_parse(&d, h2, h2->nlmsg_len, err, sizeof(err)), 0);
	b64_of(PEER1_HEX, k1);
	b64_of(PEER2_HEX, k2);
	assert_int_equal(d.via, FT_WG_VIA_NETLINK);
	assert_string_equal(d.ifname, "wg0");
	assert_int_equal(d.ifindex, 7);
	assert_int_equal(d.listen_port, 51820);
	assert_string_equal(d.pubkey, k2);
	assert_int_equal(d.npeers, 2); /* peer 2 continued, not added twice */
	const struct ft_wg_peer *p = &d.peers[0];
	assert_string_equal(p->pubkey, k1);
	assert_string_equal(ft_addr_format(&p->ep, buf, sizeof(buf)), "192.0.2.7");
	assert_int_equal(p->ep_port, 51821);
	assert_int_equal(p->hs_sec, 1764700000);
	assert_int_equal(p->rx_bytes, 5678);
	assert_int_equal(p->tx_bytes, 1234);
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->nallowed, 2);
	assert_string_equal(ft_addr_format(&p->allowed[1].addr, buf, sizeof(buf)), "10.9.0.0");
	p = &d.peers[1];
	assert_string_equal(p->pubkey, k2);
	assert_string_equal(ft_addr_format(&p->ep, buf, sizeof(buf)), "2001:db8::7");
	assert_int_equal(p->ep_port, 4500);
	assert_int_equal(p->nallowed, 3);
	assert_int_equal(p->allowed[2].bits, 64);
	assert_string_equal(ft_addr_format(&p->allowed[2].addr, buf, sizeof(buf)), "fd00:1:2:3::");
	check_secret_absent(&d);
	ft__wg_device_clear(&d);
}

/* Every truncation of a reply (with the header's length cut to match) and
 * every flipped byte decodes or fails cleanly. */
static void test_genl_mutations(void **state)
{
	struct nlbuf m1, m2;
	build_dump(&m1, &m2);
	const struct nlmsghdr *h1 = (void *)m1.b;
	uint32_t n = h1->nlmsg_len;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *cut = malloc(i ? i : 1);
		memcpy(cut, m1.b, i);
		if (i >= sizeof(struct nlmsghdr))
			((struct nlmsghdr *)cut)->nlmsg_len = i;
		struct ft_wg_device d = {0};
		char err[256] = "";
		int r = ft__wg_genl_parse(&d, cut, i, err, sizeof(err));
		assert_true(r == 0 || r == -EPROTO);
		if (r < 0)
			assert_true(err[0] != '\0');
		ft__wg_device_clear(&d);
		free(cut);
	}
	for (uint32_t i = sizeof(struct nlmsghdr); i < n; i++) {
		uint8_t *mut = malloc(n);
		memcpy(mut, m1.b, n);
		mut[i] ^= (uint8_t)(0x5a + i);
		struct ft_wg_device d = {0};
		char err[256] = "";
		int r = ft__wg_genl_parse(&d, mut, n, err, sizeof(err));
		assert_true(r == 0 || r == -EPROTO);
		ft__wg_device_clear(&d);
		free(mut);
	}
}

static void test_genl_no_key(void **state)
{
	struct nlbuf m;
	struct nlmsghdr *nlh = msg_start(&m);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	struct ft_wg_device d = {0};
	char err[256] = "";
	assert_int_equal(ft__wg_genl_parse(&d, nlh, nlh->nlmsg_len, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "public key"));
	ft__wg_device_clear(&d);
}

/* --- a real UAPI socket that misbehaves ----------------------------------- */

struct server {
	char dir[64];
	int lfd;
	const char *answer; /* NULL: close without answering */
	size_t answer_len;
	bool hang; /* accept, then never answer */
	pthread_t thr;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	char req[64];
	ssize_t n = read(c, req, sizeof(req));
	(void)n;
	if (s->hang) {
		sleep(2);
	} else if (s->answer) {
		ssize_t w = write(c, s->answer, s->answer_len);
		(void)w;
	}
	close(c);
	return NULL;
}

static void server_start(struct server *s, const char *answer, bool hang)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/ftwg-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	s->answer = answer;
	s->answer_len = answer ? strlen(answer) : 0;
	s->hang = hang;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/wgt0.sock", s->dir);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	assert_int_equal(pthread_create(&s->thr, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thr, NULL);
	close(s->lfd);
	char p[128];
	snprintf(p, sizeof(p), "%s/wgt0.sock", s->dir);
	unlink(p);
	rmdir(s->dir);
}

static int uapi_get(struct server *s, int timeout_ms, char *err, size_t errlen,
		    struct ft_wg_device *d)
{
	memset(d, 0, sizeof(*d));
	return ft__wg_uapi_get(d, s->dir, "wgt0", timeout_ms, err, errlen);
}

static void test_uapi_socket(void **state)
{
	struct server s;
	struct ft_wg_device d;
	char err[256];

	server_start(&s, uapi_answer, false);
	assert_int_equal(uapi_get(&s, 2000, err, sizeof(err), &d), 0);
	assert_int_equal(d.via, FT_WG_VIA_UAPI);
	assert_string_equal(d.ifname, "wgt0");
	assert_int_equal(d.npeers, 2);
	ft__wg_device_clear(&d);
	server_stop(&s);

	server_start(&s, "this is not uapi\n\n", false);
	assert_int_equal(uapi_get(&s, 2000, err, sizeof(err), &d), -EPROTO);
	assert_non_null(strstr(err, "wgt0.sock"));
	ft__wg_device_clear(&d);
	server_stop(&s);

	server_start(&s, "listen_port=1\npublic_key=" PEER1_HEX "\n", false); /* closes early */
	assert_int_equal(uapi_get(&s, 2000, err, sizeof(err), &d), -EPROTO);
	assert_non_null(strstr(err, "ended early"));
	ft__wg_device_clear(&d);
	server_stop(&s);

	server_start(&s, "errno=13\n\n", false);
	assert_int_equal(uapi_get(&s, 2000, err, sizeof(err), &d), -EACCES);
	assert_non_null(strstr(err, "errno=13"));
	ft__wg_device_clear(&d);
	server_stop(&s);

	server_start(&s, NULL, true); /* never answers: bounded wait */
	assert_int_equal(uapi_get(&s, 200, err, sizeof(err), &d), -ETIMEDOUT);
	ft__wg_device_clear(&d);
	server_stop(&s);

	/* No socket at all. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(ft__wg_uapi_get(&d, "/nonexistent-ftwg", "wgt0", 200, err, sizeof(err)),
			 -ENOENT);
	ft__wg_device_clear(&d);
}

/* Neither netlink (no module here) nor a socket: "not a WireGuard device". */
static void test_read_not_wireguard(void **state)
{
	struct ft_wg_device d = {0};
	char err[512] = "";
	assert_int_equal(ft__wg_read(&d, "lo", "/nonexistent-ftwg", 200, err, sizeof(err)),
			 -ENODEV);
	assert_non_null(strstr(err, "not a WireGuard device"));
	ft__wg_device_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64),
	    cmocka_unit_test(test_uapi_full),
	    cmocka_unit_test(test_uapi_bad),
	    cmocka_unit_test(test_uapi_truncated),
	    cmocka_unit_test(test_genl_dump),
	    cmocka_unit_test(test_genl_mutations),
	    cmocka_unit_test(test_genl_no_key),
	    cmocka_unit_test(test_uapi_socket),
	    cmocka_unit_test(test_read_not_wireguard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
