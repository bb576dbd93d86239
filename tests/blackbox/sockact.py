# sockact.py - start a program the way systemd socket activation does: a listening TCP
# socket on 127.0.0.1 (free port) as fd 3, LISTEN_FDS=1 and LISTEN_PID set to the program's
# pid (this process execs it, so the pid is kept). The port is written to PORTFILE first.
#   python3 sockact.py PORTFILE [--wrong-pid] PROGRAM [ARGS...]
import os
import socket
import sys

portfile = sys.argv[1]
args = sys.argv[2:]
wrong = args[0] == "--wrong-pid"
if wrong:
    args = args[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
    s.close()
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid() + (1 if wrong else 0))
os.execvp(args[0], args)
