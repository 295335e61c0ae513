"""Pod IPs through the bind shim, and the log cap under a container that floods its log."""
from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request

import pytest

from tests.unit.runtime.helpers import PY, read, wait_for


def free_port(*ips: str) -> int:
    """A port free on every one of ips (and on the wildcard, so no host server hides it)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            for ip in (*ips, "0.0.0.0"):
                with socket.socket() as s:
                    s.bind((ip, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.read()


def test_two_pods_serve_on_the_same_port_each_on_its_own_ip(rt):
    ips = ["127.16.0.2", "127.16.0.3"]
    port = free_port(*ips)
    for n, ip in enumerate(ips):
        sb = rt.sandbox(name=f"web-{n}", ip=ip)
        www = os.path.join(sb.directory, "www")
        os.makedirs(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write(f"pod {n}\n")
        # python3 -m http.server binds :: (dual stack) by default: the shim's IPv6 path
        rt.start(sb, rt.config(sb, [PY, "-m", "http.server", str(port)], working_dir=www))
    for n, ip in enumerate(ips):
        body = wait_for(lambda ip=ip: _try(f"http://{ip}:{port}/index.html"), timeout=15, what=f"{ip}:{port}")
        assert body == f"pod {n}\n".encode()
    with pytest.raises(OSError):  # the host's own address is not taken
        get(f"http://127.0.0.1:{port}/index.html")


def test_ipv4_wildcard_and_explicit_addresses(rt):
    ip = "127.16.0.4"
    port = free_port(ip)
    sb = rt.sandbox(ip=ip)
    code = (
        "import socket\n"
        "a = socket.socket(); a.bind(('0.0.0.0', %d)); print(a.getsockname()[0])\n"
        "b = socket.socket(); b.bind(('127.0.0.1', 0)); print(b.getsockname()[0])\n"
        "c = socket.socket(socket.AF_UNIX); c.bind('\\0minikctl-test-%d'); print('unix ok')\n"
    ) % (port, port)
    config = rt.config(sb, [PY, "-c", code])
    assert rt.run(sb, config).exit_code == 0, read(config.log_path)
    assert read(config.log_path).splitlines() == [ip, "127.0.0.1", "unix ok"]


def _try(url: str) -> bytes | None:
    try:
        return get(url)
    except OSError:
        return None


@pytest.mark.slow
def test_a_flooding_container_is_capped_and_its_last_lines_kept(rt):
    sb = rt.sandbox()
    line = "x" * 90
    code = (
        "import sys\n"
        f"for i in range(500000): sys.stdout.write('line %08d {line}\\n' % i)\n"  # ~50 MB
        "sys.stdout.flush()\n"
        "print('THE END', flush=True)\n"
    )
    config = rt.config(sb, [PY, "-c", code], log_max_bytes=1 << 20)
    assert rt.run(sb, config, timeout=60).exit_code == 0
    size = os.path.getsize(config.log_path)
    on_disk = os.stat(config.log_path).st_blocks * 512
    assert size <= 2 << 20 and on_disk <= 2 << 20, (size, on_disk)
    lines = read(config.log_path).splitlines()
    assert lines[-1] == "THE END"
    assert lines[-2] == f"line 00499999 {line}"
    assert len(lines) > 4000  # the newest half of the cap, not an empty file


def test_a_long_running_flood_stays_near_its_cap(rt):
    """Measured while it writes, not only after it exits."""
    sb = rt.sandbox()
    code = "import sys\nwhile True:\n    sys.stdout.write('y' * 99 + '\\n')\n"
    config = rt.config(sb, [PY, "-u", "-c", code], log_max_bytes=256 * 1024)
    proc = rt.start(sb, config)
    wait_for(lambda: os.path.exists(config.log_path) and os.path.getsize(config.log_path) > 128 * 1024, what="output")
    samples = []
    for _ in range(40):
        samples.append(os.path.getsize(config.log_path))
        time.sleep(0.025)
    rt.runtime.signal(proc, signal.SIGKILL)
    rt.wait(proc)
    assert max(samples) < 16 << 20, samples  # bounded by what one check interval lets through
    assert os.path.getsize(config.log_path) <= 256 * 1024
