"""Scale views and log file selection."""
from __future__ import annotations

import os

import pytest

from minikctl import errors
from minikctl.server import logs, scale


def test_selector_string():
    assert scale.selector_string({"matchLabels": {"b": "2", "a": "1"}}) == "a=1,b=2"
    assert scale.selector_string({"matchExpressions": [{"key": "t", "operator": "In", "values": ["y", "x"]},
                                                       {"key": "e", "operator": "DoesNotExist"}]}) == "!e,t in (x,y)"
    assert scale.selector_string(None) == ""


def test_scale_of():
    d = {"metadata": {"name": "w", "namespace": "n", "uid": "u", "resourceVersion": "3", "labels": {"x": "y"}},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "w"}}}, "status": {"replicas": 1}}
    s = scale.scale_of(d)
    assert s["apiVersion"] == "autoscaling/v1" and s["kind"] == "Scale"
    assert s["metadata"] == {"name": "w", "namespace": "n", "uid": "u", "resourceVersion": "3"}
    assert s["spec"] == {"replicas": 2} and s["status"] == {"replicas": 1, "selector": "app=w"}


def pod(*names, annotations=None, statuses=None):
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u1", "annotations": annotations or {}},
            "spec": {"containers": [{"name": n} for n in names]},
            "status": {"containerStatuses": statuses or []}}


def test_choose_container():
    assert logs.choose_container(pod("a"), "") == "a"
    assert logs.choose_container(pod("a", "b"), "b") == "b"
    assert logs.choose_container(pod("a", "b", annotations={"kubectl.kubernetes.io/default-container": "b"}), "") == "b"
    with pytest.raises(errors.BadRequest, match=r"choose one of: \[a b\]"):
        logs.choose_container(pod("a", "b"), "")
    with pytest.raises(errors.BadRequest, match="container z is not valid for pod p"):
        logs.choose_container(pod("a"), "z")


def test_log_file_current_and_previous(tmp_path):
    p = pod("a", statuses=[{"name": "a", "restartCount": 1, "state": {"running": {}}}])
    d = tmp_path / "pods" / "default_p_u1" / "a"
    d.mkdir(parents=True)
    (d / "0.log").write_text("old\n")
    (d / "1.log").write_text("new\n")
    assert logs.log_file(str(tmp_path), p, "a", previous=False).endswith(os.path.join("a", "1.log"))
    assert logs.log_file(str(tmp_path), p, "a", previous=True).endswith(os.path.join("a", "0.log"))
    waiting = pod("b", statuses=[{"name": "b", "state": {"waiting": {"reason": "ImagePullBackOff"}}}])
    with pytest.raises(errors.BadRequest, match='is waiting to start: ImagePullBackOff'):
        logs.log_file(str(tmp_path), waiting, "b", previous=False)


def test_tail():
    assert logs._tail(b"a\nb\nc\n", 2) == b"b\nc\n"
    assert logs._tail(b"a\nb\nc", 1) == b"c"
    assert logs._tail(b"a\n", 0) == b""
    assert logs._tail(b"a\nb\n", 10) == b"a\nb\n"
