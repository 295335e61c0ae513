"""The pure arithmetic of Deployments: hashes, fenceposts, revisions, proportions."""
from __future__ import annotations

import re

import pytest

from minikctl.controllers import deployment_util as du
from tests.unit.controllers.conftest import new_deployment

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_hash_is_short_safe_and_deterministic():
    h = du.compute_hash(TEMPLATE, None)
    assert re.fullmatch(r"[bcdf4-9]{1,10}", h)
    assert h == du.compute_hash({"spec": TEMPLATE["spec"], "metadata": TEMPLATE["metadata"]}, None)  # key order


def test_hash_changes_with_the_template_and_the_collision_count():
    other = {**TEMPLATE, "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}
    hashes = {du.compute_hash(TEMPLATE, None), du.compute_hash(other, None),
              du.compute_hash(TEMPLATE, 0), du.compute_hash(TEMPLATE, 1)}
    assert len(hashes) == 4


def test_safe_encode_maps_digits_like_kubernetes():
    # '0'..'9' are bytes 48..57; modulo 27 they index "bcdfghjklmnpqrstvwxz2456789" at
    # 21..26, 0..3: why real pod-template-hash values only use 4-9 and b, c, d, f.
    assert du.safe_encode("0123456789") == "456789bcdf"


def test_equal_ignore_hash():
    hashed = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": TEMPLATE["spec"]}
    assert du.equal_ignore_hash(TEMPLATE, hashed)
    assert not du.equal_ignore_hash(TEMPLATE, {**hashed, "spec": {"containers": []}})


@pytest.mark.parametrize("replicas,surge,unavailable,expected", [
    pytest.param(10, "25%", "25%", (3, 2), id="percent: surge rounds up, unavailable down"),
    pytest.param(1, "25%", "25%", (1, 0), id="one replica"),
    pytest.param(4, 0, 0, (0, 1), id="both zero would deadlock: unavailable becomes 1"),
    pytest.param(5, 2, "40%", (2, 2), id="mixed"),
])
def test_fenceposts(replicas, surge, unavailable, expected):
    d = new_deployment("web", replicas, strategy={"type": "RollingUpdate",
                                                  "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}})
    assert du.resolve_fenceposts(d) == expected


def test_max_unavailable_is_zero_for_recreate_and_capped_at_replicas():
    assert du.max_unavailable(new_deployment("web", 3, strategy={"type": "Recreate"})) == 0
    d = new_deployment("web", 2, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 5}})
    assert du.max_unavailable(d) == 2


def _rs(replicas: int, annotations: dict | None = None) -> dict:
    return {"metadata": {"name": "x", "annotations": dict(annotations or {})}, "spec": {"replicas": replicas}}


def test_new_replicaset_grows_within_the_surge():
    d = new_deployment("web", 10)  # default 25%: surge 3
    new, old = _rs(0), _rs(10)
    assert du.new_rs_new_replicas(d, [old, new], new) == 3
    new, old = _rs(3), _rs(8)
    assert du.new_rs_new_replicas(d, [old, new], new) == 5
    new, old = _rs(3), _rs(10)
    assert du.new_rs_new_replicas(d, [old, new], new) == 3  # already at 13


def test_revision_history_keeps_previous_revisions_of_a_reused_replicaset():
    d = new_deployment("web", 1)
    d["metadata"]["annotations"] = {"team": "a", du.REVISION: "9", "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    rs = _rs(1, {du.REVISION: "1"})
    assert du.set_new_replicaset_annotations(d, rs, 3, exists=True)
    assert rs["metadata"]["annotations"] == {du.REVISION: "3", du.REVISION_HISTORY: "1", "team": "a"}
    du.set_new_replicaset_annotations(d, rs, 5, exists=True)
    assert rs["metadata"]["annotations"][du.REVISION_HISTORY] == "1,3"
    assert not du.set_new_replicaset_annotations(d, rs, 4, exists=True)  # never lowered


def test_revision_history_is_capped_in_size():
    rs = _rs(1, {du.REVISION: "7", du.REVISION_HISTORY: ",".join(str(i) for i in range(1000, 1500))})
    du.set_new_replicaset_annotations(new_deployment("web", 1), rs, 8, exists=True)
    history = rs["metadata"]["annotations"][du.REVISION_HISTORY]
    assert len(history) <= du.MAX_REVISION_HISTORY_CHARS and history.endswith(",7")


def test_proportions_follow_the_size_each_replicaset_was_scaled_for():
    d = new_deployment("web", 20, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3}})
    rs = _rs(8, {du.MAX_REPLICAS: "13"})
    # 8 of 13 at the old size; the new size is 23: 8 * 23 / 13 = 14.15 -> 14, so +6.
    assert du.proportion(rs, d, to_add=10, added=0) == 6
    assert du.proportion(rs, d, to_add=10, added=7) == 3  # never more than what is left
    assert du.proportion(_rs(0), d, to_add=10, added=0) == 0


def test_find_active_or_latest():
    old, new = _rs(0), _rs(3)
    old["metadata"].update(name="old", creationTimestamp="2024-01-01T00:00:00Z")
    new["metadata"].update(name="new", creationTimestamp="2024-01-02T00:00:00Z")
    assert du.find_active_or_latest(new, [old]) is new
    both = _rs(2)
    both["metadata"].update(name="both", creationTimestamp="2024-01-01T00:00:00Z")
    assert du.find_active_or_latest(new, [both]) is None
    assert du.find_active_or_latest(_rs(0), [old]) is not None
