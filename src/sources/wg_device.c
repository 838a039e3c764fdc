/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_device.c - the decoded WireGuard device: bounded peer and allowed-IP
 * lists, key encoding, and the choice between netlink and the UAPI socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wireguard.h"

void ft__wg_device_clear(struct ft_wg_device *d)
{
	for (size_t i = 0; i < d->npeers; i++)
		free(d->peers[i].allowed);
	free(d->peers);
	memset(d, 0, sizeof(*d));
}

void ft__wg_key_b64(const uint8_t key[FT_WG_KEY_LEN], char out[FT_WG_KEY_B64])
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < FT_WG_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		size_t n = FT_WG_KEY_LEN - i;
		if (n > 1)
			v |= (uint32_t)key[i + 1] << 8;
		if (n > 2)
			v |= key[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = n > 1 ? tab[(v >> 6) & 63] : '=';
		out[o++] = n > 2 ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

struct ft_wg_peer *ft__wg_peer_add(struct ft_wg_device *d, const char *pubkey)
{
	if (d->npeers && strcmp(d->peers[d->npeers - 1].pubkey, pubkey) == 0)
		return &d->peers[d->npeers - 1];
	if (d->npeers >= FT_WG_MAX_PEERS) {
		d->truncated++;
		return NULL;
	}
	if (d->npeers == d->cappeers) {
		size_t cap = d->cappeers ? d->cappeers * 2 : 8;
		struct ft_wg_peer *np = realloc(d->peers, cap * sizeof(*np));
		if (!np)
			return NULL;
		d->peers = np;
		d->cappeers = cap;
	}
	struct ft_wg_peer *p = &d->peers[d->npeers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->pubkey, sizeof(p->pubkey), "%s", pubkey);
	return p;
}

int ft__wg_peer_add_allowed(struct ft_wg_device *d, struct ft_wg_peer *p,
			    const struct ft_prefix *pfx)
{
	if (p->nallowed >= FT_WG_MAX_ALLOWED) {
		d->truncated++;
		return 0;
	}
	if (p->nallowed == p->capallowed) {
		size_t cap = p->capallowed ? p->capallowed * 2 : 4;
		struct ft_prefix *na = realloc(p->allowed, cap * sizeof(*na));
		if (!na)
			return -ENOMEM;
		p->allowed = na;
		p->capallowed = cap;
	}
	p->allowed[p->nallowed++] = *pfx;
	return 0;
}

int ft__wg_read(struct ft_wg_device *d, const char *ifname, const char *uapi_dir, int timeout_ms,
		char *err, size_t errlen)
{
	char nlerr[256] = "";
	ft__wg_device_clear(d);
	int r = ft__wg_genl_get(d, ifname, nlerr, sizeof(nlerr));
	if (r == 0)
		return 0;
	ft__wg_device_clear(d);
	/* Only a kernel that does not know the device (or has no WireGuard
	 * at all) sends us on to the userspace socket; a kernel device that
	 * failed to answer is reported as it is. */
	if (r != -ENOENT && r != -ENODEV) {
		snprintf(err, errlen, "%s", nlerr);
		return r;
	}
	int u = ft__wg_uapi_get(d, uapi_dir ? uapi_dir : FT_WG_UAPI_DIR, ifname, timeout_ms, err,
				errlen);
	if (u == 0)
		return 0;
	ft__wg_device_clear(d);
	if (u == -ENOENT) {
		snprintf(err, errlen,
			 "%s is not a WireGuard device (netlink: %s; no UAPI socket %s/%s.sock)",
			 ifname, nlerr, uapi_dir ? uapi_dir : FT_WG_UAPI_DIR, ifname);
		return -ENODEV;
	}
	return u;
}
