/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wireguard.h - internal: what flowtapd reads of a WireGuard device.
 *
 * WireGuard publishes its configuration two ways: the kernel module through
 * the "wireguard" generic netlink family (WG_CMD_GET_DEVICE, a dump whose
 * replies may split one peer's allowed IPs across messages), and userspace
 * implementations (wireguard-go, boringtun) through the cross-platform UAPI
 * on a Unix socket, /var/run/wireguard/IFACE.sock ("get=1\n\n", answered with
 * key=value lines). Both are decoded into one struct ft_wg_device.
 *
 * Private and preshared keys are never stored: the decoders skip them, so no
 * later code can log or expose them by mistake.
 *
 * Memory is bounded: at most FT_WG_MAX_PEERS peers and FT_WG_MAX_ALLOWED
 * allowed IPs per peer are kept (the rest are counted in @truncated), and a
 * UAPI answer longer than FT_WG_UAPI_MAX bytes is refused.
 */
#ifndef FT_WIREGUARD_H
#define FT_WIREGUARD_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtap/flows.h>

#define FT_WG_KEY_LEN	  32
#define FT_WG_KEY_B64	  45 /* 44 base64 characters and a NUL */
#define FT_WG_MAX_PEERS	  65536
#define FT_WG_MAX_ALLOWED 4096
#define FT_WG_UAPI_MAX	  (16u << 20)
#define FT_WG_UAPI_DIR	  "/var/run/wireguard"

enum ft_wg_via {
	FT_WG_VIA_NONE = 0,
	FT_WG_VIA_NETLINK = 1, /* the kernel module */
	FT_WG_VIA_UAPI = 2,    /* a userspace implementation's socket */
};

struct ft_wg_peer {
	char pubkey[FT_WG_KEY_B64]; /* base64, as `wg` prints it */
	bool has_endpoint;
	struct ft_addr ep;
	uint16_t ep_port;
	struct ft_prefix *allowed;
	size_t nallowed, capallowed;
	uint64_t rx_bytes, tx_bytes;
	int64_t hs_sec, hs_nsec; /* last handshake, Unix time; 0 = never */
	uint16_t keepalive;	 /* persistent keepalive interval, s */
};

struct ft_wg_device {
	enum ft_wg_via via;
	char ifname[IF_NAMESIZE];
	uint32_t ifindex;
	char pubkey[FT_WG_KEY_B64]; /* "" when not known */
	uint16_t listen_port;
	struct ft_wg_peer *peers;
	size_t npeers, cappeers;
	uint64_t truncated; /* peers or allowed IPs left out by the bounds */
};

/** ft__wg_device_clear - free what @d holds and zero it. */
void ft__wg_device_clear(struct ft_wg_device *d);

/** ft__wg_key_b64 - encode a 32-byte key as base64 into @out (45 bytes). */
void ft__wg_key_b64(const uint8_t key[FT_WG_KEY_LEN], char out[FT_WG_KEY_B64]);

/**
 * ft__wg_peer_find_or_add - the peer with @pubkey, added at the end if it is
 * not the last one (a netlink dump continues the last peer in the next
 * message). Returns NULL when the peer bound is reached or on ENOMEM.
 */
struct ft_wg_peer *ft__wg_peer_add(struct ft_wg_device *d, const char *pubkey);

/** ft__wg_peer_add_allowed - append @p (bounded). Returns 0 or -ENOMEM. */
int ft__wg_peer_add_allowed(struct ft_wg_device *d, struct ft_wg_peer *p,
			    const struct ft_prefix *pfx);

/**
 * ft__wg_uapi_parse - decode a UAPI "get=1" answer of @len bytes at @text
 * into @d (which must be zeroed or cleared). The answer ends with an
 * "errno=N" line and an empty line. Returns 0; -EPROTO for a malformed
 * answer (message in @err), or -N for an "errno=N" answer other than 0.
 */
int ft__wg_uapi_parse(struct ft_wg_device *d, const char *text, size_t len, char *err,
		      size_t errlen);

/**
 * ft__wg_uapi_get - ask the UAPI socket @dir/@ifname.sock ("get=1") and
 * decode the answer into @d. Waits at most @timeout_ms in all.
 * Returns 0, -ENOENT (no such socket), -EACCES, -ETIMEDOUT, -EPROTO, or
 * another -errno; @err says what happened.
 */
int ft__wg_uapi_get(struct ft_wg_device *d, const char *dir, const char *ifname, int timeout_ms,
		    char *err, size_t errlen);

/**
 * ft__wg_genl_parse - decode one WG_CMD_GET_DEVICE reply message (a
 * struct nlmsghdr with its genl header and attributes, @len bytes) into
 * @d, continuing the last peer when the message repeats its key.
 * Returns 0 or -EPROTO (malformed; message in @err).
 */
int ft__wg_genl_parse(struct ft_wg_device *d, const void *msg, size_t len, char *err,
		      size_t errlen);

/**
 * ft__wg_genl_get - dump @ifname through the kernel's "wireguard" generic
 * netlink family into @d. Returns 0, -ENOENT (no such family: the module is
 * not loaded), -ENODEV (no such WireGuard device), -EPERM, or another -errno;
 * @err says what happened.
 */
int ft__wg_genl_get(struct ft_wg_device *d, const char *ifname, char *err, size_t errlen);

/**
 * ft__wg_read - read @ifname by netlink, then by the UAPI socket in @uapi_dir
 * (NULL: FT_WG_UAPI_DIR). Returns 0 (d->via says how), -ENODEV when neither
 * knows the device (not WireGuard), or the error of the one that knows it
 * but failed; @err says what happened.
 */
int ft__wg_read(struct ft_wg_device *d, const char *ifname, const char *uapi_dir, int timeout_ms,
		char *err, size_t errlen);

#endif
