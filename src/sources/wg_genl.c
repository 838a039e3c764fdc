/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_genl.c - the WireGuard kernel module's generic netlink interface
 * (linux/wireguard.h): WG_CMD_GET_DEVICE is a dump; each reply message holds
 * the device attributes and a WGDEVICE_A_PEERS nest with some of the peers.
 * A peer whose allowed IPs do not fit in one message is continued in the
 * next, which repeats its WGPEER_A_PUBLIC_KEY. Every attribute is validated
 * by libmnl (length and type) before it is read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "wireguard.h"

struct genl_ctx {
	struct ft_wg_device *d;
	char *err;
	size_t errlen;
};

static int perr(struct genl_ctx *c, const char *what)
{
	snprintf(c->err, c->errlen, "malformed WireGuard netlink reply: %s", what);
	return MNL_CB_ERROR;
}

static int allowed_ip(struct genl_ctx *c, struct ft_wg_peer *p, const struct nlattr *nest)
{
	const struct nlattr *a;
	int family = -1, bits = -1;
	const uint8_t *ip = NULL;
	uint16_t iplen = 0;
	mnl_attr_for_each_nested(a, nest)
	{
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return perr(c, "allowed IP family");
			family = mnl_attr_get_u16(a);
			break;
		case WGALLOWEDIP_A_IPADDR:
			ip = mnl_attr_get_payload(a);
			iplen = mnl_attr_get_payload_len(a);
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return perr(c, "allowed IP mask");
			bits = mnl_attr_get_u8(a);
			break;
		}
	}
	struct ft_prefix pfx = {0};
	if (family == AF_INET && ip && iplen >= 4 && bits >= 0 && bits <= 32)
		pfx.addr.len = 4;
	else if (family == AF_INET6 && ip && iplen >= 16 && bits >= 0 && bits <= 128)
		pfx.addr.len = 16;
	else
		return perr(c, "allowed IP");
	memcpy(pfx.addr.b, ip, pfx.addr.len);
	pfx.bits = (uint8_t)bits;
	/* Clear host bits, as ft_prefix_parse() does. */
	for (unsigned i = 0; i < pfx.addr.len; i++) {
		int keep = (int)pfx.bits - (int)i * 8;
		if (keep <= 0)
			pfx.addr.b[i] = 0;
		else if (keep < 8)
			pfx.addr.b[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return ft__wg_peer_add_allowed(c->d, p, &pfx) < 0 ? perr(c, "out of memory") : MNL_CB_OK;
}

static int endpoint(struct genl_ctx *c, struct ft_wg_peer *p, const struct nlattr *a)
{
	uint16_t n = mnl_attr_get_payload_len(a);
	const uint8_t *b = mnl_attr_get_payload(a);
	sa_family_t fam;
	if (n < sizeof(fam))
		return perr(c, "endpoint");
	memcpy(&fam, b, sizeof(fam));
	if (fam == AF_INET && n >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;
		memcpy(&sin, b, sizeof(sin));
		p->ep.len = 4;
		memcpy(p->ep.b, &sin.sin_addr, 4);
		p->ep_port = ntohs(sin.sin_port);
	} else if (fam == AF_INET6 && n >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, b, sizeof(sin6));
		p->ep.len = 16;
		memcpy(p->ep.b, &sin6.sin6_addr, 16);
		p->ep_port = ntohs(sin6.sin6_port);
	} else if (fam == AF_UNSPEC) {
		return MNL_CB_OK; /* no endpoint yet */
	} else {
		return perr(c, "endpoint");
	}
	p->has_endpoint = true;
	return MNL_CB_OK;
}

static int peer_attr(struct genl_ctx *c, struct ft_wg_peer *p, const struct nlattr *a)
{
	const struct nlattr *ip;
	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_ENDPOINT:
		return endpoint(c, p, a);
	case WGPEER_A_LAST_HANDSHAKE_TIME: {
		int64_t ts[2];
		if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC, sizeof(ts)) < 0)
			return perr(c, "handshake time");
		memcpy(ts, mnl_attr_get_payload(a), sizeof(ts));
		p->hs_sec = ts[0];
		p->hs_nsec = ts[1];
		return MNL_CB_OK;
	}
	case WGPEER_A_RX_BYTES:
	case WGPEER_A_TX_BYTES:
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return perr(c, "byte counter");
		*(mnl_attr_get_type(a) == WGPEER_A_RX_BYTES ? &p->rx_bytes : &p->tx_bytes) =
		    mnl_attr_get_u64(a);
		return MNL_CB_OK;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return perr(c, "keepalive");
		p->keepalive = mnl_attr_get_u16(a);
		return MNL_CB_OK;
	case WGPEER_A_ALLOWEDIPS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return perr(c, "allowed IPs");
		mnl_attr_for_each_nested(ip, a)
		{
			if (mnl_attr_validate(ip, MNL_TYPE_NESTED) < 0 ||
			    allowed_ip(c, p, ip) != MNL_CB_OK)
				return perr(c, "allowed IP");
		}
		return MNL_CB_OK;
	}
	/* The preshared key and attributes a newer kernel adds: skipped. */
	return MNL_CB_OK;
}

