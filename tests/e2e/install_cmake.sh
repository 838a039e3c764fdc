#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make install's tree has a CMake package config: examples/cmake builds
# examples/minimal.c with find_package(flowtap) (shared and static) from a
# DESTDIR install relocated under a temporary prefix, and tshark reads what
# the programs write.
set -euo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
. "$FT_SRC/tests/e2e/common.bash"
[ -z "${FT_SANITIZE:-}" ] || skip "install check runs in the plain build"
command -v cmake >/dev/null || skip "cmake is not installed"
tmp=$(mktemp -d /tmp/ft-cmake.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

DESTDIR=$tmp/root cmake --install "$FT_BUILD" >"$tmp/install.log" || fail "cmake --install failed"
cfg=$(find "$tmp/root" -name flowtapConfig.cmake | head -1)
[ -n "$cfg" ] || fail "flowtapConfig.cmake not installed"
[ -f "$(dirname "$cfg")/flowtapConfigVersion.cmake" ] || fail "no flowtapConfigVersion.cmake"
lic=$(find "$tmp/root" -path '*doc/flowtap/LICENSE' | head -1)
[ -n "$lic" ] && grep -q 'BSD 2-Clause' "$lic" || fail "LICENSE not installed"
# The tree is used where it lies, not where it was meant to go: the config
# must find everything relative to itself.
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$FT_BUILD/CMakeCache.txt")
cmake -S "$FT_SRC/examples/cmake" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$tmp/root$prefix" \
	>"$tmp/configure.log" 2>&1 || fail "configure with find_package(flowtap): $(cat "$tmp/configure.log")"
cmake --build "$tmp/b" >"$tmp/build.log" 2>&1 || fail "build: $(cat "$tmp/build.log")"
[ -x "$tmp/b/minimal_static" ] || fail "flowtap::flowtap_static not defined: $(cat "$tmp/configure.log")"
libdir=$(dirname "$(find "$tmp/root" -name 'libflowtap.so.0*' | head -1)")
LD_LIBRARY_PATH=$libdir "$tmp/b/minimal" >"$tmp/a.pcapng" 2>"$tmp/err" || fail "example: $(cat "$tmp/err")"
# grep reads all of ldd's lines: with pipefail, grep -q leaving early could
# kill ldd with SIGPIPE and fail the pipeline although the line matched.
ldd "$tmp/b/minimal" | grep "libflowtap.so.0 => $libdir" >/dev/null ||
	fail "not linked to the installed libflowtap"
"$tmp/b/minimal_static" >"$tmp/b.pcapng" 2>/dev/null || fail "static example failed"
for f in a b; do
	n=$(tshark -n -r "$tmp/$f.pcapng" -T fields -e frame.interface_name 2>/dev/null | grep -c '^from-local$' || true)
	[ "$n" = 3 ] || fail "tshark read $n from-local packets ($f), expected 3"
done
# An incompatible version is refused.
mkdir -p "$tmp/v" && cat >"$tmp/v/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(v C)
find_package(flowtap 9.0 REQUIRED)
CM
if cmake -S "$tmp/v" -B "$tmp/vb" -DCMAKE_PREFIX_PATH="$tmp/root$prefix" >"$tmp/v.log" 2>&1; then
	fail "find_package(flowtap 9.0) succeeded"
fi
ok "find_package(flowtap) from the installed tree: shared and static examples build and run, tshark reads them; 9.0 refused"
