#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ENOSPC: a 1 MiB tmpfs (in a private mount namespace) as the destination of
#  - flowtap read -w (pcap and pcapng) and of its text on stdout,
#  - flowtap capture -w from a running datapath (ft-testdp),
#  - the HTTP sink's spool with the collector down: the write failures are
#    reported and counted, and every message already spooled is delivered
#    intact once the collector (a real HTTP server process) is up.
# Each must fail with a message that names the file and the problem and a
# non-zero exit, never hang or crash.
set -uo pipefail
if [ -z "${FTG_UNSHARED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a tmpfs"; exit 77; }
	command -v unshare >/dev/null || { echo "SKIP: unshare is not installed"; exit 77; }
	unshare -m --propagation private true 2>/dev/null ||
		{ echo "SKIP: cannot create a mount namespace"; exit 77; }
	FTG_UNSHARED=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/api_lib.bash"
api_require python3
GEN=${FT_SHARED:-$FT_SRC/../shared}/bench/gen_pcap.py
COLL=$FT_SRC/tests/data/flows/collector.py
[ -r "$GEN" ] || skip "$GEN not found"
api_setup ftg-enospc
SMALL=$TMP/small
mkdir "$SMALL"
mount -t tmpfs -o size=1m ftg-enospc "$SMALL" || skip "cannot mount a tmpfs"
trap 'rc=$?; umount -l "$SMALL"; (exit $rc); api_cleanup' EXIT

python3 "$GEN" "$TMP/big.pcap" --packets 20000 --flows 500 --seed 8
[ "$(stat -c %s "$TMP/big.pcap")" -gt 2000000 ] || fail "test capture too small"

