"""The Endpoints controller against a real LocalClient store (informers pumped by hand)."""
from __future__ import annotations

import copy

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers import manager as manager_mod
from minikctl.controllers.endpoints import repack_subsets
from minikctl.controllers.events import NullRecorder

from .conftest import PumpedInformer, drain

POD = kinds.by_kind("Pod")
SVC = kinds.by_kind("Service")
EP = kinds.by_kind("Endpoints")


class Harness:
    def __init__(self, client, clock) -> None:
        self.client = client
        self.manager = manager_mod.build(client, clock=clock, informer_factory=PumpedInformer,
                                         recorder=NullRecorder(), resync_period=None)
        self.ec = self.manager.controller("endpoint-controller")
        self.pump()

    def pump(self) -> None:
        for inf in self.manager.informers.values():
            inf.pump()

    def settle(self) -> list[str]:
        """Pump, then sync every queued Service key until nothing is left."""
        synced = []
        for _ in range(50):
            self.pump()
            keys = drain(self.ec.queue)
            if not keys:
                return synced
            for key in keys:
                self.ec.sync(key)
                synced.append(key)
        raise AssertionError("endpoints controller did not settle")

    def pod(self, name: str, ip: str | None = "127.16.0.10", *, ready: bool = True, labels: dict | None = None,
            ports: list | None = None, phase: str = "Running", **spec) -> dict:
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "labels": labels if labels is not None else {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "busybox:1", "ports": ports or []}], **spec}}
        self.client.create(body)
        pod = self.client.bind("default", name, "node-1")
        return self.set_status(pod, ip=ip, ready=ready, phase=phase)

    def set_status(self, pod: dict, *, ip: str | None, ready: bool, phase: str = "Running") -> dict:
        pod = copy.deepcopy(self.client.get(POD, "default", pod["metadata"]["name"]))
        status = pod.setdefault("status", {})
        status["phase"] = phase
        if ip:
            status["podIP"], status["podIPs"] = ip, [{"ip": ip}]
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        return self.client.update_status(pod)

    def endpoints(self, name: str = "web") -> dict:
        return self.client.get(EP, "default", name)


@pytest.fixture
def h(client, clock) -> Harness:
    return Harness(client, clock)


def service(name: str = "web", selector: dict | None = None, **spec) -> dict:
    body = {"selector": {"app": "web"} if selector is None else selector, "ports": [{"name": "http", "port": 80,
                                                                                      "targetPort": 8080}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"tier": "front"}},
            "spec": body}


def addr(pod: dict, ip: str) -> dict:
    return {"ip": ip, "nodeName": "node-1",
            "targetRef": {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"],
                          "uid": pod["metadata"]["uid"]}}


