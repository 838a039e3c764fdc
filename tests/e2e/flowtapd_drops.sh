#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --drops: the kernel's own drops, with the kernel's reason. In a
# namespace behind a veth pair, an nft drop rule (NETFILTER_DROP), UDP to a
# closed port (NO_SOCKET) and a spoofed source under rp_filter (IP_RPFILTER)
# each give exactly the packets sent, on the interface they arrived on, in
# a pcapng tshark reads; the kfree_skb program is in the kernel only while
# a capture watches; without the privilege to load it flowtapd says so and
# exits 1; bad scope options are clear errors; as --user the program still
# loads; flow logs count the drops per connection.
FTF_TAG=kd
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need nft tshark curl python3 bpftool setpriv
make_veth
# The source namespace also owns 198.51.100.7, an address namespace B has
# no route back to: with rp_filter on, B drops what comes from it.
ip -n "$NSA" addr add 198.51.100.7/32 dev "$VA"
ip netns exec "$NSB" sysctl -qw net.ipv4.conf.all.rp_filter=1
ip netns exec "$NSB" sysctl -qw net.ipv4.conf."$VB".rp_filter=1
ip netns exec "$NSB" nft -f - <<'NFT' || skip "nft cannot load rules here (no nf_tables?)"
table inet ftkd {
	chain in {
		type filter hook input priority 0;
		udp dport 7001 drop
	}
}
NFT

# prog_ids: ids of our kfree_skb programs loaded now.
prog_ids() {
	bpftool -j prog show | python3 -c '
import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if p.get("name") == "kdrops_kfree_skb"))'
}
drops_field() {
	status | python3 -c 'import json, sys; print(json.load(sys.stdin)["kernel_drops"][sys.argv[1]])' "$1"
}
# send SRC PORT N: N UDP datagrams from namespace A.
send() {
	ip netns exec "$NSA" python3 - "$@" <<'PY'
import socket, sys
src, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for i in range(n):
    s.sendto(b'ftkd %d %d' % (port, i), ('192.0.2.2', port))
PY
}

# Errors first: bad values are usage errors (exit 2), a missing namespace or
# interface and a missing privilege fail the start (exit 1), each named.
"$FTD" --socket "$TMP/x.sock" --drops --drops-snaplen 5 2>"$TMP/err"
[ $? = 2 ] && grep -q "bad drops-snaplen '5'" "$TMP/err" || fail "snaplen 5: $(cat "$TMP/err")"
"$FTD" --socket "$TMP/x.sock" --drops-netns ftkd-no-such-ns 2>"$TMP/err"
[ $? = 1 ] && grep -q "no network namespace 'ftkd-no-such-ns'" "$TMP/err" ||
	fail "missing netns: $(cat "$TMP/err")"
ip netns exec "$NSB" "$FTD" --socket "$TMP/x.sock" --drops-interface ftkd-nosuch0 2>"$TMP/err"
[ $? = 1 ] && grep -q "no interface 'ftkd-nosuch0'" "$TMP/err" ||
	fail "missing interface: $(cat "$TMP/err")"
ok "bad scope options: exit 2 / 1 with the problem named"
if id nobody >/dev/null 2>&1; then
	mkdir -m 777 "$TMP/u"
	chmod 755 "$TMP"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$FTD" --socket "$TMP/u/s" --drops \
		2>"$TMP/err"
	rc=$?
	[ $rc = 1 ] && grep -q "BPF is not allowed: .*needs root, or CAP_BPF and CAP_PERFMON" "$TMP/err" ||
		fail "unprivileged: exit $rc, $(cat "$TMP/err")"
	ok "unprivileged: exit 1, $(cat "$TMP/err")"
fi

[ -z "$(prog_ids)" ] || skip "a kdrops_kfree_skb program is loaded already (another flowtapd --drops?)"
start_flowtapd --drops --drops-netns "$NSB"
# flowtapd loads the program once at start (to fail early) and unloads it;
# the kernel frees a released program after an RCU grace period, so
# bpftool may list it for a moment after flowtapd says it listens.
for _ in $(seq 50); do
	[ -z "$(prog_ids)" ] && break
	sleep 0.1
done
[ -z "$(prog_ids)" ] || fail "program loaded while nobody watches: $(prog_ids)"
[ "$(drops_field attached)" = False ] || fail "status says attached while nobody watches"
ok "started: nothing of ours in the kernel while nobody watches"

"$FT" capture --socket "$SOCK" --tap drops --format pcapng -w "$TMP/d.pcapng" 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
[ -n "$(prog_ids)" ] || fail "no program attached while a capture watches"
[ "$(drops_field attached)" = True ] || fail "status says detached while watched"
send 192.0.2.1 7001 3
send 192.0.2.1 7002 4
send 198.51.100.7 7003 2
for _ in $(seq 50); do
	[ "$(drops_field received)" -ge 9 ] && break
	sleep 0.1
done
sleep 0.3
kill -INT "$cap"
wait "$cap"
for _ in $(seq 50); do
	[ -z "$(prog_ids)" ] && break
	sleep 0.1
done
[ -z "$(prog_ids)" ] || fail "program still loaded after the last capture ended: $(prog_ids)"
[ "$(drops_field attached)" = False ] || fail "status says attached after the capture"
ok "unloaded when the capture ended"

# The comment is "drop: REASON at FUNCTION+0xOFF"; the reason is what the
# kernel's tracepoint prints, the location a kernel function.
tshark -n -r "$TMP/d.pcapng" -T fields -E separator=' ' -e frame.interface_name -e ip.src \
	-e udp.dstport -e frame.comment >"$TMP/fields" 2>"$TMP/tshark.err" ||
	fail "tshark cannot read the capture: $(cat "$TMP/tshark.err")"
