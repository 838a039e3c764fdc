#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Offline (issues 11 and 13): a benchmark script and an e2e test finish in a
# network namespace whose DNS resolver never answers. /etc/netns/NS/
# resolv.conf (bind-mounted by `ip netns exec`) names 127.0.0.53, where a
# UDP socket in the namespace reads queries and never replies: any lookup
# waits out the resolver's timeouts. The control shows it: `tcpdump -r`
# without -n does not finish in 4 s there. Then bench/run_read.sh (tcpdump
# -n) and e2e/text_vs_tshark.sh (tshark -n, tcpdump -n) must finish, and
# pass. Run it as `flock /tmp/ft-netns.lock ctest -R offline_netns`.
set -uo pipefail
FT_SRC=${FT_SRC:?}
source "$FT_SRC/tests/e2e/common.bash"
: "${FT_BUILD:?}"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip python3 tcpdump tshark timeout; do
	command -v $t >/dev/null || skip "$t not installed"
done
[ -f "${FT_SHARED:-}/bench/gen_pcap.py" ] || skip "\$FT_SHARED/bench/gen_pcap.py absent"

NS=ftrs-offline
tmp=$(mktemp -d /tmp/ftrs-offline.XXXXXX)
cleanup() {
	[ -n "${dns:-}" ] && kill "$dns" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS" "$tmp"
}
trap cleanup EXIT
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
mkdir -p "/etc/netns/$NS"
printf 'nameserver 127.0.0.53\noptions timeout:5 attempts:2\n' >"/etc/netns/$NS/resolv.conf"
# The resolver that never answers: reads and drops every query.
ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.53", 53))
end = time.time() + 300
while time.time() < end:
    s.settimeout(1)
    try:
        s.recv(4096)
    except OSError:
        pass
' &
dns=$!
sleep 0.5
in_ns() { ip netns exec "$NS" "$@"; }

# Control: a reverse lookup, what tcpdump or tshark without -n does for
# every address, hangs on this resolver; tcpdump -n -r does not.
python3 "$FT_SRC/tests/data/gen_text_pcap.py" "$tmp/t.pcap" >/dev/null
in_ns timeout 4 python3 -c 'import socket; socket.gethostbyaddr("192.0.2.1")' >/dev/null 2>&1
rc=$?
[ "$rc" = 124 ] || fail "control: a reverse lookup finished (exit $rc): the resolver answers here"
in_ns timeout 10 tcpdump -n -r "$tmp/t.pcap" >/dev/null 2>&1 || fail "control: tcpdump -n -r failed"
ok "control: a reverse lookup hangs on the silent resolver, tcpdump -n -r does not"

# A benchmark script, on a small capture.
mkdir -p "$tmp/bench"
start=$(date +%s)
in_ns env FT_BENCH_TMP="$tmp/bench" FT_BENCH_READ_PACKETS=3000 \
	timeout 60 bash "$FT_SRC/bench/run_read.sh" >"$tmp/bench.out" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "bench/run_read.sh: exit $rc after $(($(date +%s) - start)) s: $(tail -5 "$tmp/bench.out")"
grep -q '^BENCH read_filter_write_packets' "$tmp/bench.out" || fail "bench/run_read.sh printed no BENCH lines"
ok "bench/run_read.sh finished in $(($(date +%s) - start)) s: $(grep -c ^BENCH "$tmp/bench.out") BENCH lines"

# An e2e test that runs tshark and tcpdump.
start=$(date +%s)
in_ns timeout 120 bash "$FT_SRC/tests/e2e/text_vs_tshark.sh" >"$tmp/e2e.out" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "e2e/text_vs_tshark.sh: exit $rc after $(($(date +%s) - start)) s: $(tail -5 "$tmp/e2e.out")"
ok "e2e/text_vs_tshark.sh passed in $(($(date +%s) - start)) s"
