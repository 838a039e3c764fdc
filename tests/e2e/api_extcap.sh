#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_extcap.sh - flowtap-extcap as Wireshark drives it: the four extcap
# calls by hand (tshark reading the fifo), then tshark itself discovering the
# interface (-D) and capturing from it (-i) through WIRESHARK_EXTCAP_DIR.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require tshark setpriv
[ -x "$EXTCAP" ] || fail "$EXTCAP not built"
api_setup extcap

SOCK=$TMP/s.sock
export FLOWTAP_SOCKET=$SOCK

# The daemon is down: one default interface, so Wireshark still lists us.
out=$("$EXTCAP" --extcap-interfaces --extcap-version=4.0)
echo "$out" | grep -q '^extcap {version=[0-9.]*}' || fail "no extcap line: $out"
[ "$(echo "$out" | grep -c '^interface ')" = 1 ] && echo "$out" | grep -q '^interface {value=flowtap}' ||
	fail "fallback interface: $out"
ok "--extcap-interfaces with no daemon: the default interface"

dp_start "$SOCK" --rate 1000 --mode 0666 --group nogroup
out=$("$EXTCAP" --extcap-interfaces --extcap-version=4.0)
echo "$out" | grep -q '^interface {value=flowtap-testdp}{display=flowtap tap testdp}$' || fail "interfaces: $out"
out=$("$EXTCAP" --extcap-dlts --extcap-interface flowtap-testdp)
echo "$out" | grep -Eq '^dlt \{number=[0-9]+\}\{name=[A-Z0-9]+\}\{display=.+\}$' || fail "dlts: $out"
"$EXTCAP" --extcap-dlts --extcap-interface eth0 >/dev/null 2>&1 && fail "dlts for a foreign interface"
out=$("$EXTCAP" --extcap-config --extcap-interface flowtap-testdp)
for call in --socket --filter --path --direction --format --snaplen; do
	echo "$out" | grep -q "^arg {number=[0-9]*}{call=$call}" || fail "config lacks $call: $out"
done
echo "$out" | grep -q '^value {arg=[0-9]*}{value=in}' || fail "config: no direction values"
ok "--extcap-interfaces lists the tap; --extcap-dlts; --extcap-config has socket, filter, path, direction, format, snaplen"

# --capture --fifo, as Wireshark runs it; tshark reads the fifo.
mkfifo "$TMP/fifo"
"$EXTCAP" --capture --extcap-interface flowtap-testdp --fifo "$TMP/fifo" \
	--extcap-capture-filter 'udp dst port 47001 or udp dst port 47254' --path from-peer,disco \
	--direction in --snaplen 80 &
ex=$!
EXTRA_PIDS=($ex)
timeout 10 tshark -n -i "$TMP/fifo" -c 20 -T fields -e frame.interface_name -e frame.cap_len \
	2>/dev/null >"$TMP/out"
[ "$(wc -l <"$TMP/out")" = 20 ] || fail "tshark read $(wc -l <"$TMP/out") packets from the fifo"
[ "$(cut -f1 "$TMP/out" | sort -u | tr '\n' ' ')" = "disco from-peer " ] || fail "fifo: $(cat "$TMP/out")"
awk '$2 > 80 {exit 1}' "$TMP/out" || fail "--snaplen 80 not applied"
wait $ex || fail "extcap did not exit cleanly when tshark closed the fifo"
ok "--capture --fifo with capture filter, paths, direction, snaplen: tshark read 20 packets"

# SIGTERM (how Wireshark stops an extcap) ends the capture cleanly.
"$EXTCAP" --capture --extcap-interface flowtap-testdp --fifo "$TMP/fifo" --format user0 &
ex=$!
EXTRA_PIDS=($ex)
tshark -n -l -X lua_script:"$LUA" -i "$TMP/fifo" -T fields -e flowtap.path_name 2>/dev/null >"$TMP/out" &
ts=$!
EXTRA_PIDS+=($ts)
for _ in $(seq 100); do
	[ "$(wc -l <"$TMP/out")" -ge 50 ] && break
	sleep 0.1
done
kill -TERM $ex
wait $ex || fail "extcap exit status $? after SIGTERM"
wait $ts
[ "$(wc -l <"$TMP/out")" -ge 50 ] && grep -qx disco "$TMP/out" || fail "user0 via fifo: $(head -3 "$TMP/out")"
ok "--format user0 decoded by the Lua dissector; SIGTERM ends the capture (exit 0)"

# Wireshark itself: tshark -D lists the interface, tshark -i captures. (Wireshark
# ignores WIRESHARK_EXTCAP_DIR when run as root, so run it as nobody, in the
# capture group.)
mkdir "$TMP/extcap" && cp "$EXTCAP" "$TMP/extcap/" && chmod -R a+rX "$TMP/extcap"
chmod 1777 "$TMP"
ts() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMP" \
	WIRESHARK_EXTCAP_DIR="$TMP/extcap" FLOWTAP_SOCKET="$SOCK" tshark -n "$@"; }
ts -D 2>/dev/null | grep -q 'flowtap-testdp (flowtap tap testdp)' || fail "tshark -D: $(ts -D 2>&1 | tail -3)"
(cd "$TMP" && timeout 20 bash -c "$(declare -f ts); SOCK=$SOCK TMP=$TMP ts -i flowtap-testdp -c 10 \
	-f 'udp dst port 47002' -T fields -e frame.interface_name -e udp.dstport" 2>/dev/null >"$TMP/out")
[ "$(wc -l <"$TMP/out")" = 10 ] && [ "$(sort -u "$TMP/out")" = "synthesized-to-local	47002" ] ||
	fail "tshark -i flowtap-testdp: $(cat "$TMP/out")"
ok "tshark -D lists flowtap-testdp; tshark -i flowtap-testdp -f '...' captured 10 packets"
exit 0
