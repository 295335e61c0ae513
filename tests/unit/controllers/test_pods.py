"""Which pods count, which are available, and which are deleted first."""
from __future__ import annotations

import datetime as _dt

import pytest

from minikctl.controllers import pods

NOW = _dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=_dt.timezone.utc)


def ts(seconds_ago: float) -> str:
    return (NOW - _dt.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name: str, *, node: str = "n1", phase: str = "Running", ready: bool | None = True,
        ready_ago: float = 3600, created_ago: float = 7200, restarts: int = 0, cost: int | None = None,
        deleting: bool = False) -> dict:
    md: dict = {"name": name, "namespace": "default", "uid": name, "creationTimestamp": ts(created_ago)}
    if cost is not None:
        md["annotations"] = {pods.DELETION_COST: str(cost)}
    if deleting:
        md["deletionTimestamp"] = ts(0)
    status: dict = {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                 "lastTransitionTime": ts(ready_ago)}]
    return {"metadata": md, "spec": {"nodeName": node, "containers": [{"name": "c"}]}, "status": status}


def first(*candidates: dict) -> str:
    return pods.sort_for_deletion(list(candidates), [0] * len(candidates), NOW)[0]["metadata"]["name"]


@pytest.mark.parametrize("doomed,kept", [
    pytest.param(pod("a", node=""), pod("b"), id="unscheduled before scheduled"),
    pytest.param(pod("a", phase="Pending", ready=None), pod("b", phase="Unknown"), id="pending before unknown"),
    pytest.param(pod("a", phase="Unknown"), pod("b"), id="unknown before running"),
    pytest.param(pod("a", ready=False), pod("b"), id="not ready before ready"),
    pytest.param(pod("a", cost=-5), pod("b", cost=10), id="lower deletion cost first"),
    pytest.param(pod("a", ready_ago=10), pod("b", ready_ago=100000), id="ready for less time first"),
    pytest.param(pod("a", restarts=7), pod("b", restarts=1), id="more restarts first"),
    pytest.param(pod("a", created_ago=30), pod("b", created_ago=86400), id="newer first"),
])
def test_deletion_order(doomed, kept):
    assert first(doomed, kept) == "a"
    assert first(kept, doomed) == "a"


def test_pods_doubled_up_on_a_node_go_first():
    crowded, alone = pod("a", node="n1"), pod("b", node="n2")
    related = [pod("x", node="n1"), pod("y", node="n1"), pod("z", node="n2")]
    assert [p["metadata"]["name"] for p in pods.pods_to_delete([alone, crowded], related, 1, NOW)] == ["a"]


def test_active_and_available():
    assert not pods.is_pod_active(pod("a", deleting=True))
    assert not pods.is_pod_active(pod("a", phase="Succeeded"))
    assert pods.is_pod_active(pod("a", phase="Pending", ready=None))
    fresh = pod("a", ready_ago=5)
    assert pods.is_pod_available(fresh, 0, NOW)
    assert not pods.is_pod_available(fresh, 10, NOW)
    assert pods.is_pod_available(fresh, 4, NOW)


def test_pod_from_template_truncates_long_names():
    owner = {"metadata": {"name": "x" * 80, "namespace": "ns"}}
    made = pods.pod_from_template({"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}, owner, {"uid": "u"})
    assert len(made["metadata"]["generateName"]) == 58
    assert made["metadata"]["namespace"] == "ns" and made["metadata"]["ownerReferences"] == [{"uid": "u"}]
