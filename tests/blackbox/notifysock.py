# notifysock.py - receive sd_notify datagrams like systemd does: bind an AF_UNIX datagram
# socket at PATH (or "@name" in the abstract namespace) and append each message to OUTFILE,
# followed by a line "--", until killed.
#   python3 notifysock.py PATH OUTFILE
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
open(out + ".ready", "w").close()
while True:
    data = s.recv(4096)
    with open(out, "ab") as f:
        f.write(data + b"\n--\n")
