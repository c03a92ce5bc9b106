#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A capture for bench-netsvc.sh: on interface IFACE (AF_PACKET, the running
# netns), prints "DISCOVER T" and "ACK T" (CLOCK_REALTIME, ns) of the first
# DHCPDISCOVER from client MAC and the first DHCPACK to it, then exits;
# gives up after TIMEOUT seconds. Usage: dhcp-sniff.py IFACE MAC TIMEOUT
import socket, struct, sys, time

iface, mac, timeout = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), float(sys.argv[3])
# ETH_P_ALL: a socket for one ethertype never sees what the host sends (the ACK).
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
s.settimeout(0.5)
print("READY", flush=True)
end = time.time() + timeout
seen = {}
while time.time() < end and len(seen) < 2:
    try:
        pkt = s.recv(2048)
    except socket.timeout:
        continue
    t = time.time_ns()
    if len(pkt) < 14 + 20 + 8 + 240 or pkt[12:14] != b"\x08\x00":
        continue
    ihl = (pkt[14] & 15) * 4
    if pkt[14 + 9] != 17:
        continue
    udp = 14 + ihl
    sport, dport = struct.unpack("!HH", pkt[udp:udp + 4])
    if (sport, dport) not in ((68, 67), (67, 68)):
        continue
    bootp = udp + 8
    if pkt[bootp + 28:bootp + 34] != mac or pkt[bootp + 236:bootp + 240] != b"\x63\x82\x53\x63":
        continue
    i, kind = bootp + 240, None
    while i + 1 < len(pkt) and pkt[i] != 255:
        if pkt[i] == 0:
            i += 1
            continue
        if pkt[i] == 53:
            kind = pkt[i + 2]
        i += 2 + pkt[i + 1]
    name = {1: "DISCOVER", 5: "ACK"}.get(kind)
    if name and name not in seen:
        seen[name] = t
        print(name, t, flush=True)
sys.exit(0 if len(seen) == 2 else 1)
