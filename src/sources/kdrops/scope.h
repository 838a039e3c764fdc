/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * scope.h - internal: which drops the operator asked for (network
 * namespaces, interfaces) and the tap path each interface's drops go to.
 *
 * Paths are named after the interfaces known at start: "IF" for flowtapd's
 * own namespace or a single namespace given, "NS.IF" when several
 * namespaces are in scope. Drops on an interface created later, or without
 * one, go to path 4 "drops".
 */
#ifndef FT_KSCOPE_H
#define FT_KSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_KSCOPE_MAX_NS  64
#define FT_KSCOPE_MAX_IFS 251 /* paths 5..255 */

struct ft_kscope_if {
	uint32_t netns, ifindex;
	unsigned path;
	char name[32];
};

struct ft_kscope {
	bool by_netns; /* filter in the kernel by namespace */
	bool by_if;    /* filter in the kernel by interface */
	uint32_t netns[FT_KSCOPE_MAX_NS];
	int nnetns;
	struct ft_kscope_if ifs[FT_KSCOPE_MAX_IFS]; /* sorted by (netns, ifindex) */
	int nifs;
	char desc[256]; /* for status: "all", "netns a b", "interface veth0" */
};

/*
 * ft__kscope_resolve - resolve namespaces (names under /run/netns or paths)
 * and interface names (in each namespace given, else in ours) into @s.
 * Entering another namespace to list its interfaces needs CAP_SYS_ADMIN.
 * Returns 0 or -errno with a message in @err.
 */
int ft__kscope_resolve(struct ft_kscope *s, const char *const *netns, int nnetns,
		       const char *const *ifnames, int nifnames, char *err, size_t errlen);

/* ft__kscope_find - the interface entry of (@netns, @ifindex), NULL if none. Hot path. */
const struct ft_kscope_if *ft__kscope_find(const struct ft_kscope *s, uint32_t netns,
					   uint32_t ifindex);

#endif
