# SPDX-License-Identifier: BSD-2-Clause
# recorder_lib.bash - sequence-numbered traffic for the flight recorder tests
# (tests/e2e/*_recorder.sh; sourced, not a test itself).

# rec_send NS DST FIRST LAST: UDP datagrams "seq N" from namespace NS to
# DST:9999, 2 ms apart.
rec_send() {
	ip netns exec "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    s.sendto(b"seq %06d" % i, (sys.argv[1], 9999))
    time.sleep(0.002)' "$2" "$3" "$4"
}

# rec_seqs FILE: the sequence numbers of the datagrams in a capture, in order
# (not those quoted by the ICMP port unreachable errors the receiver sends).
rec_seqs() {
	tshark -n -r "$1" -Y 'udp.dstport == 9999 and not icmp' -T fields -e udp.payload |
		python3 -c 'import sys
for l in sys.stdin:
    print(int(bytes.fromhex(l.strip())[4:].decode()))'
}

# rec_check_all FILE N: every datagram 1..N exactly once, in order.
rec_check_all() {
	rec_seqs "$1" | python3 -c '
import sys
got = [int(l) for l in sys.stdin]
want = list(range(1, int(sys.argv[1]) + 1))
if got != want:
    print("got %d, missing %s, duplicates %d" % (len(got), sorted(set(want) - set(got))[:10],
          len(got) - len(set(got))), file=sys.stderr)
    sys.exit(1)' "$2"
}
