/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: addresses, built-in paths and link-type numbers. */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#include <flowtap/common.h>

static const char *const builtin_names[] = {
	[FT_PATH_FROM_LOCAL] = "from-local",
	[FT_PATH_FROM_PEER] = "from-peer",
	[FT_PATH_SYNTHESIZED_TO_LOCAL] = "synthesized-to-local",
	[FT_PATH_SYNTHESIZED_TO_PEER] = "synthesized-to-peer",
};

FT_EXPORT const char *ft_path_builtin_name(unsigned path)
{
	if (path < sizeof(builtin_names) / sizeof(builtin_names[0]))
		return builtin_names[path];
	return NULL;
}

FT_EXPORT enum ft_dir ft_path_builtin_dir(unsigned path)
{
	switch (path) {
	case FT_PATH_FROM_LOCAL:
	case FT_PATH_SYNTHESIZED_TO_PEER:
		return FT_DIR_OUT;
	case FT_PATH_FROM_PEER:
	case FT_PATH_SYNTHESIZED_TO_LOCAL:
		return FT_DIR_IN;
	default:
		return FT_DIR_UNKNOWN;
	}
}

FT_EXPORT int ft_addr_parse(const char *s, struct ft_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->len = 16;
		return 0;
	}
	return -EINVAL;
}

FT_EXPORT char *ft_addr_format(const struct ft_addr *a, char *buf, size_t len)
{
	if (!len)
		return buf;
	buf[0] = '\0';
	if (a->len == 4)
		inet_ntop(AF_INET, a->b, buf, (socklen_t)len);
	else if (a->len == 16)
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	return buf;
}

FT_EXPORT int ft_dlt_to_linktype(int dlt)
{
	/* Only the DLT values that libpcap remaps on Linux differ. */
	switch (dlt) {
	case DLT_RAW:
		return 101;
#ifdef DLT_ATM_RFC1483
	case DLT_ATM_RFC1483:
		return 100;
#endif
	default:
		return dlt;
	}
}
