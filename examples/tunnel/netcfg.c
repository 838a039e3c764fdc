/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: interface configuration over rtnetlink (libmnl): link up with an MTU, addresses,
 * routes. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tunnel.h"

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE is not a constant */
};

/* Send one request and wait for its acknowledgement. Returns 0 or -errno. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh)
{
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
	if (n < 0)
		return -errno;
	ret = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, NULL, NULL);
	return ret < 0 ? -errno : 0;
}

static struct nlmsghdr *nl_new(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return nlh;
}

static int link_up(struct nl *nl, int ifindex, int mtu)
{
	struct nlmsghdr *nlh = nl_new(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	return nl_talk(nl, nlh);
}

static int addr_add(struct nl *nl, int ifindex, const struct ipnet *n)
{
	struct nlmsghdr *nlh = nl_new(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = n->addr.len == 4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = n->plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	/* Duplicate address detection would hold an IPv6 address back for a
	 * second or two on a link that has only us and the peer. */
	if (n->addr.len == 16)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, n->addr.len, n->addr.b);
	mnl_attr_put(nlh, IFA_ADDRESS, n->addr.len, n->addr.b);
	return nl_talk(nl, nlh);
}

static int route_add(struct nl *nl, int ifindex, const struct ipnet *n)
{
	struct nlmsghdr *nlh = nl_new(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct ft_addr dst = n->addr;

	/* The kernel wants the host bits clear. */
	for (unsigned i = 0; i < dst.len; i++) {
		unsigned bits = n->plen > i * 8 ? n->plen - i * 8 : 0;
		dst.b[i] &= bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
	}
	rtm->rtm_family = dst.len == 4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = n->plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, dst.len, dst.b);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return nl_talk(nl, nlh);
}

static void ipnet_text(const struct ipnet *n, char *buf, size_t len)
{
	char a[64];
	snprintf(buf, len, "%s/%u", ft_addr_format(&n->addr, a, sizeof(a)), n->plen);
}

/* Routes that the service and DNAT addresses need so the local stack sends
 * them into the tunnel, as /32 host routes. */
static int host_routes(struct nl *nl, int ifindex, const struct tun_cfg *c, struct netcfg_err *e)
{
	struct ipnet h = {.addr = {.len = 4}, .plen = 32};
	int ret;

	for (int i = -1; i < c->ndnat; i++) {
		uint32_t a = i < 0 ? c->service_be : c->dnat[i].service_be;
		memcpy(h.addr.b, &a, 4);
		ret = route_add(nl, ifindex, &h);
		if (ret < 0) {
			e->what = "add route";
			ipnet_text(&h, e->subject, sizeof(e->subject));
			return ret;
		}
	}
	return 0;
}

/* Without an IPv6 tunnel address the kernel would still give the interface
 * a link-local address and send router solicitations and MLD reports into
 * the tunnel: noise in every capture and flow log. */
static int no_ipv6(const char *ifname, const struct tun_cfg *c)
{
	char path[128];
	FILE *f;

	for (int i = 0; i < c->naddrs; i++)
		if (c->addrs[i].addr.len == 16)
			return 0;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	f = fopen(path, "w");
	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6 in this kernel: fine */
	fputs("1\n", f);
	return fclose(f) ? -errno : 0;
}

/*
 * netcfg_apply - set @ifname up with the configured MTU, add its addresses,
 * the --route routes and host routes for the service and DNAT addresses.
 * Returns 0 or -errno, with @e naming the step and its subject.
 */
int netcfg_apply(const char *ifname, const struct tun_cfg *c, struct netcfg_err *e)
{
	struct nl *nl = NULL;
	int ret = -ENODEV, ifindex = (int)if_nametoindex(ifname);

	e->what = "find interface";
	snprintf(e->subject, sizeof(e->subject), "%s", ifname);
	if (!ifindex)
		goto out;
	ret = -ENOMEM;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		goto out;
	e->what = "open rtnetlink socket";
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	e->subject[0] = '\0';
	e->what = "disable IPv6";
	ret = no_ipv6(ifname, c);
	if (ret < 0)
		goto out;
	e->what = "set link up";
	ret = link_up(nl, ifindex, c->mtu);
	if (ret < 0)
		goto out;
	for (int i = 0; i < c->naddrs; i++) {
		e->what = "add address";
		ipnet_text(&c->addrs[i], e->subject, sizeof(e->subject));
		ret = addr_add(nl, ifindex, &c->addrs[i]);
		if (ret < 0)
			goto out;
	}
	for (int i = 0; i < c->nroutes; i++) {
		e->what = "add route";
		ipnet_text(&c->routes[i], e->subject, sizeof(e->subject));
		ret = route_add(nl, ifindex, &c->routes[i]);
		if (ret < 0)
			goto out;
	}
	ret = host_routes(nl, ifindex, c, e);
out:
	if (nl && nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
	return ret;
}