# expect_enospc NAME RC ERRFILE: non-zero exit and a clear message.
expect_enospc() {
	[ "$2" -ne 0 ] || fail "$1: exit status 0 on a full disk"
	[ "$2" -lt 128 ] || fail "$1: killed by signal $(($2 - 128))"
	grep -q 'No space left on device' "$3" || fail "$1: no ENOSPC message: $(cat "$3")"
	grep -q 'Sanitizer\|runtime error' "$3" && fail "$1: $(cat "$3")"
	ok "$1: exit $2, \"$(head -1 "$3")\""
	rm -rf "${SMALL:?}"/*
}

for fmt in pcap pcapng; do
	timeout 60 "$FLOWTAP" read -r "$TMP/big.pcap" -w "$SMALL/out.$fmt" --format $fmt 2>"$TMP/err"
	rc=$?
	grep -q "$SMALL/out.$fmt" "$TMP/err" || fail "read -w $fmt: message does not name the file: $(cat "$TMP/err")"
	expect_enospc "flowtap read -w ($fmt)" $rc "$TMP/err"
done
timeout 60 "$FLOWTAP" read -r "$TMP/big.pcap" -v >"$SMALL/out.txt" 2>"$TMP/err"
expect_enospc "flowtap read (text to stdout)" $? "$TMP/err"

SOCK=$TMP/api.sock
dp_start "$SOCK" --count 1000000000 --rate 20000 --size 1000
timeout 60 "$FLOWTAP" capture --socket "$SOCK" -w "$SMALL/cap.pcap" 2>"$TMP/err"
rc=$?
grep -q "$SMALL/cap.pcap" "$TMP/err" || fail "capture -w: message does not name the file: $(cat "$TMP/err")"
expect_enospc "flowtap capture -w" $rc "$TMP/err"
wait_status "$SOCK" '.taps[0].sessions' 0 2 || fail "the capture's session was not freed"
dp_stop

# The spool: the collector is down, the disk fills.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/ingest"
timeout 120 "$FLOWTAP" flows -r "$TMP/big.pcap" --interval 0.001 --node-id ftg --log-exit-flows \
	-w "$TMP/sent.jsonl" --url "$URL" --spool "$SMALL/spool" 2>"$TMP/err"
rc=$?
[ $rc -lt 128 ] || fail "flows with a full spool: killed by signal $((rc - 128))"
grep -q "cannot write spool file in '$SMALL/spool': No space left on device" "$TMP/err" ||
	fail "no spool ENOSPC message: $(head -5 "$TMP/err")"
sent=$(wc -l <"$TMP/sent.jsonl")
mkdir "$TMP/kept"
cp "$SMALL"/spool/* "$TMP/kept/" # messages (.ndjson) and sealed batches (.batch)
# A spool file holds one message or, once sealed into a batch, several (one
# per line): count messages, not files.
kept=$(cat "$TMP"/kept/* | grep -c .)
[ "$kept" -gt 0 ] && [ "$kept" -lt "$sent" ] || fail "spool holds $kept of $sent messages"
ls -a "$SMALL/spool" | grep -q '^\.tmp-' && fail "half-written spool files left behind"
nerr=$(grep -c "cannot write spool file" "$TMP/err")
[ "$nerr" -eq $((sent - kept)) ] || fail "$((sent - kept)) messages not spooled, $nerr reported"
ok "spool on a full disk: $kept of $sent messages spooled, the rest reported (exit $rc)"

# A spool file that takes only part of a message (a short write; here the
# file size limit, RLIMIT_FSIZE, stands in for the disk): the error is the
# next write's own, "File too large", never a stale errno (it once said
# "No such file or directory"). The limit is 1024 bytes, and every message
# of this capture is longer. stderr goes through a pipe: the limit holds
# for every file flowtap writes.
(
	trap '' XFSZ
	ulimit -f 1
	exec timeout 60 "$FLOWTAP" flows -r "$TMP/big.pcap" --interval 0.001 --node-id ftg -q \
		--url "$URL" --spool "$TMP/fsize-spool"
) 2>&1 >/dev/null | cat >"$TMP/err3"
rc=${PIPESTATUS[0]}
[ $rc -lt 124 ] || fail "flows with short spool writes: exit $rc (timeout or signal): $(head -3 "$TMP/err3")"
nfb=$(grep -c "cannot write spool file in '$TMP/fsize-spool': File too large" "$TMP/err3")
[ "$nfb" -gt 0 ] || fail "short spool write: $(grep 'spool file' "$TMP/err3" | head -3)"
grep 'cannot write spool file' "$TMP/err3" | grep -v -q 'File too large' &&
	fail "short spool write: another reason given: $(grep -v 'File too large' "$TMP/err3" | head -3)"
ls -a "$TMP/fsize-spool" | grep -q '^\.tmp-' && fail "half-written spool files left behind"
ok "short spool writes: $nfb reported as \"File too large\""

python3 "$COLL" --port "$PORT" --port-file "$TMP/port" --out "$TMP/recv.ndjson" &
EXTRA_PIDS+=("$!")
for _ in $(seq 50); do [ -e "$TMP/port" ] && break; sleep 0.1; done
# A second sender on the same spool, with nothing new to say, delivers it.
head -c 24 "$TMP/big.pcap" >"$TMP/empty.pcap"
timeout 60 "$FLOWTAP" flows -r "$TMP/empty.pcap" -q --url "$URL" --spool "$SMALL/spool" 2>"$TMP/err2" ||
	fail "second sender: $(cat "$TMP/err2")"
for _ in $(seq 50); do [ -z "$(ls "$SMALL/spool")" ] && break; sleep 0.1; done
python3 - "$TMP/kept" "$TMP/sent.jsonl" "$TMP/recv.ndjson" <<'PY' || fail "spooled messages lost or changed (left: $(ls -a "$SMALL/spool" | tr "\n" " "); received $(wc -l <"$TMP/recv.ndjson"); second sender: $(head -3 "$TMP/err2"))"
import json, os, sys
kept = {}
for f in os.listdir(sys.argv[1]):
    for line in open(os.path.join(sys.argv[1], f)):
        if line.strip():
            m = json.loads(line)
            kept[m['id']] = m
sent = {}
for line in open(sys.argv[2]):
    m = json.loads(line)
    sent[m['id']] = m
recv = {}
for line in open(sys.argv[3]):
    m = json.loads(line)
    recv[m['id']] = m
for i, m in kept.items():
    if sent.get(i) != m:
        sys.exit('spooled %s differs from what was logged' % i)
    if recv.get(i) != m:
        sys.exit('spooled %s never arrived intact' % i)
extra = set(recv) - set(kept)
if extra:
    sys.exit('%d messages arrived that were never spooled' % len(extra))
print('all %d spooled messages arrived intact' % len(kept))
PY
ok "the spool written before the disk filled is delivered in full"
