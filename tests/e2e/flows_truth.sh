#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap flows -r: exact counts versus gen_pcap.py's ground truth (IPv4 and
# IPv6, Ethernet and raw link types, several windows), exit anonymization on
# and off, routes, and clear errors for bad input.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
CHECK=${FT_SRC:?}/tests/data/flows/check_truth.py
[ -r "$GEN" ] || { echo "SKIP: $GEN not found"; exit 77; }
T=$(mktemp -d /tmp/ftc-truth.XXXXXX)
trap 'rm -rf "$T"' EXIT

python3 "$GEN" "$T/eth.pcap" --packets 30000 --flows 400 --seed 7
python3 "$GEN" "$T/raw.pcap" --packets 20000 --flows 300 --link raw --seed 3

echo "== exact counts, one window and many windows"
"$FT" flows -r "$T/eth.pcap" --log-exit-flows > "$T/a.jsonl"
python3 "$CHECK" "$T/a.jsonl" "$T/eth.pcap.truth.json"
"$FT" flows -r "$T/eth.pcap" --log-exit-flows --interval 0.01 --node-id n1 > "$T/b.jsonl"
[ "$(wc -l < "$T/b.jsonl")" -gt 5 ] || { echo "FAIL: expected several windows"; exit 1; }
python3 "$CHECK" "$T/b.jsonl" "$T/eth.pcap.truth.json"
"$FT" flows -r "$T/raw.pcap" --log-exit-flows --interval 0.05 > "$T/c.jsonl"
python3 "$CHECK" "$T/c.jsonl" "$T/raw.pcap.truth.json"
# The same through -w FILE and from standard input.
"$FT" flows -r - --log-exit-flows -w "$T/d.jsonl" < "$T/raw.pcap"
python3 "$CHECK" "$T/d.jsonl" "$T/raw.pcap.truth.json"

echo "== classification (IPv4 and IPv6) and anonymization"
python3 - "$T" "$FT" <<'PY'
import json, subprocess, sys, ipaddress
T, FT = sys.argv[1], sys.argv[2]
ov4, ov6 = ipaddress.ip_network('100.64.0.0/10'), ipaddress.ip_network('fd7a:115c:a1e0::/48')
sub = ipaddress.ip_network('10.1.0.0/16')
def hostport(s):
    h, p = s.rsplit(':', 1)
    return ipaddress.ip_address(h.strip('[]')), int(p)
def run(*args):
    out = subprocess.run([FT, 'flows', '-r', f'{T}/eth.pcap', *args], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()]
def overlay(a): return a in ov4 or a in ov6
bad = 0
# With --route 10.1.0.0/16 and exit tuples kept.
for m in run('--route', '10.1.0.0/16', '--log-exit-flows'):
    assert m['nodeId'] if 'nodeId' in m else True
    for cls in ('virtualTraffic', 'subnetTraffic', 'exitTraffic'):
        for c in m.get(cls, []):
            s, d = hostport(c['src'])[0], hostport(c['dst'])[0]
            want = ('virtualTraffic' if overlay(s) and overlay(d) else
                    'subnetTraffic' if d in sub else 'exitTraffic')
            if cls != want or not overlay(s):
                print('misclassified', cls, c); bad += 1
seen6 = {'virtualTraffic': 0, 'exitTraffic': 0}
# Without routes subnet traffic is exit; anonymized by default.
tot_exit_pkts = 0
for m in run():
    assert 'subnetTraffic' not in m
    for c in m.get('exitTraffic', []):
        if 'dst' in c or not c['src'].endswith(':0'):
            print('not anonymized', c); bad += 1
        if c['src'].startswith('['): seen6['exitTraffic'] += 1
        tot_exit_pkts += c.get('txPkts', 0) + c.get('rxPkts', 0)
    for c in m.get('virtualTraffic', []):
        if c['src'].startswith('['): seen6['virtualTraffic'] += 1
truth = json.load(open(f'{T}/eth.pcap.truth.json'))
want_exit = 0
for k, (p, b) in truth.items():
    _, s, _, d = k.split(' ')
    s = ipaddress.ip_address(s.rsplit(':', 1)[0].strip('[]') if ('[' in s or s.count(':') == 1) else s)
    d = ipaddress.ip_address(d.rsplit(':', 1)[0].strip('[]') if ('[' in d or d.count(':') == 1) else d)
    if not (overlay(s) and overlay(d)):
        want_exit += p
if tot_exit_pkts != want_exit:
    print(f'anonymized exit packets {tot_exit_pkts} != {want_exit}'); bad += 1
if not all(seen6.values()):
    print('expected IPv6 virtual and exit traffic', seen6); bad += 1
print('classification problems:', bad)
sys.exit(1 if bad else 0)
PY

echo "== bad input"
expect_fail() { # expect_fail "message part" args...
	local want=$1; shift
	if "$FT" flows "$@" > "$T/out" 2> "$T/err"; then echo "FAIL: flowtap flows $* succeeded"; exit 1; fi
	grep -q -- "$want" "$T/err" || { echo "FAIL: '$want' not in: $(cat "$T/err")"; exit 1; }
	echo "ok: $* -> $(head -1 "$T/err")"
}
expect_fail "cannot read '$T/missing.pcap'" -r "$T/missing.pcap"
echo "not a capture" > "$T/junk"
expect_fail "cannot read '$T/junk'" -r "$T/junk"
expect_fail "invalid --route '10.0.0.0/33'" -r "$T/eth.pcap" --route 10.0.0.0/33
expect_fail "invalid --interval 'abc'" -r "$T/eth.pcap" --interval abc
expect_fail "invalid --ipfix 'nohost'" -r "$T/eth.pcap" --ipfix nohost
expect_fail "invalid --url 'ftp://x/'" -r "$T/eth.pcap" --url ftp://x/
expect_fail "--spool and --spool-max need --url" -r "$T/eth.pcap" --spool "$T/sp"
expect_fail "invalid --max-conns '0'" -r "$T/eth.pcap" --max-conns 0
expect_fail "unexpected argument" -r "$T/eth.pcap" extra
# A table bound that is too small is reported, not silently wrong.
"$FT" flows -r "$T/eth.pcap" --max-conns 10 -q 2> "$T/err"
grep -q "packets not counted: more than 10 connections" "$T/err" || { echo "FAIL: overflow not reported"; exit 1; }
# A truncated file: messages for what was read, then an error naming the file.
head -c 100000 "$T/eth.pcap" > "$T/trunc.pcap"
if "$FT" flows -r "$T/trunc.pcap" > "$T/out" 2> "$T/err"; then
	echo "note: truncated file accepted (libpcap treats a cut record as EOF)"
else
	grep -q "trunc.pcap" "$T/err" || { echo "FAIL: error does not name the file"; exit 1; }
fi
echo "PASS"
