/* SPDX-License-Identifier: BSD-2-Clause */
/* flow_key.h - building flow keys from text in the flow tests. */
#ifndef FT_TEST_FLOW_KEY_H
#define FT_TEST_FLOW_KEY_H

#include <stdint.h>
#include <string.h>

#include <flowtap/flows.h>

static inline struct ft_flow_key mkkey(const char *s, uint16_t sp, const char *d, uint16_t dp,
				       uint8_t proto)
{
	struct ft_flow_key k;
	memset(&k, 0, sizeof(k));
	ft_addr_parse(s, &k.src);
	ft_addr_parse(d, &k.dst);
	k.sport = sp;
	k.dport = dp;
	k.proto = proto;
	return k;
}

#endif
