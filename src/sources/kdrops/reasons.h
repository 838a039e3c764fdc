/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reasons.h - internal: the names of the running kernel's drop reasons, read
 * from its BTF (enum skb_drop_reason), so a kernel newer than the build
 * machine's names its new reasons too.
 */
#ifndef FT_KREASONS_H
#define FT_KREASONS_H

#include <stdint.h>

/* Core reasons are small numbers; subsystem ones carry their id in the high 16 bits. */
#define FT_KREASONS_MAX 1024

struct ft_kreasons {
	char *name[FT_KREASONS_MAX]; /* "NETFILTER_DROP"; NULL: unknown value */
	unsigned n;		     /* values below n may be named */
	unsigned named;		     /* how many are */
};

/* ft__kreasons_load - read the names from the kernel's BTF. Returns 0 or -errno
 * (-ENOENT: no BTF, -ESRCH: no enum skb_drop_reason). */
int ft__kreasons_load(struct ft_kreasons *r);

/* ft__kreasons_name - the name of kernel reason @v; "SUBSYS_<n>" style or
 * "UNKNOWN" for a value the kernel did not name. */
const char *ft__kreasons_name(const struct ft_kreasons *r, uint32_t v);

/* ft__kreasons_category - the shared reason (enum ft_drop_reason of
 * flowtap/tap.h) a kernel reason @name falls under, for flow logs and IPFIX,
 * which name only those: NETFILTER_DROP is acl-denied, IP_RPFILTER
 * foreign-source, NO_SOCKET no-route, QDISC_DROP queue-full, TCP_CSUM
 * invalid; FT_DROP_OTHER for the rest. */
unsigned ft__kreasons_category(const char *name);

void ft__kreasons_free(struct ft_kreasons *r);

#endif
