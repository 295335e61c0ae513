"""Service cluster IP and node port allocation in the api layer (api/allocation.py)."""
from __future__ import annotations

import ipaddress
import multiprocessing
import time

import pytest

from minikctl import errors
from minikctl.api import allocation, kinds
from minikctl.client.local import LocalClient

SVC = kinds.by_kind("Service")


@pytest.fixture
def client(tmp_path):
    c = LocalClient.open(path=str(tmp_path))
    yield c
    c.close()


def service(name: str, **spec) -> dict:
    body = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def record(client) -> tuple[dict, dict]:
    return allocation.allocated(client.store)


def invalid_message(exc: errors.Invalid) -> str:
    return str(exc)


# -- cluster IPs ---------------------------------------------------------------------------

def test_cluster_ip_comes_from_the_service_range_not_the_pod_range(client):
    svc = client.create(service("web"))
    ip = svc["spec"]["clusterIP"]
    assert svc["spec"]["clusterIPs"] == [ip]
    addr = ipaddress.ip_address(ip)
    assert addr in ipaddress.ip_network("127.96.0.0/16")
    assert addr not in ipaddress.ip_network("127.16.0.0/12")
    assert addr not in (ipaddress.ip_address("127.96.0.0"), ipaddress.ip_address("127.96.255.255"))
    # Dynamic picks stay out of the static band (the first 256 addresses).
    assert int(addr) - int(ipaddress.ip_address("127.96.0.1")) >= 256
    assert record(client)[0][ip]["service"] == "default/web"


def test_requested_ip_is_honoured_when_free(client):
    svc = client.create(service("web", clusterIP="127.96.0.5"))
    assert svc["spec"]["clusterIP"] == "127.96.0.5"
    assert svc["spec"]["clusterIPs"] == ["127.96.0.5"]


def test_requested_ip_already_allocated_is_invalid(client):
    client.create(service("web", clusterIP="127.96.0.5"))
    with pytest.raises(errors.Invalid) as exc:
        client.create(service("other", clusterIP="127.96.0.5"))
    assert invalid_message(exc.value) == (
        'Service "other" is invalid: spec.clusterIPs: Invalid value: []string{"127.96.0.5"}: '
        "failed to allocate IP 127.96.0.5: provided IP is already allocated")
    assert exc.value.code == 422
    with pytest.raises(errors.NotFound):
        client.get(SVC, "default", "other")


@pytest.mark.parametrize("ip", ["10.0.0.1", "127.96.0.0", "127.96.255.255", "127.16.0.5"])
def test_requested_ip_out_of_range_is_invalid(client, ip):
    with pytest.raises(errors.Invalid) as exc:
        client.create(service("web", clusterIP=ip))
    assert invalid_message(exc.value) == (
        f'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{{"{ip}"}}: '
        f"failed to allocate IP {ip}: provided IP is not in the valid range. "
        "The range of valid IPs is 127.96.0.0/16")


def test_headless_and_external_name_get_no_ip(client):
    headless = client.create(service("db", clusterIP="None"))
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["clusterIPs"] == ["None"]
    ext = client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                         "spec": {"type": "ExternalName", "externalName": "example.com"}})
    assert "clusterIP" not in ext["spec"]
    assert record(client) == ({}, {})


def test_ip_released_on_delete_and_reusable(client):
    client.create(service("web", clusterIP="127.96.0.5"))
    client.delete(SVC, "default", "web")
    assert "127.96.0.5" not in record(client)[0]
    again = client.create(service("web2", clusterIP="127.96.0.5"))
    assert again["spec"]["clusterIP"] == "127.96.0.5"


def test_dry_run_allocates_nothing(client):
    svc = client.create(service("web", clusterIP="127.96.0.9"), dry_run=True)
    assert svc["spec"]["clusterIP"] == "127.96.0.9"
    assert record(client) == ({}, {})
    client.create(service("web", clusterIP="127.96.0.9"))


def test_failed_store_write_gives_the_ip_back(client):
    client.create(service("web"))
    with pytest.raises(errors.AlreadyExists):
        client.create(service("web", clusterIP="127.96.0.7"))
    assert "127.96.0.7" not in record(client)[0]


def test_update_keeps_the_ip_when_omitted_and_refuses_a_change(client):
    svc = client.create(service("web"))
    ip = svc["spec"]["clusterIP"]
    body = client.get(SVC, "default", "web")
    body["spec"].pop("clusterIP")
    body["spec"].pop("clusterIPs")
    body["spec"]["selector"] = {"app": "other"}
    updated = client.update(body)
    assert updated["spec"]["clusterIP"] == ip and updated["spec"]["clusterIPs"] == [ip]
    body = client.get(SVC, "default", "web")
    body["spec"]["clusterIP"] = "127.96.0.8"
    body["spec"]["clusterIPs"] = ["127.96.0.8"]
    with pytest.raises(errors.Invalid) as exc:
        client.update(body)
    assert "may not change once set" in str(exc.value)
    assert set(record(client)[0]) == {ip}


