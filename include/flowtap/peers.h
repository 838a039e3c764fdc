/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/peers.h - the peer table: who is behind which address.
 *
 * A datapath tells flowtap which node (peer) owns which addresses and
 * prefixes, so that captures and flow logs can name both ends of a packet:
 * text output prints "100.64.0.2(laptop-b).443", pcapng carries the names in
 * each packet's comment and in a Name Resolution Block, flow-log messages
 * carry "srcNode" and "dstNodes" (see flowtap-text(7), flowtap-flows(5)).
 *
 * A table is built once and then immutable: ft_peers_new(), ft_peers_add()
 * for each node (ft_peers_set_self() for this node), ft_peers_build(). A
 * built table is shared by reference count: ft_tap_set_peers() and
 * ft_flowlog_set_peers() take their own reference, and replacing a table
 * with another one at run time neither stops nor blocks captures or the flow
 * logger; readers never take a lock (the table is published with an atomic
 * pointer swap and retired after a grace period).
 *
 * Lookups are longest-prefix matches over IPv4 and IPv6 in time bounded by
 * log2 of the table's size whatever address is asked (sorted disjoint
 * ranges, binary search: no hashing a remote peer could steer).
 *
 * Example:
 *
 *	struct ft_peers *p;
 *	struct ft_peer n = {.node_id = "n2", .name = "laptop-b", .os = "linux"};
 *	struct ft_prefix a;
 *	ft_prefix_parse("100.64.0.2/32", &a);
 *	n.addrs = &a, n.naddrs = 1;
 *	ft_peers_new(&p);
 *	ft_peers_add(p, &n);
 *	ft_peers_build(p);
 *	ft_tap_set_peers(tap, p);
 *	ft_peers_free(p); // the tap keeps its own reference
 */
#ifndef FLOWTAP_PEERS_H
#define FLOWTAP_PEERS_H

#include <flowtap/common.h>
#include <flowtap/flows.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest node name, in bytes (longer ones are refused). */
#define FT_PEER_NAME_MAX 63

/** One node. Strings are UTF-8; NULL or "" means absent. */
struct ft_peer {
	const char *node_id;	 /* stable node id, e.g. "n7Ld3CNTRL" */
	const char *name;	 /* host name shown in captures, e.g. "laptop-b" */
	const char *os;		 /* e.g. "linux" */
	const char *user;	 /* owner, e.g. "alice@example.com"; or tags */
	const char *const *tags; /* e.g. "tag:server"; used when there is no user */
	unsigned ntags;
	const struct ft_prefix *addrs; /* its addresses and the prefixes it routes */
	unsigned naddrs;
};

struct ft_peers;

/** ft_peers_new - an empty table under construction. Returns 0 or -ENOMEM. */
FT_EXPORT int ft_peers_new(struct ft_peers **out);

/**
 * ft_peers_add - add node @n (everything copied) to a table not yet built.
 * Where prefixes of several nodes overlap, the longest wins; for the same
 * prefix twice, the node added first.
 * Returns 0, -EINVAL (no name or one over FT_PEER_NAME_MAX bytes, bad
 * prefix, table built), -E2BIG (more than
 * 1,000,000 prefixes) or -ENOMEM.
 */
FT_EXPORT int ft_peers_add(struct ft_peers *p, const struct ft_peer *n);

/**
 * ft_peers_set_self - describe this node (the flow logs' "srcNode"); its
 * addresses are looked up like a peer's. Same returns as ft_peers_add().
 */
FT_EXPORT int ft_peers_set_self(struct ft_peers *p, const struct ft_peer *n);

/**
 * ft_peers_build - freeze the table for lookups. Returns 0 or -ENOMEM; after
 * -ENOMEM the table is as before the call and may be built again or freed.
 */
FT_EXPORT int ft_peers_build(struct ft_peers *p);

/**
 * ft_peers_free - drop the caller's reference; the table is freed when the
 * last holder (tap, flow logger, writer) drops its own. NULL ok.
 */
FT_EXPORT void ft_peers_free(struct ft_peers *p);

/** ft_peers_ref - take another reference on a built table; returns @p. */
FT_EXPORT struct ft_peers *ft_peers_ref(struct ft_peers *p);

/**
 * ft_peers_lookup - the node owning @a (longest prefix match), or NULL.
 * Only on a built table. Hot path: no lock, no allocation, about
 * log2(prefixes) comparisons of 32- or 64-bit keys (IPv6 adds a search
 * over the /64s that hold a prefix bound, unless the address is in the
 * /64 with the most), whatever the address. The result lives as long as @p.
 */
FT_EXPORT const struct ft_peer *ft_peers_lookup(const struct ft_peers *p, const struct ft_addr *a);

/** ft_peers_self - this node, or NULL if none was set. */
FT_EXPORT const struct ft_peer *ft_peers_self(const struct ft_peers *p);

/** ft_peers_count - the number of nodes (self included). */
FT_EXPORT size_t ft_peers_count(const struct ft_peers *p);

/** ft_peers_node - node @i (0 <= i < ft_peers_count()), in the order added. */
FT_EXPORT const struct ft_peer *ft_peers_node(const struct ft_peers *p, size_t i);

/** ft_peers_index - the index of @n (a node of @p) for ft_peers_node(). */
FT_EXPORT size_t ft_peers_index(const struct ft_peers *p, const struct ft_peer *n);

/**
 * ft_peers_load_file - read a JSON peer file (flowtap-peers(5)) into a built
 * table in *@out:
 *   {"self": NODE, "peers": [NODE, ...]}
 *   NODE: {"nodeId": "n1", "name": "laptop-b", "addresses": ["100.64.0.2",
 *          "fd7a:115c:a1e0::2/128", "10.0.0.0/24"], "os": "linux",
 *          "user": "alice@example.com" | "tags": ["tag:server"]}
 * @err, @errlen: on failure a message naming the file and the problem:
 * "FILE:LINE:COLUMN: bad JSON: ..." for a syntax error, or the node at fault
 * ("peers[3] (laptop-b): bad address or prefix '100.64.0.300'").
 * Returns 0, -errno of the file, -EINVAL (bad content) or -ENOMEM.
 */
FT_EXPORT int ft_peers_load_file(const char *path, struct ft_peers **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
