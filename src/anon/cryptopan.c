/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: Crypto-PAn prefix-preserving address pseudonymization, with
 * bounded caches so that a capture pays for each address about once.
 *
 * Xu, Fan, Ammar, Moon: "Prefix-Preserving IP Address Anonymization",
 * ICNP 2002. Output bit i = input bit i XOR msb(AES_K(P_i)), where P_i is
 * the pad with its first i bits replaced by the input's first i bits. P_i
 * depends only on the input, never on earlier output, so all the blocks of
 * one address go to libcrypto in one ECB call (AES-NI pipelines them).
 *
 * Caches (all filled with a valid entry at creation, so no valid flags):
 *  - IPv4: a table of the 16 high mask bits of every /16 (those bits only
 *    depend on the /16) and a direct-mapped cache of whole addresses;
 *  - IPv6: a direct-mapped cache of the 64 high mask bits per /64 and one
 *    of whole addresses.
 * A miss costs a bounded number of AES blocks (16 for IPv4 under a known
 * /16, 64 for IPv6 under a known /64, 32 and 128 at most), so addresses
 * chosen to collide in the caches only make every lookup a miss: linear
 * cost, fixed memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <flowtap/anon.h>

#define C4_BITS 16
#define C6_BITS 13
#define P6_BITS 12

struct c4 {
	uint32_t in, out;
};

struct c6 {
	uint8_t in[16], out[16];
};

struct p6 {
	uint64_t in, mask;
};

struct ft_anon {
	EVP_CIPHER_CTX *ctx;
	uint8_t pad[16];
	uint8_t blk_in[128 * 16], blk_out[128 * 16 + 16];
	uint32_t hi4[1u << 16]; /* bit 31 set: bits 15..0 are the /16's mask */
	struct c4 c4[1u << C4_BITS];
	struct c6 c6[1u << C6_BITS];
	struct p6 p6[1u << P6_BITS];
};

static uint64_t ld64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void st64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

/* Sets bits [from, to) of @mask (big-endian bit order, as the address). */
static void mask_bits(struct ft_anon *a, const uint8_t *addr, unsigned from, unsigned to,
		      uint8_t *mask)
{
	unsigned n = to - from;
	int outl = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned pos = from + i;
		uint8_t *b = a->blk_in + 16 * i;

		memcpy(b, a->pad, 16);
		memcpy(b, addr, pos / 8);
		if (pos % 8) {
			uint8_t m = (uint8_t)(0xff << (8 - pos % 8));
			b[pos / 8] = (uint8_t)((addr[pos / 8] & m) | (a->pad[pos / 8] & ~m));
		}
	}
	/* ECB without padding on a set-up context cannot fail. */
	EVP_EncryptUpdate(a->ctx, a->blk_out, &outl, a->blk_in, (int)(16 * n));
	for (unsigned i = 0; i < n; i++) {
		unsigned pos = from + i;
		if (a->blk_out[16 * i] & 0x80)
			mask[pos / 8] |= (uint8_t)(0x80 >> (pos % 8));
	}
}

static uint32_t map4(struct ft_anon *a, uint32_t in)
{
	struct c4 *e = &a->c4[(in * 0x9E3779B1u) >> (32 - C4_BITS)];
	uint8_t addr[4] = {(uint8_t)(in >> 24), (uint8_t)(in >> 16), (uint8_t)(in >> 8),
			   (uint8_t)in};
	uint8_t mask[4] = {0};
	uint32_t *hi = &a->hi4[in >> 16];

	if (e->in == in)
		return e->out;
	if (!(*hi & 0x80000000u)) {
		mask_bits(a, addr, 0, 16, mask);
		*hi = 0x80000000u | (uint32_t)mask[0] << 8 | mask[1];
		mask[0] = mask[1] = 0;
	}
	mask_bits(a, addr, 16, 32, mask);
	e->in = in;
	e->out = in ^ ((*hi & 0xffff) << 16 | (uint32_t)mask[2] << 8 | mask[3]);
	return e->out;
}

static uint64_t hash6(uint64_t h, uint64_t l)
{
	return (h * 0x9E3779B97F4A7C15ull) ^ (l * 0xC2B2AE3D27D4EB4Full);
}

static void map6(struct ft_anon *a, uint8_t b[16])
{
	uint64_t h = ld64(b), l = ld64(b + 8);
	struct c6 *e = &a->c6[hash6(h, l) >> (64 - C6_BITS)];
	struct p6 *p = &a->p6[(h * 0x9E3779B97F4A7C15ull) >> (64 - P6_BITS)];
	uint8_t mask[16] = {0};

	if (!memcmp(e->in, b, 16)) {
		memcpy(b, e->out, 16);
		return;
	}
	if (p->in != h) {
		mask_bits(a, b, 0, 64, mask);
		p->in = h;
		p->mask = ld64(mask);
	}
	mask_bits(a, b, 64, 128, mask);
	memcpy(e->in, b, 16);
	st64(b, h ^ p->mask);
	st64(b + 8, l ^ ld64(mask + 8));
	memcpy(e->out, b, 16);
}

void ft_anon_ip4(struct ft_anon *a, uint8_t b[4])
{
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	v = map4(a, v);
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

void ft_anon_ip6(struct ft_anon *a, uint8_t b[16])
{
	map6(a, b);
}

void ft_anon_addr(struct ft_anon *a, struct ft_addr *addr)
{
	if (addr->len == 4)
		ft_anon_ip4(a, addr->b);
	else if (addr->len == 16)
		ft_anon_ip6(a, addr->b);
}

/* Fill every cache slot with the mapping of the zero address, which makes
 * each slot valid without a flag. */
static void prime(struct ft_anon *a)
{
	uint8_t zero[16] = {0}, mask[16] = {0};
	size_t i;

	mask_bits(a, zero, 0, 128, mask);
	for (i = 0; i < sizeof(a->c6) / sizeof(a->c6[0]); i++) {
		memset(a->c6[i].in, 0, 16);
		memcpy(a->c6[i].out, mask, 16);
	}
	for (i = 0; i < sizeof(a->p6) / sizeof(a->p6[0]); i++)
		a->p6[i] = (struct p6){0, ld64(mask)};
	memset(mask, 0, sizeof(mask));
	mask_bits(a, zero, 0, 32, mask);
	for (i = 0; i < sizeof(a->c4) / sizeof(a->c4[0]); i++)
		a->c4[i] = (struct c4){0, (uint32_t)mask[0] << 24 | (uint32_t)mask[1] << 16 |
					      (uint32_t)mask[2] << 8 | mask[3]};
	memset(a->hi4, 0, sizeof(a->hi4));
}

int ft_anon_new(struct ft_anon **out, const uint8_t key[FT_ANON_KEY_LEN])
{
	struct ft_anon *a;
	int outl = 0, ret = -ENOMEM;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->ctx = EVP_CIPHER_CTX_new();
	if (!a->ctx)
		goto fail;
	ret = -EIO;
	if (EVP_EncryptInit_ex(a->ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(a->ctx, 0) != 1)
		goto fail;
	/* The reference implementation's pad: the key's second half, encrypted. */
	if (EVP_EncryptUpdate(a->ctx, a->blk_out, &outl, key + 16, 16) != 1 || outl != 16)
		goto fail;
	memcpy(a->pad, a->blk_out, 16);
	prime(a);
	*out = a;
	return 0;
fail:
	ft_anon_free(a);
	return ret;
}

void ft_anon_free(struct ft_anon *a)
{
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->ctx);
	/* The caches reveal the mapping as much as the key does. */
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}
