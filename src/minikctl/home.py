"""The state directory: $MINIKCTL_HOME, default ~/.minikctl."""
from __future__ import annotations

import os


def home() -> str:
    path = os.environ.get("MINIKCTL_HOME") or os.path.join(os.path.expanduser("~"), ".minikctl")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path
