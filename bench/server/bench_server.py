#!/usr/bin/env python3
"""Server throughput and latency (bench/server/README.md).

    bench/server/bench_server.py [--jobs 60] [--build build]

Measures, on tests/server/data/small.yaml (one 32x32 image, 4 Euler steps, latent model):
  - the CLI: wall time of `noisegraph run` per job (process start, plugin and model loading,
    run), and the run time alone from its report;
  - `noisegraph serve` embedded (1 in-process worker), and Redis with 1 and 2
    `noisegraph worker`s: jobs per second for a burst of --jobs jobs submitted at once,
    queue-to-done latency p50/p95, and one job on an idle server (submit -> finished, as a
    client sees it) as the API's per-job cost against the CLI.
Uses only loopback addresses and stops everything it starts.
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http(port, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def wait_line(proc, needle, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        line = proc.stdout.readline()
        if needle in line:
            return
    raise RuntimeError("process did not print " + needle)


def run_burst(port, graph, n):
    body = lambda i: json.dumps({"prompt": graph, "client_id": "bench%d" % (i % 8), "set": {"sample.seed": i}}).encode()
    t0 = time.time()
    ids = [http(port, "/prompt", body(i))["prompt_id"] for i in range(n)]
    lat = {}
    while len(lat) < n:
        for pid in ids:
            if pid in lat:
                continue
            e = http(port, "/history/" + pid)[pid]
            if e["status"]["status_str"] not in ("queued", "running"):
                assert e["status"]["status_str"] == "success", e
                t = e["timings"]
                lat[pid] = (t["finished_at"] - t["queued_at"]) / 1000.0
        time.sleep(0.05)
    wall = time.time() - t0
    v = sorted(lat.values())
    return n / wall, v[len(v) // 2], v[min(len(v) - 1, int(0.95 * len(v)))]


def one_job(port, graph):
    t0 = time.time()
    pid = http(port, "/prompt", json.dumps({"prompt": graph, "set": {"sample.seed": 999}}).encode())["prompt_id"]
    while http(port, "/history/" + pid)[pid]["status"]["status_str"] in ("queued", "running"):
        time.sleep(0.005)
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=60)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    cli = os.path.join(a.build, "bin", "noisegraph")
    graph_file = os.path.join(ROOT, "tests", "server", "data", "small.yaml")
    graph = open(graph_file).read()
    tmp = tempfile.mkdtemp(prefix="ng-bench-server-")
    procs = []
    try:
        # CLI, 5 runs.
        walls, runs = [], []
        for i in range(5):
            rep = os.path.join(tmp, "r%d.json" % i)
            t0 = time.time()
            subprocess.run([cli, "run", graph_file, "--output-dir", os.path.join(tmp, "cli"), "--quiet", "--threads", "1",
                            "--report", rep, "--set", "sample.seed=%d" % i], check=True, stdout=subprocess.DEVNULL)
            walls.append(time.time() - t0)
            runs.append(json.load(open(rep)).get("wall_ms", 0) / 1000.0)
        print("CLI per job: %.3f s wall (median of 5), of which the run %.3f s" % (statistics.median(walls), statistics.median(runs)))

        def serve(extra):
            port = free_port()
            p = subprocess.Popen([cli, "serve", "--port", str(port), "--output-store", os.path.join(tmp, "store%d" % port),
                                  "--threads", "1", "--max-queued", "10000"] + extra, stdout=subprocess.PIPE, text=True)
            procs.append(p)
            wait_line(p, "noisegraph serve:")
            return port

        rows = []
        port = serve([])
        one_job(port, graph)  # warm: models loaded
        single = statistics.median([one_job(port, graph) for _ in range(5)])
        rows.append(("embedded, 1 worker", single) + run_burst(port, graph, a.jobs))
        if shutil.which("redis-server"):
            for workers in (1, 2):
                rport = free_port()
                r = subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
                procs.append(r)
                time.sleep(0.5)
                q = "redis://127.0.0.1:%d" % rport
                port = serve(["--queue", q])
                store = os.path.join(tmp, "store%d" % port)
                for w in range(workers):
                    p = subprocess.Popen([cli, "worker", "--queue", q, "--output-store", store, "--threads", "1",
                                          "--name", "w%d" % w], stdout=subprocess.PIPE, text=True)
                    procs.append(p)
                    wait_line(p, "noisegraph worker")
                one_job(port, graph)
                single = statistics.median([one_job(port, graph) for _ in range(5)])
                rows.append(("redis, %d worker%s" % (workers, "s" if workers > 1 else ""), single) + run_burst(port, graph, a.jobs))
        print("\n| setup | one job, idle (s) | vs CLI wall | jobs/s (burst of %d) | latency p50 (s) | p95 (s) |" % a.jobs)
        print("|---|---|---|---|---|---|")
        for name, single, rate, p50, p95 in rows:
            print("| %s | %.3f | %.2fx | %.2f | %.2f | %.2f |" % (name, single, single / statistics.median(walls), rate, p50, p95))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except Exception:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
