"""Benchmark of the service proxy (issue 4, item 7): requests/s and p99 latency through
the proxy (clusterIP:port) against the same backend reached directly, in the same run,
HTTP keep-alive and a new connection per request.

    .venv/bin/python bench/proxy.py [--duration 10] [--connections 32] [--rounds 3] [--out FILE]

Load generator: wrk (Debian package `wrk`; `apt-get install wrk`), one thread (the
machine has 2 cores shared by wrk, the backend and the proxy). New-connection case: wrk
with `Connection: close`, so every request opens a connection (through the proxy: a new
balanced connection to the backend each time).

Backend: a minimal asyncio HTTP/1.1 responder (fixed 2-byte body, keep-alive) in its own
process on 127.16.250.1 (pod range). Proxy: ServiceProxy in this process on a temporary
store, Service `bench` with clusterIP 127.96.250.1:80, Endpoints written directly. Direct
and proxied runs alternate, `--rounds` times; medians are reported.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "src"))

BACKEND_IP, BACKEND_PORT = "127.16.250.1", 18080
CLUSTER_IP, SERVICE_PORT = "127.96.250.1", 80

BACKEND = r'''
import asyncio, sys
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
RESP_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
class H(asyncio.Protocol):
    def connection_made(self, t): self.t = t; self.buf = b""
    def data_received(self, d):
        self.buf += d
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            if b"connection: close" in head.lower():
                self.t.write(RESP_CLOSE); self.t.close(); return
            self.t.write(RESP)
async def main():
    srv = await asyncio.get_running_loop().create_server(H, sys.argv[1], int(sys.argv[2]), backlog=4096)
    print("ready", flush=True)
    await srv.serve_forever()
asyncio.run(main())
'''


def wrk(url: str, duration: int, connections: int, close: bool) -> tuple[float, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if close:
        cmd[1:1] = ["-H", "Connection: close"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: .*", out)
    if errors:
        print("  wrk:", errors.group(0), file=sys.stderr)
    return rps, p99


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[:1]
    return (f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, "
            f"{wrk_version[0] if wrk_version else 'wrk'}; load average before: {os.getloadavg()[0]:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results",
                                                  f"proxy-{datetime.date.today().isoformat()}.md"))
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    from minikctl.client.local import LocalClient
    from minikctl.proxy import ServiceProxy

    host_info = machine()
    home = tempfile.mkdtemp(prefix="minikctl-bench-proxy-")
    backend = subprocess.Popen([sys.executable, "-c", BACKEND, BACKEND_IP, str(BACKEND_PORT)],
                               stdout=subprocess.PIPE, text=True)
    proxy = None
    try:
        assert backend.stdout is not None and backend.stdout.readline().strip() == "ready"
        client = LocalClient.open(path=home)
        client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench", "namespace": "default"},
                       "spec": {"clusterIP": CLUSTER_IP, "ports": [{"name": "http", "port": SERVICE_PORT}]}})
        client.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "bench", "namespace": "default"},
                       "subsets": [{"addresses": [{"ip": BACKEND_IP}],
                                    "ports": [{"name": "http", "port": BACKEND_PORT, "protocol": "TCP"}]}]})
        proxy = ServiceProxy(client, node_ip="127.31.250.1")
        proxy.start()
        proxy.wait_synced(10)
        deadline = time.monotonic() + 10
        while not proxy.listening() and time.monotonic() < deadline:
            time.sleep(0.05)
        direct, through = f"http://{BACKEND_IP}:{BACKEND_PORT}/", f"http://{CLUSTER_IP}:{SERVICE_PORT}/"
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        cases = [("keep-alive", False, args.connections), ("new connection", True, args.connections),
                 ("keep-alive, 1 connection", False, 1), ("new connection, 1 connection", True, 1)]
        for rnd in range(args.rounds):
            for case, close, conns in cases:
                for path, url in (("direct", direct), ("proxy", through)):
                    r = wrk(url, args.duration, conns, close)
                    results.setdefault((case, path), []).append(r)
                    print(f"round {rnd + 1} {case:15} {path:7} {r[0]:10.0f} req/s  p99 {r[1]:.2f} ms", flush=True)
        client.close()
    finally:
        if proxy is not None:
            proxy.stop()
        backend.terminate()
        backend.wait(10)
        shutil.rmtree(home, ignore_errors=True)

    lines = [f"# Service proxy benchmark, {datetime.date.today().isoformat()}", "",
             f"Machine: {host_info}.", "",
             f"`bench/proxy.py --duration {args.duration} --connections {args.connections} --rounds {args.rounds}`: "
             f"wrk, 1 thread, {args.connections} connections, {args.duration} s per run; medians of {args.rounds} "
             "rounds, direct and proxied runs alternating. Backend: asyncio HTTP responder in its own process; "
             "proxy: ServiceProxy (asyncio, one thread) in the bench's process. Target: proxy >= 50 % of direct "
             "throughput, p99 + <= 1 ms. The 1-connection rows (one request at a time) give the latency the proxy adds "
             "without queueing; the 32-connection rows saturate the 2 cores, where p99 is mostly queueing.", "",
             "| case | direct req/s | proxy req/s | proxy/direct | direct p99 ms | proxy p99 ms | p99 added ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for case, _close, _conns in cases:
        d = results[(case, "direct")]
        p = results[(case, "proxy")]
        drps, prps = statistics.median(r[0] for r in d), statistics.median(r[0] for r in p)
        dp99, pp99 = statistics.median(r[1] for r in d), statistics.median(r[1] for r in p)
        lines.append(f"| {case} | {drps:.0f} | {prps:.0f} | {100 * prps / drps:.0f} % | {dp99:.2f} | {pp99:.2f} | "
                     f"{pp99 - dp99:+.2f} |")
    lines += ["", "Runs:", ""]
    for (case, path), runs in results.items():
        lines.append(f"- {case}, {path}: " + ", ".join(f"{r[0]:.0f} req/s p99 {r[1]:.2f} ms" for r in runs))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
