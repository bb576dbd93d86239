#!/usr/bin/python3
"""Side-by-side benchmark of pushgateway-c and the upstream Go Pushgateway, in one run.

For each size (groups x 6 series) and each target, on loopback:
  push_rps        wrk PUTs round-robin over the groups, consistency check ON (the default)
  push_rps_nochk  the same with --push.disable-consistency-check (upstream's best case)
  scrape_ms       GET /metrics, text (median of 5, after loading the groups)
  scrape_gzip_ms  the same with Accept-Encoding: gzip
  scrape_proto_ms the same negotiating delimited protobuf
  api_ms          GET /api/v1/metrics (median of 5)
  rss_mb          resident memory after loading and scraping
  restart_s       restart from the persistence file, time until every group is back
The groups are loaded with the check disabled into a persistence file and the gateway is
restarted with the check on (the default) for every figure but push_rps_nochk, as the
project's yardstick (shared/bench/compare.py) does.
Prints one table per size with both figures and the ratio (upstream/ours for times and
memory, ours/upstream for rates: > 1 means ours is better). Needs wrk.

  bench/bench.py --ours build/pushgateway [--upstream prometheus-pushgateway]
                 [--sizes 1000,10000,100000] [--seconds 5] [--json out.json]
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
LOAD = os.path.join(HERE, "load.lua")
PROTO_ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                "encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, headers=None, timeout=120):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(port, deadline):
    while time.time() < deadline:
        try:
            if get(f"http://127.0.0.1:{port}/-/ready", timeout=1)[0] == 200:
                return True
        except Exception:
            time.sleep(0.01)
    return False


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wrk(port, ngroups, seconds, conns=16):
    env = dict(os.environ, NGROUPS=str(ngroups))
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", LOAD,
                          f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (float(m.group(1)) if m else 0.0), (int(bad.group(1)) if bad else 0)


def count_groups(port):
    return len(json.loads(get(f"http://127.0.0.1:{port}/api/v1/metrics")[1])["data"])


def preload(port, ngroups):
    """PUT every group once, sequentially, over keep-alive connections (bounded in time)."""
    body = open(os.path.join(HERE, "body.txt"), "rb").read()
    conn = None
    import http.client
    for i in range(ngroups):
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("PUT", f"/metrics/job/bench/instance/host{i}", body,
                     {"Content-Type": "text/plain; version=0.0.4"})
        r = conn.getresponse()
        r.read()
        if r.status >= 300:
            raise RuntimeError(f"preload push answered {r.status}")
    conn.close()


def median_ms(url, headers, n=5):
    times = []
    for _ in range(n):
        t = time.time()
        get(url, headers)
        times.append((time.time() - t) * 1000)
    return statistics.median(times)


class Gateway:
    def __init__(self, argv, extra, pfile):
        self.port = free_port()
        self.argv = argv + [f"--web.listen-address=127.0.0.1:{self.port}",
                            f"--persistence.file={pfile}", "--log.level=error"] + extra
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_ready(self.port, time.time() + 60):
            self.stop()
            raise RuntimeError(f"{argv[0]} did not become ready")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_target(argv, ngroups, seconds):
    """Preload unchecked into a persistence file, restart checked, measure (as compare.py)."""
    res = {}
    d = tempfile.mkdtemp(prefix="pgw-bench-")
    pfile = os.path.join(d, "persist")
    try:
        gw = Gateway(argv, ["--push.disable-consistency-check", "--persistence.interval=1h"], pfile)
        try:
            preload(gw.port, ngroups)
            wait_groups(gw.port, ngroups)
            res["push_rps_nochk"], _ = wrk(gw.port, ngroups, seconds)
        finally:
            gw.stop()
        t0 = time.time()
        gw = Gateway(argv, ["--persistence.interval=1h"], pfile)
        try:
            wait_groups(gw.port, ngroups, t0 + 300)
            res["restart_s"] = time.time() - t0
            base = f"http://127.0.0.1:{gw.port}"
            res["scrape_ms"] = median_ms(base + "/metrics", {})
            res["scrape_gzip_ms"] = median_ms(base + "/metrics", {"Accept-Encoding": "gzip"})
            res["scrape_proto_ms"] = median_ms(base + "/metrics", {"Accept": PROTO_ACCEPT})
            res["api_ms"] = median_ms(base + "/api/v1/metrics", {})
            res["rss_mb"] = rss_mb(gw.proc.pid)
            res["push_rps"], res["push_non2xx"] = wrk(gw.port, ngroups, seconds)
            res["rss_after_push_mb"] = rss_mb(gw.proc.pid)
        finally:
            gw.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return res


def wait_groups(port, n, deadline=None):
    """Wait until n groups are visible (unchecked pushes may be applied asynchronously)."""
    deadline = deadline or time.time() + 120
    while count_groups(port) < n and time.time() < deadline:
        time.sleep(0.05)


# For these, larger is better; for every other figure smaller is better.
RATES = {"push_rps", "push_rps_nochk"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--upstream", default="prometheus-pushgateway")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is needed (apt-get install wrk)")
    have_up = shutil.which(a.upstream.split()[0]) is not None
    results = {}
    for n in [int(x) for x in a.sizes.split(",")]:
        ours = run_target(a.ours.split(), n, a.seconds)
        up = run_target(a.upstream.split(), n, a.seconds) if have_up else {}
        results[n] = {"ours": ours, "upstream": up}
        print(f"\n{n} groups x 6 series")
        print(f"{'figure':<18}{'upstream':>14}{'ours':>14}{'ratio':>10}")
        for k in ours:
            o, u = ours[k], up.get(k, float("nan"))
            if k in RATES:
                ratio = o / u if u else float("nan")
            else:
                ratio = u / o if o else float("nan")
            print(f"{k:<18}{u:>14.2f}{o:>14.2f}{ratio:>10.2f}")
        sys.stdout.flush()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
