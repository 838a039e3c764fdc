#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A collector URL with basic-auth credentials (http://user:password@host/)
# never shows its password: not in status (which every user of the socket
# reads, without the capture right), not in flowtapd's log, also when a
# reload replaces the URL. The collector is down, so the sink fails and
# says so.
FTF_TAG=pw
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping
make_veth

conf() { # PASSWORD PATH
	cat >"$TMP/conf" <<CONF
interface $VB
interval 0.3
url http://flows:$1@127.0.0.1:9/$2
CONF
}
conf s3cr3tA in
start_flowtapd --config "$TMP/conf"
ip netns exec "$NSA" ping -c 3 -i 0.05 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
err=
for _ in $(seq 150); do
	err=$(status | python3 -c 'import json, sys; print(json.load(sys.stdin)["flowlog"]["http_error"])')
	[ -n "$err" ] && break
	sleep 0.1
done
case $err in
"http://***@127.0.0.1:9/in: "*) ;;
*) fail "status: flowlog.http_error is '$err', want the URL with *** for its credentials" ;;
esac
status | grep -q s3cr3t && fail "status shows the URL's password"
ok "status names the failing collector without its password"

conf s3cr3tB in2
kill -HUP "$FTD_PID"
for _ in $(seq 150); do grep -q "reloaded:\|reload failed" "$TMP/flowtapd.log" && break; sleep 0.1; done
grep -q "flow log URL 'http://\*\*\*@127.0.0.1:9/in2' added" "$TMP/flowtapd.log" ||
	fail "no 'flow log URL ... added' line with the redacted URL after the reload"
grep -q "flow log URL 'http://\*\*\*@127.0.0.1:9/in' removed" "$TMP/flowtapd.log" ||
	fail "no 'flow log URL ... removed' line with the redacted URL after the reload"
kill "$FTD_PID"
wait "$FTD_PID"
FTD_PID=
grep -q s3cr3t "$TMP/flowtapd.log" && fail "the log shows a URL's password"
ok "the log names the collectors without their passwords, across a reload"
