#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Install the Debian packages flowtap needs to build, test, benchmark and run
# its demo; apt-get runs only when something is missing (idempotent).
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
	libpcap-dev libevent-dev libcurl4-openssl-dev libjansson-dev libmnl-dev libcmocka-dev
	tshark tcpdump nfdump softflowd tcpreplay iperf3 nftables iproute2 iputils-ping curl
	# trafgen, the high-rate traffic of bench/run_highrate.sh
	netsniff-ng
	python3 util-linux procps psmisc jq bc xxd bsdextrautils bsdutils kmod
	# OpenVPN 2.7.6 for integrations/openvpn (make demo-openvpn, e2e/openvpn_*)
	autoconf automake libtool libssl-dev libcap-ng-dev libnl-genl-3-dev liblz4-dev openssl
	# ClickHouse for flow-log records (make demo-clickhouse, e2e/clickhouse_*, bench)
	clickhouse-server time
	# WireGuard for e2e/flowtapd_wireguard
	wireguard-go wireguard-tools
	# Prometheus and promtool (e2e/metrics_prometheus), pmacct's nfacctd
	# (e2e/flows_ipfix_nfacctd), and what make deb needs
	prometheus pmacct debhelper dpkg-dev lintian
	# flowtapd --drops: the kfree_skb BPF program (clang above), its libbpf
	# skeleton and vmlinux.h (bpftool); e2e/flowtapd_drops uses setpriv
	libbpf-dev bpftool llvm
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "deps: missing packages (${missing[*]}) and not root; run 'make deps' as root" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
