/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the packet decoders behind ft_text_format(): one vector per
 * protocol feature with its exact default and -v text, then every vector cut
 * at every byte (a truncation marker, one line, no out-of-bounds read under
 * ASan), then random garbage and random mutations of the vectors.
 *
 * The vectors come from tests/data/gen_text_pcap.py (Ethernet packets, the
 * same ones that tests/e2e/text_vs_tshark.sh compares field by field with
 * tshark) plus the other link types wrapped around two of them; the expected
 * text was checked against tcpdump -n -S where tcpdump decodes the protocol.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <flowtap/text.h>

struct vec {
	const char *name;
	int dlt;
	const char *hex;
	const char *want;   /* default text, no timestamp */
	const char *want_v; /* -v */
};

static const struct vec vecs[] = {
    {"tcp_syn", 1,
     "02000000000202000000000108004500003c00014000400672386440000164400002d43101bb000003e8000000"
     "00a002ffffa5a70000020405b40402080a000000010000000001030307",
     "IP 100.64.0.1.54321 > 100.64.0.2.443: Flags [S], seq 1000, win 65535, options [mss "
     "1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)\n    "
     "100.64.0.1.54321 > 100.64.0.2.443: Flags [S], cksum 0xa5a7 (correct), seq 1000, win 65535, "
     "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
    {"tcp_synack", 1,
     "02000000000202000000000108004500003c0001400040067238644000026440000101bbd43100001388000003"
     "e9a012ffff920e0000020405b40402080a000000010000000001030307",
     "IP 100.64.0.2.443 > 100.64.0.1.54321: Flags [S.], seq 5000, ack 1001, win 65535, options "
     "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)\n    "
     "100.64.0.2.443 > 100.64.0.1.54321: Flags [S.], cksum 0x920e (correct), seq 5000, ack 1001, "
     "win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
    {"tls_ch", 1,
     "02000000000202000000000108004500007900014000400671fb6440000164400002d43101bb000003e9000013"
     "895018ffff22b40000160301004c01000048030300000000000000000000000000000000000000000000000000"
     "00000000000000000004130113020100001b00000010000e00000b6578616d706c652e636f6d002b0003020304",
     "IP 100.64.0.1.54321 > 100.64.0.2.443: Flags [P.], seq 1001:1082, ack 5001, win 65535, length "
     "81: TLS ClientHello, SNI example.com",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 121)\n    "
     "100.64.0.1.54321 > 100.64.0.2.443: Flags [P.], cksum 0x22b4 (correct), seq 1001:1082, ack "
     "5001, win 65535, length 81: TLS ClientHello, SNI example.com"},
    {"tls_sh", 1,
     "02000000000202000000000108004500005f0001400040067215644000026440000101bbd43100001389000004"
     "b05018ffff32e0000016030300320200002e030300000000000000000000000000000000000000000000000000"
     "00000000000000001301000006002b00020304",
     "IP 100.64.0.2.443 > 100.64.0.1.54321: Flags [P.], seq 5001:5056, ack 1200, win 65535, length "
     "55: TLS ServerHello, version TLS1.3, cipher 0x1301",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 95)\n    "
     "100.64.0.2.443 > 100.64.0.1.54321: Flags [P.], cksum 0x32e0 (correct), seq 5001:5056, ack "
     "1200, win 65535, length 55: TLS ServerHello, version TLS1.3, cipher 0x1301"},
    {"tcp_sack", 1,
     "02000000000202000000000108004500003400014000400672406440000164400002d43101bb000004b0000013"
     "ec8010ffffaf2900000101050a000007d000000bb8",
     "IP 100.64.0.1.54321 > 100.64.0.2.443: Flags [.], ack 5100, win 65535, options [nop,nop,sack "
     "1 {2000:3000}], length 0",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 52)\n    "
     "100.64.0.1.54321 > 100.64.0.2.443: Flags [.], cksum 0xaf29 (correct), ack 5100, win 65535, "
     "options [nop,nop,sack 1 {2000:3000}], length 0"},
    {"tcp_rst", 1,
     "020000000002020000000001080045000028000140004006724c644000026440000101bbd431000013ec000000"
     "005004fffffd840000",
     "IP 100.64.0.2.443 > 100.64.0.1.54321: Flags [R], seq 5100, win 65535, length 0",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 40)\n    "
     "100.64.0.2.443 > 100.64.0.1.54321: Flags [R], cksum 0xfd84 (correct), seq 5100, win 65535, "
     "length 0"},
    {"tcp_urg", 1,
     "020000000002020000000001080045000029000140004006724b64400001644000029c40005000000007000000"
     "0950f8ffffd1c6000178",
     "IP 100.64.0.1.40000 > 100.64.0.2.80: Flags [P.UEW], seq 7:8, ack 9, win 65535, urg 1, length "
     "1: HTTP",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 41)\n    "
     "100.64.0.1.40000 > 100.64.0.2.80: Flags [P.UEW], cksum 0xd1c6 (correct), seq 7:8, ack 9, win "
     "65535, urg 1, length 1: HTTP"},
    {"http_get", 1,
     "02000000000202000000000108004500004d000140004006722764400001644000029c41005000000001000000"
     "015018ffff2ac00000474554202f696e6465782e68746d6c20485454502f312e310d0a486f73743a20610d0a0d"
     "0a",
     "IP 100.64.0.1.40001 > 100.64.0.2.80: Flags [P.], seq 1:38, ack 1, win 65535, length 37: "
     "HTTP: GET /index.html HTTP/1.1",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 77)\n    "
     "100.64.0.1.40001 > 100.64.0.2.80: Flags [P.], cksum 0x2ac0 (correct), seq 1:38, ack 1, win "
     "65535, length 37: HTTP, length: 37\n\tGET /index.html HTTP/1.1\n\tHost: a\n\t"},
    {"http_200", 1,
     "02000000000202000000000108004500004e0001400040067226644000026440000100509c4100000001000000"
     "285018ffff9b6a0000485454502f312e3120323030204f4b0d0a436f6e74656e742d4c656e6774683a20300d0a"
     "0d0a",
     "IP 100.64.0.2.80 > 100.64.0.1.40001: Flags [P.], seq 1:39, ack 40, win 65535, length 38: "
     "HTTP: HTTP/1.1 200 OK",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 78)\n    "
     "100.64.0.2.80 > 100.64.0.1.40001: Flags [P.], cksum 0x9b6a (correct), seq 1:39, ack 40, win "
     "65535, length 38: HTTP, length: 38\n\tHTTP/1.1 200 OK\n\tContent-Length: 0\n\t"},
    {"ssh", 1,
     "02000000000202000000000108004500003d0001400040067237644000026440000100169c4200000001000000"
     "015018ffff833100005353482d322e302d4f70656e5353485f392e360d0a",
     "IP 100.64.0.2.22 > 100.64.0.1.40002: Flags [P.], seq 1:22, ack 1, win 65535, length 21: SSH: "
     "SSH-2.0-OpenSSH_9.6",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 61)\n    "
     "100.64.0.2.22 > 100.64.0.1.40002: Flags [P.], cksum 0x8331 (correct), seq 1:22, ack 1, win "
     "65535, length 21: SSH: SSH-2.0-OpenSSH_9.6"},
    {"dns_q", 1,
     "02000000000202000000000108004500004400014000401172256440000164400002823500350030c2d4123401"
     "000001000000000001076578616d706c6503636f6d00000100010000291000000000000000",
     "IP 100.64.0.1.33333 > 100.64.0.2.53: 4660+ [1au] A? example.com. (40)",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 68)\n    "
     "100.64.0.1.33333 > 100.64.0.2.53: 4660+ [1au] A? example.com. (40)"},
    {"dns_r", 1,
     "02000000000202000000000108004500006600014000401172036440000264400001003582350052b015123481"
     "800001000200000000076578616d706c6503636f6d0000010001c00c000500010000012c001103777777076578"
     "616d706c6503636f6d00c00c000100010000012c00045db8d822",
     "IP 100.64.0.2.53 > 100.64.0.1.33333: 4660 2/0/0 CNAME www.example.com., A 93.184.216.34 (74)",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 102)\n    "
     "100.64.0.2.53 > 100.64.0.1.33333: 4660 2/0/0 CNAME www.example.com., A 93.184.216.34 (74)"},
    {"dns_tcp", 1,
     "020000000002020000000001080045000047000140004006722d64400001644000028237003500000001000000"
     "015018ffff9f160000001d000901000001000000000000076578616d706c65036e65740000010001",
     "IP 100.64.0.1.33335 > 100.64.0.2.53: Flags [P.], seq 1:32, ack 1, win 65535, length 31 9+ A? "
     "example.net. (29)",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 71)\n    "
     "100.64.0.1.33335 > 100.64.0.2.53: Flags [P.], cksum 0x9f16 (correct), seq 1:32, ack 1, win "
     "65535, length 31 9+ A? example.net. (29)"},
    {"mdns", 1,
     "02000000000202000000000108004500003b000140004011f57464400001e00000fb14e914e900275e94000001"
     "000001000000000000077072696e746572056c6f63616c00000c0001",
     "IP 100.64.0.1.5353 > 224.0.0.251.5353: 0+ PTR (QM)? printer.local. (31)",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 59)\n    "
     "100.64.0.1.5353 > 224.0.0.251.5353: 0+ PTR (QM)? printer.local. (31)"},
    {"udp", 1,
     "02000000000202000000000108004500008000014000401171e964400001644000029c40a2a9006cc576010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "01010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"icmp_echo", 1,
     "020000000002020000000001080045000054000140004001722564400001644000020800f7fd00010001000000"
     "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000",
     "IP 100.64.0.1 > 100.64.0.2: ICMP echo request, id 1, seq 1, length 64",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 84)\n    100.64.0.1 "
     "> 100.64.0.2: ICMP echo request, id 1, seq 1, length 64"},
    {"icmp_unreach", 1,
     "020000000002020000000001080045000038000140004001724164400002644000010303c59900000000450000"
     "1c000140004011724d6440000164400002829a829b00083225",
     "IP 100.64.0.2 > 100.64.0.1: ICMP 100.64.0.2 udp port 33435 unreachable, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    100.64.0.2 "
     "> 100.64.0.1: ICMP 100.64.0.2 udp port 33435 unreachable, length 36"},
    {"icmp_ttl", 1,
     "020000000002020000000001080045000038000140004001724164400002644000010b00bd9c00000000450000"
     "1c000140004011724d6440000164400002829a829b00083225",
     "IP 100.64.0.2 > 100.64.0.1: ICMP time exceeded in-transit, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    100.64.0.2 "
     "> 100.64.0.1: ICMP time exceeded in-transit, length 36"},
    {"icmp_frag", 1,
     "020000000002020000000001080045000038000140004001724164400002644000010304c02000000578450000"
     "1c000140004011724d6440000164400002829a829b00083225",
     "IP 100.64.0.2 > 100.64.0.1: ICMP 100.64.0.2 unreachable - need to frag (mtu 1400), length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    100.64.0.2 "
     "> 100.64.0.1: ICMP 100.64.0.2 unreachable - need to frag (mtu 1400), length 36"},
    {"ip_opts", 1,
     "02000000000202000000000108004800002b000140004011d32e64400001644000020107070400000000940400"
     "0003e807d0000b482c6f7074",
     "IP 100.64.0.1.1000 > 100.64.0.2.2000: UDP, length 3",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 43, options "
     "(NOP,RR,RA))\n    100.64.0.1.1000 > 100.64.0.2.2000: UDP, length 3"},
    {"frag1", 1,
     "02000000000202000000000108004500003c004d2000401191e1644000016440000203e907d100482b21000000"
     "0000000000000000000000000000000000000000000000000000000000",
     "IP 100.64.0.1.1001 > 100.64.0.2.2001: UDP, length 64",
     "IP (tos 0x0, ttl 64, id 77, offset 0, flags [+], proto UDP (17), length 60)\n    "
     "100.64.0.1.1001 > 100.64.0.2.2001: UDP, length 64"},
    {"frag2", 1,
     "020000000002020000000001080045000034004d00054011b1e464400001644000020000000000000000000000"
     "000000000000000000000000000000000000000000",
     "IP 100.64.0.1 > 100.64.0.2: ip-proto-17, frag id 77 offset 40, length 32",
     "IP (tos 0x0, ttl 64, id 77, offset 40, flags [none], proto UDP (17), length 52)\n    "
     "100.64.0.1 > 100.64.0.2: ip-proto-17, frag id 77 offset 40, length 32"},
    {"tcp6_syn", 1,
     "02000000000202000000000186dd6001234500280640fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002c35001bb0000000100000000a002ffff21810000020405b40402080a0000000100000000"
     "01030307",
     "IP6 fd7a:115c:a1e0::1.50000 > fd7a:115c:a1e0::2.443: Flags [S], seq 1, win 65535, options "
     "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
     "IP6 (flowlabel 0x12345, hlim 64, next-header TCP (6) payload length: 40) "
     "fd7a:115c:a1e0::1.50000 > fd7a:115c:a1e0::2.443: Flags [S], cksum 0x2181 (correct), seq 1, "
     "win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
    {"dns6", 1,
     "02000000000202000000000186dd6000000000251140fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002c35100350025efda006301000001000000000000076578616d706c6503636f6d00001c00"
     "01",
     "IP6 fd7a:115c:a1e0::1.50001 > fd7a:115c:a1e0::2.53: 99+ AAAA? example.com. (29)",
     "IP6 (hlim 64, next-header UDP (17) payload length: 37) fd7a:115c:a1e0::1.50001 > "
     "fd7a:115c:a1e0::2.53: [udp sum ok] 99+ AAAA? example.com. (29)"},
    {"icmp6_echo", 1,
     "02000000000202000000000186dd6000000000183a40fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "00000000000000000280001e310007000300000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3"},
    {"icmp6_ns", 1,
     "02000000000202000000000186dd6000000000183afffe800000000000000000000000000001ff020000000000"
     "0000000001ff00000287007da100000000fe800000000000000000000000000002",
     "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24",
     "IP6 (hlim 255, next-header ICMPv6 (58) payload length: 24) fe80::1 > ff02::1:ff00:2: [icmp6 "
     "sum ok] ICMP6, neighbor solicitation, who has fe80::2"},
    {"icmp6_na", 1,
     "02000000000202000000000186dd6000000000183afffe800000000000000000000000000002fe800000000000"
     "00000000000000000188001c2560000000fe800000000000000000000000000002",
     "IP6 fe80::2 > fe80::1: ICMP6, neighbor advertisement, tgt is fe80::2, length 24",
     "IP6 (hlim 255, next-header ICMPv6 (58) payload length: 24) fe80::2 > fe80::1: [icmp6 sum ok] "
     "ICMP6, neighbor advertisement, tgt is fe80::2"},
    {"icmp6_rs", 1,
     "02000000000202000000000186dd6000000000083afffe800000000000000000000000000001ff020000000000"
     "00000000000000000285007d3600000000",
     "IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 8",
     "IP6 (hlim 255, next-header ICMPv6 (58) payload length: 8) fe80::1 > ff02::2: [icmp6 sum ok] "
     "ICMP6, router solicitation"},
    {"icmp6_ptb", 1,
     "02000000000202000000000186dd6000000000383a40fd7a115ca1e000000000000000000002fd7a115ca1e000"
     "000000000000000001020025ec000005006000000000081140fd7a115ca1e000000000000000000001fd7a115c"
     "a1e0000000000000000000020001000200089e69",
     "IP6 fd7a:115c:a1e0::2 > fd7a:115c:a1e0::1: ICMP6, packet too big, mtu 1280, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd7a:115c:a1e0::2 > "
     "fd7a:115c:a1e0::1: [icmp6 sum ok] ICMP6, packet too big, mtu 1280"},
    {"icmp6_unreach", 1,
     "02000000000202000000000186dd6000000000383a40fd7a115ca1e000000000000000000002fd7a115ca1e000"
     "00000000000000000101042be8000000006000000000081140fd7a115ca1e000000000000000000001fd7a115c"
     "a1e0000000000000000000020001000200089e69",
     "IP6 fd7a:115c:a1e0::2 > fd7a:115c:a1e0::1: ICMP6, destination unreachable, unreachable port, "
     "fd7a:115c:a1e0::2 udp port 2, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd7a:115c:a1e0::2 > "
     "fd7a:115c:a1e0::1: [icmp6 sum ok] ICMP6, destination unreachable, unreachable port, "
     "fd7a:115c:a1e0::2 udp port 2"},
    {"ip6_hbh", 1,
     "02000000000202000000000186dd6000000000130040fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002110005020000010013881770000ba30b686268",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: HBH fd7a:115c:a1e0::1.5000 > "
     "fd7a:115c:a1e0::2.6000: UDP, length 3",
     "IP6 (hlim 64, next-header HBH (0) payload length: 19) fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: "
     "HBH fd7a:115c:a1e0::1.5000 > fd7a:115c:a1e0::2.6000: [udp sum ok] UDP, length 3"},
    {"ip6_dst", 1,
     "02000000000202000000000186dd60000000001c3c40fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "00000000000000000206000104000000001389177100000001000000015010ffff23670000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: DSTOPT fd7a:115c:a1e0::1.5001 > "
     "fd7a:115c:a1e0::2.6001: Flags [.], ack 1, win 65535, length 0",
     "IP6 (hlim 64, next-header DSTOPT (60) payload length: 28) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: DSTOPT fd7a:115c:a1e0::1.5001 > fd7a:115c:a1e0::2.6001: Flags [.], cksum "
     "0x2367 (correct), ack 1, win 65535, length 0"},
    {"ip6_rt", 1,
     "02000000000202000000000186dd6000000000202b40fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "0000000000000000023a02000100000000fd7a115ca1e00000000000000000000380001e4900010001",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: srcrt (type 0, segleft 1) ICMP6, echo request, id "
     "1, seq 1, length 8",
     "IP6 (hlim 64, next-header Routing (43) payload length: 32) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: srcrt (type 0, segleft 1) [icmp6 sum ok] ICMP6, echo request, id 1, seq "
     "1"},
    {"ip6_frag1", 1,
     "02000000000202000000000186dd6000000000202c40fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002110000010000abcd138a17720030732000000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: frag (0x0000abcd:0|24) fd7a:115c:a1e0::1.5002 > "
     "fd7a:115c:a1e0::2.6002: UDP, length 40",
     "IP6 (hlim 64, next-header frag (44) payload length: 32) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: frag (0x0000abcd:0|24) fd7a:115c:a1e0::1.5002 > fd7a:115c:a1e0::2.6002: "
     "UDP, length 40"},
    {"ip6_frag2", 1,
     "02000000000202000000000186dd6000000000202c40fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002110000180000abcd000000000000000000000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: frag (0x0000abcd:24|24)",
     "IP6 (hlim 64, next-header frag (44) payload length: 32) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: frag (0x0000abcd:24|24)"},
    {"ip6_ah", 1,
     "02000000000202000000000186dd60000000002c3340fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002060400000000100000000005000000000000000000000000138b17730000000100000001"
     "5010ffff23630000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: AH(spi=0x00001000,seq=0x5): "
     "fd7a:115c:a1e0::1.5003 > fd7a:115c:a1e0::2.6003: Flags [.], ack 1, win 65535, length 0",
     "IP6 (hlim 64, next-header AH (51) payload length: 44) fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: "
     "AH(spi=0x00001000,seq=0x5): fd7a:115c:a1e0::1.5003 > fd7a:115c:a1e0::2.6003: Flags [.], "
     "cksum 0x2363 (correct), ack 1, win 65535, length 0"},
    {"ip6_esp", 1,
     "02000000000202000000000186dd6000000000283240fd7a115ca1e000000000000000000001fd7a115ca1e000"
     "000000000000000002000020000000000600000000000000000000000000000000000000000000000000000000"
     "00000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ESP(spi=0x00002000,seq=0x6), length 40",
     "IP6 (hlim 64, next-header ESP (50) payload length: 40) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: ESP(spi=0x00002000,seq=0x6), length 40"},
    {"arp_req", 1,
     "020000000002020000000001080600010800060400010200000000016440000100000000000064400002",
     "ARP, Request who-has 100.64.0.2 tell 100.64.0.1, length 28",
     "ARP, Request who-has 100.64.0.2 tell 100.64.0.1, length 28"},
    {"arp_rep", 1,
     "020000000002020000000001080600010800060400020200000000026440000202000000000164400001",
     "ARP, Reply 100.64.0.2 is-at 02:00:00:00:00:02, length 28",
     "ARP, Reply 100.64.0.2 is-at 02:00:00:00:00:02, length 28"},
    {"vlan", 1,
     "02000000000202000000000181000064080045000028000140004006724c644000016440000200010002000000"
     "03000000045010ffffe7470000",
     "IP 100.64.0.1.1 > 100.64.0.2.2: Flags [.], ack 4, win 65535, length 0",
     "vlan 100, p 0, IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 40)\n  "
     "  100.64.0.1.1 > 100.64.0.2.2: Flags [.], cksum 0xe747 (correct), ack 4, win 65535, length "
     "0"},
    {"raw4", 12,
     "4500008000014000401171e964400001644000029c40a2a9006cc5760101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "0101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"raw6", 12,
     "6000000000183a40fd7a115ca1e000000000000000000001fd7a115ca1e00000000000000000000280001e3100"
     "07000300000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3"},
    {"linktype_raw", 101,
     "4500008000014000401171e964400001644000029c40a2a9006cc5760101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "0101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"ipv4_dlt", 228,
     "4500008000014000401171e964400001644000029c40a2a9006cc5760101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "0101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"ipv6_dlt", 229,
     "6000000000183a40fd7a115ca1e000000000000000000001fd7a115ca1e00000000000000000000280001e3100"
     "07000300000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3"},
    {"sll_out", 113,
     "000400010006616263646566000008004500008000014000401171e964400001644000029c40a2a9006cc57601"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101",
     "OUT IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "OUT IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"sll_in6", 113,
     "000000010006616263646566000086dd6000000000183a40fd7a115ca1e000000000000000000001fd7a115ca1"
     "e00000000000000000000280001e310007000300000000000000000000000000000000",
     "IN IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, length 24",
     "IN IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3"},
    {"sll2_in", 276,
     "08000000000000030001000661626364656600004500008000014000401171e964400001644000029c40a2a900"
     "6cc576010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "01010101010101010101010101",
     "IN IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IN IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"null_le", 0,
     "020000004500008000014000401171e964400001644000029c40a2a9006cc57601010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"null_be6", 0,
     "0000001e6000000000183a40fd7a115ca1e000000000000000000001fd7a115ca1e00000000000000000000280"
     "001e310007000300000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3"},
    {"loop", 108,
     "000000024500008000014000401171e964400001644000029c40a2a9006cc57601010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"nflog", 239,
     "0200000108000100080003000c000a0064726f702d696e00840009004500008000014000401171e96440000164"
     "4000029c40a2a9006cc57601010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101",
     "NFLOG prefix \"drop-in\" IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "NFLOG prefix \"drop-in\" IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), "
     "length 128)\n    100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"user0", 147,
     "00000464646464004500008000014000401171e964400001644000029c40a2a9006cc576010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "01",
     "OUT from-local IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100 [pre-nat src "
     "100.100.100.100]",
     "OUT from-local IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length "
     "128)\n    100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100 [pre-nat src "
     "100.100.100.100]"},
    {"user0_v6", 147,
     "01000010fd7a00000000000000000000000000096000000000183a40fd7a115ca1e000000000000000000001fd"
     "7a115ca1e00000000000000000000280001e310007000300000000000000000000000000000000",
     "IN from-peer IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, "
     "length 24 [pre-nat dst fd7a::9]",
     "IN from-peer IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3 [pre-nat dst fd7a::9]"},
    {"wifi", 105, "000000000000000000000000000000000000000000000000000000000000",
     "unsupported link type 105 (IEEE802_11), length 30",
     "unsupported link type 105 (IEEE802_11), length 30"},
    {"ipip", 12,
     "4500009400014000400426630a0000010a0000024500008000014000401171e964400001644000029c40a2a900"
     "6cc576010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "01010101010101010101010101",
     "IP 10.0.0.1 > 10.0.0.2: IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto IPIP (4), length 148)\n    10.0.0.1 > "
     "10.0.0.2: IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"lldp", 1, "02000000000202000000000188cc0000000000000000000000000000000000000000",
     "LLDP, length 20", "LLDP, length 20"},
    {"ppp", 9,
     "ff0300214500008000014000401171e964400001644000029c40a2a9006cc57601010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"ppp_pfc", 9,
     "576000000000183a40fd7a115ca1e000000000000000000001fd7a115ca1e00000000000000000000280001e31"
     "0007000300000000000000000000000000000000",
     "IP6 fd7a:115c:a1e0::1 > fd7a:115c:a1e0::2: ICMP6, echo request, id 7, seq 3, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd7a:115c:a1e0::1 > "
     "fd7a:115c:a1e0::2: [icmp6 sum ok] ICMP6, echo request, id 7, seq 3"},
    {"ppp_serial_lcp", 50, "ff03c02101010004", "PPP protocol 0xc021, length 4",
     "PPP protocol 0xc021, length 4"},
    {"chdlc", 104,
     "0f0008004500008000014000401171e964400001644000029c40a2a9006cc57601010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
     "IP 100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 128)\n    "
     "100.64.0.1.40000 > 100.64.0.2.41641: UDP, length 100"},
    {"ip_flags_mf_df", 101, "4500001d00016000401106cd0a0000010a00000200010002000973d678",
     "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [+, DF], proto UDP (17), length 29)\n    "
     "10.0.0.1.1 > 10.0.0.2.2: UDP, length 1"},
    {"ip_flags_all", 101, "4500001d0001e000401186cc0a0000010a00000200010002000973d678",
     "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [+, DF, rsvd], proto UDP (17), length 29)\n    "
     "10.0.0.1.1 > 10.0.0.2.2: UDP, length 1"},
    {"ip_flags_rsvd", 101, "4500001d000180004011e6cc0a0000010a00000200010002000973d678",
     "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [rsvd], proto UDP (17), length 29)\n    "
     "10.0.0.1.1 > 10.0.0.2.2: UDP, length 1"},
    {"ip_ra_igmp", 101, "4600002000014000400291d40a0000010a000002940400000000000000000000",
     "IP 10.0.0.1 > 10.0.0.2: ip-proto-2, length 8",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto IGMP (2), length 32, options (RA))\n  "
     "  10.0.0.1 > 10.0.0.2: ip-proto-2, length 8"},
    {"ip_gre", 101, "4500001c00014000402f26b00a0000010a0000020000000000000000",
     "IP 10.0.0.1 > 10.0.0.2: ip-proto-47, length 8",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto GRE (47), length 28)\n    10.0.0.1 > "
     "10.0.0.2: ip-proto-47, length 8"},
    {"icmp_3_0", 101,
     "4500003800014000400126c20a0000020a00000103000bab000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP net 10.0.0.9 unreachable, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP net 10.0.0.9 unreachable, length 36"},
    {"icmp_3_1", 101,
     "4500003800014000400126c20a0000020a00000103010baa000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable, length 36"},
    {"icmp_3_2", 101,
     "4500003800014000400126c20a0000020a00000103020ba9000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.9 protocol 17 unreachable, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP 10.0.0.9 protocol 17 unreachable, length 36"},
    {"icmp_3_5", 101,
     "4500003800014000400126c20a0000020a00000103050ba6000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.9 unreachable - source route failed, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP 10.0.0.9 unreachable - source route failed, length 36"},
    {"icmp_3_6", 101,
     "4500003800014000400126c20a0000020a00000103060ba5000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP net 10.0.0.9 unreachable - unknown, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP net 10.0.0.9 unreachable - unknown, length 36"},
    {"icmp_3_7", 101,
     "4500003800014000400126c20a0000020a00000103070ba4000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable - unknown, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable - unknown, length 36"},
    {"icmp_3_8", 101,
     "4500003800014000400126c20a0000020a00000103080ba3000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.9 unreachable - source host isolated, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP 10.0.0.9 unreachable - source host isolated, length 36"},
    {"icmp_3_9", 101,
     "4500003800014000400126c20a0000020a00000103090ba2000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP net 10.0.0.9 unreachable - admin prohibited, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP net 10.0.0.9 unreachable - admin prohibited, length 36"},
    {"icmp_3_10", 101,
     "4500003800014000400126c20a0000020a000001030a0ba1000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable - admin prohibited, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable - admin prohibited, length 36"},
    {"icmp_3_11", 101,
     "4500003800014000400126c20a0000020a000001030b0ba0000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP net 10.0.0.9 unreachable - tos prohibited, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP net 10.0.0.9 unreachable - tos prohibited, length 36"},
    {"icmp_3_12", 101,
     "4500003800014000400126c20a0000020a000001030c0b9f000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable - tos prohibited, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable - tos prohibited, length 36"},
    {"icmp_3_13", 101,
     "4500003800014000400126c20a0000020a000001030d0b9e000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable - admin prohibited filter, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable - admin prohibited filter, length 36"},
    {"icmp_3_14", 101,
     "4500003800014000400126c20a0000020a000001030e0b9d000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable - host precedence violation, length "
     "36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable - host precedence violation, length 36"},
    {"icmp_3_15", 101,
     "4500003800014000400126c20a0000020a000001030f0b9c000005784500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.9 unreachable - precedence cutoff, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP host 10.0.0.9 unreachable - precedence cutoff, length 36"},
    {"icmp_11_1", 101,
     "4500003800014000400126c20a0000020a0000010b010122080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP ip reassembly time exceeded, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP ip reassembly time exceeded, length 36"},
    {"icmp_5_0", 101,
     "4500003800014000400126c20a0000020a000001050004250a0000fe4500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP redirect 10.0.0.9 to net 10.0.0.254, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP redirect 10.0.0.9 to net 10.0.0.254, length 36"},
    {"icmp_5_1", 101,
     "4500003800014000400126c20a0000020a000001050104240a0000fe4500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP redirect 10.0.0.9 to host 10.0.0.254, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP redirect 10.0.0.9 to host 10.0.0.254, length 36"},
    {"icmp_5_2", 101,
     "4500003800014000400126c20a0000020a000001050204230a0000fe4500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP redirect-tos 10.0.0.9 to net 10.0.0.254, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP redirect-tos 10.0.0.9 to net 10.0.0.254, length 36"},
    {"icmp_5_3", 101,
     "4500003800014000400126c20a0000020a000001050304220a0000fe4500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP redirect-tos 10.0.0.9 to host 10.0.0.254, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP redirect-tos 10.0.0.9 to host 10.0.0.254, length 36"},
    {"icmp_12_0", 101,
     "4500003800014000400126c20a0000020a0000010c000023080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP parameter problem - octet 8, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP parameter problem - octet 8, length 36"},
    {"icmp_4_0", 101,
     "4500003800014000400126c20a0000020a00000104000823080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP source quench, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP source quench, length 36"},
    {"icmp_9_0", 101,
     "4500003800014000400126c20a0000020a00000109000323080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP router advertisement, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP router advertisement, length 36"},
    {"icmp_10_0", 101,
     "4500003800014000400126c20a0000020a0000010a000223080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP router solicitation, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP router solicitation, length 36"},
    {"icmp_13_0", 101,
     "4500003800014000400126c20a0000020a0000010d00ff22080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP time stamp query, id 2048, seq 0, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP time stamp query, id 2048, seq 0, length 36"},
    {"icmp_14_0", 101,
     "4500003800014000400126c20a0000020a0000010e00fe22080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP time stamp reply, id 2048, seq 0, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP time stamp reply, id 2048, seq 0, length 36"},
    {"icmp_17_0", 101,
     "4500003800014000400126c20a0000020a0000011100fb22080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP address mask request, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP address mask request, length 36"},
    {"icmp_18_0", 101,
     "4500003800014000400126c20a0000020a0000011200fa22080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP address mask reply, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP address mask reply, length 36"},
    {"icmp_42_0", 101,
     "4500003800014000400126c20a0000020a0000012a00e222080000004500001c00014000401126c70a0000010a"
     "000009829a829b0008e69e",
     "IP 10.0.0.2 > 10.0.0.1: ICMP type-#42, length 36",
     "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 56)\n    10.0.0.2 > "
     "10.0.0.1: ICMP type-#42, length 36"},
    {"icmp6_1_0", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010100935900"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, unreachable route fd00::9, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, unreachable route fd00::9"},
    {"icmp6_1_1", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010101935800"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, unreachable prohibited fd00::9, "
     "length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, unreachable prohibited fd00::9"},
    {"icmp6_1_2", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010102935700"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, beyond scope fd00::9, source address "
     "fd00::1, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, beyond scope fd00::9, source address fd00::1"},
    {"icmp6_1_3", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010103935600"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, unreachable address fd00::9, length "
     "56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, unreachable address fd00::9"},
    {"icmp6_1_5", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010105935400"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, source address failed policy, length "
     "56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, source address failed policy"},
    {"icmp6_1_6", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010106935300"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, reject route, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, reject route"},
    {"icmp6_1_7", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010107935200"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, error in source routing header, "
     "length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, destination unreachable, error in source routing header"},
    {"icmp6_3_0", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010300915900"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, time exceeded in-transit for fd00::9, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, time exceeded in-transit for fd00::9"},
    {"icmp6_3_1", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010301915800"
     "0000006000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, time exceeded in-transit (reassembly), length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, time exceeded in-transit (reassembly)"},
    {"icmp6_4_0", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010400905300"
     "0000066000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, parameter problem, erroneous - octet 6, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, parameter problem, erroneous - octet 6"},
    {"icmp6_4_1", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010401905200"
     "0000066000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, parameter problem, next header - octet 6, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, parameter problem, next header - octet 6"},
    {"icmp6_4_2", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010402905100"
     "0000066000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, parameter problem, option - octet 6, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, parameter problem, option - octet 6"},
    {"icmp6_4_3", 101,
     "6000000000383a40fd000000000000000000000000000002fd0000000000000000000000000000010403905000"
     "0000066000000000081140fd000000000000000000000000000001fd0000000000000000000000000000090001"
     "0002000805d0",
     "IP6 fd00::2 > fd00::1: ICMP6, parameter problem, code 3 - octet 6, length 56",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, parameter problem, code 3 - octet 6"},
    {"icmp6_130_0", 101,
     "6000000000183a40fd000000000000000000000000000002fd000000000000000000000000000001820083a800"
     "00000000000000000000000000000000000000",
     "IP6 fd00::2 > fd00::1: ICMP6, multicast listener query, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, multicast listener query"},
    {"icmp6_131_0", 101,
     "6000000000183a40fd000000000000000000000000000002fd000000000000000000000000000001830083a100"
     "000000ff020000000000000000000000010003",
     "IP6 fd00::2 > fd00::1: ICMP6, multicast listener report, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, multicast listener report"},
    {"icmp6_132_0", 101,
     "6000000000183a40fd000000000000000000000000000002fd000000000000000000000000000001840082a100"
     "000000ff020000000000000000000000010003",
     "IP6 fd00::2 > fd00::1: ICMP6, multicast listener done, length 24",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, multicast listener done"},
    {"icmp6_134_0", 101,
     "6000000000103a40fd000000000000000000000000000002fd00000000000000000000000000000186007fb000"
     "0000000000000000000000",
     "IP6 fd00::2 > fd00::1: ICMP6, router advertisement, length 16",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 16) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, router advertisement"},
    {"icmp6_137_0", 101,
     "6000000000283a40fd000000000000000000000000000002fd0000000000000000000000000000018900828b00"
     "000000fd000000000000000000000000000005fd000000000000000000000000000006",
     "IP6 fd00::2 > fd00::1: ICMP6, redirect, fd00::6 to fd00::5, length 40",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 40) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, redirect, fd00::6 to fd00::5"},
    {"icmp6_143_0", 101,
     "6000000000083a40fd000000000000000000000000000002fd0000000000000000000000000000018f0076b800"
     "000000",
     "IP6 fd00::2 > fd00::1: ICMP6, multicast listener report v2, length 8",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 8) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, multicast listener report v2"},
    {"icmp6_200_0", 101,
     "6000000000083a40fd000000000000000000000000000002fd000000000000000000000000000001c8003db800"
     "000000",
     "IP6 fd00::2 > fd00::1: ICMP6, type-#200, length 8",
     "IP6 (hlim 64, next-header ICMPv6 (58) payload length: 8) fd00::2 > fd00::1: [icmp6 sum ok] "
     "ICMP6, type-#200"},
};

#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static char outbuf[FT_TEXT_MAX];

/* Formats @caplen of the @len bytes at @data; returns the NUL-terminated text. */
static const char *fmt(int dlt, const uint8_t *data, uint32_t caplen, uint32_t len, unsigned flags)
{
	struct ft_pkt p = {0};
	struct ft_text_opts o = {flags, FT_TIME_NONE, NULL, NULL, NULL, NULL};
	struct ft_strbuf sb = {outbuf, 0, sizeof(outbuf), false};
	size_t n;

	p.data = data;
	p.caplen = caplen;
	p.len = len;
	p.dlt = dlt;
	p.path = FT_PATH_NONE;
	n = ft_text_format(&p, &o, &sb);
	assert_int_equal(n, sb.len);
	assert_false(sb.overflow);
	assert_true(sb.len < sb.cap);
	assert_int_equal(outbuf[sb.len], '\0');
	assert_int_equal(strlen(outbuf), sb.len); /* no NUL inside the text */
	return outbuf;
}

/* The text must be exactly one line (continued lines, as tcpdump -v
 * prints an HTTP request's, start with a tab). */
static void assert_one_line(const char *s, const char *what)
{
	size_t n = strlen(s);
	const char *nl = strchr(s, '\n');
	while (nl && (nl[1] == '\t' || !strncmp(nl + 1, "    ", 4)))
		nl = strchr(nl + 1, '\n');
	if (!n || s[n - 1] != '\n' || nl != s + n - 1) {
		fprintf(stderr, "%s: not one line: '%s'\n", what, s);
		fail();
	}
}

static void test_vectors(void **state)
{
	uint8_t pkt[2048];
	char want[4096];

	for (size_t i = 0; i < NVECS; i++) {
		size_t n = unhex(vecs[i].hex, pkt, sizeof(pkt));
		snprintf(want, sizeof(want), "%s\n", vecs[i].want);
		if (strcmp(fmt(vecs[i].dlt, pkt, (uint32_t)n, (uint32_t)n, 0), want) != 0) {
			fprintf(stderr, "vector %s\n", vecs[i].name);
			assert_string_equal(outbuf, want);
		}
		snprintf(want, sizeof(want), "%s\n", vecs[i].want_v);
		if (strcmp(fmt(vecs[i].dlt, pkt, (uint32_t)n, (uint32_t)n, FT_TEXT_VERBOSE),
			   want)) {
			fprintf(stderr, "vector %s -v\n", vecs[i].name);
			assert_string_equal(outbuf, want);
		}
	}
}

/*
 * Bytes of headers the summary line needs, for Ethernet vectors: link,
 * IP, and the TCP (with options), UDP or ICMP header. Cut anywhere before
 * that, the line must carry a "[|proto]" marker.
 */
static size_t header_end(const struct vec *v, const uint8_t *p, size_t n)
{
	size_t off = 14, l4;
	unsigned proto;

	if (v->dlt != 1 || n < 14)
		return 0;
	if (p[12] == 0x08 && p[13] == 0x00) {
		l4 = off + (p[14] & 0xfu) * 4u;
		proto = p[23];
		if ((p[20] & 0x1f) || p[21]) /* a later fragment has no transport header */
			return l4;
	} else if (p[12] == 0x86 && p[13] == 0xdd) {
		l4 = off + 40;
		proto = p[20];
	} else if (p[12] == 0x08 && p[13] == 0x06) {
		return off + 28;
	} else {
		return 0;
	}
	switch (proto) {
	case 6:
		return l4 + (p[l4 + 12] >> 4) * 4u;
	case 17:
		return l4 + 8;
	case 1:
	case 58:
		return l4 + 4;
	default:
		return l4; /* extension headers: at least the IPv6 header */
	}
}

static void test_truncated_every_byte(void **state)
{
	static const unsigned flagsets[] = {0, FT_TEXT_VERBOSE,
					    FT_TEXT_VERBOSE | FT_TEXT_HEX | FT_TEXT_ASCII};
	uint8_t pkt[2048];

	for (size_t i = 0; i < NVECS; i++) {
		size_t n = unhex(vecs[i].hex, pkt, sizeof(pkt));
		size_t need = header_end(&vecs[i], pkt, n);
		for (size_t k = 0; k < n; k++) {
			/* A heap copy of exactly k bytes, so ASan sees any overread. */
			uint8_t *cut = malloc(k ? k : 1);
			assert_non_null(cut);
			memcpy(cut, pkt, k);
			for (size_t f = 0; f < sizeof(flagsets) / sizeof(flagsets[0]); f++) {
				const char *s =
				    fmt(vecs[i].dlt, cut, (uint32_t)k, (uint32_t)n, flagsets[f]);
				if (flagsets[f] & FT_TEXT_HEX)
					continue;
				assert_one_line(s, vecs[i].name);
				if (k < need && !strstr(s, "[|")) {
					fprintf(stderr, "%s cut at %zu of %zu (headers %zu): %s",
						vecs[i].name, k, n, need, s);
					fail();
				}
			}
			free(cut);
		}
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void test_garbage(void **state)
{
	static const int dlts[] = {1, 12, 101, 228, 229, 113, 276, 0, 108, 239, 147, 105};
	for (int iter = 0; iter < 4000; iter++) {
		size_t n = rnd() % 160;
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)rnd();
		/* Make the link and IP layers plausible half the time, so that
		 * the garbage reaches the deeper decoders. */
		int dlt = dlts[rnd() % (sizeof(dlts) / sizeof(dlts[0]))];
		if ((iter & 1) && n > 20 && (dlt == 12 || dlt == 101))
			p[0] = rnd() & 1 ? 0x45 : 0x60;
		if ((iter & 1) && n > 34 && dlt == 1) {
			bool v6 = rnd() & 1;
			p[12] = v6 ? 0x86 : 0x08;
			p[13] = v6 ? 0xdd : 0x00;
			p[14] = v6 ? 0x60 : 0x45;
			p[v6 ? 20 : 23] = (uint8_t[]){1, 6, 17, 58, 0, 44}[rnd() % 6];
		}
		uint32_t len = (uint32_t)n + (rnd() % 2 ? 0 : rnd() % 3000);
		assert_one_line(fmt(dlt, p, (uint32_t)n, len, rnd() & 1 ? FT_TEXT_VERBOSE : 0),
				"garbage");
		fmt(dlt, p, (uint32_t)n, len, FT_TEXT_VERBOSE | FT_TEXT_HEX | FT_TEXT_ASCII);
		free(p);
	}
}

static void test_mutations(void **state)
{
	uint8_t pkt[2048];

	for (size_t i = 0; i < NVECS; i++) {
		size_t n = unhex(vecs[i].hex, pkt, sizeof(pkt));
		for (int m = 0; m < 300; m++) {
			uint8_t *p = malloc(n);
			assert_non_null(p);
			memcpy(p, pkt, n);
			for (int k = 0, flips = 1 + (int)(rnd() % 4); k < flips; k++)
				p[rnd() % n] = (uint8_t)rnd();
			size_t cap = rnd() % 2 ? n : rnd() % (n + 1);
			assert_one_line(
			    fmt(vecs[i].dlt, p, (uint32_t)cap, (uint32_t)n, FT_TEXT_VERBOSE),
			    vecs[i].name);
			free(p);
		}
	}
}

/* Hand-made malformed headers, each with the exact message it must give. */
static void check_hex(int dlt, const char *hex, unsigned flags, const char *want)
{
	uint8_t pkt[512];
	char w[1024];
	size_t n = unhex(hex, pkt, sizeof(pkt));
	snprintf(w, sizeof(w), "%s\n", want);
	assert_string_equal(fmt(dlt, pkt, (uint32_t)n, (uint32_t)n, flags), w);
}

static void test_malformed(void **state)
{
	/* IPv4 header length 16 (IHL 4). */
	check_hex(12, "4400001c00000000401100000a0000010a000002", 0, "IP bad-hlen 16");
	/* Total length shorter than the header. */
	check_hex(12, "4500001000000000401100000a0000010a000002", 0, "IP bad-len 16");
	/* Version 5 behind an IPv4 ethertype (raw: dispatch on version). */
	check_hex(12, "5500001c00000000401100000a0000010a000002", 0, "IP bad version 5, length 20");
	/* Total length 100 but only 28 bytes on the wire. */
	check_hex(
	    12, "4500006400000000401100000a0000010a000002303900350050000000", 0,
	    "IP truncated-ip - 71 bytes missing! 10.0.0.1.12345 > 10.0.0.2.53: DNS [|domain]");
	/* TCP data offset 4 (16 bytes). */
	check_hex(12,
		  "4500002800000000400600000a0000010a000002303900500000000100000000400200000000"
		  "0000",
		  0,
		  "IP 10.0.0.1.12345 > 10.0.0.2.80:  tcp 4 [bad hdr length 16 - too short, < 20]");
	/* UDP length 4. */
	check_hex(12, "4500001c00000000401100000a0000010a0000023039003500040000", 0,
		  "IP 10.0.0.1.12345 > 10.0.0.2.53: UDP, bad length 4 < 8");
	/* DNS name whose compression pointer points at itself. */
	check_hex(12,
		  "4500002e00000000401100000a0000010a00000230390035001a0000000101000001000000000"
		  "0000c00c00010001",
		  0, "IP 10.0.0.1.12345 > 10.0.0.2.53: 1+ [|domain]");
	/* TCP option with length 1. */
	check_hex(
	    12,
	    "4500002c00000000400600000a0000010a000002303900500000000100000000600200000000"
	    "000002010000",
	    FT_TEXT_VERBOSE,
	    "IP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 44)\n    "
	    "10.0.0.1.12345 > 10.0.0.2.80: Flags [S], cksum 0x0000 (incorrect -> 0x5951), seq 1, "
	    "win 0, options [bad opt], length 0");
	/* IPv6 version nibble 4 behind an IPv6 DLT. */
	check_hex(229,
		  "4000000000003b40"
		  "00000000000000000000000000000001"
		  "00000000000000000000000000000002",
		  0, "IP6 bad version 4, length 40");
	/* IPv6 "no next header". */
	check_hex(229,
		  "6000000000003b40"
		  "00000000000000000000000000000001"
		  "00000000000000000000000000000002",
		  0, "IP6 ::1 > ::2: no next header, length 0");
	/* Nine stacked VLAN tags. */
	check_hex(1,
		  "020000000002020000000001"
		  "810000018100000181000001810000018100000181000001"
		  "8100000181000001810000010800",
		  0, "too many vlan tags, length 4");
	/* ICMP unreachable without the quoted header. */
	check_hex(12, "4500001d00000000400100000a0000010a000002030300000000000000", 0,
		  "IP 10.0.0.1 > 10.0.0.2: ICMP unreachable, code 3 [|icmp]");
	/* ARP for another hardware type. */
	check_hex(1,
		  "020000000002020000000001"
		  "0806"
		  "0006080006040001",
		  0, "ARP, hardware type 6, proto 0x0800, op 1, length 8");
	/* NFLOG without a payload TLV. */
	check_hex(239,
		  "02000001"
		  "0e000a006162636465660000",
		  0, "NFLOG prefix \"abcdef\" NFLOG, length 16 [|nflog]");
	/* An unknown loopback family. */
	check_hex(0, "07000000aabb", 0, "loopback family 7, length 2");
	/* A user0 record whose address length is 5. */
	check_hex(147, "00000501020304050045", 0, "user0 [bad record prefix], length 10");
}

static void test_dns_answers(void **state)
{
	/* A response with NXDomain, AA, and no recursion available. */
	check_hex(12,
		  "4500002800000000401100000a0000010a0000020035303900140000"
		  "abcd84030000000000000000",
		  0, "IP 10.0.0.1.53 > 10.0.0.2.12345: 43981 NXDomain*- [0q] 0/0/0 (12)");
	/* Five A answers: four are printed, then "...". */
	char hex[1024] =
	    "4500007700000000401100000a0000010a000002003530390063000000018180000100050000"
	    "0000"
	    "0161000001"
	    "0001";
	for (int i = 0; i < 5; i++)
		strcat(hex, "c00c00010001000000010004"
			    "01020304");
	/* Fix the lengths: IP 20 + UDP 8 + DNS 12+7+5*16 = 127 (0x7f), UDP 107 (0x6b). */
	memcpy(hex + 4, "007f", 4);
	memcpy(hex + 48, "006b", 4);
	check_hex(12, hex, 0,
		  "IP 10.0.0.1.53 > 10.0.0.2.12345: 1 5/0/0 A 1.2.3.4, A 1.2.3.4, A 1.2.3.4, A "
		  "1.2.3.4, ... (99)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),	cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_dns_answers), cmocka_unit_test(test_truncated_every_byte),
	    cmocka_unit_test(test_garbage),	cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
