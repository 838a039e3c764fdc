#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# integrations/openvpn/build.sh - build OpenVPN 2.7.6 with flowtap (the patch
# beside this script plus flowtap_openvpn.c, linked with FT_BUILD's static
# libflowtap), or with --unpatched the same release without it, cached.
#
#   build.sh [--unpatched] FT_BUILD     prints the path of the openvpn binary
#
# FT_BUILD is a flowtap CMake build directory (libflowtap.a must be built).
# The OpenVPN tree lives in FT_BUILD/openvpn-2.7.6 (or -unpatched). It is
# extracted, patched, configured and compiled again only when the tarball,
# the patch or this script's configure line change (~80 s on one core); when
# only the glue or libflowtap changed, just the glue is compiled and openvpn
# relinked (a few seconds). A sanitizer build of flowtap (FT_SANITIZE in its
# CMake cache) gets OpenVPN built with the same compiler and linked with the
# same -fsanitize, so the glue and the library run checked inside OpenVPN.
#
# Exit 77 with a message when the tarball is absent (FT_SHARED, default
# ../shared beside the repository), 1 on a build failure (log shown).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
patched=1
if [ "${1:-}" = --unpatched ]; then
	patched=0
	shift
fi
[ $# -eq 1 ] || {
	echo "usage: $0 [--unpatched] FT_BUILD" >&2
	exit 2
}
ftb=$(cd "$1" && pwd)
shared=${FT_SHARED:-$repo/../shared}
tarball=$shared/third_party/openvpn-2.7.6.tar.gz
if [ ! -f "$tarball" ]; then
	echo "openvpn: $tarball is absent: cannot build OpenVPN 2.7.6" >&2
	exit 77
fi

cache() { sed -n "s/^$1:[A-Z]*=//p" "$ftb/CMakeCache.txt" 2>/dev/null; }
sanitize=$(cache FT_SANITIZE)
cc=$(cache CMAKE_C_COMPILER)
cc=${cc:-cc}
san_flags=
[ -z "$sanitize" ] || san_flags="-fsanitize=$sanitize -fno-omit-frame-pointer"

patch=$here/openvpn-2.7.6-flowtap.patch
configure=(./configure --disable-plugins --disable-plugin-auth-pam --disable-lzo
	--enable-silent-rules "CC=$cc")
if [ $patched = 1 ]; then
	dir=$ftb/openvpn-2.7.6
	src_id=$( (sha256sum "$tarball" "$patch" | cut -d' ' -f1; echo "${configure[*]}") | sha256sum)
else
	dir=$ftb/openvpn-2.7.6-unpatched
	src_id=$( (sha256sum "$tarball" | cut -d' ' -f1; echo "${configure[*]}") | sha256sum)
fi
log=$dir.build.log
bin=$dir/src/openvpn/openvpn
# One build at a time per tree (tests may run in parallel).
exec 9>"$dir.lock"
flock 9

fail() {
	echo "openvpn: $1 failed; the end of $log:" >&2
	tail -30 "$log" >&2
	exit 1
}

if [ "$(cat "$dir/.ft-src-id" 2>/dev/null)" != "$src_id" ]; then
	echo "openvpn: building $(basename "$dir") in $dir (about 80 s on one core)" >&2
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xzf "$tarball" -C "$dir.tmp"
	mv "$dir.tmp/openvpn-2.7.6" "$dir"
	rmdir "$dir.tmp"
	: >"$log"
	if [ $patched = 1 ]; then
		(cd "$dir" && patch -p1 <"$patch") >>"$log" 2>&1 || fail "patch"
		cp "$here/flowtap_openvpn.h" "$dir/src/openvpn/"
	fi
	(cd "$dir" && autoreconf -fi && "${configure[@]}") >>"$log" 2>&1 || fail "configure"
	echo "$src_id" >"$dir/.ft-src-id"
	rm -f "$dir/.ft-link-id"
fi

# Unpatched: OpenVPN as released.
if [ $patched = 0 ]; then
	if [ ! -x "$bin" ]; then
		make -C "$dir" -j"${JOBS:-2}" >>"$log" 2>&1 || fail "make"
	fi
	echo "$bin"
	exit 0
fi

# Patched: compile the glue in OpenVPN's configured tree, link it and the
# static library (libflowtap's own dependencies from pkg-config).
cmp -s "$here/flowtap_openvpn.h" "$dir/src/openvpn/flowtap_openvpn.h" ||
	cp "$here/flowtap_openvpn.h" "$dir/src/openvpn/"
lib=$ftb/libflowtap.a
[ -f "$lib" ] || {
	echo "openvpn: $lib is missing: build flowtap first" >&2
	exit 1
}
link_id=$( (sha256sum "$here/flowtap_openvpn.c" "$here/flowtap_openvpn.h" "$lib" |
	cut -d' ' -f1; echo "$cc $san_flags") | sha256sum)
glue=$dir/src/openvpn/flowtap_openvpn.o
deps="libpcap libevent libevent_pthreads libcurl jansson libmnl"
if [ "$(cat "$dir/.ft-link-id" 2>/dev/null)" != "$link_id" ] || [ ! -x "$bin" ]; then
	# shellcheck disable=SC2046
	"$cc" -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter $san_flags \
		-DHAVE_CONFIG_H -I"$dir" -I"$dir/include" -I"$dir/src/compat" \
		-I"$dir/src/openvpn" -I"$repo/include" $(pkg-config --cflags $deps libnl-genl-3.0) \
		-c "$here/flowtap_openvpn.c" -o "$glue" >>"$log" 2>&1 || fail "compiling the glue"
	libs="$(sed -n 's/^LIBS = //p' "$dir/src/openvpn/Makefile") $glue $lib"
	libs="$libs $(pkg-config --libs $deps) -lpthread -lm"
	rm -f "$bin"
	make -C "$dir" -j"${JOBS:-2}" LIBS="$libs" LDFLAGS="$san_flags" >>"$log" 2>&1 ||
		fail "make"
	echo "$link_id" >"$dir/.ft-link-id"
fi
echo "$bin"
