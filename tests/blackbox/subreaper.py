# subreaper.py - run a command as a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so the
# daemons a test starts are re-parented to the test and reaped by it, not to a PID 1 that may
# never reap them (containers, CI sandboxes), where a killed daemon would stay a zombie.
#   python3 subreaper.py COMMAND [ARGS...]
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36
try:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
except Exception:  # not Linux, or no prctl: the tests still read /proc/PID/stat
    pass
os.environ["PGW_SUBREAPER"] = "1"
os.execvp(sys.argv[1], sys.argv[1:])
