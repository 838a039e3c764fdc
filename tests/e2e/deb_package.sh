#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make deb` builds the Debian packages libflowtap0, libflowtap-dev, flowtap
# and flowtapd; dpkg-deb -I and dpkg -c show what each holds; the flowtap and
# libflowtap0 packages extracted into a temporary tree run (`flowtap
# --version`, an example linked against the packaged library); lintian finds
# no errors. The package build takes minutes, so this runs only with
# FT_TEST_DEB=1 (FT_DEB_DIR=DIR checks packages built before instead).
set -uo pipefail
: "${FT_SRC:?}"
. "$FT_SRC/tests/e2e/common.bash"
[ "${FT_TEST_DEB:-0}" = 1 ] || [ -n "${FT_DEB_DIR:-}" ] ||
	skip "the Debian package build takes minutes: run with FT_TEST_DEB=1 (or make deb, then FT_DEB_DIR=build/deb)"
for t in dpkg-buildpackage dpkg-deb lintian; do
	command -v $t >/dev/null || skip "$t is not installed (devscripts, dpkg-dev, lintian)"
done
TMP=$(mktemp -d /tmp/ft-deb.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
deb=${FT_DEB_DIR:-$TMP/b/deb}
if [ -z "${FT_DEB_DIR:-}" ]; then
	make -C "$FT_SRC" deb BUILD="$TMP/b" >"$TMP/build.log" 2>&1 ||
		fail "make deb failed: $(tail -30 "$TMP/build.log")"
fi
v=$(dpkg-parsechangelog -l "$FT_SRC/debian/changelog" -S Version)
for p in libflowtap0 libflowtap-dev flowtap flowtapd; do
	f=$(ls "$deb"/${p}_${v}_*.deb 2>/dev/null | head -1)
	[ -n "$f" ] || fail "no package $p $v in $deb: $(ls "$deb")"
	[ "$(dpkg-deb -f "$f" Package)" = "$p" ] || fail "$f: $(dpkg-deb -I "$f")"
	dpkg -c "$f" | awk '{print $6}' >"$TMP/$p.list"
done
has() { grep -q "$2" "$TMP/$1.list" || fail "package $1 lacks $2: $(cat "$TMP/$1.list")"; }
has libflowtap0 '/usr/lib/.*/libflowtap\.so\.0$'
has libflowtap-dev '/usr/include/flowtap/flowtap\.h$'
has libflowtap-dev '/usr/include/flowtap/metrics\.h$'
has libflowtap-dev '/usr/lib/.*/libflowtap\.a$'
has libflowtap-dev '/usr/lib/.*/pkgconfig/flowtap\.pc$'
has libflowtap-dev '/usr/lib/.*/cmake/flowtap/flowtapConfig\.cmake$'
has flowtap '/usr/bin/flowtap$'
has flowtap '/usr/share/flowtap/flowtap\.lua$'
has flowtap '/usr/lib/.*/wireshark/extcap/flowtap-extcap$'
has flowtap '/usr/share/man/man1/flowtap\.1\.gz$'
has flowtapd '/usr/sbin/flowtapd$'
has flowtapd '/lib/systemd/system/flowtapd\.service$'
has flowtapd '/usr/share/man/man8/flowtapd\.8\.gz$'
for p in libflowtap0 flowtap flowtapd; do
	grep -q '/usr/share/doc/'$p'/copyright$' "$TMP/$p.list" || fail "$p has no copyright file"
done
dpkg-deb -f "$deb"/libflowtap-dev_${v}_*.deb Depends | grep -q "libflowtap0 (= $v)" ||
	fail "libflowtap-dev does not depend on libflowtap0 (= $v)"
ok "four packages, version $v, with their files (dpkg -c) and fields (dpkg-deb -I)"

# The installed programs run from an extracted tree.
for p in flowtap libflowtap0 libflowtap-dev; do
	dpkg-deb -x "$deb"/${p}_${v}_*.deb "$TMP/root" || fail "dpkg-deb -x $p"
done
out=$("$TMP/root/usr/bin/flowtap" --version 2>&1) || fail "installed flowtap --version: $out"
[ "$out" = "flowtap $v" ] || fail "installed flowtap --version says '$out'"
libdir=$(dirname "$(ls "$TMP"/root/usr/lib/*/libflowtap.so.0)")
cc -std=c11 -Wall -Werror -I"$TMP/root/usr/include" "$FT_SRC/examples/minimal.c" -L"$libdir" -lflowtap \
	-o "$TMP/minimal" || fail "example does not build against the packaged library"
LD_LIBRARY_PATH=$libdir "$TMP/minimal" >"$TMP/a.pcapng" || fail "example failed"
LD_LIBRARY_PATH=$libdir ldd "$TMP/minimal" | grep "libflowtap.so.0 => $libdir" >/dev/null ||
	fail "example not linked to the packaged library" # no -q: see install_cmake
ok "extracted packages: flowtap --version says '$out'; an example links libflowtap.so.0 from the package"

lintian --fail-on error "$deb"/*_${v}_*.changes >"$TMP/lintian" 2>&1 ||
	fail "lintian errors: $(grep '^E:' "$TMP/lintian")"
ok "lintian: no errors ($(grep -c '^W:' "$TMP/lintian") warnings)"
