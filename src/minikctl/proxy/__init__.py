"""Services on one machine: the service proxy (kube-proxy's job) and the cluster DNS
server (CoreDNS's), both run by the daemon. See proxy.py and dns.py."""
from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_NODE_IP", "ServiceProxy"]


def __getattr__(name: str) -> Any:
    """Lazy: the CLI imports proxy.relay without the proxy itself."""
    if name in __all__:
        from minikctl.proxy import proxy

        return getattr(proxy, name)
    raise AttributeError(name)
