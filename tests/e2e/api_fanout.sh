#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_fanout.sh - many clients on one tap: 16 concurrent capture clients, one
# of them stalled (connected, never reading): the other 15 receive every
# packet, the stalled one's losses are counted in status, and its departure
# is noticed within a second. Then 1000 connect/disconnect cycles leave the
# server's file descriptors and memory flat and the tap at zero sessions.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require capinfos python3
api_setup fanout

SOCK=$TMP/s.sock
URL=http://local/localapi/v0/debug-capture
N=3000 # 1400-byte payloads: ~4.3 MB per client, more than the stalled one can buffer
RATE=3000
[ -n "${FT_SANITIZE:-}" ] && RATE=1000 # sanitizers make every copy several times slower
dp_start "$SOCK" --count $N --rate $RATE --size 1400 --wait-sessions 16 \
	--session-buf 1048576 --client-buf 262144

# The stalled client: sends the request, reads nothing, holds the socket.
python3 - "$SOCK" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"POST /localapi/v0/debug-capture HTTP/1.1\r\nHost: local\r\nContent-Length: 0\r\n\r\n")
time.sleep(60)
EOF
STALLED=$!
EXTRA_PIDS=($STALLED)
CURLS=()
for i in $(seq 15); do
	curl -s -m 30 --unix-socket "$SOCK" -X POST "$URL?count=$N" -o "$TMP/c$i.pcap" &
	CURLS+=($!)
done
EXTRA_PIDS+=("${CURLS[@]}")
for p in "${CURLS[@]}"; do
	wait "$p" || fail "a client's curl failed ($?)"
done
for i in $(seq 15); do
	n=$(npackets "$TMP/c$i.pcap")
	[ "$n" = $N ] || fail "client $i received $n of $N packets"
done
ok "15 clients beside a stalled one each received all $N packets"

# The stalled session is the only one left; it dropped what it could not hold.
wait_status "$SOCK" '.sessions | length' 1 2 || fail "finished sessions still listed"
dropped=$(status "$SOCK" '.sessions[0].dropped')
[ "$dropped" -gt 0 ] || fail "the stalled session dropped nothing ($dropped)"
ok "stalled client: $dropped packets dropped, counted in status"
kill $STALLED
wait $STALLED 2>/dev/null
wait_status "$SOCK" '.taps[0].sessions' 0 1 || fail "stalled client not freed within 1 s"
[ "$(status "$SOCK" '.sessions | length')" = 0 ] || fail "sessions left after the stalled client went"
ok "stalled client's disconnect noticed within 1 s; tap back to 0 sessions"
dp_stop

