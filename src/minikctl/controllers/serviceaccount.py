"""The serviceaccount controller (pkg/controller/serviceaccount): every namespace that is
active (not Terminating) has a `default` ServiceAccount; one deleted is created again.

Keys are namespace names. A namespace added or updated is synced, and so is the namespace
of a deleted `default` ServiceAccount; at start every namespace that exists is synced
(the informers' initial list is a stream of adds), so the namespaces bootstrap made
(default, kube-system, kube-public, kube-node-lease) get theirs too. The cache says
"missing" only after a live read agrees, so a lagging cache costs one GET, not an
AlreadyExists storm. Pod admission creates `default` as well when a pod needs it before
this controller has run (api/serviceaccounts.py); both ignore AlreadyExists.
"""
from __future__ import annotations

import logging

from minikctl import errors
from minikctl.api import kinds
from minikctl.api.serviceaccounts import DEFAULT, default_service_account
from minikctl.controllers.base import Clock, Controller, Informers

log = logging.getLogger(__name__)

MANAGED = (DEFAULT,)  # the ServiceAccounts each namespace gets


class ServiceAccountController(Controller):
    name = "serviceaccount-controller"
    kind = "Namespace"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.sa_kind = kinds.by_kind("ServiceAccount")
        self.accounts = informers.informer("ServiceAccount")
        self.informers.append(self.accounts)
        self.primary.add_handler(self._on_namespace)
        self.accounts.add_handler(self._on_account)

    def _on_namespace(self, etype: str, ns: dict, _old: dict | None) -> None:
        if etype != "DELETED":
            self.enqueue(ns)

    def _on_account(self, etype: str, sa: dict, _old: dict | None) -> None:
        md = sa["metadata"]
        if etype == "DELETED" and md.get("name") in MANAGED:
            self.queue.add(md.get("namespace") or "default")

    def sync(self, key: str) -> None:
        ns = self.primary.get(key)
        if ns is None or not _active(ns):
            return
        for name in MANAGED:
            if self.accounts.get(f"{key}/{name}") is not None:
                continue
            try:
                self.client.get(self.sa_kind, key, name)
                continue  # the cache lagged
            except errors.NotFound:
                pass
            try:
                self.client.create(default_service_account(key))
                log.info("%s: created ServiceAccount %s/%s", self.name, key, name)
            except errors.AlreadyExists:
                pass
            except errors.Forbidden:
                return  # the namespace started terminating meanwhile: nothing to keep


def _active(ns: dict) -> bool:
    return not ns["metadata"].get("deletionTimestamp") and (ns.get("status") or {}).get("phase") != "Terminating"
