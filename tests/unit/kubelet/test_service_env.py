"""Service environment variables (pkg/kubelet/envvars.FromServices, getServiceEnvVarMap)."""
from __future__ import annotations

from types import SimpleNamespace

from minikctl.kubelet import env
from minikctl.kubelet.sync import Syncer


def svc(name: str, ip: str, ports: list, ns: str = "default", **spec) -> dict:
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "clusterIPs": [ip],
                                                                 "ports": ports, **spec}}


def sources(service_env: dict) -> env.Sources:
    return env.Sources(get_configmap=lambda ns, n: {"data": {"WEB_SERVICE_PORT": "from-cm"}} if n == "cm" else None,
                       get_secret=lambda ns, n: None, service_env=service_env)


def pod(**spec) -> dict:
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u"}, "spec": {"containers": [], **spec}}


def test_single_port_service_exact():
    got = env.service_env([svc("redis-primary", "127.96.1.2", [{"port": 6379, "protocol": "TCP"}])])
    assert got == {
        "REDIS_PRIMARY_SERVICE_HOST": "127.96.1.2",
        "REDIS_PRIMARY_SERVICE_PORT": "6379",
        "REDIS_PRIMARY_PORT": "tcp://127.96.1.2:6379",
        "REDIS_PRIMARY_PORT_6379_TCP": "tcp://127.96.1.2:6379",
        "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_PRIMARY_PORT_6379_TCP_PORT": "6379",
        "REDIS_PRIMARY_PORT_6379_TCP_ADDR": "127.96.1.2",
    }


def test_multi_port_named_udp_exact():
    got = env.service_env([svc("dns", "127.96.0.10", [
        {"name": "dns-udp", "port": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        {"name": "metrics", "port": 9153}])])
    assert got == {
        "DNS_SERVICE_HOST": "127.96.0.10",
        "DNS_SERVICE_PORT": "53",
        "DNS_SERVICE_PORT_DNS_UDP": "53",
        "DNS_SERVICE_PORT_DNS_TCP": "53",
        "DNS_SERVICE_PORT_METRICS": "9153",
        "DNS_PORT": "udp://127.96.0.10:53",
        "DNS_PORT_53_UDP": "udp://127.96.0.10:53",
        "DNS_PORT_53_UDP_PROTO": "udp",
        "DNS_PORT_53_UDP_PORT": "53",
        "DNS_PORT_53_UDP_ADDR": "127.96.0.10",
        "DNS_PORT_53_TCP": "tcp://127.96.0.10:53",
        "DNS_PORT_53_TCP_PROTO": "tcp",
        "DNS_PORT_53_TCP_PORT": "53",
        "DNS_PORT_53_TCP_ADDR": "127.96.0.10",
        "DNS_PORT_9153_TCP": "tcp://127.96.0.10:9153",
        "DNS_PORT_9153_TCP_PROTO": "tcp",
        "DNS_PORT_9153_TCP_PORT": "9153",
        "DNS_PORT_9153_TCP_ADDR": "127.96.0.10",
    }


def test_headless_external_name_and_unallocated_services_give_nothing():
    headless = svc("db", "None", [{"port": 5432}])
    external = {"metadata": {"name": "ext"}, "spec": {"type": "ExternalName", "externalName": "example.com",
                                                      "ports": [{"port": 80}]}}
    unallocated = {"metadata": {"name": "new"}, "spec": {"ports": [{"port": 80}]}}
    assert env.service_env([headless, external, unallocated]) == {}


def test_user_env_and_env_from_win_and_expansion_sees_service_vars():
    service_env = env.service_env([svc("web", "127.96.0.7", [{"name": "http", "port": 80}])])
    container = {"name": "c", "envFrom": [{"configMapRef": {"name": "cm"}}], "env": [
        {"name": "URL", "value": "http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT_HTTP)/"},
        {"name": "WEB_SERVICE_HOST", "value": "mine"},
        {"name": "AFTER", "value": "$(WEB_SERVICE_HOST)"}]}
    got = env.build(pod(), container, sources(service_env))
    assert got == {
        "WEB_SERVICE_PORT": "from-cm",  # envFrom wins over the service variable
        "URL": "http://127.96.0.7:80/",  # defined before the user's WEB_SERVICE_HOST
        "WEB_SERVICE_HOST": "mine",
        "AFTER": "mine",
        "WEB_SERVICE_PORT_HTTP": "80",
        "WEB_PORT": "tcp://127.96.0.7:80",
        "WEB_PORT_80_TCP": "tcp://127.96.0.7:80",
        "WEB_PORT_80_TCP_PROTO": "tcp",
        "WEB_PORT_80_TCP_PORT": "80",
        "WEB_PORT_80_TCP_ADDR": "127.96.0.7",
    }


def _syncer(services: dict[str, list[dict]]) -> Syncer:
    s = Syncer.__new__(Syncer)  # only what _sources reads
    s.services = lambda ns: services.get(ns, [])
    s.settings = SimpleNamespace(host_ip="127.0.0.1", node_allocatable={})
    return s


def test_kubelet_uses_services_of_the_pods_namespace_unless_links_disabled():
    web = svc("web", "127.96.0.7", [{"port": 80}])
    other = svc("api", "127.96.0.8", [{"port": 81}], ns="other")
    s = _syncer({"default": [web], "other": [other]})
    rec = SimpleNamespace(ip="127.16.0.5")
    got = s._sources(pod(), rec).service_env
    assert got == env.service_env([web])
    assert s._sources(pod(enableServiceLinks=False), rec).service_env == {}