def test_type_change_to_external_name_releases_and_back_allocates(client):
    svc = client.create(service("web", clusterIP="127.96.0.5"))
    body = svc.copy()
    body["spec"] = {**svc["spec"], "type": "ExternalName", "externalName": "example.com"}
    ext = client.update(body)
    assert "clusterIP" not in ext["spec"] and "clusterIPs" not in ext["spec"]
    assert record(client)[0] == {}
    body = client.get(SVC, "default", "web")
    body["spec"] = {"type": "ClusterIP", "selector": {"app": "web"}, "ports": [{"port": 80}]}
    back = client.update(body)
    assert allocation.IPS.contains(back["spec"]["clusterIP"])
    assert set(record(client)[0]) == {back["spec"]["clusterIP"]}


def _create_many(path: str, prefix: str, count: int, start, out) -> None:  # type: ignore[no-untyped-def]
    c = LocalClient.open(path=path)
    start.wait()
    ips = []
    for i in range(count):
        for _ in range(50):
            try:
                ips.append(c.create(service(f"{prefix}-{i}"))["spec"]["clusterIP"])
                break
            except errors.StoreUnavailable:
                time.sleep(0.05)
    c.close()
    out.put(ips)


def test_concurrent_creators_in_several_processes_get_distinct_ips(client, tmp_path, monkeypatch):
    # A small range (inherited by the forked children) makes collisions near certain
    # if allocation were not atomic: 32 services in 62 addresses.
    monkeypatch.setattr(allocation, "IPS", allocation._IPRange("127.96.0.0/26"))
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_create_many, args=(str(tmp_path), f"p{n}", 8, start, out)) for n in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    ips = [ip for r in results for ip in r]
    assert len(ips) == 32
    assert len(set(ips)) == 32
    stored = [s["spec"]["clusterIP"] for s in client.list(SVC, "default")[0]]
    assert sorted(stored) == sorted(ips)
    assert set(record(client)[0]) == set(ips)
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network("127.96.0.0/26") for ip in ips)


