#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd on a tun interface (the layer-3 datapaths: tun, WireGuard): the
# tap is raw IP, so the established user0 stream works, and the direction of
# each packet comes from the kernel: pings written into the tun arrive
# (inbound), the kernel's replies leave through it (outbound).
FTF_TAG=t
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need tshark curl python3
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
TUN=ftf-tun$$
TUN=${TUN:0:15}
ip netns add "$NSB" || fail "cannot create namespace"
ip -n "$NSB" link set lo up
# No IPv6: the kernel's router solicitations on the new device would land
# among the pings at a time of their own (seen as a stray first packet).
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.default.disable_ipv6=1

# A tun owner in the namespace: creates the device, then on "go" writes 3
# ICMP echo requests 10.9.0.2 -> 10.9.0.1 and reads the kernel's replies.
ip netns exec "$NSB" python3 - "$TUN" "$TMP" <<'PY' &
import fcntl, os, select, struct, sys, time
name, tmp = sys.argv[1], sys.argv[2]
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))
open(tmp + "/tun.ready", "w").close()
while not os.path.exists(tmp + "/tun.go"):
    time.sleep(0.02)
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = bytes([10, 9, 0, 2]), bytes([10, 9, 0, 1])
replies = 0
for seq in range(1, 4):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + b"ftf" * 10
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64, 1, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    os.write(fd, ip + icmp)
    end = time.time() + 2
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r and os.read(fd, 2048)[20] == 0:
            replies += 1
            break
open(tmp + "/tun.replies", "w").write(str(replies))
while not os.path.exists(tmp + "/tun.done"):  # keep the device until the capture ends
    time.sleep(0.02)
PY
owner=$!
for _ in $(seq 100); do [ -e "$TMP/tun.ready" ] && break; sleep 0.05; done
[ -e "$TMP/tun.ready" ] || fail "cannot create a tun device"
ip -n "$NSB" addr add 10.9.0.1/24 dev "$TUN"
ip -n "$NSB" link set "$TUN" up
ip netns exec "$NSB" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec "$NSB" sysctl -qw net.ipv4.conf."$TUN".rp_filter=0

start_flowtapd --interface "$TUN"
dlt=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["taps"][0]["dlt"])')
[ "$dlt" = 12 ] || [ "$dlt" = 14 ] || fail "tun tap has link type $dlt, expected raw IP"
# The established stream (no parameters: user0) and a pcapng side by side.
curl -sN --unix-socket "$SOCK" -X POST -o "$TMP/u0.pcap" \
	http://local/localapi/v0/debug-capture &
c1=$!
"$FT" capture --socket "$SOCK" --format pcapng -w "$TMP/tun.pcapng" 2>"$TMP/cap.err" &
c2=$!
wait_sessions 2
touch "$TMP/tun.go"
for _ in $(seq 200); do [ -e "$TMP/tun.replies" ] && break; sleep 0.05; done
[ "$(cat "$TMP/tun.replies")" = 3 ] || fail "the kernel answered $(cat "$TMP/tun.replies") of 3 pings"
sleep 0.5
kill -INT "$c2"
kill "$c1"
wait "$c2"
wait "$c1" 2>/dev/null
touch "$TMP/tun.done"
wait "$owner"

tshark -n -r "$TMP/tun.pcapng" -Y icmp -T fields -E separator=' ' -e frame.interface_name \
	-e frame.packet_flags_direction -e icmp.type >"$TMP/fields" 2>/dev/null
cat "$TMP/fields"
[ "$(grep -c "^$TUN 0x00000001 8$" "$TMP/fields")" = 3 ] || fail "3 inbound echo requests expected"
[ "$(grep -c "^$TUN 0x00000002 0$" "$TMP/fields")" = 3 ] || fail "3 outbound echo replies expected"
order=$(cut -d' ' -f3 "$TMP/fields" | tr '\n' ' ')
[ "$order" = "8 0 8 0 8 0 " ] || fail "packets out of time order across directions: $order"
ok "tun: raw IP tap, requests inbound and replies outbound, in time order"
lt=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(struct.unpack("<I", d[20:24])[0], struct.unpack("<I", d[0:4])[0] == 0xa1b2c3d4)' "$TMP/u0.pcap")
[ "$lt" = "147 True" ] || fail "user0 stream header: linktype/magic $lt"
n=$(tshark -n -r "$TMP/u0.pcap" 2>/dev/null | wc -l)
[ "$n" = 6 ] || fail "user0 stream holds $n records, expected 6"
ok "the established user0 stream works on a tun interface (6 records)"
exit 0
