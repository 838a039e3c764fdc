# SPDX-License-Identifier: BSD-2-Clause
# api_lib.bash - shared by tests/e2e/api_*.sh and capture_*.sh (sourced; not a
# test itself). Starts ft-testdp (a stand-in datapath with a tap and the local
# API) on a socket under /tmp/ftd-*, and cleans everything up on exit.

FT_BUILD=${FT_BUILD:?FT_BUILD must point at the build directory}
FT_SRC=${FT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FLOWTAP=$FT_BUILD/flowtap
TESTDP=$FT_BUILD/ft-testdp
EXTCAP=$FT_BUILD/flowtap-extcap
LUA=$FT_SRC/share/flowtap/flowtap.lua

. "$(dirname "${BASH_SOURCE[0]}")/common.bash"

# api_require TOOL...: skip unless the tools exist; fail if our binaries are missing.
api_require() {
	for tool in curl jq "$@"; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (make deps)"
	done
	[ -x "$TESTDP" ] || fail "$TESTDP not built"
	[ -x "$FLOWTAP" ] || fail "$FLOWTAP not built"
}

DP_PIDS=()

api_cleanup() {
	local p rc=$? bad=0
	for p in "${DP_PIDS[@]}" "${EXTRA_PIDS[@]}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "${EXTRA_PIDS[@]}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null
	done
	# A datapath must exit cleanly on SIGTERM: no crash, no sanitizer report.
	for p in "${DP_PIDS[@]}"; do
		[ -n "$p" ] || continue
		wait "$p" 2>/dev/null || bad=1
	done
	if [ $bad = 1 ] || grep -q 'Sanitizer\|runtime error' "$TMP/testdp.log" 2>/dev/null; then
		echo "FAIL: ft-testdp did not exit cleanly:" >&2
		cat "$TMP/testdp.log" >&2
		rc=1
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit $rc
}

# api_setup NAME: a temp dir $TMP (/tmp/ftd-NAME-PID, mode 0755 so that other
# uids can reach sockets in it) and the cleanup trap.
api_setup() {
	TMP=$(mktemp -d "/tmp/ftd-$1-XXXXXX") || fail "mktemp"
	chmod 755 "$TMP"
	EXTRA_PIDS=()
	trap api_cleanup EXIT
	trap 'exit 130' INT TERM
}

# dp_start SOCKET [ft-testdp options]: start a datapath, wait for its socket.
# Its pid is in $DP.
dp_start() {
	local sock=$1
	shift
	"$TESTDP" --socket "$sock" "$@" 2>>"$TMP/testdp.log" &
	DP=$!
	DP_PIDS+=("$DP")
	for _ in $(seq 100); do
		[ -S "$sock" ] && curl -sf --unix-socket "$sock" http://local/localapi/v0/status \
			-o /dev/null && return 0
		kill -0 "$DP" 2>/dev/null || fail "ft-testdp exited: $(cat "$TMP/testdp.log")"
		sleep 0.05
	done
	fail "ft-testdp did not start listening on $sock"
}

dp_stop() {
	kill "$DP" 2>/dev/null
	wait "$DP" 2>/dev/null || fail "ft-testdp exit status $?: $(cat "$TMP/testdp.log")"
	grep -q 'Sanitizer\|runtime error' "$TMP/testdp.log" && fail "ft-testdp: $(cat "$TMP/testdp.log")"
	DP_PIDS=("${DP_PIDS[@]/$DP/}")
}

# status SOCKET JQ-EXPR: a value from GET /localapi/v0/status.
status() {
	curl -s --unix-socket "$1" http://local/localapi/v0/status | jq -r "$2"
}

# wait_status SOCKET JQ-EXPR VALUE SECONDS: wait until the value matches.
wait_status() {
	local i n=$(($4 * 20))
	for ((i = 0; i < n; i++)); do
		[ "$(status "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# npackets FILE: packets in a capture file, as capinfos counts them.
npackets() {
	capinfos -Mc "$1" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}'
}
