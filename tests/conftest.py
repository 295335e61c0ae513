"""Shared fixtures: every test gets its own MINIKCTL_HOME, nothing touches ~/.minikctl."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
CORPUS = (REPO.parent / "shared" / "corpus").resolve()


@pytest.fixture(autouse=True)
def minikctl_home(tmp_path, monkeypatch) -> pathlib.Path:
    home = tmp_path / "home"
    monkeypatch.setenv("MINIKCTL_HOME", str(home))
    monkeypatch.delenv("MINIKCTL_STORE_URL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


def run_cli(*args: str, stdin: str | None = None, timeout: float = 60, env: dict | None = None):
    """Run the real CLI as a subprocess: `python -m minikctl ARGS`."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "minikctl", *args],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=full_env,
    )


@pytest.fixture
def cli():
    return run_cli


def pod_range_octet() -> int:
    """A second octet for a test daemon's own pod range (127.N.0.0/16), so daemons of tests
    running side by side never share pod IPs; never 96, the Service cluster IP range."""
    import random

    return random.choice([o for o in range(20, 251) if o != 96])
