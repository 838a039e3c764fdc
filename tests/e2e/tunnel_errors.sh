#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_errors: flowtap-tunnel's errors name the problem and exit 2 (usage)
# or 1 (the tunnel could not be set up): bad addresses and flags, a missing
# TUN device, a port in use, a TUN interface or API socket already taken.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
[ -x "$TUNNEL" ] || fail "$TUNNEL not built"
command -v python3 >/dev/null || skip "python3 is not installed"
TMP=$(mktemp -d /tmp/fte-errors.XXXXXX)
NSA=fte-errors-a NSB=fte-errors-b TL_PIDS=()
trap tl_cleanup EXIT

# expect RC MESSAGE CMD...: CMD exits with RC and prints MESSAGE (exactly,
# as one line) on stderr, and nothing on stdout.
expect() {
	local rc=$1 msg=$2 got=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/cmd.err" || got=$?
	[ "$got" -eq "$rc" ] || fail "'$*' exited $got, expected $rc: $(cat "$TMP/cmd.err")"
	grep -qxF -- "$msg" "$TMP/cmd.err" || fail "'$*' said '$(cat "$TMP/cmd.err")', expected '$msg'"
	[ ! -s "$TMP/out" ] || fail "'$*' printed on stdout: $(cat "$TMP/out")"
	tl_check_logs
	ok "exit $rc: $msg"
}

T=$TUNNEL
P=flowtap-tunnel
# Usage errors: exit 2, before anything is opened.
expect 2 "$P: bad --addr '300.1.1.1/24': expected ADDRESS/PREFIX, e.g. 100.64.0.1/24" \
	$T --addr 300.1.1.1/24
expect 2 "$P: bad --addr '100.64.0.1/33': expected ADDRESS/PREFIX, e.g. 100.64.0.1/24" \
	$T --addr 100.64.0.1/33
expect 2 "$P: bad --listen 'localhost:4242': expected ADDR:PORT, e.g. 0.0.0.0:4242 or [::]:4242" \
	$T --addr 100.64.0.1/24 --listen localhost:4242
expect 2 "$P: bad --listen '0.0.0.0:70000': expected ADDR:PORT, e.g. 0.0.0.0:4242 or [::]:4242" \
	$T --addr 100.64.0.1/24 --listen 0.0.0.0:70000
expect 2 "$P: bad --peer '192.0.2.1': expected ADDR:PORT, e.g. 192.0.2.1:4242" \
	$T --addr 100.64.0.1/24 --peer 192.0.2.1
expect 2 "$P: bad --peer 'fd00::1:4242': expected ADDR:PORT, e.g. 192.0.2.1:4242" \
	$T --addr 100.64.0.1/24 --peer fd00::1:4242
expect 2 "$P: bad --route '10.0.0.0/99': expected a prefix such as 10.1.0.0/16" \
	$T --addr 100.64.0.1/24 --route 10.0.0.0/99
expect 2 "$P: bad --dnat '100.64.9.9': expected SERVICE=REAL (IPv4 addresses)" \
	$T --addr 100.64.0.1/24 --dnat 100.64.9.9
expect 2 "$P: bad --dnat '100.64.9.9=nowhere': expected SERVICE=REAL (IPv4 addresses)" \
	$T --addr 100.64.0.1/24 --dnat 100.64.9.9=nowhere
expect 2 "$P: bad --service-addr 'fd00::1': expected an IPv4 address" \
	$T --addr 100.64.0.1/24 --service-addr fd00::1
expect 2 "$P: bad --keepalive '-1': expected a whole number in range" \
	$T --addr 100.64.0.1/24 --keepalive -1
expect 2 "$P: bad --flow-interval '0': expected seconds between 0.1 and 86400" \
	$T --addr 100.64.0.1/24 --flow-interval 0
expect 2 "$P: --addr is required (e.g. --addr 100.64.0.1/24)" $T --peer 192.0.2.1:4242
expect 2 "$P: --dnat cannot rewrite the service address" \
	$T --addr 100.64.0.1/24 --dnat 100.100.100.100=100.64.0.2
expect 2 "$P: bad --metrics-listen 'localhost:9100': expected PORT, IPV4:PORT or [IPV6]:PORT (PORT alone: 127.0.0.1)" \
	$T --addr 100.64.0.1/24 --metrics-listen localhost:9100
expect 2 "$P: --metrics-listen needs the local API (--socket)" \
	$T --addr 100.64.0.1/24 --socket '' --metrics-listen 9100
expect 2 "$P: --spool-dir needs --url" $T --addr 100.64.0.1/24 --spool /tmp
expect 2 "$P: --spool-dir needs --url" $T --addr 100.64.0.1/24 --spool-dir /tmp
expect 2 "$P: bad --flow-interval '0': expected seconds between 0.1 and 86400" \
	$T --addr 100.64.0.1/24 --interval 0
expect 2 "$P: unexpected argument 'extra'" $T --addr 100.64.0.1/24 extra
expect 2 "Run '$P --help' for the options." $T --addr 100.64.0.1/24 --no-such-flag

# Set-up errors: exit 1. An ephemeral loopback port cannot collide with
# anything else running on the machine.
expect 1 "$P: cannot open TUN device /nonexistent/tun: No such file or directory (no TUN support: is the tun module loaded?)" \
	$T --addr 100.64.0.1/24 --listen 127.0.0.1:0 --socket '' --tun-dev /nonexistent/tun

