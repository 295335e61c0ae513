"""The in-process transport: the api layer running on the store file itself."""
from __future__ import annotations

from collections.abc import Callable

from minikctl import home
from minikctl.api.handler import Api, bootstrap
from minikctl.store.store import Store


class LocalClient(Api):
    transport = "in-process"

    @classmethod
    def open(cls, *, warn: Callable[[str], None] | None = None, path: str | None = None) -> "LocalClient":
        store = Store.open(path or home.home())
        client = cls(store, warn=warn)
        if store.created:
            bootstrap(client)
        return client

    def close(self) -> None:
        self.store.close()

    def evict(self, namespace: str, name: str, *, grace_period: int | None = None, dry_run: bool = False) -> dict:
        """pods/eviction: a delete PodDisruptionBudgets may refuse (429), as the API server does it."""
        from minikctl.api import eviction

        return eviction.evict(self, namespace, name, grace_period=grace_period, dry_run=dry_run)
