"""The client interface: the one door to the API for the CLI, controllers and kubelet.

Two transports behind one interface (DESIGN.md): in-process (the api layer on the
SQLite file, so everything works before any daemon exists) and, once the daemon serves
the Kubernetes REST API, HTTP. `connect()` picks one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from minikctl.api.kinds import Kind


class Client(Protocol):
    transport: str

    def get(self, kind: Kind, namespace: str, name: str) -> dict: ...
    def list(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], int]: ...
    def watch(self, kind: Kind, namespace: str | None, since: int, *, label_selector: str | None = None,
              field_selector: str | None = None, timeout: float | None = None,
              stop: Any = None) -> Iterator[tuple[str, dict]]: ...
    def create(self, obj: Any, *, namespace: str | None = None, dry_run: bool = False) -> dict: ...
    def update(self, obj: Any, *, namespace: str | None = None, dry_run: bool = False,
               subresource: str | None = None) -> dict: ...
    def update_status(self, obj: dict, **kw: Any) -> dict: ...
    def modify(self, kind: Kind, namespace: str, name: str, change: Callable[[dict], None], *,
               dry_run: bool = False) -> tuple[dict, bool]: ...
    def delete(self, kind: Kind, namespace: str, name: str, *, dry_run: bool = False,
               propagation: str | None = None, grace_period: int | None = None,
               expect_rv: str | None = None) -> dict: ...
    def finish_delete(self, kind: Kind, namespace: str, name: str, *, uid: str | None = None) -> dict: ...
    def bind(self, namespace: str, name: str, node_name: str) -> dict: ...
    def evict(self, namespace: str, name: str, *, grace_period: int | None = None,
              dry_run: bool = False) -> dict: ...


def connect(*, warn: Callable[[str], None] | None = None) -> Client:
    """HTTP to the daemon's API server when a daemon runs on this store, else in-process."""
    import os

    from minikctl import home as homedir
    from minikctl.daemon import process

    home = homedir.home()
    state = process.read_state(home)
    if state and state.get("api_url"):
        from minikctl.client import http

        return http.HttpClient.from_kubeconfig(os.path.join(home, "kubeconfig"), warn=warn)
    from minikctl.client import local

    return local.LocalClient.open(warn=warn)
