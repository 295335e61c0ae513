"""Pod IPs from the node's loopback pod CIDR.

The lowest free address wins, skipping the network address, the first host address
(.1, kept as the node's gateway, as CNI bridges do) and the broadcast address. An IP is
in use while a pod that is not terminal holds it (status.podIP, or an allocation made
and not yet written to the pod's status), so a restarted daemon never hands out an IP
a live pod still has.
"""
from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable


class Exhausted(Exception):
    pass


class Allocator:
    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr, strict=False)
        self._held: dict[str, str] = {}  # pod uid -> ip
        self._lock = threading.Lock()

    def allocate(self, uid: str, in_use: Iterable[str] = (), preferred: str = "") -> str:
        """This pod's IP: the one it holds, its recorded one if still free, else the
        lowest free address."""
        with self._lock:
            if uid in self._held:
                return self._held[uid]
            taken = set(in_use) | set(self._held.values())
            if preferred and self._usable(preferred) and preferred not in taken:
                self._held[uid] = preferred
                return preferred
            for ip in self._candidates():
                if ip not in taken:
                    self._held[uid] = ip
                    return ip
        raise Exhausted(f"no free IP left in the pod CIDR {self.network}")

    def hold(self, uid: str, ip: str) -> None:
        """Record an IP a pod already has (adoption)."""
        with self._lock:
            self._held[uid] = ip

    def release(self, uid: str) -> None:
        with self._lock:
            self._held.pop(uid, None)

    def held(self) -> dict[str, str]:
        with self._lock:
            return dict(self._held)

    def _usable(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return addr in self.network and int(addr) - int(self.network.network_address) >= 2 \
            and addr != self.network.broadcast_address

    def _candidates(self) -> Iterable[str]:
        first = int(self.network.network_address) + 2
        last = int(self.network.broadcast_address) - 1
        for n in range(first, last + 1):
            yield str(ipaddress.ip_address(n))
