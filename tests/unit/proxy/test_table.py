"""The proxy's tables: service ports, ready backends, round robin and ClientIP affinity."""
from __future__ import annotations

from minikctl.proxy import table


def svc(**spec) -> dict:
    return {"metadata": {"name": "web", "namespace": "shop"},
            "spec": {"clusterIP": "127.96.0.9", "ports": [{"name": "http", "port": 80}], **spec}}


def test_service_ports_and_listeners():
    s = svc(type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": 30080},
                                    {"name": "dns", "port": 53, "protocol": "UDP"},
                                    {"name": "x", "port": 9, "protocol": "SCTP"}])
    infos = table.service_ports(s)
    assert [(i.key.port_name, i.key.protocol, i.port, i.node_port) for i in infos] == [
        ("http", "TCP", 80, 30080), ("dns", "UDP", 53, None)]
    listens = table.desired_listeners([s], "127.0.0.1")
    assert set(listens) == {table.Listen("127.96.0.9", 80, "TCP"), table.Listen("127.0.0.1", 30080, "TCP"),
                            table.Listen("127.96.0.9", 53, "UDP")}
    assert table.service_ports(svc(clusterIP="None")) == []
    assert table.service_ports(svc(clusterIP=None)) == []
    assert table.service_ports(svc(type="ExternalName", externalName="x.example")) == []
    assert table.service_ports(svc(type="ClusterIP", ports=[{"port": 80, "nodePort": 30001}]))[0].node_port is None


def test_affinity_config():
    assert table.service_ports(svc())[0].affinity_timeout is None
    assert table.service_ports(svc(sessionAffinity="ClientIP"))[0].affinity_timeout == 10800
    cfg = {"clientIP": {"timeoutSeconds": 30}}
    assert table.service_ports(svc(sessionAffinity="ClientIP", sessionAffinityConfig=cfg))[0].affinity_timeout == 30


def test_endpoints_ready_only_and_matched_by_port_name():
    ep = {"subsets": [
        {"addresses": [{"ip": "127.16.0.3"}, {"ip": "127.16.0.10"}], "notReadyAddresses": [{"ip": "127.16.0.4"}],
         "ports": [{"name": "http", "port": 8080}, {"name": "dns", "port": 53, "protocol": "UDP"}]},
        {"addresses": [{"ip": "127.16.0.2"}], "ports": [{"name": "http", "port": 9090}]},
    ]}
    assert table.endpoints_for(ep, "http", "TCP") == [("127.16.0.2", 9090), ("127.16.0.3", 8080),
                                                       ("127.16.0.10", 8080)]
    assert table.endpoints_for(ep, "dns", "UDP") == [("127.16.0.3", 53), ("127.16.0.10", 53)]
    assert table.endpoints_for(ep, "dns", "TCP") == []
    assert table.endpoints_for(None, "http", "TCP") == []
    unnamed = {"subsets": [{"addresses": [{"ip": "127.16.0.5"}], "ports": [{"port": 80}]}]}
    assert table.endpoints_for(unnamed, "", "TCP") == [("127.16.0.5", 80)]


def test_round_robin_survives_endpoint_changes():
    b = table.Balancer()
    assert b.next("c") is None
    a, bb, c = ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1)
    b.update([a, bb, c], None)
    assert [b.next() for _ in range(6)] == [a, bb, c, a, bb, c]
    b.update([a, c], None)
    assert {b.next() for _ in range(4)} == {a, c}
    b.update([], None)
    assert b.next() is None


def test_client_ip_affinity_and_its_timeout():
    a, bb = ("10.0.0.1", 1), ("10.0.0.2", 1)
    b = table.Balancer()
    b.update([a, bb], 10)
    first = b.next("1.1.1.1", now=100.0)
    assert all(b.next("1.1.1.1", now=100.0 + i) == first for i in range(5))
    other = b.next("2.2.2.2", now=100.0)
    assert other != first  # round robin for a new client
    b.next("1.1.1.1", now=200.0)  # expired (idle 96 s > 10 s): chosen afresh, pinned from now
    assert b._affinity["1.1.1.1"][1] == 200.0
    # The pinned backend leaves: the client moves.
    b.update([x for x in (a, bb) if x != other], 10)
    assert b.next("2.2.2.2", now=101.0) != other
    b.update([a, bb], None)
    assert not b._affinity
