/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the --deny policy: drop packets to an IPv4 prefix (and port),
 * reported to the tap as acl-denied with the rule's position as its id. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tunnel.h"

int deny_parse(const char *s, struct tun_cfg *c)
{
	struct deny_rule *r = &c->deny[c->ndeny];
	char buf[64], *colon, *end;
	struct ipnet n;
	unsigned long port = 0;

	if (c->ndeny == TUN_MAX_DENY) {
		fprintf(stderr, TUN_PROG ": bad --deny '%s': at most %d rules\n", s, TUN_MAX_DENY);
		return -EINVAL;
	}
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || port == 0 || port > 65535)
			goto bad;
	}
	if (tun_parse_ipnet(buf, &n) < 0 || n.addr.len != 4)
		goto bad;
	r->mask_be = n.plen ? htonl(~0u << (32 - n.plen)) : 0;
	memcpy(&r->net_be, n.addr.b, 4);
	r->net_be &= r->mask_be;
	r->port = (uint16_t)port;
	c->ndeny++;
	return 0;
bad:
	fprintf(stderr, TUN_PROG ": bad --deny '%s': expected CIDR[:PORT] (IPv4, port 1-65535)\n",
		s);
	return -EINVAL;
}

/* First match wins, as in any ACL; a port rule matches TCP and UDP only
 * (a later fragment, without ports, is not matched by it). */
unsigned deny_match(const struct tun_cfg *c, const struct ip4 *v)
{
	for (int i = 0; i < c->ndeny; i++) {
		const struct deny_rule *r = &c->deny[i];
		if ((v->dst_be & r->mask_be) != r->net_be)
			continue;
		if (r->port &&
		    !(v->has_l4 && (v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP) &&
		      v->dport == r->port))
			continue;
		return (unsigned)i + 1;
	}
	return 0;
}
