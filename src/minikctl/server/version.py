"""/version and the health probes (/healthz, /livez, /readyz).

/usr/bin/kubectl is a dispatcher that runs the kubectl release matching the server's
minor version, so the version reported here picks the kubectl that talks to us:
1.32, whose wire behaviour KUBECTL-WIRE.md records. gitVersion must parse as semver.
"""
from __future__ import annotations

import platform
import sys

from minikctl.server.exchange import Exchange

MAJOR, MINOR = "1", "32"
GIT_VERSION = "v1.32.0-minikctl"
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
_CHECKS = ("ping", "log", "etcd", "poststarthook/minikctl-api")


def info() -> dict:
    from minikctl import __version__

    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {"major": MAJOR, "minor": MINOR, "gitVersion": GIT_VERSION,
            "gitCommit": f"minikctl-{__version__}", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": f"python{sys.version.split()[0]}",
            "compiler": "cpython", "platform": f"{sys.platform}/{machine}"}


def serve_version(ex: Exchange) -> None:
    ex.send_json(200, info())


def is_health(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in HEALTH_PATHS)


def serve_health(ex: Exchange) -> None:
    """`ok`, or with ?verbose the per-check list kube-apiserver prints."""
    base = next(p for p in HEALTH_PATHS if ex.path == p or ex.path.startswith(p + "/"))
    if ex.path != base and ex.path[len(base) + 1:] not in _CHECKS:
        ex.send_not_found()
        return
    if "verbose" in ex.query:
        lines = [f"[+]{c} ok" for c in _CHECKS] + [f"{base[1:]} check passed"]
        ex.send(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8")
        return
    ex.send(200, b"ok", "text/plain; charset=utf-8")
