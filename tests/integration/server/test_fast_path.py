"""The HTTP transport is the CLI's fast path: using it imports neither SQLAlchemy, nor
jsonschema, nor rich, nor PyYAML, nor http.client and its email package (checked in a
fresh interpreter, after real requests)."""
from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from minikctl.api import kinds
from minikctl.client.http import HttpClient
c = HttpClient.from_kubeconfig(sys.argv[1])
c.list(kinds.by_kind("Pod"), "default")
c.get(kinds.by_kind("Namespace"), "", "default")
c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fast"}})
c.modify(kinds.by_kind("ConfigMap"), "default", "fast", lambda o: o.update(data={"a": "b"}))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "jsonschema", "rich", "yaml", "cryptography",
                                                           "email", "http", "typer", "click"))
print(json.dumps(heavy))
"""


def test_http_client_imports_nothing_heavy(served):
    out = subprocess.run([sys.executable, "-c", SCRIPT, served.server.kubeconfig], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def _import_us() -> int:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import minikctl.client.http"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # Top-level entries only (no leading spaces in the name column): their cumulative times add up.
    return sum(int(line.split("|")[1]) for line in out.stderr.splitlines()
               if line.startswith("import time:") and line.split("|")[1].strip().isdigit()
               and not line.split("|")[2].startswith("  "))


def test_import_time_is_small():
    best = min(_import_us() for _ in range(3))  # the best of three: a busy machine only adds
    assert best < 150_000, f"importing the HTTP client took {best / 1000:.0f} ms"
