/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kdrops_none.c - the kernel drop source where flowtapd was built without
 * libbpf, clang, bpftool or a kernel BTF to build against: --drops is
 * refused with a message saying so.
 */
#include <errno.h>
#include <stdio.h>

#include "kdrops.h"

int ft__kdrops_new(struct ft_kdrops **out, const struct ft_kdrops_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen,
		 "this flowtapd was built without kernel drop support (it needs libbpf-dev, "
		 "clang, bpftool and /sys/kernel/btf/vmlinux at build time)");
	return -ENOTSUP;
}

int ft__kdrops_start(struct ft_kdrops *k, char *err, size_t errlen)
{
	return -ENOTSUP;
}

void ft__kdrops_free(struct ft_kdrops *k)
{
}

struct ft_tap *ft__kdrops_tap(struct ft_kdrops *k)
{
	return NULL;
}

char *ft__kdrops_status(struct ft_kdrops *k)
{
	return NULL;
}

int ft__kdrops_attached(struct ft_kdrops *k)
{
	return 0;
}
