"""Node names, pod range slices and flag parsing for node agents."""
from __future__ import annotations

import ipaddress

import pytest

from minikctl import errors
from minikctl.daemon import nodeconfig
from minikctl.daemon.node import allocatable


def test_nodes_are_named_as_minikube_names_them():
    assert nodeconfig.node_names("vm", 3) == ["vm", "vm-m02", "vm-m03"]
    assert nodeconfig.node_names("vm", 1) == ["vm"]


@pytest.mark.parametrize("cluster,count,mask", [("127.16.0.0/16", 1, 24), ("127.16.0.0/16", 100, 24),
                                                ("127.16.0.0/24", 1, 25), ("127.16.0.0/24", 3, 26),
                                                ("127.16.0.0/28", 4, 29)])
def test_slices_are_a_slash_24_unless_the_range_is_too_small(cluster, count, mask):
    assert nodeconfig.node_mask(ipaddress.ip_network(cluster), count) == mask


def test_the_first_free_slice_skips_every_other_nodes_range():
    cluster = ipaddress.ip_network("127.16.0.0/16")
    assert nodeconfig.free_slice(cluster, [], 24) == "127.16.0.0/24"
    assert nodeconfig.free_slice(cluster, ["127.16.0.0/24", "127.16.2.0/24", "garbage"], 24) == "127.16.1.0/24"
    assert nodeconfig.free_slice(cluster, ["127.16.0.0/23"], 24) == "127.16.2.0/24"
    with pytest.raises(errors.MinikctlError, match="no free pod range left in 127.16.0.0/16"):
        nodeconfig.free_slice(cluster, ["127.16.0.0/16"], 24)


def test_taints_parse_as_the_kubelets_flag():
    assert nodeconfig.parse_taints("gpu=true:NoSchedule, spot:PreferNoSchedule") == [
        {"key": "gpu", "value": "true", "effect": "NoSchedule"}, {"key": "spot", "effect": "PreferNoSchedule"}]
    assert nodeconfig.parse_taints("") == []


def test_allocatable_is_capacity_minus_reserved_never_below_zero():
    assert allocatable({"cpu": "4", "memory": "8Gi", "pods": "110"}, {"cpu": "500m", "memory": "9Gi"}) == {
        "cpu": "3500m", "memory": "0", "pods": "110"}
