"""Benchmark of the service proxy (issue 4, item 7): requests/s and p99 latency through
the proxy (clusterIP:port) against the same backend reached directly, in the same run,
HTTP keep-alive and a new connection per request.

    .venv/bin/python bench/proxy.py [--duration 3] [--connections 32] [--rounds 5] [--out FILE]
                                    [--mode userspace|nftables|both] [--generator auto|wrk|python]
                                    [--experiments] [--note TEXT]

Load generator: wrk, from Debian's packages (`apt-get install -y wrk`; CI does not need
it), one thread (the machine has 2 cores shared by wrk, the backend and the proxy).
Without wrk the bench falls back to a Python generator (asyncio, on uvloop when there,
in its own process, one coroutine per connection, each request timed) and says so on
stderr and in the results: it is far slower than wrk, so backend and proxy are less
loaded and its ratios are not comparable with wrk's. New-connection case:
`Connection: close`, so every request opens a connection (through the proxy: a new
balanced connection to the backend each time).

Backend: a minimal asyncio HTTP/1.1 responder (fixed 2-byte body, keep-alive) in its own
process on 127.16.250.1 (pod range). Proxy: ServiceProxy in this process on a temporary
store, Service `bench` with clusterIP 127.96.250.1:80, Endpoints written directly. Direct
and proxied runs alternate, `--rounds` times, which one goes first swapping every round;
medians are reported, with the load average before and after: the machine is shared,
and other processes' load moves both columns, which interleaving keeps comparable.
With the proxy's CPU time per request, the figure least moved by that load.

--mode: which ServiceProxy modes run beside direct, in the same interleaved rounds:
userspace (the relay, Service at 127.96.250.1), nftables (kernel DNAT, a second proxy on
a second store, Service at 127.96.250.5, the same backend process on a second address,
127.16.250.5: see NFT_BACKEND_IP), or both (the default when this
process may program nftables: root with libnftables; else userspace). The nftables
path's work is done by the kernel in the client's and backend's system calls, so it has
no proxy CPU figure of its own.

--experiments adds the relays tried in place of the ServiceProxy's (tcprelay.py, an epoll
thread with recv_into/send), each in its own process on its own address, in the same
interleaved rounds: the asyncio protocols of minikctl.proxy.relay on uvloop (the proxy's
relay before), os.splice between the sockets through a pipe from one epoll thread, and a
thread per direction with blocking os.splice (Python 3.10+ on Linux).
"""
from __future__ import annotations

import argparse
import datetime
import json
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
NFT_CLUSTER_IP = "127.96.250.5"  # the nftables proxy's Service: its rules must not catch the other's
# The same backend process, reached by the nftables path on a second address of its own.
# Why: new connections DNAT'd to the address the direct runs use collapsed (5 % of direct,
# one at a time; the direct runs after them likewise). Most likely: the client's kernel
# picks the port and TCP timestamp offset for the cluster IP, not the backend's address,
# so on the 4-tuples the other path used within TIME_WAIT (tens of thousands of new
# connections a run) its SYNs meet the backend's TIME_WAIT sockets, are refused (PAWS),
# and wait a second for retransmission. A second address keeps the two paths' tuples apart.
NFT_BACKEND_IP = "127.16.250.5"

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
    srv = await asyncio.get_running_loop().create_server(H, sys.argv[1].split(","), int(sys.argv[2]), backlog=4096)
    print("ready", flush=True)
    await srv.serve_forever()
