#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# fuzz/seeds.sh OUTDIR - seed corpora for the fuzz targets, one directory
# per target (OUTDIR/text, OUTDIR/reader, ...), generated from every tcpdump
# test capture in $FT_SHARED/corpus/tcpdump (optional; default ../shared),
# flowtap's own writers ($FT_BUILD/flowtap, optional) and hand-made inputs.
# The whole corpus, never a sample: a sample missed the large packets that
# overflowed the text buffer (issue 11). Targets that do not parse packets
# (api_query, config, flows) get the raw files too: libFuzzer keeps those
# that reach new code. Nothing binary is committed: the corpora are rebuilt
# on demand.
set -euo pipefail
out=${1:?usage: seeds.sh OUTDIR}
src=$(cd "$(dirname "$0")/.." && pwd)
shared=${FT_SHARED:-$src/../shared}
mkdir -p "$out"/{text,reader,user0,psample,api_query,config,flows}

corpus="$shared/corpus/tcpdump"
[ -d "$corpus" ] || { echo "seeds.sh: no $corpus, hand seeds only" >&2; corpus=""; }

# Every capture file as a reader seed (and a raw seed for the targets that
# take no packets); plus pcapng and user0 rewrites of every file by flowtap
# itself when it is built.
if [ -n "$corpus" ]; then
	find "$corpus" -type f | sort | while read -r f; do
		b=$(basename "$f")
		cp "$f" "$out/reader/$b"
		for t in api_query config flows; do cp "$f" "$out/$t/corpus-$b"; done
		if [ -x "${FT_BUILD:-}/flowtap" ]; then
			"$FT_BUILD/flowtap" read -r "$f" -w "$out/reader/$b.ft.pcapng" --format pcapng \
				>/dev/null 2>&1 </dev/null || rm -f "$out/reader/$b.ft.pcapng"
			"$FT_BUILD/flowtap" read -r "$f" -w "$out/reader/$b.ft.user0" --format user0 \
				>/dev/null 2>&1 </dev/null || rm -f "$out/reader/$b.ft.user0"
		fi
	done
fi

python3 - "$out" "$corpus" <<'PY'
import hashlib, os, struct, sys
out, corpus = sys.argv[1], sys.argv[2]

# Link types (LINKTYPE_*) to the selector byte of fuzz_text.c's table.
SEL = {1: 0, 12: 1, 113: 2, 276: 3, 0: 4, 108: 5, 239: 6, 147: 7, 228: 8, 229: 9, 101: 10,
       9: 11, 50: 12, 104: 13}

def packets(path):
    """(linktype, bytes) of a classic pcap or pcapng file; tolerant."""
    d = open(path, 'rb').read()
    if len(d) < 24:
        return
    magic = d[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic[0] in (0xd4, 0x4d) else '>'
        lt = struct.unpack(e + 'I', d[20:24])[0] & 0xffff
        off = 24
        while off + 16 <= len(d):
            cl = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
            if off + 16 + cl > len(d):
                break
            yield lt, d[off + 16:off + 16 + cl]
            off += 16 + cl
    elif magic == b'\x0a\x0d\x0d\x0a':
        e = '<' if d[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        off, lts = 0, []
        while off + 12 <= len(d):
            bt, bl = struct.unpack(e + 'II', d[off:off + 8])
            if bl < 12 or off + bl > len(d):
                break
            body = d[off + 8:off + bl - 4]
            if bt == 0x0a0d0d0a:
                lts = []
            elif bt == 1 and len(body) >= 2:
                lts.append(struct.unpack(e + 'H', body[:2])[0])
            elif bt == 6 and len(body) >= 20:
                iface, _, _, cl = struct.unpack(e + 'IIII', body[:16])
                if iface < len(lts):
                    yield lts[iface], body[20:20 + cl]
            elif bt == 3 and len(body) >= 4 and lts:
                yield lts[0], body[4:]
            off += bl

def put(target, data):
    h = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, target, h), 'wb') as f:
        f.write(data)

