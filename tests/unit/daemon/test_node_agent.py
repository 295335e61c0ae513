"""The node agent's registration: pod range slices, re-registration, status re-posting."""
from __future__ import annotations

import pytest

from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.daemon.node import NodeAgent
from minikctl.daemon.nodeconfig import NodeConfig

NODE = kinds.by_kind("Node")


@pytest.fixture
def client(tmp_path):
    c = LocalClient.open(path=str(tmp_path))
    yield c
    c.close()


def agent(client, name: str) -> NodeAgent:
    return NodeAgent(client, NodeConfig(name=name, pod_cidr="127.90.0.0/16"), cluster_cidr="127.90.0.0/16",
                     nodes_in_range=3)


def test_each_node_gets_its_own_slice_and_keeps_it(client):
    a, b = agent(client, "a"), agent(client, "b")
    a.register()
    b.register()
    assert (a.pod_cidr, b.pod_cidr) == ("127.90.0.0/24", "127.90.1.0/24")
    again = agent(client, "b")  # a restarted agent
    again.register()
    assert again.pod_cidr == "127.90.1.0/24"


def test_a_deleted_node_registers_again_with_the_range_its_kubelet_uses(client):
    a, b, c = agent(client, "a"), agent(client, "b"), agent(client, "c")
    for x in (a, b, c):
        x.register()
    client.delete(NODE, "", "a")
    client.delete(NODE, "", "b")
    b.register()  # the first free slice is a's old one now: b keeps its own
    assert client.get(NODE, "", "b")["spec"]["podCIDR"] == b.pod_cidr == "127.90.1.0/24"


def test_status_is_posted_again_once_someone_marked_the_node_not_ready(client):
    a = agent(client, "a")
    a.register()
    node = client.get(NODE, "", "a")
    for c in node["status"]["conditions"]:
        c["status"] = "Unknown"
    client.update_status(node)
    a.report_status()
    ready = next(c for c in client.get(NODE, "", "a")["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
