#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fault tests of the local API against a running datapath (ft-testdp):
#  - a capture client killed with SIGKILL mid-stream (flowtap capture, then
#    curl): the server frees its session within a second and status shows
#    it gone, while traffic keeps flowing;
#  - 10,000 connect/disconnect cycles (bare connects, half-sent requests,
#    status requests, capture streams dropped right after their headers):
#    the server's open fds and VmRSS stay flat and it still answers.
set -uo pipefail
source "$(dirname "$0")/api_lib.bash"
api_require python3
api_setup ftg-fault
SOCK=$TMP/api.sock

dp_start "$SOCK" --count 1000000000 --rate 2000 --max-sessions 4

# ms_until_gone: milliseconds until status shows no session (gives up at 5 s).
ms_until_gone() {
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq 250); do
		[ "$(status "$SOCK" '.taps[0].sessions')" = 0 ] && break
		sleep 0.02
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

wait_status "$SOCK" '.taps[0].sessions' 0 2 || fail "sessions before the test"
# The server frees a session within a second; polling status with curl and jq
# adds its own latency, more so under sanitizers on a loaded machine.
LIMIT_MS=1000
[ -n "${FT_SANITIZE:-}" ] && LIMIT_MS=2000

# 1. flowtap capture killed mid-stream.
"$FLOWTAP" capture --socket "$SOCK" -w "$TMP/k.pcap" 2>"$TMP/cap.err" &
CAP=$!
EXTRA_PIDS+=("$CAP")
wait_status "$SOCK" '.taps[0].sessions' 1 5 || fail "flowtap capture did not attach"
sleep 0.3
kill -9 "$CAP"
wait "$CAP" 2>/dev/null
ms=$(ms_until_gone)
[ "$ms" -le $LIMIT_MS ] || fail "session of a SIGKILLed flowtap capture still there after ${ms} ms"
[ -s "$TMP/k.pcap" ] || fail "the killed capture had received nothing"
ok "flowtap capture killed -9 mid-stream: session gone after ${ms} ms"

# 2. curl killed mid-stream (a raw HTTP client, text format).
curl -sN --unix-socket "$SOCK" -X POST -o "$TMP/k.txt" \
	"http://local/localapi/v0/debug-capture?format=text" &
CURL=$!
EXTRA_PIDS+=("$CURL")
wait_status "$SOCK" '.taps[0].sessions' 1 5 || fail "curl did not attach"
sleep 0.3
kill -9 "$CURL"
wait "$CURL" 2>/dev/null
ms=$(ms_until_gone)
[ "$ms" -le $LIMIT_MS ] || fail "session of a SIGKILLed curl still there after ${ms} ms"
grep -q 'IP' "$TMP/k.txt" || fail "the killed curl had received no text"
ok "curl killed -9 mid-stream: session gone after ${ms} ms"

# 3. 10,000 connect/disconnect cycles.
python3 - "$SOCK" "$DP" "${FT_SANITIZE:-}" <<'PY' || fail "connect/disconnect cycles"
import os, socket, sys, time
sock, pid, sanitized = sys.argv[1], int(sys.argv[2]), bool(sys.argv[3])

def fds():
    return len(os.listdir('/proc/%d/fd' % pid))

def rss_kb():
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock)
    return s

def read_headers(s):
    buf = b''
    while b'\r\n\r\n' not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf

