/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * siphash.h - SipHash-1-3 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012; 1 compression and 3 finalization rounds, the
 * variant Rust's and Python's hash tables use) over whole 64-bit words.
 *
 * Hash tables keyed by packet fields use it with a per-process random key:
 * without the key an attacker cannot pick inputs that collide, so the
 * probe chains stay short whatever addresses and ports arrive. It is the
 * reference algorithm restricted to inputs of a whole number of 8-byte
 * words (the length byte goes into the last block as the reference puts
 * it), which is what fixed-layout keys need; inline, since it runs per
 * packet.
 */
#ifndef FT_SIPHASH_H
#define FT_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct ft__sipkey {
	uint64_t k0, k1;
};

#define FT__ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define FT__SIPROUND(v0, v1, v2, v3)                                                               \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = FT__ROTL(v1, 13);                                                             \
		v1 ^= v0;                                                                          \
		v0 = FT__ROTL(v0, 32);                                                             \
		v2 += v3;                                                                          \
		v3 = FT__ROTL(v3, 16);                                                             \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = FT__ROTL(v3, 21);                                                             \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = FT__ROTL(v1, 17);                                                             \
		v1 ^= v2;                                                                          \
		v2 = FT__ROTL(v2, 32);                                                             \
	} while (0)

/* ft__siphash13_words - SipHash-1-3 of the @n words @m (8 * @n bytes, as
 * little-endian words) under @k. Equal to the reference on those bytes. */
static inline uint64_t ft__siphash13_words(const struct ft__sipkey *k, const uint64_t *m, size_t n)
{
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ULL;
	for (size_t i = 0; i < n; i++) {
		v3 ^= m[i];
		FT__SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	uint64_t b = (uint64_t)(n * 8) << 56;
	v3 ^= b;
	FT__SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	FT__SIPROUND(v0, v1, v2, v3);
	FT__SIPROUND(v0, v1, v2, v3);
	FT__SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ft__sipkey_random - a fresh random key (getrandom; without entropy yet,
 * a mix of clocks and addresses, still unknown to a remote peer). */
void ft__sipkey_random(struct ft__sipkey *k);

#endif
