# SPDX-License-Identifier: BSD-2-Clause
# tunnel_lib.bash - shared by tests/e2e/tunnel_*.sh (sourced; not a test itself).
#
# Two network namespaces joined by a veth pair (underlay 192.0.2.1 <-> 192.0.2.2,
# TEST-NET-1, which exists only inside them), a flowtap-tunnel in each
# (overlay 100.64.0.1 <-> 100.64.0.2), everything removed on exit.
# Names carry the fte- prefix and the test's name, so tests can run at once.

FT_BUILD=${FT_BUILD:?FT_BUILD must point at the build directory}
FT_SRC=${FT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TUNNEL=$FT_BUILD/flowtap-tunnel
FLOWTAP=$FT_BUILD/flowtap
XFER=$FT_SRC/tests/tools/tcpxfer.py

. "$(dirname "${BASH_SOURCE[0]}")/common.bash"

tl_require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and TUN devices)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	for tool in ip "$@"; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (make deps)"
	done
	[ -x "$TUNNEL" ] || fail "$TUNNEL not built"
	ip netns add "fte-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "fte-probe-$$"
}

# tl_setup NAME: namespaces $NSA/$NSB, a temp dir $TMP, cleanup on exit.
tl_setup() {
	local name=$1
	NSA=fte-$name-a
	NSB=fte-$name-b
	TMP=$(mktemp -d "/tmp/fte-$name.XXXXXX")
	TL_PIDS=()
	trap tl_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	ip netns add "$NSA"
	ip netns add "$NSB"
	ip link add fte-veth-a netns "$NSA" type veth peer name fte-veth-b netns "$NSB"
	ip -n "$NSA" addr add 192.0.2.1/24 dev fte-veth-a
	ip -n "$NSB" addr add 192.0.2.2/24 dev fte-veth-b
	for ns in "$NSA" "$NSB"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NSA" link set fte-veth-a up
	ip -n "$NSB" link set fte-veth-b up
}

tl_cleanup() {
	local pid
	for pid in "${TL_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${TL_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$TMP"
}

# tl_bg NS CMD...: run CMD in namespace NS in the background; its pid in $!
# is remembered for the cleanup.
tl_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	TL_PIDS+=($!)
}

# tl_tunnel SIDE(a|b) ARGS...: start the tunnel of one side; its pid goes to
# TUN_PID_A / TUN_PID_B, its socket is $TMP/SIDE.sock, its log $TMP/SIDE.log.
tl_tunnel() {
	local side=$1 ns me peer
	shift
	if [ "$side" = a ]; then ns=$NSA me=1 peer=2; else ns=$NSB me=2 peer=1; fi
	tl_bg "$ns" "$TUNNEL" --tun fte0 --addr "100.64.0.$me/24" --listen "192.0.2.$me:4242" \
		--peer "192.0.2.$peer:4242" --peer-addr "100.64.0.$peer" \
		--socket "$TMP/$side.sock" "$@" 2>"$TMP/$side.log"
	eval "TUN_PID_${side^^}=$!"
	tl_wait_api "$TMP/$side.sock" || {
		cat "$TMP/$side.log" >&2
		fail "tunnel $side did not come up"
	}
}

# tl_wait_api SOCK: wait (up to 5 s) until the local API answers.
tl_wait_api() {
	local i
	for i in $(seq 50); do
		curl -sf --unix-socket "$1" http://local/localapi/v0/status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# tl_status SOCK: the status document.
tl_status() {
	curl -sf --unix-socket "$1" http://local/localapi/v0/status
}

# tl_wait_sessions SOCK N: wait (up to 5 s) until N capture sessions are
# attached (not "starting", as status lists a request before it attaches).
tl_wait_sessions() {
	local i n
	for i in $(seq 50); do
		n=$(tl_status "$1" | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["sessions"] if c.get("state") != "starting"))')
		[ "$n" = "$2" ] && return 0
		sleep 0.1
	done
	fail "expected $2 capture sessions on $1, have $n"
}

# tl_stop PID: SIGTERM and wait for a clean exit (status 0), then make sure
# no sanitizer (FT_SANITIZE builds) reported anything in the logs.
tl_stop() {
	local pid=$1 rc=0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "process $pid exited with status $rc: $(cat "$TMP"/*.log 2>/dev/null)"
	tl_check_logs
}

tl_check_logs() {
	if grep -lE 'Sanitizer|runtime error:' "$TMP"/*.log "$TMP"/*.err 2>/dev/null; then
		fail "sanitizer report: $(grep -hE -A20 'Sanitizer|runtime error:' "$TMP"/*.log "$TMP"/*.err)"
	fi
	return 0
}