def cycle(i):
    k = i % 4
    s = conn()
    if k == 1:                      # half a request, then gone
        s.sendall(b'GET /localapi/v0/sta')
    elif k == 2:                    # a whole status request
        s.sendall(b'GET /localapi/v0/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        h = read_headers(s)
        if not h.startswith(b'HTTP/1.1 200'):
            sys.exit('status answered %r' % h[:60])
    elif k == 3:                    # a capture stream dropped after its headers
        s.sendall(b'POST /localapi/v0/debug-capture?format=pcap HTTP/1.1\r\nHost: x\r\n'
                  b'Content-Length: 0\r\n\r\n')
        h = read_headers(s)
        if not h.startswith(b'HTTP/1.1 200'):
            sys.exit('capture answered %r' % h[:60])
    s.close()

def settle():
    # Sessions of dropped streams end within a second.
    time.sleep(1.2)

for i in range(400):
    cycle(i)
settle()
f0, r0 = fds(), rss_kb()
t0 = time.time()
N = 10000
for i in range(N):
    cycle(i)
dt = time.time() - t0
settle()
f1, r1 = fds(), rss_kb()
print('%d cycles in %.1f s; fds %d -> %d; VmRSS %d -> %d kB' % (N, dt, f0, f1, r0, r1))
if f1 > f0:
    sys.exit('fds grew: %d -> %d' % (f0, f1))
# Under ASan freed memory sits in the quarantine; LeakSanitizer checks the
# exit instead (api_lib fails on any sanitizer report).
limit = 64 * 1024 if sanitized else 4 * 1024
if r1 - r0 > limit:
    sys.exit('VmRSS grew by %d kB over %d cycles' % (r1 - r0, N))
PY
ok "10,000 connect/disconnect cycles: fds and VmRSS flat"

# Message size limits: headers over 16 KiB and bodies over 64 KiB are refused.
big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" --unix-socket "$SOCK" \
	http://local/localapi/v0/status)
[ "$code" = 400 ] || fail "20 KB header: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	"http://local/localapi/v0/status?x=$big")
[ "$code" = 400 ] || fail "20 KB request line: HTTP $code"
head -c 100000 /dev/zero >"$TMP/body"
# Expect: 100-continue makes curl wait for the verdict before sending the body,
# so the 413 is read before the server closes (no reset racing the reply).
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Expect: 100-continue" --data-binary @"$TMP/body" --unix-socket "$SOCK" \
	"http://local/localapi/v0/debug-capture?count=1")
[ "$code" = 413 ] || fail "100 KB body: HTTP $code"
ok "20 KB headers / request line: 400; 100 KB body: 413"

[ "$(status "$SOCK" '.taps[0].sessions')" = 0 ] || fail "sessions left attached"
[ "$(status "$SOCK" '.taps[0].name')" = testdp ] || fail "server no longer answers"
dp_stop
ok "ft-testdp exits cleanly"

# 4. Out of fds: more clients than RLIMIT_NOFILE allows. Regression: the
# listening socket stayed readable, the loop spun at full CPU and libevent
# printed "Error from accept() call" hundreds of thousands of times a second.
# Now accepting pauses until the next tick and resumes when fds are free.
SOCK2=$TMP/lim.sock
: >"$TMP/testdp.log"
(ulimit -n 40 && exec "$TESTDP" --socket "$SOCK2" --count 10 --rate 100 2>>"$TMP/testdp.log") &
DP=$!
DP_PIDS+=("$DP")
for _ in $(seq 100); do [ -S "$SOCK2" ] && break; sleep 0.05; done
python3 - "$SOCK2" "$DP" <<'PY' || fail "out of fds"
import os, socket, sys, time
path, pid = sys.argv[1], int(sys.argv[2])
def cpu():
    f = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')
ss = []
for i in range(80):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    ss.append(s)
time.sleep(0.3)
c0 = cpu()
time.sleep(2)
used = cpu() - c0
for s in ss:
    s.close()
print('80 idle clients against 40 fds: %.2f s of CPU in 2 s' % used)
if used > 0.5:
    sys.exit('the server spins while out of fds (%.2f s CPU in 2 s)' % used)
PY
wait_status "$SOCK2" '.taps[0].name' testdp 3 || fail "no answer once fds were free again"
grep -q 'accept' "$TMP/testdp.log" && fail "accept errors printed: $(grep -c accept "$TMP/testdp.log") lines"
dp_stop
ok "out of fds: the server pauses accepting, prints nothing, recovers"