cat "$TMP/fields"
count() { grep -cE "^$VB $1 $2 drop: $3 at [A-Za-z0-9_.]+\+0x[0-9a-f]+\$" "$TMP/fields"; }
[ "$(count 192.0.2.1 7001 NETFILTER_DROP)" = 3 ] || fail "nft drops: want 3 NETFILTER_DROP on $VB"
[ "$(count 192.0.2.1 7002 NO_SOCKET)" = 4 ] || fail "closed-port drops: want 4 NO_SOCKET on $VB"
[ "$(count 198.51.100.7 7003 IP_RPFILTER)" = 2 ] || fail "rp_filter drops: want 2 IP_RPFILTER on $VB"
[ "$(wc -l <"$TMP/fields")" = 9 ] || fail "want exactly the 9 packets sent"
n=$(tshark -n -r "$TMP/d.pcapng" -Y 'frame.comment contains "NETFILTER_DROP"' | wc -l)
[ "$n" = 3 ] || fail "tshark -Y finds $n NETFILTER_DROP packets, want 3"
ok "pcapng: exactly 3 + 4 + 2 packets on interface $VB, each with its reason and location"
"$FT" read -n -r "$TMP/d.pcapng" >"$TMP/text" 2>&1 || fail "flowtap read: $(cat "$TMP/text")"
grep -q "DROP(NO_SOCKET at " "$TMP/text" || fail "no DROP(NO_SOCKET ...) marker: $(cat "$TMP/text")"
ok "text: $(grep -m1 NO_SOCKET "$TMP/text")"

reasons=$(status | python3 -c 'import json, sys; r = json.load(sys.stdin)["kernel_drops"]["reasons"]; print(" ".join("%s=%d" % kv for kv in sorted(r.items())))')
[ "$reasons" = "IP_RPFILTER=2 NETFILTER_DROP=3 NO_SOCKET=4" ] || fail "reasons in status: $reasons"
ok "reasons: $reasons"
curl -sf --unix-socket "$SOCK" http://local/localapi/v0/metrics -o "$TMP/m.prom" ||
	fail "GET /localapi/v0/metrics failed"
got=$(sed -n 's/^flowtap_tap_dropped_packets_total{tap="drops",reason="\([A-Z_]*\)"} /\1=/p' \
	"$TMP/m.prom" | sort | tr '\n' ' ')
[ "$got" = "IP_RPFILTER=2 NETFILTER_DROP=3 NO_SOCKET=4 " ] ||
	fail "metrics: '$got'; $(grep '^flowtap_tap_dropped' "$TMP/m.prom")"
ok "metrics: flowtap_tap_dropped_packets_total{tap=\"drops\"} $got"

# --user: flowtapd keeps CAP_BPF and CAP_PERFMON (bits 39, 38) besides
# CAP_NET_RAW and CAP_NET_ADMIN, and loads the program again as that user.
if id nobody >/dev/null 2>&1; then
	kill "$FTD_PID"
	wait "$FTD_PID"
	rm -f "$SOCK"
	chmod 755 "$TMP"
	start_flowtapd --drops-interface "$VB" --user nobody
	for st in /proc/"$FTD_PID"/task/*/status; do
		grep -q "^CapEff:	000000c000003000$" "$st" ||
			fail "thread capabilities: $(grep Cap "$st")"
	done
	"$FT" capture --socket "$SOCK" --tap drops -n -c 2 >"$TMP/u.txt" 2>"$TMP/u.err" &
	cap=$!
	wait_sessions 1
	send 192.0.2.1 7002 2
	wait "$cap"
	[ "$(grep -c "^.* $VB DROP(NO_SOCKET at .*192.0.2.2.7002: UDP" "$TMP/u.txt")" = 2 ] ||
		fail "as nobody: $(cat "$TMP/u.txt" "$TMP/u.err"); $(status)"
	ok "as nobody with CAP_BPF and CAP_PERFMON: $(head -1 "$TMP/u.txt")"
fi

# Flow logs count the drops per connection (dropPkts, dropBytes and the
# shared reason the kernel's falls under); counting keeps the program
# attached with nobody watching.
kill "$FTD_PID"
wait "$FTD_PID"
rm -f "$SOCK"
start_flowtapd --drops-netns "$NSB" --flow-log "$TMP/flows" --flow-interval 0.5 --log-exit-flows
[ -n "$(prog_ids)" ] || fail "flow counting: no program attached"
send 192.0.2.1 7001 3
send 192.0.2.1 7002 4
send 198.51.100.7 7003 2
wait_flow "$TMP/flows" 'sum(c.get("dropPkts", 0) for k, v in m.items() if isinstance(v, list) for c in v if isinstance(c, dict)) > 0'
sleep 1
python3 - "$TMP/flows" <<'PY' || fail "flow log drops: $(cat "$TMP/flows")"
import json, sys
got = {}
for line in open(sys.argv[1]):
    for v in json.loads(line).values():
        for c in v if isinstance(v, list) else []:
            if isinstance(c, dict) and c.get("dropPkts"):
                # Keyed from the local side: the port dropped at is src.
                port = c["src"].rsplit(":", 1)[1]
                n, r = got.get(port, (0, None))
                got[port] = (n + c["dropPkts"], c["dropReason"])
want = {"7001": (3, "acl-denied"), "7002": (4, "no-route"), "7003": (2, "foreign-source")}
print("flow log drops:", got)
sys.exit(0 if got == want else 1)
PY
ok "flow log: NETFILTER_DROP as acl-denied, NO_SOCKET as no-route, IP_RPFILTER as foreign-source"
exit 0
