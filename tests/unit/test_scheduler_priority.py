"""PriorityClass and the Priority admission step: pods get spec.priority (and
preemptionPolicy) from their class on create, in Kubernetes' words when they cannot."""
from __future__ import annotations

import json

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from tests.conftest import run_cli

PC = kinds.by_kind("PriorityClass")


def pclass(name: str, value: int, **extra) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, **extra}


def pod(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "a", "image": "busybox"}], **spec}}


@pytest.fixture
def client(minikctl_home):
    minikctl_home.mkdir(parents=True, exist_ok=True)
    return LocalClient.open(path=str(minikctl_home))


def test_every_cluster_has_the_system_classes(client):
    got = {p["metadata"]["name"]: (p["value"], p["preemptionPolicy"]) for p in client.list(PC)[0]}
    assert got == {"system-cluster-critical": (2000000000, "PreemptLowerPriority"),
                   "system-node-critical": (2000001000, "PreemptLowerPriority")}


def test_pods_get_their_class_value_or_the_global_default_or_zero(client):
    client.create(pclass("high", 1000, preemptionPolicy="Never"))
    p = client.create(pod("a", priorityClassName="high"))
    assert (p["spec"]["priority"], p["spec"]["preemptionPolicy"]) == (1000, "Never")
    assert client.create(pod("b"))["spec"]["priority"] == 0
    client.create(pclass("base", 10, globalDefault=True))
    p = client.create(pod("c"))
    assert (p["spec"]["priority"], p["spec"]["priorityClassName"]) == (10, "base")
    assert client.create(pod("d", priorityClassName="system-node-critical"))["spec"]["priority"] == 2000001000


@pytest.mark.parametrize("spec,message", [
    ({"priorityClassName": "missing"}, 'pods "x" is forbidden: no PriorityClass with name missing was found'),
    ({"priority": 7}, 'pods "x" is forbidden: the integer value of priority (7) must not be provided in pod spec; '
                      "priority admission controller computed 0 from the given PriorityClass name"),
])
def test_admission_refusals(client, spec, message):
    with pytest.raises(errors.Forbidden) as err:
        client.create(pod("x", **spec))
    assert str(err.value) == message
    with pytest.raises(errors.NotFound):
        client.get(kinds.by_kind("Pod"), "default", "x")


@pytest.mark.parametrize("obj,message", [
    (pclass("system-mine", 1), "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved "
                               "for system use only. error: system-mine is not a known system priority class"),
    (pclass("huge", 1000000001), "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"),
    (pclass("odd", 1, preemptionPolicy="Sometimes"),
     'preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"'),
])
def test_class_validation(client, obj, message):
    with pytest.raises(errors.Invalid) as err:
        client.create(obj)
    assert message in str(err.value)


def test_value_is_immutable(client):
    client.create(pclass("high", 1000))
    with pytest.raises(errors.Invalid, match="value: Forbidden: may not be changed in an update."):
        client.modify(PC, "", "high", lambda o: o.update(value=5))


def test_get_priorityclasses_columns(minikctl_home):
    created = run_cli("apply", "-f", "-", stdin=json.dumps(pclass("high", 1000)))
    assert created.returncode == 0, created.stderr
    out = run_cli("get", "pc")
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    assert lines[1].split()[:3] == ["high", "1000", "false"] and lines[1].split()[-1] == "PreemptLowerPriority"
    bad = run_cli("apply", "-f", "-", stdin=json.dumps(pod("p", priorityClassName="nope")))
    assert bad.returncode == 1
    assert 'pods "p" is forbidden: no PriorityClass with name nope was found' in bad.stderr
