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
