# SPDX-License-Identifier: BSD-2-Clause
# bench/lib.bash - what the bench/run_*.sh scripts that start daemons in
# network namespaces share. Source it, then set BENCH_NAME; the script
# adds what it starts to `pids`, and its cleanup calls stop_pids.

pids=()

# skip WHY...: the benchmark cannot run here; say why, print no BENCH line.
skip() {
	echo "bench: ${BENCH_NAME:-$(basename "$0" .sh)} skipped: $*" >&2
	exit 0
}

# stop_pids: end every process in `pids` and reap them.
stop_pids() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}

# veth_pair NSA NSB VA VB: namespaces NSA and NSB (leftovers of a killed
# run removed first) joined by veth VA (in NSA) and VB (in NSB), both up,
# without IPv6 (no router solicitations in the measured traffic).
veth_pair() {
	local nsa=$1 nsb=$2 va=$3 vb=$4 ns
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	ip netns add "$nsa" && ip netns add "$nsb" || skip "cannot create namespaces"
	ip link add name "$va" netns "$nsa" type veth peer name "$vb" netns "$nsb" ||
		skip "cannot create veth"
	for ns in "$nsa" "$nsb"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$nsa" link set "$va" up
	ip -n "$nsb" link set "$vb" up
}

# cpu PID...: CPU seconds (user + system, all threads) of the processes so far.
cpu() {
	local hz t=0 p
	hz=$(getconf CLK_TCK)
	for p in "$@"; do
		t=$(awk -v hz="$hz" -v t="$t" '{ printf "%.3f", t + ($14 + $15) / hz }' /proc/"$p"/stat)
	done
	echo "$t"
}
