#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IPFIX export against pmacct's nfacctd with its default settings (UDP on
# loopback, default receive buffer): `flowtap flows -r` of a 20,000-packet
# capture with --log-exit-flows --ipfix. Sent as one unpaced burst per
# window, a third of the flow directions used to overflow the collector's
# socket buffer; paced, every flow direction must arrive with its exact
# packet and byte counts.
set -uo pipefail
source "$(dirname "$0")/common.bash"
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:-$FT_SRC/../shared}/bench/gen_pcap.py
command -v nfacctd >/dev/null || skip "nfacctd (pmacct) is not installed"
command -v setsid >/dev/null || skip "setsid is not installed"
[ -r "$GEN" ] || skip "$GEN not found"
T=$(mktemp -d /tmp/ftc-nfacct.XXXXXX)
NP=
cleanup() { [ -n "$NP" ] && kill -9 -- -"$NP" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

python3 "$GEN" "$T/cap.pcap" --packets 20000 --seed 1 >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Only what a collector needs to listen and write what it got: no buffer
# settings (nfacctd_pipe_size, net.core.rmem_*) are touched.
cat >"$T/nf.conf" <<CONF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $PORT
plugins: print
aggregate: src_host, dst_host, src_port, dst_port, proto
print_output: csv
print_output_file: $T/out.csv
print_output_file_append: true
print_refresh_time: 1
CONF
setsid nfacctd -f "$T/nf.conf" >"$T/nf.log" 2>&1 &
NP=$!
for _ in $(seq 100); do
	grep -aq "cache entries=" "$T/nf.log" && break
	sleep 0.1
done
grep -aq "cache entries=" "$T/nf.log" || fail "nfacctd did not start: $(tail -5 "$T/nf.log")"
sleep 1 # its print plugin attaches to the core process

"$FT" flows -r "$T/cap.pcap" --log-exit-flows --ipfix "127.0.0.1:$PORT" >"$T/flows.jsonl" ||
	fail "flowtap flows failed"
check() {
	python3 - "$T/flows.jsonl" "$T/out.csv" <<'PY'
import csv, json, sys
want = {}
for line in open(sys.argv[1]):
    for cls, ents in json.loads(line).items():
        if not isinstance(ents, list):
            continue
        for e in ents:
            s, d, p = e['src'], e['dst'], e['proto']
            def hp(x):
                h, port = x.rsplit(':', 1)
                return h.strip('[]'), int(port)
            (sa, sp), (da, dp) = hp(s), hp(d)
            for (a, ap, b, bp, pk, by) in ((sa, sp, da, dp, e.get('txPkts', 0), e.get('txBytes', 0)),
                                          (da, dp, sa, sp, e.get('rxPkts', 0), e.get('rxBytes', 0))):
                if pk:
                    k = (a, ap, b, bp, p)
                    c = want.setdefault(k, [0, 0])
                    c[0] += pk; c[1] += by
names = {'tcp': 6, 'udp': 17, 'icmp': 1, 'ipv6-icmp': 58}
got = {}
try:
    rows = list(csv.DictReader(l for l in open(sys.argv[2]) if not l.startswith('SRC_IP,') or True))
except FileNotFoundError:
    rows = []
for r in rows:
    if r.get('SRC_IP') in (None, 'SRC_IP'):
        continue
    pr = r['PROTOCOL']
    pr = names.get(pr, int(pr) if pr.isdigit() else pr)
    k = (r['SRC_IP'], int(r['SRC_PORT']), r['DST_IP'], int(r['DST_PORT']), pr)
    c = got.setdefault(k, [0, 0])
    c[0] += int(r['PACKETS']); c[1] += int(r['BYTES'])
missing = [k for k in want if k not in got]
wrong = [k for k in want if k in got and got[k] != want[k]]
extra = [k for k in got if k not in want]
print('%d flow directions sent, %d arrived, %d missing, %d with other counts, %d unexpected'
      % (len(want), len(got), len(missing), len(wrong), len(extra)))
sys.exit(0 if want and not missing and not wrong and not extra else 1)
PY
}
for _ in $(seq 10); do
	sleep 1
	check >"$T/check" 2>&1 && break
done
cat "$T/check"
check >/dev/null 2>&1 || fail "nfacctd did not receive every flow direction exactly"
ok "nfacctd (default settings) received every flow direction, exact"
exit 0
