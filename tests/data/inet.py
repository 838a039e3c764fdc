# SPDX-License-Identifier: BSD-2-Clause
"""Checksums and addresses shared by the test capture generators."""
import ipaddress
import struct


def csum(b):
    """The Internet checksum (RFC 1071) of @b."""
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def addr(s):
    """An IPv4 or IPv6 address as packed bytes."""
    return ipaddress.ip_address(s).packed


def l4csum(src, dst, proto, seg):
    """TCP/UDP/ICMPv6 checksum of @seg under the pseudo-header of packed
    addresses @src and @dst."""
    if len(src) == 4:
        ph = src + dst + struct.pack('!BBH', 0, proto, len(seg))
    else:
        ph = src + dst + struct.pack('!IxxxB', len(seg), proto)
    return csum(ph + seg)
