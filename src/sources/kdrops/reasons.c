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

void ft__kreasons_free(struct ft_kreasons *r)
{
	for (unsigned i = 0; i < FT_KREASONS_MAX; i++)
		free(r->name[i]);
	memset(r, 0, sizeof(*r));
}
