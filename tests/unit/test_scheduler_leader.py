"""Leader election on the kube-system/kube-scheduler Lease, on a real store with fake
clocks: one holder at a time, takeover after the lease expires (as observed locally),
immediate handover on release, and a restarted holder taking its own Lease back."""
from __future__ import annotations

import pytest

from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.scheduler.leader import LeaderElector


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def client(minikctl_home):
    minikctl_home.mkdir(parents=True, exist_ok=True)
    return LocalClient.open(path=str(minikctl_home))


def lease(client) -> dict:  # type: ignore[no-untyped-def]
    return client.get(kinds.by_kind("Lease"), "kube-system", "kube-scheduler")["spec"]


def test_one_leader_and_takeover_after_expiry(client):
    clock = Clock()
    a = LeaderElector(client, "a", clock=clock)
    b = LeaderElector(client, "b", clock=clock)
    assert a.try_acquire_or_renew() is True
    assert b.try_acquire_or_renew() is False
    assert lease(client)["holderIdentity"] == "a" and lease(client)["leaseDurationSeconds"] == 15
    clock.t += 10
    assert a.try_acquire_or_renew() is True  # renewed: b sees a new record
    assert b.try_acquire_or_renew() is False
    clock.t += 14  # 14 s since b last saw the record change: still alive
    assert b.try_acquire_or_renew() is False
    clock.t += 2
    assert b.try_acquire_or_renew() is True
    spec = lease(client)
    assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1


def test_release_hands_over_at_once_and_a_restart_takes_its_own_lease_back(client):
    clock = Clock()
    a = LeaderElector(client, "a", clock=clock)
    assert a.try_acquire_or_renew()
    a.leading.set()
    a.stop()
    assert lease(client)["holderIdentity"] == ""
    b = LeaderElector(client, "b", clock=clock)
    assert b.try_acquire_or_renew() is True
    again = LeaderElector(client, "b", clock=clock)  # b restarted (same identity)
    assert again.try_acquire_or_renew() is True