static int peer(struct genl_ctx *c, const struct nlattr *nest)
{
	const struct nlattr *a;
	const uint8_t *key = NULL;
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return perr(c, "peer");
	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY) {
			if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC, FT_WG_KEY_LEN) < 0)
				return perr(c, "peer key");
			key = mnl_attr_get_payload(a);
		}
	}
	if (!key)
		return perr(c, "peer without a public key");
	char b64[FT_WG_KEY_B64];
	ft__wg_key_b64(key, b64);
	struct ft_wg_peer *p = ft__wg_peer_add(c->d, b64);
	if (!p)
		return c->d->npeers >= FT_WG_MAX_PEERS ? MNL_CB_OK : perr(c, "out of memory");
	mnl_attr_for_each_nested(a, nest)
	{
		int r = peer_attr(c, p, a);
		if (r != MNL_CB_OK)
			return r;
	}
	return MNL_CB_OK;
}

static int device_attr(const struct nlattr *a, void *data)
{
	struct genl_ctx *c = data;
	struct ft_wg_device *d = c->d;
	const struct nlattr *p;
	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFINDEX:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return perr(c, "ifindex");
		d->ifindex = mnl_attr_get_u32(a);
		break;
	case WGDEVICE_A_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return perr(c, "ifname");
		snprintf(d->ifname, sizeof(d->ifname), "%s", mnl_attr_get_str(a));
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC, FT_WG_KEY_LEN) < 0)
			return perr(c, "device key");
		ft__wg_key_b64(mnl_attr_get_payload(a), d->pubkey);
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return perr(c, "listen port");
		d->listen_port = mnl_attr_get_u16(a);
		break;
	case WGDEVICE_A_PEERS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return perr(c, "peers");
		mnl_attr_for_each_nested(p, a)
		{
			if (peer(c, p) != MNL_CB_OK)
				return MNL_CB_ERROR;
		}
		break;
	}
	/* WGDEVICE_A_PRIVATE_KEY is never read. */
	return MNL_CB_OK;
}

int ft__wg_genl_parse(struct ft_wg_device *d, const void *msg, size_t len, char *err, size_t errlen)
{
	const struct nlmsghdr *nlh = msg;
	struct genl_ctx c = {.d = d, .err = err, .errlen = errlen};
	/* libmnl walks attributes up to the aligned end of the message, so
	 * the buffer must hold the padding too (a kernel reply always does). */
	if (len < sizeof(*nlh) || !mnl_nlmsg_ok(nlh, (int)len) || MNL_ALIGN(nlh->nlmsg_len) > len ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr))) {
		snprintf(err, errlen, "malformed WireGuard netlink reply: header");
		return -EPROTO;
	}
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), device_attr, &c) != MNL_CB_OK) {
		if (!err[0])
			snprintf(err, errlen, "malformed WireGuard netlink reply: attributes");
		return -EPROTO;
	}
	d->via = FT_WG_VIA_NETLINK;
	return 0;
}

/* --- the socket side ----------------------------------------------------- */

static int family_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, data);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl_ctx *c = data;
	return ft__wg_genl_parse(c->d, nlh, nlh->nlmsg_len, c->err, c->errlen) < 0 ? MNL_CB_ERROR
										   : MNL_CB_OK;
}

/* Send @nlh and run @cb over the replies until the dump or ack ends. */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		int r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r == MNL_CB_STOP)
			return 0;
		if (r < 0)
			return errno ? -errno : -EPROTO;
	}
}

int ft__wg_genl_get(struct ft_wg_device *d, const char *ifname, char *err, size_t errlen)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	int r;
	err[0] = '\0';
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "generic netlink: %s", strerror(-r));
		goto out;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	uint16_t family = 0;
	errno = 0;
	r = request(nl, nlh, family_cb, &family);
	if (r < 0 || !family) {
		r = -ENOENT;
		snprintf(err, errlen, "the kernel has no WireGuard netlink family");
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL) + 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	struct genl_ctx c = {.d = d, .err = err, .errlen = errlen};
	errno = 0;
	r = request(nl, nlh, dump_cb, &c);
	if (r == -ENODEV || r == -EOPNOTSUPP || r == -EINVAL) {
		snprintf(err, errlen, "%s is not a kernel WireGuard device", ifname);
		r = -ENODEV;
	} else if (r < 0 && !err[0]) {
		snprintf(err, errlen, "WireGuard netlink: %s", strerror(-r));
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return r;
}
