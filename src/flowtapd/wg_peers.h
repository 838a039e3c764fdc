/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_peers.h - WireGuard peers as nodes of the peer table (flowtap/peers.h),
 * so captures and flow logs name the peer of each packet and flow.
 *
 * A peer's node id is its public key (base64, as `wg` prints it); its
 * addresses are its allowed IPs (a 0.0.0.0/0 or ::/0 left out: an exit
 * peer does not own the Internet's addresses). Its name, OS, user and tags
 * come from the operator's peer file (flowtap-peers(5)) where an entry
 * matches: first one whose "nodeId" is the key, else the one owning the
 * peer's overlay address; that entry's addresses are added to the peer's.
 * Without a match the name is "wg-" and the key's first 8 characters
 * ('+' and '/' as '-' and '_'). File entries no peer matched are kept as
 * they are, and so is the file's self; without one, a device whose own
 * public key is known (the kernel module tells it) is self, named after
 * the host.
 */
#ifndef FTD_WG_PEERS_H
#define FTD_WG_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include <flowtap/peers.h>

#include "sources/wireguard.h"

/*
 * ftd_wg_peers_build - the table for devices @devs (@ndevs of them) and
 * the peer file's table @file (NULL: none), built, in *@out. @err gets
 * what was left out (e.g. more than the table's prefix bound), "" if
 * nothing. O((peers + file nodes) log). Returns 0 or -ENOMEM.
 */
int ftd_wg_peers_build(const struct ft_wg_device *const *devs, size_t ndevs,
		       const struct ft_peers *file, struct ft_peers **out, char *err,
		       size_t errlen);

/* ftd_wg_peers_hash - a hash of what the table is built from (keys and
 * allowed IPs), to rebuild it only when that changed. */
uint64_t ftd_wg_peers_hash(const struct ft_wg_device *const *devs, size_t ndevs);

#endif
