#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make install puts headers, libraries, flowtap.pc, programs, man pages and the
# dissector in place; an example program builds against the installed library
# with pkg-config alone (static and shared) and its output is read by tshark.
set -euo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
if [ -n "${FT_SANITIZE:-}" ]; then
	echo "SKIP: install check runs in the plain build"
	exit 77
fi
tmp=$(mktemp -d /tmp/ft-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$tmp/root cmake --install "$FT_BUILD" >"$tmp/install.log" || fail "cmake --install failed"
pc=$(find "$tmp/root" -name flowtap.pc | head -1)
[ -n "$pc" ] || fail "flowtap.pc not installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
for f in include/flowtap/flowtap.h include/flowtap/tap.h bin/flowtap sbin/flowtapd \
	share/flowtap/flowtap.lua share/man/man1/flowtap.1 share/man/man7/flowtap-text.7; do
	[ -e "$tmp/root$prefix/$f" ] || fail "$prefix/$f not installed"
done
ls "$tmp/root$prefix"/lib*/libflowtap.so.0* >/dev/null || fail "libflowtap.so not installed"
ls "$tmp/root$prefix"/lib*/libflowtap.a >/dev/null || fail "libflowtap.a not installed"

export PKG_CONFIG_SYSROOT_DIR=$tmp/root PKG_CONFIG_PATH=$(dirname "$pc")
cc -std=c11 -Wall -Wextra -Werror "$FT_SRC/examples/minimal.c" \
	$(pkg-config --cflags --libs flowtap) -o "$tmp/minimal-shared" || fail "example does not build (shared)"
cc -std=c11 -Wall -Wextra -Werror "$FT_SRC/examples/minimal.c" \
	$(pkg-config --cflags flowtap) "$tmp/root$prefix"/lib*/libflowtap.a \
	$(pkg-config --libs libpcap libevent libevent_pthreads libcurl jansson libmnl libcrypto) -lpthread -lm \
	-o "$tmp/minimal-static" || fail "example does not build (static)"
LD_LIBRARY_PATH=$(dirname "$(ls "$tmp/root$prefix"/lib*/libflowtap.so.0* | head -1)") \
	"$tmp/minimal-shared" >"$tmp/a.pcapng" 2>"$tmp/err" || fail "example failed: $(cat "$tmp/err")"
n=$(tshark -n -r "$tmp/a.pcapng" -T fields -e frame.interface_name 2>/dev/null | grep -c '^from-local$' || true)
[ "$n" = 3 ] || fail "tshark read $n from-local packets from the example, expected 3"
"$tmp/minimal-static" >"$tmp/b.pcapng" 2>/dev/null || fail "static example failed"
echo "ok - installed tree: headers, libraries, pkg-config, programs, man pages; example builds and tshark reads it"
