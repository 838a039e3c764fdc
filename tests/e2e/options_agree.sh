#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Option names and exit codes agree across programs and man pages: flowtapd
# and flowtap-tunnel take --spool-dir/--spool and --flow-interval/--interval
# (the man pages document the first); a bad option or value is exit 2 in
# flowtapd (also a bad route, --write, --node-id, --metrics-listen, which
# used to be exit 1 after starting) and flowtap-extcap; flowtap-extcap has
# a man page that renders.
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
. "$FT_SRC/tests/e2e/common.bash"
TMP=$(mktemp -d /tmp/ft-opts.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
D=$FT_BUILD/flowtapd
X=$FT_BUILD/flowtap-extcap
expect() { # RC MESSAGE CMD...
	local want=$1 msg=$2 rc=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ $rc = "$want" ] && grep -qF -- "$msg" "$TMP/err" ||
		fail "'$*': exit $rc, expected $want with '$msg': $(cat "$TMP/err")"
}
S=(--socket "$TMP/s.sock" --interface lo)
expect 2 "unrecognized option '--bogus'" "$D" --bogus
expect 2 "bad route '10.0.0/99' (want ADDR/BITS, e.g. 10.1.0.0/16)" "$D" "${S[@]}" --route 10.0.0/99
expect 2 "bad write 'nofile' (want TAP=FILE" "$D" "${S[@]}" --write nofile
expect 2 "bad node-id" "$D" "${S[@]}" --node-id "$(printf 'x%.0s' {1..300})"
expect 2 "bad --metrics-listen 'host:1'" "$D" "${S[@]}" --metrics-listen host:1
expect 2 "bad interval '0'" "$D" "${S[@]}" --flow-interval 0
expect 2 "bad interval '0'" "$D" "${S[@]}" --interval 0
[ ! -e "$TMP/s.sock" ] || fail "flowtapd started before refusing a bad value"
for f in --spool-dir --spool; do
	expect 2 "unrecognized option '--bogus'" "$D" "$f" "$TMP" --bogus
done
printf 'flow-interval 0\n' >"$TMP/c.conf"
expect 2 "c.conf:1: bad interval '0'" "$D" --config "$TMP/c.conf"
ok "flowtapd: bad flags and values exit 2 before starting; --spool/--flow-interval accepted"
grep -q 'flow\\-interval' "$FT_SRC/man/flowtapd.8" && grep -q 'spool\\-dir' "$FT_SRC/man/flowtap-tunnel.8" ||
	fail "the man pages do not document --flow-interval and --spool-dir"
expect 2 "unrecognized option '--bogus'" "$X" --bogus
expect 2 "nothing to do" "$X"
expect 1 "cannot open fifo" "$X" --capture --extcap-interface flowtap --fifo "$TMP/none/f" --socket "$TMP/x.sock"
[ -f "$FT_SRC/man/flowtap-extcap.1" ] || fail "no man page for flowtap-extcap"
if command -v man >/dev/null; then
	man --warnings -l "$FT_SRC/man/flowtap-extcap.1" >"$TMP/man" 2>"$TMP/manerr" || fail "man: $(cat "$TMP/manerr")"
	[ ! -s "$TMP/manerr" ] || fail "man warnings: $(cat "$TMP/manerr")"
	grep -q 'EXIT STATUS' "$TMP/man" || fail "flowtap-extcap(1) has no EXIT STATUS"
fi
ok "flowtap-extcap: exit 2 for bad usage, 1 for a failed capture; flowtap-extcap(1) renders"
