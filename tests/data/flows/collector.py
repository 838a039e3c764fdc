#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A flow-log collector for tests: a real HTTP server process.

Usage: collector.py --port-file F --out OUT.ndjson [--port P] [--fail-every N]

Accepts POST of NDJSON batches (Content-Type application/x-ndjson); every
line must be a JSON object with an "id". Lines are appended to OUT in the
order received (duplicates included, so a test can see them). With
--fail-every N every Nth request is answered 503 without storing anything,
to exercise the sender's retries. Writes its port to F once listening.
"""
import argparse, json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
count = 0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--fail-every', type=int, default=0)
    a = ap.parse_args()
    out = open(a.out, 'a')

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass
        def do_POST(self):
            global count
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            with lock:
                count += 1
                n = count
            if a.fail_every and n % a.fail_every == 0:
                self.send_response(503); self.send_header('Content-Length', '0'); self.end_headers()
                return
            if self.headers.get('Content-Type') != 'application/x-ndjson':
                self.send_response(415); self.send_header('Content-Length', '0'); self.end_headers()
                return
            lines = body.decode().split('\n')
            if lines[-1] != '':
                self.send_response(400); self.send_header('Content-Length', '0'); self.end_headers()
                return
            try:
                for l in lines[:-1]:
                    if 'id' not in json.loads(l):
                        raise ValueError('no id')
            except ValueError:
                self.send_response(400); self.send_header('Content-Length', '0'); self.end_headers()
                return
            with lock:
                out.write(body.decode()); out.flush()
            self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()

    srv = ThreadingHTTPServer(('127.0.0.1', a.port), H)
    tmp = a.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()

main()