# Port in use: a real UDP socket holds the port.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$TMP/port" &
HOLDER=$!
TL_PIDS+=("$HOLDER")
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
port=$(cat "$TMP/port")
expect 1 "$P: cannot listen on 127.0.0.1:$port: Address already in use" \
	$T --addr 100.64.0.1/24 --listen "127.0.0.1:$port" --socket ''
kill "$HOLDER"

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] || ! ip netns add "$NSA" 2>/dev/null; then
	echo "SKIP (partly): the TUN and namespace cases need root and /dev/net/tun"
	exit 0
fi

# A device that is not a TUN clone device.
expect 1 "$P: cannot create TUN interface 'ft0' with /dev/null: Inappropriate ioctl for device" \
	ip netns exec "$NSA" $T --addr 100.64.0.1/24 --socket '' --tun-dev /dev/null

# No /dev/net/tun at all, as in a container without TUN support.
expect 1 "$P: cannot open TUN device /dev/net/tun: No such file or directory (no TUN support: is the tun module loaded?)" \
	ip netns exec "$NSA" unshare -m sh -c "mount -t tmpfs none /dev/net && exec $T --addr 100.64.0.1/24 --socket ''"

# Flow-log sinks and the API socket that cannot be set up.
ip -n "$NSA" link set lo up
for args in "--flow-log /nonexistent/dir/f.json|cannot open flow log '/nonexistent/dir/f.json': No such file or directory" \
	"--url notaurl|cannot log flows to 'notaurl': Invalid argument (expected an http:// or https:// URL)" \
	"--ipfix nohostport|cannot export IPFIX to 'nohostport': Invalid argument (expected HOST:PORT)"; do
	expect 1 "$P: ${args#*|}" ip netns exec "$NSA" $T --addr 100.64.0.1/24 --listen 127.0.0.1:0 \
		--socket '' ${args%%|*}
done
expect 1 "$P: cannot start the local API on /nonexistent/dir/x.sock: cannot create directory /nonexistent/dir: No such file or directory" \
	ip netns exec "$NSA" $T --addr 100.64.0.1/24 --listen 127.0.0.1:0 --socket /nonexistent/dir/x.sock

# The default port in use, by another tunnel; then its interface and its API socket.
tl_bg "$NSA" "$T" --tun fte0 --addr 100.64.0.1/24 --socket "$TMP/a.sock" \
	--metrics-listen 9465 2>"$TMP/a.log"
FIRST=$!
tl_wait_api "$TMP/a.sock" || fail "first tunnel did not start: $(cat "$TMP/a.log")"
# Its metrics, over TCP on the namespace's loopback: valid, with the tunnel's own.
ip netns exec "$NSA" curl -sf http://127.0.0.1:9465/metrics -o "$TMP/m.prom" ||
	fail "no metrics on 127.0.0.1:9465"
if command -v promtool >/dev/null; then
	promtool check metrics <"$TMP/m.prom" >"$TMP/lint" 2>&1 && [ ! -s "$TMP/lint" ] ||
		fail "promtool: $(cat "$TMP/lint")"
fi
for m in 'flowtap_tunnel_dropped_packets_total{interface="fte0",reason="no_peer"} [0-9]+' \
	'flowtap_tunnel_tun_received_packets_total{interface="fte0"} [0-9]+' \
	'flowtap_tap_packets_offered_total{tap="fte0"} 0' 'flowtap_flowlog_messages_total [0-9]+'; do
	grep -qxE "$m" "$TMP/m.prom" || fail "no '$m' in the tunnel's metrics: $(cat "$TMP/m.prom")"
done
ok "--metrics-listen: the tunnel's counters at /metrics, promtool-clean"
expect 1 "$P: cannot listen on 0.0.0.0:4242: Address already in use" \
	ip netns exec "$NSA" $T --tun fte1 --addr 100.64.1.1/24 --socket ''
expect 1 "$P: cannot create TUN interface 'fte0' with /dev/net/tun: Device or resource busy" \
	ip netns exec "$NSA" $T --tun fte0 --addr 100.64.1.1/24 --listen 127.0.0.1:0 --socket ''
rc=0
ip netns exec "$NSA" $T --tun fte1 --addr 100.64.1.1/24 --listen 127.0.0.1:0 \
	--socket "$TMP/a.sock" 2>"$TMP/cmd.err" || rc=$?
[ "$rc" -eq 1 ] && grep -qx "$P: cannot start the local API on $TMP/a.sock: .*in use.*" "$TMP/cmd.err" ||
	fail "API socket in use: exit $rc, '$(cat "$TMP/cmd.err")'"
ok "exit 1: $(cat "$TMP/cmd.err")"
! ip -n "$NSA" link show fte1 2>/dev/null || fail "a failed start left interface fte1 behind"
ok "failed starts leave no interface behind"

# A clean stop: SIGTERM, exit 0 and a summary.
tl_stop "$FIRST"
grep -qE "^$P: fte0: tun_rx [0-9]+, tun_tx [0-9]+, udp_rx [0-9]+, .*, dropped_tx_full [0-9]+, dropped_acl [0-9]+, dnat_translated [0-9]+, dnat_replies [0-9]+$" "$TMP/a.log" || fail "no exit summary: $(cat "$TMP/a.log")"
ok "SIGTERM: exit 0 with a summary"
