#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile clients for remote-limits.sh: many connections to barevirtd's
--listen from one source address, held open in one of three ways:

  slow      TLS, then a request head one byte a second, never finished
            (slowloris); the server should answer 408 and close
  idle-tcp  TCP only, no handshake; the server should close them
  idle-tls  TLS done, then nothing (idle keep-alive)

Usage: tls-flood.py MODE N HOST PORT SRC SECONDS
Prints "ready OPENED" once the connections are made (those refused at
once counted as closed), then after SECONDS one JSON line:
{"opened", "closed", "got_408", "alive"} where closed counts the
connections the server ended (EOF or reset) and alive those still open.
"""
import json
import resource
import selectors
import socket
import ssl
import sys
import time

mode, n, host, port, src, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
HEAD = b"GET /v1/ping HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000

conns, closed, got_408 = [], 0, 0
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    try:
        s.settimeout(10)
        s.connect((host, port))
        if mode != "idle-tcp":
            s = ctx.wrap_socket(s)
        s.setblocking(False)
        conns.append(s)
    except OSError:
        closed += 1
        s.close()
print("ready", len(conns), flush=True)

sel = selectors.DefaultSelector()
for s in conns:
    sel.register(s, selectors.EVENT_READ)
alive = set(conns)
pos = {s: 0 for s in conns}
end = time.monotonic() + seconds
next_byte = time.monotonic()
while time.monotonic() < end and alive:
    now = time.monotonic()
    if mode == "slow" and now >= next_byte:
        for s in list(alive):
            try:
                s.send(HEAD[pos[s]:pos[s] + 1])
                pos[s] += 1
            except (ssl.SSLWantWriteError, BlockingIOError):
                pass
            except OSError:
                pass  # counted when the read side sees the end
        next_byte = now + 1.0
    for key, _ in sel.select(timeout=max(0.0, min(end, next_byte) - time.monotonic())):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            continue
        except OSError:
            data = b""
        if data.startswith(b"HTTP/1.1 408"):
            got_408 += 1
            continue
        if not data:
            sel.unregister(s)
            alive.discard(s)
            closed += 1
            s.close()
print(json.dumps({"opened": len(conns), "closed": closed, "got_408": got_408, "alive": len(alive)}), flush=True)
