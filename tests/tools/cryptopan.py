#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""cryptopan.py KEYFILE ADDRESS... - a second, independent Crypto-PAn (IPv4
and IPv6) to check flowtap's against: Python integers for the bits and the
openssl command for AES-128-ECB, one call per address. Prints one mapped
address per line."""
import ipaddress
import subprocess
import sys


def aes_ecb(key, data):
    return subprocess.run(["openssl", "enc", "-aes-128-ecb", "-nopad", "-nosalt",
                           "-K", key.hex()], input=data, capture_output=True,
                          check=True).stdout


def read_key(path):
    raw = open(path, "rb").read()
    return raw if len(raw) == 32 else bytes.fromhex(raw.decode().strip())


def cryptopan(key, pad, addr):
    bits = 32 if addr.version == 4 else 128
    a = int(addr) << (128 - bits)  # the address fills the block's first bits
    blocks = b""
    for pos in range(bits):
        low = (1 << (128 - pos)) - 1
        blocks += ((a & ~low & ((1 << 128) - 1)) | (pad & low)).to_bytes(16, "big")
    out = aes_ecb(key[:16], blocks)
    mask = 0
    for pos in range(bits):
        mask = mask << 1 | out[16 * pos] >> 7
    return ipaddress.ip_address(int(addr) ^ mask)


def main():
    key = read_key(sys.argv[1])
    # The reference's pad: the key's second half, encrypted under the first.
    pad = int.from_bytes(aes_ecb(key[:16], key[16:]), "big")
    for s in sys.argv[2:]:
        print(cryptopan(key, pad, ipaddress.ip_address(s)))


main()
