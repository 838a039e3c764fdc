#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd_sigterm_stall: SIGTERM while a capture client has stopped reading.
# flowtapd serves two taps (the veth end and lo); on each, one client reads
# nothing (curl into a FIFO nobody reads, its buffers filled) and one reads
# (flowtap capture -w). flowtapd must end every stream at once, cut each
# stalled client after FT_API_STALL_MS (5 s) with the other taps' streams
# ending meanwhile, and exit 0 well before two stall bounds (10 s) passed:
# ending the taps one after the other on the loop waited 5 s per tap.
FTF_TAG=st
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 capinfos
make_veth
start_flowtapd --interface "$VB" --interface lo

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null; exec 7>&- 8>&-; cleanup' EXIT

# stall TAP FD: a client of TAP that reads nothing; FIFO kept open on FD.
stall() {
	mkfifo "$TMP/stall.$1"
	eval "exec $2<>\"\$TMP/stall.\$1\""
	curl -sN --unix-socket "$SOCK" -X POST \
		"http://local/localapi/v0/debug-capture?tap=$1&format=pcap" >"$TMP/stall.$1" &
	PIDS+=($!)
}
stall "$VB" 7
stall lo 8
for t in "$VB" lo; do
	"$FT" capture --socket "$SOCK" -i "$t" -w "$TMP/$t.pcap" 2>"$TMP/$t.err" &
	PIDS+=($!)
	eval "CAP_$([ "$t" = lo ] && echo LO || echo VB)=\$!"
done
wait_sessions 4

# 16 MB on each tap: far more than the stalled clients' socket, pipe and
# session buffers take, so each has data left that it will never read.
flood='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(12000):
    s.sendto(b"x" * 1400, (sys.argv[1], 9))'
ip netns exec "$NSA" python3 -c "$flood" 192.0.2.2
ip netns exec "$NSB" python3 -c "$flood" 127.0.0.1
sleep 0.5

t0=$(date +%s.%N)
kill -TERM "$FTD_PID"
rc=0
for _ in $(seq 300); do
	kill -0 "$FTD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$FTD_PID" 2>/dev/null && fail "flowtapd still runs 30 s after SIGTERM"
wait "$FTD_PID" || rc=$?
FTD_PID=
secs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
	"$t0" "$(date +%s.%N)")
[ "$rc" = 0 ] || fail "flowtapd exited $rc after SIGTERM"
python3 -c "import sys; sys.exit(float(sys.argv[1]) >= 9)" "$secs" ||
	fail "flowtapd took $secs s to exit with a stalled client on each of two taps"
ok "flowtapd exited 0 after ${secs} s with a stalled client on each tap"

for t in VB LO; do
	eval "pid=\$CAP_$t"
	wait "$pid" || fail "flowtap capture on $t did not end cleanly: exit $?"
done
for t in "$VB" lo; do
	grep -q "packets captured" "$TMP/$t.err" || fail "capture on $t: $(cat "$TMP/$t.err")"
	capinfos -c "$TMP/$t.pcap" >/dev/null || fail "capinfos cannot read $t.pcap"
done
ok "the reading clients ended cleanly: $(tr '\n' ' ' <"$TMP/lo.err")"
grep -q "stopping" "$TMP/flowtapd.log" || fail "no stopping line in the log"