def test_concurrent_requests_for_the_same_ip_one_wins(client, tmp_path):
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()

    def want(name: str) -> None:
        c = LocalClient.open(path=str(tmp_path))
        start.wait()
        try:
            c.create(service(name, clusterIP="127.96.0.42"))
            out.put("ok")
        except errors.Invalid as exc:
            out.put("already allocated" if "already allocated" in str(exc) else str(exc))
        c.close()

    procs = [ctx.Process(target=want, args=(f"s{n}",)) for n in range(4)]
    for p in procs:
        p.start()
    start.set()
    got = sorted(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(30)
    assert got == ["already allocated"] * 3 + ["ok"]


def test_stale_entry_is_reclaimed(client, monkeypatch):
    # A creator that died between allocating and storing left an entry behind.
    def change(rec):
        rec["serviceIPs"]["allocated"]["127.96.0.5"] = {"service": "default/ghost", "uid": "x", "since": 0}
    allocation._change(client.store, change)
    svc = client.create(service("web", clusterIP="127.96.0.5"))
    assert svc["spec"]["clusterIP"] == "127.96.0.5"
    # ... but not while it may still be in flight.
    now = time.time()
    allocation._change(client.store, lambda rec: rec["serviceIPs"]["allocated"].__setitem__(
        "127.96.0.6", {"service": "default/ghost", "uid": "x", "since": now}))
    with pytest.raises(errors.Invalid):
        client.create(service("web2", clusterIP="127.96.0.6"))


def test_record_is_seeded_from_existing_services(client):
    svc = client.create(service("web"))
    client.store.delete(allocation.RESOURCE, "", allocation.RECORD)
    with pytest.raises(errors.Invalid):
        client.create(service("other", clusterIP=svc["spec"]["clusterIP"]))


# -- node ports ----------------------------------------------------------------------------

def test_node_port_allocated_per_port(client):
    svc = client.create(service("web", type="NodePort", ports=[{"name": "http", "port": 80},
                                                               {"name": "https", "port": 443}]))
    ports = [p["nodePort"] for p in svc["spec"]["ports"]]
    assert len(set(ports)) == 2
    assert all(30000 + 86 <= p <= 32767 for p in ports)  # dynamic picks above the static band
    assert set(record(client)[1]) == {str(p) for p in ports}
    assert allocation.IPS.contains(svc["spec"]["clusterIP"])


def test_same_port_number_tcp_and_udp_share_a_node_port(client):
    svc = client.create(service("dns", type="NodePort", ports=[
        {"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]))
    a, b = (p["nodePort"] for p in svc["spec"]["ports"])
    assert a == b


def test_requested_node_port_honoured_then_conflicts(client):
    svc = client.create(service("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert svc["spec"]["ports"][0]["nodePort"] == 30080
    with pytest.raises(errors.Invalid) as exc:
        client.create(service("other", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert str(exc.value) == ('Service "other" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
                              "provided port is already allocated")
    # the IP the failed create took is given back
    assert len(record(client)[0]) == 1


def test_node_port_out_of_range(client):
    with pytest.raises(errors.Invalid) as exc:
        client.create(service("web", type="NodePort", ports=[{"port": 80, "nodePort": 8080}]))
    assert "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. " \
           "The range of valid ports is 30000-32767" in str(exc.value)


def test_node_ports_released_on_delete_and_type_change(client):
    svc = client.create(service("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    body = client.get(SVC, "default", "web")
    body["spec"]["type"] = "ClusterIP"
    updated = client.update(body)
    assert "nodePort" not in updated["spec"]["ports"][0]
    assert record(client)[1] == {}
    assert updated["spec"]["clusterIP"] == svc["spec"]["clusterIP"]
    body = client.get(SVC, "default", "web")
    body["spec"]["type"] = "NodePort"
    again = client.update(body)
    port = again["spec"]["ports"][0]["nodePort"]
    assert set(record(client)[1]) == {str(port)}
    client.delete(SVC, "default", "web")
    assert record(client) == ({}, {})
    client.create(service("other", type="NodePort", ports=[{"port": 80, "nodePort": port}]))


def test_node_port_change_on_update_swaps_allocation(client):
    client.create(service("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    body = client.get(SVC, "default", "web")
    body["spec"]["ports"][0]["nodePort"] = 30081
    client.update(body)
    assert set(record(client)[1]) == {"30081"}
    body = client.get(SVC, "default", "web")
    body["spec"]["ports"][0].pop("nodePort")  # omitted: the allocated one stays
    assert client.update(body)["spec"]["ports"][0]["nodePort"] == 30081


def test_load_balancer_without_node_port_allocation(client):
    svc = client.create(service("lb", type="LoadBalancer", allocateLoadBalancerNodePorts=False))
    assert "nodePort" not in svc["spec"]["ports"][0]
    lb = client.create(service("lb2", type="LoadBalancer"))
    assert lb["spec"]["ports"][0]["nodePort"]


def test_finalizer_deletion_releases(client):
    svc = service("web", clusterIP="127.96.0.5")
    svc["metadata"]["finalizers"] = ["example.com/hold"]
    client.create(svc)
    client.delete(SVC, "default", "web")
    assert "127.96.0.5" in record(client)[0]  # still there while being deleted
    body = client.get(SVC, "default", "web")
    body["metadata"]["finalizers"] = []
    client.update(body)
    assert record(client)[0] == {}


# -- the range in force (--service-cluster-ip-range) -------------------------------------------

def test_a_new_range_is_used_by_every_client_of_the_store_and_keeps_its_dns_address(client, tmp_path):
    assert allocation.service_range(client.store) == "127.96.0.0/16"
    allocation.set_service_range(client.store, "127.97.0.0/28")  # 14 usable addresses
    other = LocalClient.open(path=str(tmp_path))  # another process's client: the record is shared
    try:
        ips = {other.create(service(f"s{i}"))["spec"]["clusterIP"] for i in range(13)}
        assert ips == {f"127.97.0.{i}" for i in range(1, 14)}  # .14 is the cluster DNS address
        assert allocation.dns_ip("127.97.0.0/28") == "127.97.0.14"
        with pytest.raises(errors.StatusError, match="failed to allocate a serviceIP: range is full"):
            other.create(service("s13"))
        with pytest.raises(errors.Invalid, match=r"The range of valid IPs is 127\.97\.0\.0/28"):
            other.create(service("fixed", clusterIP="127.96.0.20"))
    finally:
        other.close()


def test_the_range_cannot_move_away_from_ips_services_hold(client):
    held = client.create(service("web"))["spec"]["clusterIP"]
    with pytest.raises(errors.MinikctlError) as exc:
        allocation.set_service_range(client.store, "127.97.0.0/16")
    assert str(exc.value) == (f"cannot change the Service cluster IP range to 127.97.0.0/16: 1 Service(s) hold "
                              f"cluster IPs outside it: default/web ({held}); delete them first, or keep "
                              "--service-cluster-ip-range 127.96.0.0/16")
    assert allocation.service_range(client.store) == "127.96.0.0/16"
    client.delete(SVC, "default", "web")
    allocation.set_service_range(client.store, "127.97.0.0/16")
    assert client.create(service("web"))["spec"]["clusterIP"].startswith("127.97.")
