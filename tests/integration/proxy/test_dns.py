"""The cluster DNS server answering dnspython queries over UDP and TCP on loopback."""
from __future__ import annotations

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from minikctl.kubelet.dnsfiles import pod_hosts, pod_resolv_conf
from minikctl.proxy.dns import DnsServer
from tests.integration.proxy.conftest import endpoints, service, wait_until

DNS_TEST_IP = "127.31.9.53"  # not the real DNS_IP, where a daemon may be serving


@pytest.fixture
def server(api):
    s = DnsServer(api, address=DNS_TEST_IP, port=0)
    s.start()
    assert s.wait_synced(10)
    yield s
    s.stop()


def ask(server, name: str, rdtype: str = "A", tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype)
    return (dns.query.tcp if tcp else dns.query.udp)(q, server.address, port=server.port, timeout=3)


def answers(resp: dns.message.Message) -> list[str]:
    return sorted(rd.to_text() for rrset in resp.answer for rd in rrset)


@pytest.fixture
def records(api, server):
    service(api, "web", "127.96.9.20", [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}])
    service(api, "db", "None", [{"name": "pg", "port": 5432}])
    endpoints(api, "db", ["127.16.9.1", "127.16.9.2"], [{"name": "pg", "port": 5432, "protocol": "TCP"}],
              hostnames=["db-0", "db-1"], not_ready=["127.16.9.3"])
    wait_until(lambda: server.services.get("default/db") and server.endpoints.get("default/db")
               and server.services.get("default/web"))
    return server


def test_service_a_record(records):
    resp = ask(records, "web.default.svc.cluster.local")
    assert resp.rcode() == dns.rcode.NOERROR and answers(resp) == ["127.96.9.20"]
    assert answers(ask(records, "WEB.default.svc.cluster.local.", tcp=True)) == ["127.96.9.20"]


def test_srv_for_a_named_port(records):
    resp = ask(records, "_http._tcp.web.default.svc.cluster.local", "SRV")
    assert answers(resp) == ["0 100 80 web.default.svc.cluster.local."]
    resp = ask(records, "_dns._udp.web.default.svc.cluster.local", "SRV")
    assert answers(resp) == ["0 100 53 web.default.svc.cluster.local."]
    assert ask(records, "_nope._tcp.web.default.svc.cluster.local", "SRV").rcode() == dns.rcode.NXDOMAIN


def test_headless_service_answers_ready_pods(records):
    assert answers(ask(records, "db.default.svc.cluster.local")) == ["127.16.9.1", "127.16.9.2"]
    srv = ask(records, "_pg._tcp.db.default.svc.cluster.local", "SRV")
    assert answers(srv) == ["0 50 5432 db-0.db.default.svc.cluster.local.", "0 50 5432 db-1.db.default.svc.cluster.local."]
    assert sorted(rd.to_text() for rr in srv.additional for rd in rr) == ["127.16.9.1", "127.16.9.2"]


def test_statefulset_pod_names(records):
    assert answers(ask(records, "db-1.db.default.svc.cluster.local")) == ["127.16.9.2"]
    assert ask(records, "db-2.db.default.svc.cluster.local").rcode() == dns.rcode.NXDOMAIN
    assert answers(ask(records, "127-16-9-1.default.pod.cluster.local")) == ["127.16.9.1"]


def test_unknown_names_and_outside_names(records):
    resp = ask(records, "nope.default.svc.cluster.local")
    assert resp.rcode() == dns.rcode.NXDOMAIN and resp.authority  # SOA for negative caching
    assert ask(records, "web.other.svc.cluster.local").rcode() == dns.rcode.NXDOMAIN
    nodata = ask(records, "web.default.svc.cluster.local", "AAAA")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert ask(records, "example.com").rcode() == dns.rcode.REFUSED


def test_follows_changes(api, records):
    endpoints(api, "db", ["127.16.9.3"], [{"name": "pg", "port": 5432, "protocol": "TCP"}], hostnames=["db-2"])
    wait_until(lambda: answers(ask(records, "db.default.svc.cluster.local")) == ["127.16.9.3"])
    assert answers(ask(records, "db-2.db.default.svc.cluster.local")) == ["127.16.9.3"]


def test_pod_files():
    assert pod_resolv_conf("shop") == ("search shop.svc.cluster.local svc.cluster.local cluster.local\n"
                                       "nameserver 127.96.255.254\noptions ndots:5\n")
    hosts = pod_hosts("127.16.0.7", "db-0", namespace="shop", subdomain="db")
    assert "127.16.0.7\tdb-0.db.shop.svc.cluster.local\tdb-0\n" in hosts
    assert hosts.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
