"""Why a Service has no ready endpoint: the Endpoints controller's Warning events on the
Service (what `describe svc` shows under Events), told once a reason has held for
TELL_AFTER seconds, on a real store with a fake clock."""
from __future__ import annotations

import pytest

from minikctl.controllers.endpoints import TELL_AFTER
from tests.unit.controllers.conftest import FakeClock
from tests.unit.controllers.test_endpoints import Harness


class Recorded:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str]] = []

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        self.events.append((obj["metadata"]["name"], type_, reason, message))


@pytest.fixture
def h(api):
    harness = Harness(api, FakeClock())
    harness.recorded = Recorded()
    harness.ec.recorder = harness.recorded
    return harness


def svc(target="http") -> dict:  # noqa: ANN001
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": target}]}}


def later(h, seconds: float = TELL_AFTER) -> None:  # noqa: ANN001
    h.ec.clock.advance(seconds)
    h.settle()


def test_each_reason_is_told_once_after_it_has_held(h):
    h.client.create(svc())
    h.settle()
    assert h.recorded.events == []  # a Service applied before its pods: nothing to warn about yet
    later(h)
    assert h.recorded.events == [("web", "Warning", "NoMatchingPods",
                                  "selector app=web matches no pods in namespace default")]
    later(h, 60)
    h.ec.sync("default/web")
    assert len(h.recorded.events) == 1  # the same reason is not told again

    h.pod("a", "127.16.0.10", ports=[{"name": "metrics", "containerPort": 9090}])
    h.settle()
    later(h)
    assert h.recorded.events[-1][2] == "PortNotFound"
    assert "has a port named 'http'" in h.recorded.events[-1][3]


def test_pods_that_are_not_ready(h):
    h.client.create(svc())
    pod = h.pod("a", "127.16.0.10", ready=False, ports=[{"name": "http", "containerPort": 8080}])
    h.settle()
    later(h)
    assert [e[2] for e in h.recorded.events] == ["NoReadyEndpoints"]
    assert "1 pod(s) match selector app=web, none is ready" in h.recorded.events[0][3]

    h.set_status(pod, ip="127.16.0.10", ready=True)  # healthy: the reason is forgotten
    h.settle()
    later(h)
    assert len(h.recorded.events) == 1
    h.set_status(pod, ip="127.16.0.10", ready=False)  # and told again if it comes back
    h.settle()
    assert len(h.recorded.events) == 1
    later(h)
    assert [e[2] for e in h.recorded.events] == ["NoReadyEndpoints", "NoReadyEndpoints"]


def test_a_service_with_ready_endpoints_gets_no_warning(h):
    h.client.create(svc(8080))
    h.pod("a", "127.16.0.10")
    h.settle()
    later(h)
    later(h)
    assert h.recorded.events == []
