"""Node validation: taints with a known effect and a key, CIDRs, sensible quantities."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.client.local import LocalClient
from minikctl.daemon.node import NodeAgent
from minikctl.daemon.nodeconfig import NodeConfig


@pytest.fixture
def client(tmp_path):
    c = LocalClient.open(path=str(tmp_path))
    yield c
    c.close()


def node(**parts) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, **parts}


def rendered(client, obj) -> list[str]:
    with pytest.raises(errors.Invalid) as caught:
        client.create(obj)
    return [c.render() for c in caught.value.causes]


def test_an_unknown_taint_effect_and_a_missing_key_are_refused(client):
    causes = rendered(client, node(spec={"taints": [{"key": "gpu", "effect": "Sometimes"}, {"effect": "NoSchedule"}]}))
    assert 'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", ' \
           '"PreferNoSchedule", "NoExecute"' in causes
    assert "spec.taints[1].key: Required value" in causes


def test_nonsense_capacity_is_refused(client):
    causes = rendered(client, node(status={"capacity": {"cpu": "lots", "memory": "-1Gi"}}))
    assert "status.capacity[memory]: Invalid value: \"-1Gi\": must be greater than or equal to 0" in causes
    assert any(c.startswith('status.capacity[cpu]: Invalid value: "lots": quantities must match') for c in causes)


def test_a_bad_pod_cidr_is_refused(client):
    assert rendered(client, node(spec={"podCIDR": "nope"})) == [
        'spec.podCIDRs[0]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']


def test_what_a_node_agent_registers_is_valid(client):
    config = NodeConfig(name="n", pod_cidr="127.90.0.0/24", capacity={"cpu": "4", "memory": "8Gi", "pods": "20"},
                        reserved={"cpu": "500m", "memory": "1Gi"}, labels={"zone": "a"},
                        taints=[{"key": "gpu", "value": "yes", "effect": "NoSchedule"}])
    created = NodeAgent(client, config).register()
    assert created["status"]["capacity"]["cpu"] == "4"
    assert created["status"]["allocatable"]["cpu"] == "3500m"
    assert created["status"]["allocatable"]["memory"] == "7Gi"
    assert created["status"]["allocatable"]["pods"] == "20"
    assert created["metadata"]["labels"]["zone"] == "a"
    assert created["metadata"]["labels"]["kubernetes.io/hostname"] == "n"
    assert created["spec"]["taints"] == [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