seen, ips = set(), []
files = sorted(os.listdir(corpus)) if corpus else []
for name in files:
    try:
        for lt, pkt in packets(os.path.join(corpus, name)):
            if lt not in SEL:
                continue
            # Whole packets: the large ones are the point (a 123 KiB
            # packet overflowed FT_TEXT_MAX).
            k = (lt, hashlib.sha1(pkt).digest())
            if k in seen:
                continue
            seen.add(k)
            # flags: alternate verbose / -A / -x; big output buffer
            put('text', bytes([SEL[lt], len(seen) % 8, 255]) + pkt)
            if lt in (101, 12, 228, 229):
                ips.append(pkt)
            elif lt == 1 and pkt[12:14] in (b'\x08\x00', b'\x86\xdd'):
                ips.append(pkt[14:])
    except OSError:
        pass

# user0: prefix (path u16 LE, len + pre-SNAT, len + pre-DNAT) + IP packet;
# also as text seeds (selector 7).
ip4 = bytes.fromhex('4500001c0001000040117cce0a0000010a000002303900350008e8c6')
for i, ip in enumerate(ips or [ip4]):
    pre = [struct.pack('<HB', i % 5, 0) + b'\0',
           struct.pack('<HB', 1, 4) + bytes([100, 64, 0, 1]) + b'\x04' + bytes([10, 0, 0, 9]),
           struct.pack('<HB', 0xffff, 16) + bytes(range(16)) + b'\0'][i % 3]
    put('user0', pre + ip)
    put('text', bytes([7, i % 8, 255]) + pre + ip)

# psample: nlmsghdr + genlmsghdr + attributes (family id 0x1c, as the
# target patches it in).
def nla(t, v):
    a = struct.pack('=HH', 4 + len(v), t) + v
    return a + b'\0' * (-len(a) % 4)
for i, ip in enumerate([ip for ip in ips if len(ip) < 65000] or [ip4]):
    attrs = (nla(0, struct.pack('=H', 2)) + nla(1, struct.pack('=H', 3)) +
             nla(2, struct.pack('=I', len(ip))) + nla(3, struct.pack('=I', 7)) +
             nla(4, struct.pack('=I', i)) + nla(5, struct.pack('=I', 100)) +
             nla(16, struct.pack('=H', 0x0800)) + nla(6, ip))
    msg = struct.pack('=IHHII', 16 + 4 + len(attrs), 0x1c, 0, i, 0) + bytes([0, 1, 0, 0]) + attrs
    put('psample', msg)
    # NFLOG: nlmsghdr (NFNL_SUBSYS_ULOG<<8 | NFULNL_MSG_PACKET) + nfgenmsg + attrs
    nattrs = (nla(1, struct.pack('>HBB', 0x0800, 3, 0)) + nla(10, b'ftg-prefix\0') +
              nla(9, ip))
    put('psample', struct.pack('=IHHII', 20 + len(nattrs), (4 << 8) | 0, 0, i, 0) +
        bytes([2, 0, 0, 5]) + nattrs)

for i, q in enumerate([b'tap=fuzz&format=pcapng&filter=tcp%20port%2080&path=from-local,7,from-gw'
                       b'&direction=in&snaplen=96&count=10&duration=1m30s&verbose=1&ascii=yes&hex=off',
                       b'duration=500ms&path=254', b'format=text&duration=2.5&count=0',
                       b'path=from-peer%2Cto-local&direction=any']):
    put('api_query', q)

put('config', b'''# flowtapd.conf
socket /run/flowtap/flowtapd.sock
group flowtap
interface eth0
interface any
nflog 5
psample 3
flow-log /var/log/flowtap/flows.jsonl
url http://127.0.0.1:8080/flows
ipfix [::1]:4739
route 10.0.0.0/8
write eth0=/tmp/x.pcapng
spool-dir /var/spool/flowtap
node-id node-1
user flowtap
buffer-size 32M
interval 5s
syslog yes
flows on
log-exit-flows
''')

