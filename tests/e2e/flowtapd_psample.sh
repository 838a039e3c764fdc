#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd psample source, for real: this kernel has no psample generic
# netlink family, so `flowtapd --psample 1` must exit non-zero with a message
# that says so (the decoder itself is tested in tests/unit/test_psample.c).
# On a kernel that has psample the source must start and join the group.
FTF_TAG=s
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
ip netns add "$NSB" || fail "cannot create namespace"
ip netns exec "$NSB" timeout 10 "$FTD" --socket "$SOCK" --psample 1 >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 60); do
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
if kill -0 $pid 2>/dev/null; then
	# Still running after 3 s: the kernel has psample and the source joined "packets".
	open=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sources"][0]["kind"])')
	kill $pid
	wait $pid
	[ "$open" = psample ] || fail "no psample source in status"
	skip "this kernel has psample; the no-psample error path cannot be exercised here"
fi
wait $pid
rc=$?
[ $rc = 1 ] || fail "flowtapd --psample 1 exited with $rc, expected 1"
grep -q "cannot capture from psample group 1: the kernel has no psample generic netlink family" \
	"$TMP/err" || fail "unclear message: $(cat "$TMP/err")"
[ ! -e "$SOCK" ] || fail "the API socket was left behind"
ok "no psample: exit 1, $(cat "$TMP/err")"

# The same through the config file, with the line's source named.
printf 'psample 1\n' >"$TMP/conf"
ip netns exec "$NSB" "$FTD" --socket "$SOCK" --config "$TMP/conf" 2>"$TMP/err2" && fail "started"
grep -q "no psample generic netlink family" "$TMP/err2" || fail "message: $(cat "$TMP/err2")"
printf 'psample one\n' >"$TMP/conf"
ip netns exec "$NSB" "$FTD" --socket "$SOCK" --config "$TMP/conf" 2>"$TMP/err3"
rc=$?
[ $rc = 2 ] || fail "bad group in config: exit $rc, expected 2"
grep -q "$TMP/conf:1: bad psample group 'one'" "$TMP/err3" || fail "message: $(cat "$TMP/err3")"
ok "config errors: $(cat "$TMP/err3")"
exit 0
