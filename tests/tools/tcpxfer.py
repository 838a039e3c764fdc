#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""tcpxfer - a bounded TCP transfer whose end is known for sure.

  tcpxfer.py recv ADDR PORT            accept one connection, count bytes to EOF,
                                       answer with the count, exit
  tcpxfer.py send ADDR PORT BYTES      send BYTES, half-close, wait for the count;
                                       prints "bytes=N seconds=S mbps=M" and exits 1
                                       unless the receiver got every byte

iperf3 -n ends its test once the bytes are written to its socket, not when
they arrived, so it cannot say whether a transfer completed; this can.
"""
import socket
import sys
import time

CHUNK = 1 << 20


def recv(addr, port, timeout=60):
    srv = socket.create_server((addr, port), reuse_port=False)
    srv.settimeout(timeout)
    conn, _ = srv.accept()
    conn.settimeout(timeout)
    buf = bytearray(CHUNK)
    total = 0
    while True:
        n = conn.recv_into(buf)
        if not n:
            break
        total += n
    conn.sendall(f"{total}\n".encode())
    conn.close()
    srv.close()


def send(addr, port, nbytes, timeout=60):
    data = bytes(CHUNK)
    for _ in range(50):  # the receiver may still be starting
        try:
            conn = socket.create_connection((addr, port), timeout=timeout)
            break
        except ConnectionRefusedError:
            time.sleep(0.1)
    else:
        print(f"tcpxfer: cannot connect to {addr}:{port}", file=sys.stderr)
        return 1
    start = time.monotonic()
    left = nbytes
    while left:
        n = min(left, CHUNK)
        conn.sendall(memoryview(data)[:n])
        left -= n
    conn.shutdown(socket.SHUT_WR)
    reply = b""
    while not reply.endswith(b"\n"):
        part = conn.recv(64)
        if not part:
            break
        reply += part
    secs = time.monotonic() - start
    conn.close()
    got = int(reply or b"-1")
    print(f"bytes={got} seconds={secs:.3f} mbps={got * 8 / secs / 1e6:.1f}")
    return 0 if got == nbytes else 1


def main(argv):
    if len(argv) == 4 and argv[1] == "recv":
        recv(argv[2], int(argv[3]))
        return 0
    if len(argv) == 5 and argv[1] == "send":
        return send(argv[2], int(argv[3]), int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:
        print(f"tcpxfer: {e}", file=sys.stderr)
        sys.exit(1)