# 1000 connect/disconnect cycles, with traffic flowing.
dp_start "$SOCK" --rate 2000
fds() { ls "/proc/$DP/fd" | wc -l; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$DP/status"; }
cycles() {
	python3 - "$SOCK" "$1" <<'EOF'
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    q = b"format=pcapng" if i % 3 == 0 else (b"format=text" if i % 3 == 1 else b"filter=udp")
    s.sendall(b"POST /localapi/v0/debug-capture?" + q + b" HTTP/1.1\r\nHost: local\r\n"
              b"Content-Length: 0\r\n\r\n")
    got = b""
    while b"200 OK" not in got:
        d = s.recv(4096)
        if not d:
            sys.exit("connection closed before the answer (cycle %d): %r" % (i, got))
        got += d
    s.close()
EOF
}
cycles 200 || fail "warm-up cycles"
wait_status "$SOCK" '.taps[0].sessions' 0 2 || fail "sessions not freed after warm-up"
fd0=$(fds) rss0=$(rss)
t0=$(date +%s.%N)
cycles 1000 || fail "1000 cycles"
t1=$(date +%s.%N)
wait_status "$SOCK" '.taps[0].sessions' 0 2 || fail "sessions not freed within 1 s after 1000 cycles"
fd1=$(fds) rss1=$(rss)
[ "$fd1" -le "$fd0" ] || fail "fds grew from $fd0 to $fd1 over 1000 cycles"
# A leak grows memory in every batch; a busier moment that left more sessions
# alive at once raises the high-water mark once. So a second batch must grow
# too before this counts as a leak. Under ASan freed memory sits in its
# quarantine; LeakSanitizer checks at exit.
cycles 1000 || fail "second 1000 cycles"
wait_status "$SOCK" '.taps[0].sessions' 0 2 || fail "sessions not freed after the second batch"
fd2=$(fds) rss2=$(rss)
[ "$fd2" -le "$fd0" ] || fail "fds grew from $fd0 to $fd2 over 2000 cycles"
[ -n "${FT_SANITIZE:-}" ] || [ $((rss1 - rss0)) -lt 2048 ] || [ $((rss2 - rss1)) -lt 2048 ] ||
	fail "VmRSS grew in both batches of 1000 cycles: $rss0 -> $rss1 -> $rss2 kB"
total=$(status "$SOCK" '.taps[0].sessions_total')
[ "$total" -ge 2200 ] || fail "only $total sessions were attached"
ok "1000 connect/disconnect cycles in $(echo "$t1 - $t0" | bc)s: fds $fd0 -> $fd1 -> $fd2, VmRSS $rss0 -> $rss1 -> $rss2 kB (1000 more)"
dp_stop

# A CLI whose reader stalls for 2 s loses packets, and says how many.
dp_start "$SOCK" --rate 3000 --size 1400 --session-buf 262144 --client-buf 65536
"$FLOWTAP" capture --socket "$SOCK" -w - -c 2000 2>"$TMP/err" | (sleep 2; cat >"$TMP/slow.pcap")
[ "$(npackets "$TMP/slow.pcap")" = 2000 ] || fail "slow reader: $(npackets "$TMP/slow.pcap") packets"
grep -Eq '^2000 packets captured, [1-9][0-9]* dropped$' "$TMP/err" || fail "slow reader summary: $(cat "$TMP/err")"
ok "a stalled reader: $(cat "$TMP/err"); file complete and well-formed"

# The datapath removes the tap while a reading client and a stalled one
# (mid-chunk, its socket full) stream from it: the reader gets a clean end
# of the chunked reply, the stalled one a closed connection, not a hang.
curl -sN --unix-socket "$SOCK" -X POST "$URL?format=pcap" -o "$TMP/live.pcap" &
LIVE=$!
python3 - "$SOCK" "$TMP/stalled.out" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"POST /localapi/v0/debug-capture?format=pcap HTTP/1.1\r\nHost: local\r\n"
          b"Content-Length: 0\r\n\r\n")
time.sleep(3)  # stalled: the server's chunks back up
s.settimeout(10)
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except socket.timeout:
    sys.exit("stalled client: no end of stream 10 s after the tap was removed")
# Walk the chunked body: it either ends with the last chunk at a chunk
# boundary, or is cut inside a chunk by the close; a last chunk written into
# a cut chunk would be taken for data.
head, _, body = got.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head[:100]
pos, end = 0, "cut"
while pos < len(body):
    line, sep, _ = body[pos:].partition(b"\r\n")
    if not sep:
        break
    size = int(line, 16)
    if size == 0:
        end = "last chunk"
        break
    pos += len(line) + 2 + size + 2
    if pos > len(body) and body.endswith(b"0\r\n\r\n"):
        sys.exit("stalled client: last chunk written inside a cut chunk")
open(sys.argv[2], "w").write("%d bytes, %s" % (len(got), end))
EOF
STALLED2=$!
EXTRA_PIDS+=($LIVE $STALLED2)
wait_status "$SOCK" '.taps[0].sessions' 2 5 || fail "the two clients did not attach"
sleep 1.5
kill -USR1 "$DP"
wait "$LIVE" || fail "reading client: curl exit $? after the tap was removed"
[ "$(npackets "$TMP/live.pcap")" -gt 0 ] || fail "reading client: no packets before the end"
wait "$STALLED2" || fail "stalled client did not see its stream end"
[ "$(curl -s --unix-socket "$SOCK" -X POST "$URL" -o /dev/null -w '%{http_code}')" = 404 ] ||
	fail "capture still possible after the tap was removed"
ok "tap removed while streaming: reader ended cleanly ($(npackets "$TMP/live.pcap") packets), stalled client's stream ended ($(cat "$TMP/stalled.out"))"
dp_stop
exit 0
