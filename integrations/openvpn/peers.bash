# SPDX-License-Identifier: BSD-2-Clause
# integrations/openvpn/peers.bash - two OpenVPN 2.7.6 peers in two network
# namespaces joined by a veth pair (sourced by scripts/demo-openvpn.sh,
# tests/e2e/openvpn_*.sh and bench/run_openvpn.sh; not run by itself).
#
# Underlay 198.51.100.1 <-> 198.51.100.2 (TEST-NET-2, only inside the
# namespaces), UDP port 1194 on both; overlay --ifconfig 10.8.0.1 <-> 10.8.0.2
# (topology p2p); peer B also owns 10.99.0.1, a "LAN" that A reaches with
# --route 10.99.0.0 255.255.0.0 (flow class subnet). Peer-to-peer TLS with
# self-signed certificates pinned by --peer-fingerprint (A is --tls-server,
# B --tls-client), no CA. The caller defines skip and fail.
#
#   ov_build [--unpatched]   OPENVPN= the binary (cached under $FT_BUILD)
#   ov_setup NAME            namespaces ftov-NAME-a/-b, $TMP, cleanup on exit
#   ov_peer a|b [ARGS]       start a peer; with OV_FLOWTAP=1 (default) its API
#                            is $TMP/SIDE.sock, its flow log $TMP/SIDE.flows
#   ov_stop a|b              SIGTERM, wait for a clean exit

OV_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FT_BUILD=${FT_BUILD:-$OV_SRC/build}
FLOWTAP=$FT_BUILD/flowtap
XFER=$OV_SRC/tests/tools/tcpxfer.py
OV_FLOWTAP=${OV_FLOWTAP:-1}

ov_require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and TUN devices)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	for tool in ip openssl "$@"; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (make deps)"
	done
	ip netns add "ftov-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "ftov-probe-$$"
}

# ov_build [--unpatched]: the tarball's absence is a skip (exit 77).
ov_build() {
	local rc=0 out
	out=$("$OV_SRC/integrations/openvpn/build.sh" "$@" "$FT_BUILD" 2>"$FT_BUILD/ov-build.err") ||
		rc=$?
	[ $rc -eq 77 ] && skip "$(cat "$FT_BUILD/ov-build.err")"
	[ $rc -eq 0 ] || fail "building OpenVPN failed: $(cat "$FT_BUILD/ov-build.err")"
	OPENVPN=$out
}

ov_setup() {
	local name=$1
	NSA=ftov-$name-a
	NSB=ftov-$name-b
	TMP=$(mktemp -d "/tmp/ftov-$name.XXXXXX")
	OV_PIDS=()
	trap ov_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	ip netns add "$NSA"
	ip netns add "$NSB"
	ip link add "ftov$name-a" netns "$NSA" type veth peer name "ftov$name-b" netns "$NSB"
	ip -n "$NSA" addr add 198.51.100.1/24 dev "ftov$name-a"
	ip -n "$NSB" addr add 198.51.100.2/24 dev "ftov$name-b"
	ip -n "$NSB" addr add 10.99.0.1/32 dev lo
	for ns in "$NSA" "$NSB"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NSA" link set "ftov$name-a" up
	ip -n "$NSB" link set "ftov$name-b" up
	VETH_A=ftov$name-a
	for side in a b; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-subj "/CN=peer-$side" -keyout "$TMP/$side.key" -out "$TMP/$side.crt" \
			2>/dev/null || fail "openssl could not make a certificate"
		openssl x509 -in "$TMP/$side.crt" -noout -fingerprint -sha256 |
			sed 's/.*=//' >"$TMP/$side.fp"
	done
}

ov_cleanup() {
	local pid
	for pid in "${OV_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${OV_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$TMP"
}

# ov_bg NS CMD...: run CMD in namespace NS in the background (pid in $!).
ov_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	OV_PIDS+=($!)
}

# ov_peer SIDE [ARGS]: start OpenVPN ($OPENVPN) for one side and wait until
# its tunnel is up (pid in OV_PID_A / OV_PID_B, log $TMP/SIDE.log).
ov_peer() {
	local side=$1 ns me peer other role
	shift
	# A pins B's certificate and B pins A's.
	if [ "$side" = a ]; then
		ns=$NSA me=1 peer=2 other=b role=(--tls-server --dh none --route 10.99.0.0 255.255.0.0)
	else
		ns=$NSB me=2 peer=1 other=a role=(--tls-client)
	fi
	local env=(env -u FLOWTAP_SOCKET)
	[ "$OV_FLOWTAP" = 1 ] && env=(env FLOWTAP_SOCKET="$TMP/$side.sock"
		FLOWTAP_FLOW_LOG="$TMP/$side.flows" FLOWTAP_FLOW_INTERVAL_MS=1000
		FLOWTAP_NODE_ID="openvpn-$side")
	ov_bg "$ns" "${env[@]}" "$OPENVPN" --dev ftov0 --dev-type tun --topology p2p \
		--ifconfig "10.8.0.$me" "10.8.0.$peer" --proto udp --local "198.51.100.$me" \
		--lport 1194 --remote "198.51.100.$peer" 1194 --disable-dco --verb 3 \
		--cert "$TMP/$side.crt" --key "$TMP/$side.key" --peer-fingerprint "$(cat "$TMP/$other.fp")" \
		"${role[@]}" "$@" >"$TMP/$side.log" 2>&1
	eval "OV_PID_${side^^}=$!"
}

# ov_wait_up SIDE: wait (up to 20 s) until the peer logged its tunnel up.
ov_wait_up() {
	local i
	for i in $(seq 200); do
		grep -q "Initialization Sequence Completed" "$TMP/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "OpenVPN $1 did not come up: $(tail -20 "$TMP/$1.log")"
}

# ov_stop SIDE: SIGTERM, and the process must exit within 10 s.
ov_stop() {
	local pid i
	pid=$(eval echo "\$OV_PID_${1^^}")
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "OpenVPN $1 ignored SIGTERM for 10 s"
	wait "$pid" 2>/dev/null || true
}

# ov_wait_api SOCK: wait (up to 5 s) until the local API answers.
ov_wait_api() {
	local i
	for i in $(seq 50); do
		curl -sf --unix-socket "$1" http://local/localapi/v0/status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "no local API on $1"
}

# ov_wait_sessions SOCK N: wait (up to 5 s) until N capture sessions are attached.
ov_wait_sessions() {
	local i n
	for i in $(seq 50); do
		n=$(curl -sf --unix-socket "$1" http://local/localapi/v0/status |
			python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')
		[ "$n" = "$2" ] && return 0
		sleep 0.1
	done
	fail "expected $2 capture sessions on $1, have $n"
}
