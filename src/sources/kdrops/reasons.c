/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reasons.c - enum skb_drop_reason from /sys/kernel/btf/vmlinux (libbpf),
 * named as the kfree_skb tracepoint prints them: SKB_DROP_REASON_NO_SOCKET
 * becomes "NO_SOCKET".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <flowtap/tap.h>

#include "reasons.h"

#define PREFIX "SKB_DROP_REASON_"

/* Markers of the enum, not reasons a packet is dropped for. */
static bool is_marker(const char *n)
{
	return !strcmp(n, "SKB_NOT_DROPPED_YET") || !strcmp(n, "SKB_CONSUMED") ||
	       !strcmp(n, PREFIX "MAX") || !strncmp(n, PREFIX "SUBSYS_", strlen(PREFIX "SUBSYS_"));
}

int ft__kreasons_load(struct ft_kreasons *r)
{
	struct btf *btf;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return errno ? -errno : -ENOENT;
	int id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0) {
		ret = -ESRCH;
		goto out;
	}
	const struct btf_type *t = btf__type_by_id(btf, (__u32)id);
	const struct btf_enum *e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);
		uint32_t v = (uint32_t)e->val;
		if (!n || is_marker(n) || v >= FT_KREASONS_MAX)
			continue;
		if (!strncmp(n, PREFIX, strlen(PREFIX)))
			n += strlen(PREFIX);
		free(r->name[v]);
		if (!(r->name[v] = strdup(n))) {
			ret = -ENOMEM;
			goto out;
		}
		r->named++;
		if (v + 1 > r->n)
			r->n = v + 1;
	}
out:
	btf__free(btf);
	if (ret < 0)
		ft__kreasons_free(r);
	return ret;
}

const char *ft__kreasons_name(const struct ft_kreasons *r, uint32_t v)
{
	if (v < r->n && r->name[v])
		return r->name[v];
	/* Subsystem reasons (mac80211, openvswitch) are in their own enums. */
	return (v & 0xffff0000u) ? "SUBSYSTEM" : "UNKNOWN";
}

/* First match wins: an entry ending in '*' matches names it starts. */
static const struct {
	const char *pat;
	unsigned id;
} categories[] = {
    {"PKT_TOO_BIG", FT_DROP_MTU},
    {"QDISC_OVERLIMIT", FT_DROP_RATE_LIMIT},
    {"NETFILTER_DROP", FT_DROP_ACL},
    {"SOCKET_FILTER", FT_DROP_ACL},
    {"BPF_CGROUP_*", FT_DROP_ACL},
    {"TC_EGRESS", FT_DROP_ACL},
    {"TC_INGRESS", FT_DROP_ACL},
    {"XFRM_POLICY", FT_DROP_ACL},
    {"SECURITY_HOOK", FT_DROP_ACL},
    {"XDP", FT_DROP_ACL},
    {"TAP_*FILTER", FT_DROP_ACL},
    {"IP_RPFILTER", FT_DROP_FOREIGN},
    {"IP_LOCAL_SOURCE", FT_DROP_FOREIGN},
    {"IP_INVALID_SOURCE", FT_DROP_FOREIGN},
    {"MAC_INVALID_SOURCE", FT_DROP_FOREIGN},
    {"OTHERHOST", FT_DROP_FOREIGN},
    {"NO_SOCKET", FT_DROP_NO_ROUTE},
    {"IP_OUTNOROUTES", FT_DROP_NO_ROUTE},
    {"IP_INNOROUTES", FT_DROP_NO_ROUTE},
    {"IP_INADDRERRORS", FT_DROP_NO_ROUTE},
    {"IP_INVALID_DEST", FT_DROP_NO_ROUTE},
    {"NO_TX_TARGET", FT_DROP_NO_ROUTE},
    {"NEIGH_QUEUEFULL", FT_DROP_QUEUE_FULL},
    {"NEIGH_*", FT_DROP_NO_ROUTE},
    {"SOCKET_RCVBUFF", FT_DROP_QUEUE_FULL},
    {"SOCKET_BACKLOG", FT_DROP_QUEUE_FULL},
    {"PROTO_MEM", FT_DROP_QUEUE_FULL},
    {"QDISC_*", FT_DROP_QUEUE_FULL},
    {"FQ_*", FT_DROP_QUEUE_FULL},
    {"CAKE_FLOOD", FT_DROP_QUEUE_FULL},
    {"CPU_BACKLOG", FT_DROP_QUEUE_FULL},
    {"FULL_RING", FT_DROP_QUEUE_FULL},
    {"NOMEM", FT_DROP_QUEUE_FULL},
    {"TCP_LISTEN_OVERFLOW", FT_DROP_QUEUE_FULL},
    {"TCP_MINTTL", FT_DROP_TTL},
    {"IP_CSUM", FT_DROP_INVALID},
    {"IP_INHDR", FT_DROP_INVALID},
    {"PKT_TOO_SMALL", FT_DROP_INVALID},
    {"HDR_TRUNC", FT_DROP_INVALID},
    {"INVALID_PROTO", FT_DROP_INVALID},
    {"IPV6_BAD_EXTHDR", FT_DROP_INVALID},
    {"VXLAN_INVALID_HDR", FT_DROP_INVALID},
    {"DEV_HDR", FT_DROP_INVALID},
    {"SKB_CSUM", FT_DROP_INVALID},
    {"UDP_CSUM", FT_DROP_INVALID},
    {"ICMP_CSUM", FT_DROP_INVALID},
    {"TCP_*", FT_DROP_INVALID}, /* checksums, sequence, options, auth */
};

static bool matches(const char *pat, const char *name)
{
	const char *star = strchr(pat, '*');
	if (!star)
		return !strcmp(pat, name);
	size_t pre = (size_t)(star - pat), suf = strlen(star + 1), n = strlen(name);
	return n >= pre + suf && !strncmp(pat, name, pre) && !strcmp(name + n - suf, star + 1);
}

unsigned ft__kreasons_category(const char *name)
{
	for (size_t i = 0; name && i < sizeof(categories) / sizeof(categories[0]); i++)
		if (matches(categories[i].pat, name))
			return categories[i].id;
	return FT_DROP_OTHER;
}

void ft__kreasons_free(struct ft_kreasons *r)
{
	for (unsigned i = 0; i < FT_KREASONS_MAX; i++)
		free(r->name[i]);
	memset(r, 0, sizeof(*r));
}
