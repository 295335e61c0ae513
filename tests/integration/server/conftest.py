"""Fixtures: a real ApiServer over a LocalClient on a temporary store, on 127.0.0.1:0.

One server per test module (kubectl's discovery cache lives in a fresh KUBECACHEDIR per
module, as the same host:port would otherwise reuse another server's cache); every server
is stopped at teardown. `kubectl` runs /usr/bin/kubectl against it with bounded time.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import pytest

from minikctl.client.http import HttpClient
from minikctl.client.local import LocalClient
from minikctl.server import ApiServer

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@dataclass
class Served:
    home: str
    server: ApiServer
    local: LocalClient
    cache: str

    def http(self, **kw) -> HttpClient:
        return HttpClient(self.server.url, self.server.token, self.server.ca_file, **kw)

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 30, env: dict | None = None,
                check: bool = False) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "KUBECONFIG": self.server.kubeconfig, "KUBECACHEDIR": self.cache,
                    "HOME": self.home, **(env or {})}
        result = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True,
                                timeout=timeout, env=full_env)
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result


def start_served(base: str) -> Served:
    home = os.path.join(base, "home")
    os.makedirs(home, exist_ok=True)
    local = LocalClient.open(path=home)
    server = ApiServer(local, home=home)
    server.start()
    cache = os.path.join(base, "kubecache")
    return Served(home, server, local, cache)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = start_served(str(tmp_path_factory.mktemp("apiserver")))
    try:
        yield s
    finally:
        s.server.stop()
        s.local.close()


def needs_kubectl():
    return pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed")
