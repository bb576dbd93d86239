#!/usr/bin/python3
"""Storage backend figures for pushgateway-c (docs/storage-format.md), on loopback.

  restart_snapshot_s  10k groups x 6 series: SIGTERM (final snapshot), restart, time from exec
                      until /-/ready answers and every group is listed
  restart_journal_s   the same state never snapshotted: kill -9, restart replays the journal
  push_rps            wrk PUTs round-robin over the groups (bench/load.lua), per backend:
                      memory, file with --persistence.fsync=never, interval, always
Needs wrk. Usage: bench/storage_bench.py --bin build/pushgateway [--groups 10000] [--seconds 5]
"""
import argparse, http.client, json, os, re, signal, socket, subprocess, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(port, path, timeout=30):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read()


def start(binary, port, flags):
    t0 = time.time()
    p = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"] + flags,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.time() - t0 < 60:
        try:
            if get(port, "/-/ready", 1)[0] == 200:
                return p, t0
        except Exception:
            time.sleep(0.002)
    raise SystemExit("gateway did not get ready")


def groups(port):
    return len(json.loads(get(port, "/api/v1/metrics", 60)[1])["data"])


def cpu_seconds(pid):
    """User + system CPU time of a process (utime and stime from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port, ngroups, seconds, conns, pid=None):
    """Requests/s and non-2xx count; with pid also the gateway's CPU microseconds per request."""
    env = dict(os.environ, NGROUPS=str(ngroups))
    c0 = cpu_seconds(pid) if pid else 0
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", os.path.join(HERE, "load.lua"),
                          f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True).stdout
    c1 = cpu_seconds(pid) if pid else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    n = re.search(r"(\d+) requests in", out)
    us = (c1 - c0) * 1e6 / int(n.group(1)) if pid and n and int(n.group(1)) else 0.0
    if pid:
        return float(m.group(1)) if m else 0.0, int(bad.group(1)) if bad else 0, us
    return float(m.group(1)) if m else 0.0, int(bad.group(1)) if bad else 0


def journal_bytes(port):
    m = re.search(rb'pushgateway_storage_journal_bytes\{backend="file"\} (\S+)', get(port, "/metrics")[1])
    return float(m.group(1)) if m else 0.0


def top_up(port, ngroups, target):
    """Push (keep-alive, one request at a time) until the journal holds target bytes."""
    body = open(os.path.join(HERE, "body.txt"), "rb").read() if os.path.exists(
        os.path.join(HERE, "body.txt")) else b"x 1\n"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    while True:
        for _ in range(500):
            conn.request("PUT", f"/metrics/job/bench/instance/host{i % ngroups}", body)
            conn.getresponse().read()
            i += 1
        if journal_bytes(port) >= target:
            return


def restart_figures(binary, ngroups):
    """Restart time for three states of the same ngroups x 6 series store:
    snapshot  SIGTERM wrote a final snapshot, the journal is empty
    journal   every group pushed about twice, never snapshotted, kill -9: all replayed
    worst     a snapshot plus a journal just under the compaction threshold (16 MiB), kill -9
    """
    d = tempfile.mkdtemp(prefix="storage-bench-")
    pf = os.path.join(d, "p.db")
    port = free_port()
    res = {}
    for kind in ("snapshot", "journal", "worst"):
        for f in (pf, pf + ".journal", pf + ".journal.old"):
            if os.path.exists(f):
                os.unlink(f)
        p, _ = start(binary, port, [f"--persistence.file={pf}", "--persistence.interval=1h"])
        if kind == "journal":
            wrk(port, ngroups, 1, 16)  # below the compaction threshold
        else:
            wrk(port, ngroups, max(2, ngroups // 4000 + 2), 16)
        if kind == "worst":
            p.send_signal(signal.SIGHUP)  # snapshot, then grow the journal to ~15 MiB (< 16 MiB trigger)
            time.sleep(1)
            top_up(port, ngroups, 15.0 * 1024 * 1024)
        n = groups(port)
        p.send_signal(signal.SIGTERM if kind == "snapshot" else signal.SIGKILL)
        p.wait(60)
        res[f"{kind}_journal_mb"] = os.path.getsize(pf + ".journal") / 1e6
        res[f"{kind}_snapshot_mb"] = os.path.getsize(pf) / 1e6 if os.path.exists(pf) else 0
        p, t0 = start(binary, port, [f"--persistence.file={pf}"])
        res[f"{kind}_restart_ready_s"] = time.time() - t0
        got = groups(port)
        res[f"{kind}_groups"] = f"{got}/{n}"
        body = get(port, "/metrics")[1]
        m = re.search(rb'pushgateway_storage_recovery_duration_seconds\{backend="file"\} (\S+)', body)
        res[f"{kind}_recovery_s"] = float(m.group(1)) if m else -1
        m = re.search(rb'pushgateway_storage_records_replayed\{backend="file"\} (\S+)', body)
        res[f"{kind}_records_replayed"] = int(float(m.group(1))) if m else -1
        p.send_signal(signal.SIGTERM)
        p.wait(60)
    subprocess.run(["rm", "-rf", d])
    return res


def push_figures(binary, ngroups, seconds, conns, rounds):
    """Variants interleaved round by round (shared machines drift); best rate, lowest CPU/push."""
    res = {}
    variants = [("memory", []), ("file_never", ["--persistence.fsync=never"]),
                ("file_interval", ["--persistence.fsync=interval"]), ("file_always", ["--persistence.fsync=always"])]
    rates = {name: [] for name, _ in variants}
    cpu = {name: [] for name, _ in variants}
    for _ in range(rounds):
        for name, extra in variants:
            d = tempfile.mkdtemp(prefix="storage-bench-")
            flags = extra + ([f"--persistence.file={os.path.join(d, 'p.db')}"] if name != "memory" else [])
            port = free_port()
            p, _ = start(binary, port, flags)
            wrk(port, ngroups, 1, conns)  # warm up: create the groups
            rps, bad, us = wrk(port, ngroups, seconds, conns, p.pid)
            p.send_signal(signal.SIGTERM)
            p.wait(60)
            subprocess.run(["rm", "-rf", d])
            rates[name].append(rps)
            cpu[name].append(us)
            if bad:
                res[f"{name}_non2xx"] = bad
    for name, _ in variants:
        res[f"push_rps_{name}"] = max(rates[name])
        res[f"cpu_us_per_push_{name}"] = min(cpu[name])
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--groups", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    res = restart_figures(a.bin, a.groups)
    res.update(push_figures(a.bin, a.groups, a.seconds, a.conns, a.rounds))
    for k, v in res.items():
        print(f"{k:<30}{v:>14.3f}" if isinstance(v, float) else f"{k:<30}{v:>14}")
    mem = res["push_rps_memory"]
    for k in ("file_never", "file_interval", "file_always"):
        print(f"{'rate ratio ' + k + '/memory':<34}{res['push_rps_' + k] / mem:>10.3f}")
        print(f"{'cpu ratio memory/' + k:<34}{res['cpu_us_per_push_memory'] / res['cpu_us_per_push_' + k]:>10.3f}")


if __name__ == "__main__":
    main()
