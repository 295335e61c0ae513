"""`top pod` through the real CLI, measuring real container processes (test_logs.py's helpers)."""
from __future__ import annotations

import re

from tests.cli.test_logs import cli, pods  # noqa: F401 - pods is a fixture

IDLE = "import time\ntime.sleep(60)"
# Keeps a core busy and holds ~40 MiB, in a child process: usage is the whole tree's.
BUSY = ("import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'x = bytearray(40 * 1024 * 1024)\\nwhile True: pass'])")


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_pods_cpu_and_memory(pods):
    pods("busy", {"web": BUSY}).run()
    pods("idle", {"web": IDLE}).run()
    r = cli("top", "pod")
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    assert table[0] == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    # kubectl ends every cell with a tab, so even the last column is padded.
    assert r.stdout.splitlines()[0] == "NAME   CPU(cores)   MEMORY(bytes)   "
    usage = {name: (int(cpu[:-1]), int(mem[:-2])) for name, cpu, mem in table[1:]}
    assert set(usage) == {"busy", "idle"}
    assert usage["busy"][0] > 200 and usage["busy"][1] >= 40
    assert usage["idle"][0] < 100 and usage["idle"][1] < usage["busy"][1]
    assert [row[0] for row in rows(cli("top", "pods", "--sort-by=cpu", "--no-headers").stdout)] == ["busy", "idle"]


def test_containers_namespaces_and_sum(pods):
    pods("two", {"a": IDLE, "b": IDLE}, labels={"app": "two"}).run()
    r = cli("top", "pod", "--containers", "-A")
    assert rows(r.stdout)[0] == ["NAMESPACE", "POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert [row[:3] for row in rows(r.stdout)[1:]] == [["default", "two", "a"], ["default", "two", "b"]]
    summed = cli("top", "pod", "two", "--sum").stdout.splitlines()
    assert summed[2].split() == ["________", "________"]
    assert re.fullmatch(r"\s+\d+m\s+\d+Mi\s+", summed[3])
    assert rows(cli("top", "po", "-l", "app=two").stdout)[1][0] == "two"


def test_nothing_running(pods):
    r = cli("top", "pod")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "No resources found in default namespace.\n")
    pod = pods("stopped", {"web": IDLE}).run()
    pod.stop_all()
    r = cli("top", "pod")
    assert (r.returncode, r.stderr) == (1, "error: metrics not available yet\n")
    assert cli("top", "pod", "stopped").stderr == \
        'Error from server (NotFound): podmetrics.metrics.k8s.io "default/stopped" not found\n'
    assert cli("top", "pod", "nope").stderr == \
        'Error from server (NotFound): podmetrics.metrics.k8s.io "default/nope" not found\n'


def test_errors():
    assert cli("top", "pod", "--sort-by=name").stderr == "error: --sort-by accepts only cpu or memory\n"
    assert cli("top", "pod", "web", "-l", "app=web").stderr == "error: only one of NAME or selector can be provided\n"
