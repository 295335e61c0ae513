"""The kubeconfig minikctl writes for its API server, and reading one back.

The file is what kubectl expects (cluster, user and context all named `minikctl`, the CA
inline as certificate-authority-data, a bearer token), written 0600 because it holds the
token. Reading uses a tiny line parser for the layout written here, so the CLI's fast
path does not pay for importing PyYAML; any other layout falls back to YAML.
"""
from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

NAME = "minikctl"
FILE = "kubeconfig"

_TEMPLATE = """apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: {name}
contexts:
- context:
    cluster: {name}
    user: {name}
  name: {name}
current-context: {name}
preferences: {{}}
users:
- name: {name}
  user:
    token: {token}
"""
_FIELD = re.compile(r"^\s*(server|certificate-authority-data|token):\s*(\S+)\s*$", re.M)


@dataclass(frozen=True)
class Endpoint:
    server: str
    token: str
    ca_pem: bytes


def path(home: str) -> str:
    return os.path.join(home, FILE)


def render(server: str, ca_pem: bytes, token: str) -> str:
    ca = base64.b64encode(ca_pem).decode()
    return _TEMPLATE.format(ca=ca, server=server, token=token, name=NAME)


def write(target: str, server: str, ca_pem: bytes, token: str) -> None:
    tmp = target + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(render(server, ca_pem, token))
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)


def read(source: str) -> Endpoint:
    """The current context's server, token and CA. Raises ValueError when it has none."""
    with open(source) as f:
        text = f.read()
    found: dict[str, list[str]] = {}
    for key, value in _FIELD.findall(text):
        found.setdefault(key, []).append(value)
    if all(len(found.get(k, ())) == 1 for k in ("server", "certificate-authority-data", "token")):
        return Endpoint(found["server"][0], found["token"][0],
                        base64.b64decode(found["certificate-authority-data"][0]))
    return _read_yaml(text)


def _read_yaml(text: str) -> Endpoint:
    import yaml

    doc = yaml.safe_load(text) or {}
    current = doc.get("current-context")
    ctx = _named(doc.get("contexts"), current).get("context") or {}
    cluster = _named(doc.get("clusters"), ctx.get("cluster")).get("cluster") or {}
    user = _named(doc.get("users"), ctx.get("user")).get("user") or {}
    if not cluster.get("server"):
        raise ValueError("kubeconfig: the current context has no cluster server")
    ca = cluster.get("certificate-authority-data")
    if ca:
        ca_pem = base64.b64decode(ca)
    elif cluster.get("certificate-authority"):
        with open(cluster["certificate-authority"], "rb") as f:
            ca_pem = f.read()
    else:
        ca_pem = b""
    return Endpoint(cluster["server"], user.get("token") or "", ca_pem)


def _named(items: object, name: object) -> dict:
    for item in items or []:  # type: ignore[attr-defined]
        if isinstance(item, dict) and item.get("name") == name:
            return item
    return {}
