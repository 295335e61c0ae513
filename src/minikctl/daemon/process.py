"""A background daemon: its pid file, log file and the start/stop/status verbs.

`$MINIKCTL_HOME/daemon.json` says which process is the daemon: its pid and that
process' start ticks (so a reused pid is never taken for it), node name and start
time. It is written once the daemon is ready and removed when it stops."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from minikctl import errors
from minikctl.runtime.procfs import is_running, start_ticks

STATE_FILE = "daemon.json"
LOG_FILE = "daemon.log"


def read_state(home: str, state_file: str = STATE_FILE) -> dict | None:
    """The running daemon's record, or None if no daemon runs (stale records are removed).
    A node agent joined with `daemon --join` keeps its own record (agent_state_file)."""
    path = os.path.join(home, state_file)
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    # A killed daemon nobody has reaped yet is a zombie: not running.
    if not is_running(int(state.get("pid", 0)), int(state.get("start_ticks") or -1)):
        try:
            os.unlink(path)
        except OSError:
            pass
        return None
    return state


def write_state(home: str, state_file: str = STATE_FILE, **fields: object) -> None:
    pid = os.getpid()
    state = {"pid": pid, "start_ticks": start_ticks(pid), "started_at": time.time(), **fields}
    path = os.path.join(home, state_file)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)


def clear_state(home: str, state_file: str = STATE_FILE) -> None:
    state = read_state(home, state_file)
    if state and state["pid"] == os.getpid():
        os.unlink(os.path.join(home, state_file))


def agent_state_file(node: str) -> str:
    """Where a joined node agent records itself: agents/<node>.json (its log: .log)."""
    return os.path.join("agents", f"{node}.json")


def agent_state_files(home: str) -> list[str]:
    """The records of every node agent that joined this store (agents/*.json)."""
    folder = os.path.join(home, "agents")
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return []
    return [os.path.join("agents", n) for n in names]


def start_background(home: str, args: list[str], timeout: float = 30.0, state_file: str = STATE_FILE,
                     log_file: str = LOG_FILE) -> dict:
    """Start `minikctl daemon ARGS` detached, wait until it is ready, return its record."""
    running = read_state(home, state_file)
    if running:
        what = "the daemon is" if state_file == STATE_FILE else f"a node agent for {running.get('node')} is"
        raise errors.MinikctlError(f"{what} already running (pid {running['pid']})")
    log_path = os.path.join(home, log_file)
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    since = os.path.getsize(log_path) if os.path.exists(log_path) else 0  # this run's lines only
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            [sys.executable, "-m", "minikctl", "daemon", *args],
            stdin=devnull, stdout=log, stderr=log, start_new_session=True, close_fds=True,
            env={**os.environ, "MINIKCTL_HOME": home},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_state(home, state_file)
        if state and state["pid"] == proc.pid:
            return state
        if proc.poll() is not None:
            why = _last_error(log_path, since)
            what = "the daemon" if state_file == STATE_FILE else "the node agent"
            raise errors.MinikctlError(f"{why + chr(10) if why else ''}{what} exited at start "
                                       f"(code {proc.returncode}); see {log_path}")
        time.sleep(0.02)
    proc.terminate()
    raise errors.MinikctlError(f"the daemon did not become ready within {timeout:.0f}s; see {log_path}")


def _last_error(log_path: str, since: int) -> str:
    """The last `error: ...` line this run logged (what it would have told a terminal)."""
    try:
        with open(log_path, "rb") as f:
            f.seek(max(since, os.path.getsize(log_path) - 8192))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    found = [line[len("error: "):] for line in lines if line.startswith("error: ")]
    return found[-1] if found else ""


def stop(home: str, *, all_pods: bool = False, timeout: float = 60.0, state_file: str = STATE_FILE) -> dict | None:
    """Ask the daemon to stop (SIGTERM; SIGUSR1 to stop every pod first) and wait."""
    state = read_state(home, state_file)
    if state is None:
        return None
    os.kill(state["pid"], signal.SIGUSR1 if all_pods else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(state["pid"], state["start_ticks"]):
            return state
        time.sleep(0.02)
    raise errors.MinikctlError(f"the daemon (pid {state['pid']}) did not stop within {timeout:.0f}s")
