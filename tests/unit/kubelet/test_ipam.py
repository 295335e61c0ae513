"""Pod IPs: lowest free, skipping .0 and .1, stable per pod."""
from __future__ import annotations

import pytest

from minikctl.kubelet.ipam import Allocator, Exhausted


def test_lowest_free_skipping_network_and_gateway():
    a = Allocator("127.16.0.0/16")
    assert a.allocate("p1") == "127.16.0.2"
    assert a.allocate("p2") == "127.16.0.3"
    assert a.allocate("p1") == "127.16.0.2"  # the same pod keeps its IP


def test_in_use_ips_are_skipped_and_released_ips_reused():
    a = Allocator("127.16.0.0/16")
    assert a.allocate("p1", in_use={"127.16.0.2", "127.16.0.3"}) == "127.16.0.4"
    a.release("p1")
    assert a.allocate("p2", in_use={"127.16.0.2"}) == "127.16.0.3"


def test_preferred_ip_is_kept_when_free():
    a = Allocator("127.16.0.0/16")
    assert a.allocate("p1", preferred="127.16.3.7") == "127.16.3.7"
    assert a.allocate("p2", in_use={"127.16.9.9"}, preferred="127.16.9.9") == "127.16.0.2"
    assert a.allocate("p3", preferred="127.16.0.1") == "127.16.0.3"  # the gateway is never handed out
    assert a.allocate("p4", preferred="10.0.0.5") == "127.16.0.4"  # outside the CIDR


def test_exhaustion():
    a = Allocator("127.16.0.0/30")  # .0 network, .1 gateway, .2 usable, .3 broadcast
    assert a.allocate("p1") == "127.16.0.2"
    with pytest.raises(Exhausted):
        a.allocate("p2")


def test_hold_for_adoption():
    a = Allocator("127.16.0.0/16")
    a.hold("old", "127.16.0.2")
    assert a.allocate("new") == "127.16.0.3"
