#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run_kdrops.sh - what flowtapd --drops costs the kernel.
#  - drops_event_cost_ns: kernel CPU per dropped packet with the kfree_skb
#    program attached (a capture watching the drops tap, writing pcapng to
#    /dev/null) minus the same flood with none attached. The flood is UDP to
#    a closed port on loopback inside a namespace (NO_SOCKET): the drop runs
#    in the sender's softirq, so the sender's system time (getrusage) holds
#    it. Rounds alternate none/attached; the median of each is used.
#  - drops_prog_run_ns: the program's own run time per drop, from the
#    kernel's BPF statistics (kernel.bpf_stats_enabled during the attached
#    rounds, restored after): the in-program part of the above.
#  - drops_unwatched_attached_progs: our programs loaded while flowtapd
#    --drops runs and no session watches, before and after one did (goal 0).
set -uo pipefail
: "${FT_BUILD:?}"
. "$(dirname "$0")/lib.bash"
TMP=${FT_BENCH_TMP:-/tmp}/ftkd-bench.$$
PKTS=${FTKD_BENCH_PKTS:-200000}
ROUNDS=${FTKD_BENCH_ROUNDS:-3}
NS=ftkd-bench
SOCK=$TMP/flowtap.sock

cleanup() {
	stop_pids
	ip netns del $NS 2>/dev/null
	[ -n "${stats_was:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$stats_was" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root for namespaces and BPF"
for t in python3 curl bpftool; do
	command -v $t >/dev/null || skip "$t not installed"
done
[ -x "$FT_BUILD/flowtapd" ] && [ -x "$FT_BUILD/flowtap" ] || skip "flowtapd/flowtap not built"
mkdir -p "$TMP"
ip netns del $NS 2>/dev/null
ip netns add $NS || skip "cannot create a namespace"
ip -n $NS link set lo up

stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
progs() {
	bpftool -j prog show | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin) if p.get("name") == "kdrops_kfree_skb"))'
}
# flood: kernel CPU ns per packet of PKTS UDP datagrams to a closed port.
flood() {
	ip netns exec $NS python3 - "$PKTS" <<'PY'
import resource, socket, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst, msg = ('127.0.0.1', 9), b'x' * 64
s.sendto(msg, dst)
t0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
for _ in range(n):
    s.sendto(msg, dst)
t1 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
print('%.1f' % ((t1 - t0) * 1e9 / n))
PY
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

[ "$(progs)" = 0 ] || skip "a kdrops_kfree_skb program is loaded already"
ip netns exec $NS "$FT_BUILD/flowtapd" --socket "$SOCK" --drops-netns $NS \
	>"$TMP/flowtapd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status >/dev/null && break
	sleep 0.1
done
curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status >/dev/null ||
	skip "flowtapd --drops did not start: $(cat "$TMP/flowtapd.log")"
unwatched=$(progs)

none=() attached=() run=()
for _ in $(seq "$ROUNDS"); do
	none+=("$(flood)")
	"$FT_BUILD/flowtap" capture --socket "$SOCK" --tap drops --format pcapng -w /dev/null \
		2>"$TMP/cap.err" &
	cap=$!
	for _ in $(seq 100); do
		[ "$(progs)" = 1 ] && break
		sleep 0.05
	done
	sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null
	attached+=("$(flood)")
	run+=("$(bpftool -j prog show name kdrops_kfree_skb | python3 -c '
import json, sys
p = json.load(sys.stdin)
p = p[0] if isinstance(p, list) else p
print("%.1f" % (p.get("run_time_ns", 0) / max(p.get("run_cnt", 0), 1)))')")
	sysctl -qw kernel.bpf_stats_enabled="$stats_was" 2>/dev/null
	kill -INT $cap
	wait $cap
	for _ in $(seq 100); do
		[ "$(progs)" = 0 ] && break
		sleep 0.05
	done
done
after=$(progs)
n0=$(echo "${none[*]}" | median)
n1=$(echo "${attached[*]}" | median)
echo "bench: kdrops sender system ns/packet: none ${none[*]}, attached ${attached[*]};" \
	"program run ns/drop ${run[*]}" >&2
echo "BENCH drops_event_cost_ns $(awk -v a="$n1" -v b="$n0" 'BEGIN { printf "%.1f", a - b }') ns"
echo "BENCH drops_none_attached_ns_per_pkt $n0 ns"
echo "BENCH drops_prog_run_ns $(echo "${run[*]}" | median) ns"
echo "BENCH drops_unwatched_attached_progs $((unwatched > after ? unwatched : after)) programs"
