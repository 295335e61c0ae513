"""Which nodes a daemon pod fits (NodeShouldRunDaemonPod) and how it is pinned there."""
from __future__ import annotations

import pytest

from minikctl.controllers import daemonset_nodes as dn


def node(name: str = "n1", labels: dict | None = None, taints: list | None = None) -> dict:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints} if taints else {}}


def affinity(*terms: dict) -> dict:
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}}


@pytest.mark.parametrize("spec, labels, expected", [
    pytest.param({}, {}, (True, True), id="no-constraints"),
    pytest.param({"nodeSelector": {"disk": "ssd"}}, {"disk": "ssd"}, (True, True), id="selector-match"),
    pytest.param({"nodeSelector": {"disk": "ssd"}}, {"disk": "hdd"}, (False, False), id="selector-mismatch"),
    pytest.param({"nodeName": "other"}, {}, (False, False), id="other-node-name"),
    pytest.param(affinity({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}),
                 {"zone": "b"}, (True, True), id="notin"),
    pytest.param(affinity({"matchExpressions": [{"key": "cpus", "operator": "Gt", "values": ["4"]}]}),
                 {"cpus": "8"}, (True, True), id="gt"),
    pytest.param(affinity({"matchExpressions": [{"key": "cpus", "operator": "Lt", "values": ["4"]}]}),
                 {"cpus": "8"}, (False, False), id="lt"),
    pytest.param(affinity({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]},
                          {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}),
                 {"gpu": "1"}, (True, True), id="terms-are-ored"),
    pytest.param(affinity({}), {}, (False, False), id="empty-term-matches-nothing"),
])
def test_should_run_on_labels_names_and_affinity(spec: dict, labels: dict, expected: tuple[bool, bool]):
    assert dn.should_run(spec, node(labels=labels)) == expected


@pytest.mark.parametrize("taint, tolerations, expected", [
    pytest.param({"key": "a", "effect": "NoSchedule"}, [], (False, True), id="noschedule-keeps-running"),
    pytest.param({"key": "a", "effect": "NoExecute"}, [], (False, False), id="noexecute-evicts"),
    pytest.param({"key": "a", "effect": "PreferNoSchedule"}, [], (True, True), id="prefer-ignored"),
    pytest.param({"key": "a", "value": "x", "effect": "NoSchedule"},
                 [{"key": "a", "operator": "Equal", "value": "x"}], (True, True), id="tolerated-equal"),
    pytest.param({"key": "a", "value": "x", "effect": "NoSchedule"},
                 [{"key": "a", "value": "y"}], (False, True), id="other-value"),
    pytest.param({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}, [], (True, True),
                 id="cordoned-node-tolerated-by-default"),
    pytest.param({"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}, [], (True, True),
                 id="not-ready-tolerated-by-default"),
    pytest.param({"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}, [], (False, True),
                 id="network-unavailable-only-for-host-network"),
])
def test_taints_and_tolerations(taint: dict, tolerations: list, expected: tuple[bool, bool]):
    assert dn.should_run({"tolerations": tolerations}, node(taints=[taint])) == expected


def test_daemon_tolerations_are_added_once_and_host_network_gets_one_more():
    spec = dn.with_daemon_tolerations({"tolerations": [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}]})
    keys = [t["key"] for t in spec["tolerations"]]
    assert keys.count("node.kubernetes.io/not-ready") == 1 and len(keys) == 6
    host = dn.with_daemon_tolerations({"hostNetwork": True})
    assert {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
            "effect": "NoSchedule"} in host["tolerations"]


def test_pinning_replaces_required_terms_and_target_node_reads_them_back():
    spec = affinity({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]})["affinity"]
    pod_spec = {"affinity": spec}
    dn.pin_to_node(pod_spec, "n7")
    assert pod_spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n7"]}]}]}
    assert dn.target_node({"spec": pod_spec}) == "n7"
    assert dn.target_node({"spec": {**pod_spec, "nodeName": "n8"}}) == "n8"
    assert dn.target_node({"spec": {}}) is None