asyncio.run(main())
'''


# The fallback load generator: argv url duration connections close(0/1); prints JSON.
PYGEN = r"""
import asyncio, json, sys, time
from urllib.parse import urlsplit
try:
    import uvloop
except ImportError:
    uvloop = None
url, duration, conns, close = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
u = urlsplit(url)
host, port = u.hostname, u.port or 80
req = (f"GET {u.path or '/'} HTTP/1.1\r\nHost: {host}\r\n" + ("Connection: close\r\n" if close else "")
       + "\r\n").encode()
lat, errors = [], 0
async def response(r):
    head = await r.readuntil(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    await r.readexactly(n)
async def worker(end):
    global errors
    r = w = None
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            if w is None:
                r, w = await asyncio.open_connection(host, port)
            w.write(req)
            await response(r)
            lat.append(time.perf_counter() - t0)
            if close:
                w.close()
                r = w = None
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            if w is not None:
                w.close()
            r = w = None
    if w is not None:
        w.close()
async def main():
    start = time.monotonic()
    await asyncio.gather(*(worker(start + duration) for _ in range(conns)))
    return time.monotonic() - start
loop = uvloop.new_event_loop() if uvloop else asyncio.new_event_loop()
elapsed = loop.run_until_complete(main())
lat.sort()
print(json.dumps({"rps": len(lat) / elapsed, "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else 0.0,
                  "errors": errors}))
"""


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


def pygen(url: str, duration: int, connections: int, close: bool) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", PYGEN, url, str(duration), str(connections), "1" if close else "0"],
                         capture_output=True, text=True, timeout=duration + 60)
    result = json.loads(out.stdout)
    if result["errors"]:
        print(f"  python generator: {result['errors']} errors", file=sys.stderr)
    return result["rps"], result["p99_ms"]


def machine(generator: str) -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    if generator == "wrk":
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[:1]
        gen = f"load generator: {version[0] if version else 'wrk'}"
    else:
        gen = "load generator: the Python one (asyncio; wrk was not installed)"
    return f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, {gen}"


# Relays tried against the ServiceProxy's (--experiments): argv mode listen_ip listen_port
# backend_ip backend_port. Minimal on purpose (one backend, no balancing; the splice ones
# assume the peer can always take a chunk): they measure the cost of moving the bytes.
RELAYS = r"""
import os, select, socket, sys, threading
mode, lip, lport, bip, bport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((lip, lport))
lsock.listen(4096)

def splice_epoll():
    # One thread: epoll, then socket -> pipe -> socket with non-blocking os.splice.
    ep = select.epoll()
    lsock.setblocking(False)
    ep.register(lsock.fileno(), select.EPOLLIN)
    conns = {}
    flags = os.SPLICE_F_NONBLOCK | os.SPLICE_F_MOVE
    print("ready", flush=True)
    while True:
        for fd, _ in ep.poll():
            if fd == lsock.fileno():
                while True:
                    try:
                        c, _ = lsock.accept()
                    except BlockingIOError:
                        break
                    b = socket.create_connection((bip, bport))
                    for s in (c, b):
                        s.setblocking(False)
                        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    r1, w1 = os.pipe2(os.O_NONBLOCK)
                    r2, w2 = os.pipe2(os.O_NONBLOCK)
                    conns[c.fileno()] = (c, b, r1, w1)
                    conns[b.fileno()] = (b, c, r2, w2)
                    ep.register(c.fileno(), select.EPOLLIN)
                    ep.register(b.fileno(), select.EPOLLIN)
                continue
            entry = conns.get(fd)
            if entry is None:
                continue
            s, peer, r, w = entry
            try:
                n = os.splice(fd, w, 1 << 20, flags=flags)
                if n == 0:
                    raise EOFError
                while n:
                    n -= os.splice(r, peer.fileno(), n, flags=flags)
            except (EOFError, OSError):
                for x in (s, peer):
                    e = conns.pop(x.fileno(), None)
                    if e:
                        ep.unregister(x.fileno())
                        os.close(e[2])
                        os.close(e[3])
                        x.close()

def splice_threads():
    # A thread per direction, blocking os.splice through a pipe.
    print("ready", flush=True)
    def pump(a, b):
        r, w = os.pipe()
        try:
            while True:
                n = os.splice(a.fileno(), w, 1 << 20)
                if n == 0:
                    break
                while n:
                    n -= os.splice(r, b.fileno(), n)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        os.close(r)
        os.close(w)
    while True:
        c, _ = lsock.accept()
        b = socket.create_connection((bip, bport))
        for s in (c, b):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(c, b), daemon=True).start()
        threading.Thread(target=pump, args=(b, c), daemon=True).start()

def asyncio_protocols():
    # The relay the proxy used before tcprelay.py: minikctl.proxy.relay's asyncio
    # protocols on uvloop (still port-forward's), one backend.
    import asyncio
    from minikctl.proxy import relay
    from minikctl.proxy.loop import new_event_loop
    class Client(relay.Half):
        def __init__(self):
            pair = relay.Pair()
            super().__init__(pair)
            pair.client = self
            self.peer = pair.backend
            pair.backend.peer = self
        def connection_made(self, transport):
            super().connection_made(transport)
            transport.pause_reading()
            loop.create_task(self.connect())
        async def connect(self):
            if await relay.connect_backend(loop, self.pair, [(bip, bport)]) is None:
                relay.reset(self.transport)
            else:
                self.pair.attach_backend()
    loop = new_event_loop()
    async def main():
        lsock.setblocking(False)
        srv = await loop.create_server(Client, sock=lsock, backlog=4096)
        print("ready", flush=True)
        await srv.serve_forever()
    loop.run_until_complete(main())

{"splice-epoll": splice_epoll, "splice-threads": splice_threads, "asyncio": asyncio_protocols}[mode]()
"""
EXPERIMENTS = {"asyncio": ("127.96.250.4", 80), "splice-epoll": ("127.96.250.2", 80),
               "splice-threads": ("127.96.250.3", 80)}


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of a process; of this one (the in-process proxy) if None."""
    if pid is None:
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--experiments", action="store_true",
                    help="also run the relays tried instead (os.splice from an epoll loop, a thread per direction)")
    ap.add_argument("--note", default="", help="a paragraph for the results (what changed since the last run)")
    ap.add_argument("--mode", choices=("userspace", "nftables", "both"), default=None,
                    help="the proxy modes to measure (default: both when nftables is usable, else userspace)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results",
                                                  f"proxy-{datetime.date.today().isoformat()}.md"))
    args = ap.parse_args()
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
        if generator == "python":
            print("note: wrk is not installed (apt-get install -y wrk): using the Python load generator, "
                  "whose figures are not comparable with wrk's", file=sys.stderr)
    elif generator == "wrk" and not shutil.which("wrk"):
        print("error: wrk is not installed: apt-get install -y wrk (or --generator python)", file=sys.stderr)
        return 2
    load = wrk if generator == "wrk" else pygen
    from minikctl.client.local import LocalClient
    from minikctl.proxy import ServiceProxy, nft

    why_not = nft.available()
    if args.mode is None:
        args.mode = "both" if why_not is None else "userspace"
        if why_not is not None:
            print(f"note: nftables not usable ({why_not}): measuring the userspace proxy only", file=sys.stderr)
    elif args.mode != "userspace" and why_not is not None:
        print(f"error: --mode {args.mode}: nftables not usable: {why_not}", file=sys.stderr)
        return 2
    modes = ["userspace", "nftables"] if args.mode == "both" else [args.mode]

    host_info = machine(generator)
    load_before = os.getloadavg()
    homes: list[str] = []
    children = [subprocess.Popen([sys.executable, "-c", BACKEND, f"{BACKEND_IP},{NFT_BACKEND_IP}", str(BACKEND_PORT)],
                                 stdout=subprocess.PIPE, text=True)]
    proxies: list = []
    clients: list = []
    try:
        assert children[0].stdout is not None and children[0].stdout.readline().strip() == "ready"
        # path -> (url, pid whose CPU is the proxy's; None: this process; 0: none, the kernel's)
        paths: dict[str, tuple[str, int | None]] = {"direct": (f"http://{BACKEND_IP}:{BACKEND_PORT}/", None)}
        for mode in modes:
            # A store per proxy: each proxies every Service it sees, and the nftables
            # rules would catch the userspace proxy's cluster IP before its socket.
            ip = CLUSTER_IP if mode == "userspace" else NFT_CLUSTER_IP
            backend_ip = BACKEND_IP if mode == "userspace" else NFT_BACKEND_IP
            homes.append(tempfile.mkdtemp(prefix="minikctl-bench-proxy-"))
            client = LocalClient.open(path=homes[-1])
            clients.append(client)
            client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench", "namespace": "default"},
                           "spec": {"clusterIP": ip, "ports": [{"name": "http", "port": SERVICE_PORT}]}})
            client.create({"apiVersion": "v1", "kind": "Endpoints",
                           "metadata": {"name": "bench", "namespace": "default"},
                           "subsets": [{"addresses": [{"ip": backend_ip}],
                                        "ports": [{"name": "http", "port": BACKEND_PORT, "protocol": "TCP"}]}]})
            proxy = ServiceProxy(client, node_ip="127.31.250.1", mode=mode)
            proxy.start()
            proxies.append(proxy)
            proxy.wait_synced(10)
            deadline = time.monotonic() + 10
            while not proxy.backends("default", "bench", "http") and time.monotonic() < deadline:
                time.sleep(0.05)
            paths[mode] = (f"http://{ip}:{SERVICE_PORT}/", None if mode == "userspace" else 0)
        if args.experiments:
            for mode, (ip, port) in EXPERIMENTS.items():
                child = subprocess.Popen([sys.executable, "-c", RELAYS, mode, ip, str(port), BACKEND_IP,
                                          str(BACKEND_PORT)], stdout=subprocess.PIPE, text=True)
                children.append(child)
                assert child.stdout is not None and child.stdout.readline().strip() == "ready"
                paths[mode] = (f"http://{ip}:{port}/", child.pid)
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        cases = [("keep-alive", False, args.connections), ("new connection", True, args.connections),
                 ("keep-alive, 1 connection", False, 1), ("new connection, 1 connection", True, 1)]
        for rnd in range(args.rounds):
            for case, close, conns in cases:
                order = list(paths.items())
                for path, (url, pid) in (order if rnd % 2 == 0 else order[::-1]):
                    cpu0 = cpu_seconds(pid) if pid != 0 else 0.0
                    rps, p99 = load(url, args.duration, conns, close)
                    cpu_us = 1e6 * (cpu_seconds(pid) - cpu0) / max(1.0, rps * args.duration) if pid != 0 else 0.0
                    results.setdefault((case, path), []).append((rps, p99, cpu_us))
                    print(f"round {rnd + 1} {case:29} {path:14} {rps:10.0f} req/s  p99 {p99:.2f} ms"
                          + (f"  proxy CPU {cpu_us:.1f} us/req" if path not in ("direct", "nftables") else ""),
                          flush=True)
        load_after = os.getloadavg()
    finally:
        for proxy in proxies:
            proxy.stop()
        for client in clients:
            client.close()
        for child in children:
            child.terminate()
            child.wait(10)
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)

    lines = [f"# Service proxy benchmark, {datetime.date.today().isoformat()}", "",
             f"Machine: {host_info}. Load average (1, 5, 15 min) before: "
             + ", ".join(f"{x:.2f}" for x in load_before) + "; after: " + ", ".join(f"{x:.2f}" for x in load_after)
             + ". The machine is shared: other processes were running during the runs.", "",
             f"`bench/proxy.py --duration {args.duration} --connections {args.connections} --rounds {args.rounds}"
             f" --mode {args.mode}{' --experiments' if args.experiments else ''}`: {generator}, 1 thread, "
             f"{args.connections} "
             f"connections, {args.duration} s per run; medians of {args.rounds} rounds, direct and proxied runs "
             "interleaved (the order reverses every round). Backend: asyncio HTTP responder in its own process; "
             "userspace: ServiceProxy's relay (an epoll thread) in the bench's process; nftables: ServiceProxy("
             "mode='nftables'), the kernel DNATing the cluster IP (no proxy CPU of its own: the work is in the "
             "client's and backend's system calls). Target: proxy >= 50 % of direct "
             "throughput, p99 + <= 1 ms. The 1-connection rows (one request at a time) give the latency the proxy "
             f"adds without queueing; the {args.connections}-connection rows saturate the 2 cores, where p99 is "
             "mostly queueing. req/s and p99: medians of the rounds; of direct and p99 added: medians, over the "
             "rounds, of each proxied run against the direct run of the same round (next to it for the "
             "ServiceProxy), which the machine's changing load moves least. Proxy CPU: the proxy process's user + "
             "system time per request (for the ServiceProxy, the bench process's, whose other threads are idle).",
             ""]
    if args.note:
        lines += [args.note, ""]
    lines += ["| case | path | req/s | of direct | p99 ms | p99 added ms | proxy CPU us/req |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for case, _close, _conns in cases:
        d = results[(case, "direct")]
        drps, dp99 = statistics.median(r[0] for r in d), statistics.median(r[1] for r in d)
        lines.append(f"| {case} | direct | {drps:.0f} | | {dp99:.2f} | | |")
        for path in paths:
            if path == "direct":
                continue
            p = results[(case, path)]
            prps, pp99 = statistics.median(r[0] for r in p), statistics.median(r[1] for r in p)
            # Against the direct run of the same round (the one next to it for "userspace"):
            # the machine's load moves both alike, so these medians are the steadier ones.
            ratio = statistics.median(pr[0] / dr[0] for pr, dr in zip(p, d))
            added = statistics.median(pr[1] - dr[1] for pr, dr in zip(p, d))
            cpu = "kernel" if path == "nftables" else f"{statistics.median(r[2] for r in p):.0f}"
            name = f"**{path}**" if path in ("userspace", "nftables") else path
            lines.append(f"| {case} | {name} | {prps:.0f} | {100 * ratio:.0f} % | {pp99:.2f} | "
                         f"{added:+.2f} | {cpu} |")
    lines += ["", "Runs (in order):", ""]
    for (case, path), runs in results.items():
        lines.append(f"- {case}, {path}: " + ", ".join(f"{r[0]:.0f} req/s p99 {r[1]:.2f} ms" for r in runs))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