# flows: log_exit byte, node id, 20-byte updates.
import random
rnd = random.Random(8)
for i in range(8):
    node = ['', 'node-1', 'n\u00e9\"\\\n\t'][i % 3].encode()
    b = bytes([i & 1, len(node)]) + node
    for _ in range(1 + i * 6):
        b += bytes(rnd.randrange(256) for _ in range(20))
    put('flows', b)
print('seeds: %s' % ', '.join('%s %d' % (t, len(os.listdir(os.path.join(out, t))))
                              for t in sorted(os.listdir(out))))
PY

# wireguard: a UAPI answer (first byte odd) and a WG_CMD_GET_DEVICE reply
# with two peers (first byte even), as the kernel and wireguard-go send them.
mkdir -p "$out/wireguard"
python3 - "$out/wireguard" <<'PY'
import socket, struct, sys
out = sys.argv[1]
k = lambda b: bytes([b]) * 32
uapi = ("private_key=" + "11" * 32 + "\nlisten_port=51820\npublic_key=" + "22" * 32 +
        "\nendpoint=192.0.2.7:51821\nlast_handshake_time_sec=1\nlast_handshake_time_nsec=2\n"
        "tx_bytes=3\nrx_bytes=4\npersistent_keepalive_interval=25\nallowed_ip=100.64.0.2/32\n"
        "public_key=" + "33" * 32 + "\nendpoint=[2001:db8::7]:4500\nallowed_ip=0.0.0.0/0\n"
        "allowed_ip=::/0\nerrno=0\n\n")
open(out + "/uapi", "wb").write(b"\x01" + uapi.encode())
def attr(t, p):
    a = struct.pack("=HH", 4 + len(p), t) + p
    return a + b"\0" * (-len(a) % 4)
def nest(t, p): return attr(t | 0x8000, p)
def allowed(i, fam, ip, bits):
    return nest(i, attr(1, struct.pack("=H", fam)) + attr(2, ip) + attr(3, bytes([bits])))
ep4 = struct.pack("=H", socket.AF_INET) + struct.pack(">H", 51821) + socket.inet_aton("192.0.2.7") + b"\0" * 8
ep6 = struct.pack("=H", socket.AF_INET6) + struct.pack(">HI", 4500, 0) + socket.inet_pton(socket.AF_INET6, "2001:db8::7") + b"\0" * 4
p1 = nest(0, attr(1, k(0x22)) + attr(4, ep4) + attr(6, struct.pack("=qq", 1, 2)) +
          attr(7, struct.pack("=Q", 4)) + attr(8, struct.pack("=Q", 3)) + attr(5, struct.pack("=H", 25)) +
          nest(9, allowed(0, socket.AF_INET, socket.inet_aton("100.64.0.2"), 32)))
p2 = nest(1, attr(1, k(0x33)) + attr(4, ep6) +
          nest(9, allowed(0, socket.AF_INET, b"\0" * 4, 0) + allowed(1, socket.AF_INET6, b"\0" * 16, 0)))
body = (struct.pack("=BBH", 0, 1, 0) + attr(1, struct.pack("=I", 7)) + attr(2, b"wg0\0") +
        attr(4, k(0x44)) + attr(6, struct.pack("=H", 51820)) + nest(8, p1 + p2))
msg = struct.pack("=IHHII", 16 + len(body), 0x20, 2, 1, 0) + body
open(out + "/genl", "wb").write(b"\x00" + msg)
PY

# fuzz_bpf: the Ethernet and raw-IP packets of fuzz_text's seeds (selector
# 0 and 10; the packet follows its selector and flag bytes) as
# [0][wire length - captured][packet]; its program mode (odd first byte)
# grows from mutations.
mkdir -p "$out/bpf"
python3 - "$out/text" "$out/bpf" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    d = open(os.path.join(src, name), 'rb').read()
    if d[:1] in (b'\x00', b'\x0a'):
        open(os.path.join(dst, name), 'wb').write(b'\x00\x04' + d[2:])
PY

# fuzz_anon takes fuzz_text's input layout: the same packets.
mkdir -p "$out/anon"
cp "$out/text/." "$out/anon/" -r
