#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --write onto a full disk (a 256 KiB tmpfs in a private mount
# namespace): the capture stops when the disk fills, flowtapd says so in its
# log at that moment (naming the tap, the file and the error) and in status
# (sources[].write.error), and keeps serving. It used to stop silently.
if [ -z "${FTF_UNSHARED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a tmpfs"; exit 77; }
	command -v unshare >/dev/null || { echo "SKIP: unshare is not installed"; exit 77; }
	unshare -m --propagation private true 2>/dev/null ||
		{ echo "SKIP: cannot create a mount namespace"; exit 77; }
	FTF_UNSHARED=1 exec unshare -m --propagation private bash "$0" "$@"
fi
FTF_TAG=we
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping
make_veth
mkdir "$TMP/small"
mount -t tmpfs -o size=256k ftf-enospc "$TMP/small" || skip "cannot mount a tmpfs"
trap 'umount -l "$TMP/small"; cleanup' EXIT

start_flowtapd --interface "$VB" --write "$VB=$TMP/small/w.pcapng"
write_field() {
	status | python3 -c '
import json, sys
s = json.load(sys.stdin)["sources"][0]
print(s.get("write", {}).get(sys.argv[1], "none"))' "$1"
}
[ "$(write_field running)" = True ] || fail "the --write capture is not running"
# 400 packets of 1,400 bytes: twice what the disk holds.
ip netns exec "$NSA" ping -q -c 400 -i 0.002 -s 1400 -W 1 192.0.2.2 >/dev/null 2>&1
for _ in $(seq 50); do
	grep -q "capture file .* stopped" "$TMP/flowtapd.log" && break
	sleep 0.1
done
grep -q "^flowtapd: $VB: capture file '$TMP/small/w.pcapng' stopped after [0-9]* packets: No space left on device" \
	"$TMP/flowtapd.log" || fail "no log line when the disk filled"
[ "$(write_field running)" = False ] || fail "status still shows the capture running"
[ "$(write_field error)" = "No space left on device" ] ||
	fail "status shows error '$(write_field error)'"
kill -0 "$FTD_PID" || fail "flowtapd died"
ok "a full disk stops --write with a log line and an error in status: $(grep 'capture file' "$TMP/flowtapd.log")"
exit 0
