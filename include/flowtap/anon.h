/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/anon.h - prefix-preserving address pseudonymization (Crypto-PAn)
 * of packets and flow logs, so a capture can be shared.
 *
 * Crypto-PAn (Xu, Fan, Ammar, Moon; ICNP 2002) maps an address bit by bit:
 * output bit i is input bit i XOR the first bit of AES_K(first i input bits
 * followed by the pad's bits). Two addresses that share exactly k leading
 * bits map to two that share exactly k leading bits, and one key gives one
 * mapping everywhere (pcap, pcapng, text, flow logs). The 32-byte key is
 * that of the reference implementation: bytes 0..15 the AES-128 key, bytes
 * 16..31 encrypted with it give the pad. IPv6 uses the same construction
 * over 128 bits.
 *
 * Thread rules: a struct ft_anon caches results and is not thread-safe; use
 * one per thread (ft_anon_new() again with the same key gives the same
 * mapping).
 */
#ifndef FLOWTAP_ANON_H
#define FLOWTAP_ANON_H

#include <flowtap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of a Crypto-PAn key. */
#define FT_ANON_KEY_LEN 32

struct ft_anon;

/**
 * ft_anon_new - an anonymizer for @key (FT_ANON_KEY_LEN bytes, copied).
 * Its memory is bounded (about 1.3 MB of caches) whatever the traffic.
 * Returns 0 or -ENOMEM / -EIO (libcrypto failed).
 */
FT_EXPORT int ft_anon_new(struct ft_anon **out, const uint8_t key[FT_ANON_KEY_LEN]);

/** ft_anon_free - free @a (NULL is allowed); the key is wiped. */
FT_EXPORT void ft_anon_free(struct ft_anon *a);

/**
 * ft_anon_key_load - read a key file: 32 raw bytes, or 64 hex digits and an
 * optional newline. The file must be a regular file that neither group nor
 * others may read or write (mode 0600 or stricter).
 * @err: receives a message naming the problem (FT_ERRBUF_SIZE bytes).
 * Returns 0, -ENOENT/-EACCES/... (cannot open), -EPERM (group or others may
 * read or write it) or -EINVAL (not a key: too short, too long, bad hex).
 */
FT_EXPORT int ft_anon_key_load(const char *path, uint8_t key[FT_ANON_KEY_LEN], char *err);

/**
 * ft_anon_key_new - write a fresh random key (libcrypto's RAND_bytes) to
 * @path as 64 hex digits and a newline, mode 0600; an existing file is not
 * replaced. @err as for ft_anon_key_load().
 * Returns 0, -EEXIST, -EIO (no randomness) or another -errno.
 */
FT_EXPORT int ft_anon_key_new(const char *path, char *err);

/**
 * ft_anon_addr - map @a (len 4 or 16; len 0 is left alone) in place.
 * Hot path: one cache probe when the address was seen; otherwise at most
 * one batched AES call over the uncached prefix bits. No allocation.
 */
FT_EXPORT void ft_anon_addr(struct ft_anon *a, struct ft_addr *addr);

/** ft_anon_ip4 / ft_anon_ip6 - map 4 or 16 bytes at @b in place. */
FT_EXPORT void ft_anon_ip4(struct ft_anon *a, uint8_t b[4]);
FT_EXPORT void ft_anon_ip6(struct ft_anon *a, uint8_t b[16]);

/** Flags of ft_anon_packet(). */
enum {
	/* Keep headers up to the transport layer, cut what follows. */
	FT_ANON_HEADERS_ONLY = 1u << 0,
};

/**
 * ft_anon_dlt_supported - whether ft_anon_packet() understands @dlt:
 * Ethernet, Linux SLL and SLL2, raw IP (DLT_RAW, LINKTYPE_RAW, DLT_IPV4,
 * DLT_IPV6), DLT_NULL and DLT_LOOP.
 */
FT_EXPORT bool ft_anon_dlt_supported(int dlt);

/**
 * ft_anon_packet - pseudonymize the packet @buf (@caplen captured bytes of
 * link type @dlt) in place: IPv4 and IPv6 source and destination (also of
 * tunnelled IP), addresses in ICMP and ICMPv6 errors' quoted headers and in
 * ICMPv6 neighbour discovery targets, ARP sender and target, and DNS A/AAAA
 * records over UDP. The IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums
 * are updated incrementally (RFC 1624), so a correct checksum stays correct
 * and a wrong one stays wrong. Bytes that cannot be parsed (an unknown
 * EtherType, an IP protocol other than TCP, UDP, ICMP, ICMPv6 or IP in IP)
 * are cut, as is everything past the transport header with
 * FT_ANON_HEADERS_ONLY. MAC addresses and other payload are kept. @a may
 * be NULL to cut without mapping.
 * Hot path; every read is bounds-checked.
 * Returns the new captured length (<= @caplen), or FT_ELINKTYPE when @dlt is
 * not supported (then @buf is unchanged).
 */
FT_EXPORT int ft_anon_packet(struct ft_anon *a, uint8_t *buf, uint32_t caplen, int dlt,
			     unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
