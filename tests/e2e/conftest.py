"""End-to-end fixtures: a real background daemon on a temporary MINIKCTL_HOME, and a
teardown that kills, by pid, every process the test started (the daemon, then every
pod's process group recorded under pods/, and any joined node agent), never by name."""
from __future__ import annotations

import glob
import json
import os
import signal
import time

import pytest

from tests.conftest import pod_range_octet, run_cli


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_everything(home: str) -> None:
    from minikctl.daemon import process

    for state_file in [process.STATE_FILE, *process.agent_state_files(home)]:
        state = process.read_state(home, state_file)
        if state:
            _kill_group(state["pid"])
    for path in glob.glob(os.path.join(home, "pods", "*", "*", "state.json")):
        try:
            with open(path) as f:
                pid = int(json.load(f)["pid"])
        except (OSError, ValueError, KeyError):
            continue
        if process.start_ticks(pid) is not None:
            _kill_group(pid)


def start_daemon(home: str, *flags: str) -> str:
    """`minikctl daemon start` on `home` with a pod range and a cluster DNS address of its
    own, so daemons of tests running side by side never share IPs or answer each other's
    pods' DNS queries; returns the pod range."""
    os.makedirs(home, exist_ok=True)
    octet = pod_range_octet()
    cidr = f"127.{octet}.0.0/16"
    started = run_cli("daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr,
                      "--cluster-dns", f"127.{octet}.255.254", *flags, timeout=60)
    assert started.returncode == 0, started.stderr
    return cidr


def stop_everything(home: str) -> None:
    run_cli("daemon", "stop", "--all", timeout=60)
    kill_everything(home)


@pytest.fixture
def daemon(minikctl_home):
    """A running background daemon; yields (home, pod range). Everything dies at teardown."""
    home = str(minikctl_home)
    cidr = start_daemon(home)
    try:
        yield home, cidr
    finally:
        stop_everything(home)


@pytest.fixture(params=["userspace", "nftables"])
def proxied_daemon(request, minikctl_home):  # noqa: ANN001
    """The daemon with an explicit --proxy-mode, each in turn; yields (home, pod range, mode).
    nftables is skipped, with the reason, where this process may not program it."""
    mode = request.param
    if mode == "nftables":
        from minikctl.proxy import nft

        why = nft.available()
        if why is not None:
            pytest.skip(f"nftables not usable here: {why}")
    home = str(minikctl_home)
    cidr = start_daemon(home, "--proxy-mode", mode)
    try:
        with open(os.path.join(home, "daemon.log")) as f:
            assert f"Using {mode} Proxier" in f.read()
        yield home, cidr, mode
    finally:
        stop_everything(home)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