def test_ready_and_not_ready_pods(h):
    a = h.pod("a", "127.16.0.10")
    b = h.pod("b", "127.16.0.11", ready=False)
    h.pod("other", "127.16.0.12", labels={"app": "other"})
    h.pod("noip", None)
    h.pod("done", "127.16.0.13", phase="Succeeded", ready=False)
    h.client.create(service())
    h.settle()
    ep = h.endpoints()
    assert ep["subsets"] == [{"addresses": [addr(a, "127.16.0.10")], "notReadyAddresses": [addr(b, "127.16.0.11")],
                              "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]
    assert ep["metadata"]["labels"] == {"tier": "front"}
    assert "ownerReferences" not in ep["metadata"]


def test_readiness_change_moves_the_address_and_unchanged_writes_nothing(h):
    h.client.create(service())
    b = h.pod("b", "127.16.0.11", ready=False)
    h.settle()
    rv = h.endpoints()["metadata"]["resourceVersion"]
    h.ec.sync("default/web")
    h.pump()
    assert h.endpoints()["metadata"]["resourceVersion"] == rv  # written only when changed
    h.set_status(b, ip="127.16.0.11", ready=True)
    assert h.settle() == ["default/web"]
    assert h.endpoints()["subsets"][0]["addresses"] == [addr(b, "127.16.0.11")]
    assert "notReadyAddresses" not in h.endpoints()["subsets"][0]


def test_named_target_port_resolved_per_pod_and_grouped(h):
    a = h.pod("a", "127.16.0.10", ports=[{"name": "web", "containerPort": 8080}])
    b = h.pod("b", "127.16.0.11", ports=[{"name": "web", "containerPort": 9090}])
    c = h.pod("c", "127.16.0.12", ports=[{"name": "web", "containerPort": 8080}])
    h.pod("d", "127.16.0.13", ports=[{"name": "other", "containerPort": 8080}])  # has no "web": left out
    h.pod("e", "127.16.0.14", ports=[{"name": "web", "containerPort": 8080, "protocol": "UDP"}])
    h.client.create(service(ports=[{"name": "http", "port": 80, "targetPort": "web"}]))
    h.settle()
    subsets = h.endpoints()["subsets"]
    assert sorted(subsets, key=lambda s: s["ports"][0]["port"]) == [
        {"addresses": [addr(a, "127.16.0.10"), addr(c, "127.16.0.12")],
         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]},
        {"addresses": [addr(b, "127.16.0.11")], "ports": [{"name": "http", "port": 9090, "protocol": "TCP"}]},
    ]


def test_several_ports_share_a_subset(h):
    a = h.pod("a", "127.16.0.10", ports=[{"name": "m", "containerPort": 9100}])
    h.client.create(service(ports=[{"name": "http", "port": 80, "targetPort": 8080},
                                   {"name": "metrics", "port": 9100, "targetPort": "m"}]))
    h.settle()
    assert h.endpoints()["subsets"] == [{"addresses": [addr(a, "127.16.0.10")], "ports": [
        {"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics", "port": 9100, "protocol": "TCP"}]}]


def test_publish_not_ready_addresses(h):
    b = h.pod("b", "127.16.0.11", ready=False)
    h.client.create(service(publishNotReadyAddresses=True))
    h.settle()
    assert h.endpoints()["subsets"][0]["addresses"] == [addr(b, "127.16.0.11")]
    assert "notReadyAddresses" not in h.endpoints()["subsets"][0]
    # Kubernetes keeps terminating pods too when publishing not-ready addresses.
    h.client.delete(POD, "default", "b")
    h.settle()
    assert h.endpoints()["subsets"][0]["addresses"] == [addr(b, "127.16.0.11")]


def test_pod_being_deleted_leaves_then_gone(h):
    a = h.pod("a", "127.16.0.10")
    h.pod("b", "127.16.0.11")
    h.client.create(service())
    h.settle()
    assert len(h.endpoints()["subsets"][0]["addresses"]) == 2
    h.client.delete(POD, "default", "b")  # graceful: deletionTimestamp set, still stored
    assert h.client.get(POD, "default", "b")["metadata"].get("deletionTimestamp")
    h.settle()
    assert h.endpoints()["subsets"][0]["addresses"] == [addr(a, "127.16.0.10")]
    h.client.finish_delete(POD, "default", "b")
    h.client.delete(POD, "default", "a", grace_period=0)
    h.settle()
    ep = h.endpoints()
    assert ep.get("subsets") in (None, [])


def test_label_change_moves_pod_between_services(h):
    a = h.pod("a", "127.16.0.10")
    h.client.create(service())
    h.client.create(service("api", selector={"app": "api"}))
    h.settle()
    assert h.endpoints("api").get("subsets") is None
    pod = h.client.get(POD, "default", "a")
    pod["metadata"]["labels"] = {"app": "api"}
    h.client.update(pod)
    assert sorted(h.settle()) == ["default/api", "default/web"]
    assert h.endpoints("api")["subsets"][0]["addresses"] == [addr(a, "127.16.0.10")]
    assert h.endpoints("web").get("subsets") is None


def test_irrelevant_pod_change_queues_nothing(h):
    h.pod("a", "127.16.0.10")
    h.client.create(service())
    h.settle()
    pod = h.client.get(POD, "default", "a")
    pod["metadata"]["annotations"] = {"note": "x"}
    h.client.update(pod)
    assert h.settle() == []


def test_service_deleted_deletes_endpoints_and_selectorless_left_alone(h):
    h.pod("a", "127.16.0.10")
    h.client.create(service())
    h.settle()
    h.client.delete(SVC, "default", "web")
    h.settle()
    with pytest.raises(errors.NotFound):
        h.endpoints()
    manual = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"},
              "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 5432}]}]}
    h.client.create(service("ext", selector={}))
    h.client.create(manual)
    h.settle()
    assert h.endpoints("ext")["subsets"][0]["addresses"] == [{"ip": "127.0.0.1"}]


def test_endpoints_deleted_by_user_come_back_and_leftovers_go_at_start(h, client, clock):
    h.pod("a", "127.16.0.10")
    h.client.create(service())
    h.settle()
    h.client.delete(EP, "default", "web")
    h.settle()
    assert h.endpoints()["subsets"]
    # Left over from a Service deleted while no controller ran.
    client.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "gone"}})
    fresh = Harness(client, clock)
    for _ in range(3):
        fresh.pump()
        for key in drain(fresh.ec.queue):
            fresh.ec.sync(key)
    with pytest.raises(errors.NotFound):
        client.get(EP, "default", "gone")


def test_headless_service_gets_the_label_and_hostnames(h):
    a = h.pod("a", "127.16.0.10", hostname="a", subdomain="db")
    h.client.create(service("db", clusterIP="None", ports=[]))
    h.settle()
    ep = h.endpoints("db")
    assert ep["metadata"]["labels"] == {"tier": "front", "service.kubernetes.io/headless": ""}
    assert ep["subsets"] == [{"addresses": [{**addr(a, "127.16.0.10"), "hostname": "a"}]}]


def test_repack_not_ready_wins_and_groups():
    x = {"ip": "127.16.0.1", "targetRef": {"uid": "x"}}
    y = {"ip": "127.16.0.2", "targetRef": {"uid": "y"}}
    p80, p90 = {"port": 80, "protocol": "TCP"}, {"port": 90, "protocol": "TCP"}
    got = repack_subsets([
        {"addresses": [x], "ports": [p80]}, {"notReadyAddresses": [x], "ports": [p80]},
        {"addresses": [y], "ports": [p80]}, {"addresses": [y], "ports": [p90]},
    ])
    assert len(got) == 2
    by_ports = {tuple(p["port"] for p in s["ports"]): s for s in got}
    assert by_ports[(80,)] == {"addresses": [y], "notReadyAddresses": [x], "ports": [p80]}
    assert by_ports[(90,)] == {"addresses": [y], "ports": [p90]}
