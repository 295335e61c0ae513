"""The nftables ruleset as text: no kernel, no root."""
from __future__ import annotations

from minikctl.proxy import nftrules
from minikctl.proxy.table import PortKey

WEB = PortKey("default", "web", "http", "TCP")
DNS = PortKey("kube-system", "dns", "dns", "UDP")
EPS = (("127.16.0.2", 8080), ("127.16.0.3", 8080), ("127.16.0.4", 8080))


def web(endpoints=EPS, affinity=None) -> nftrules.ServicePort:  # noqa: ANN001
    return nftrules.ServicePort(WEB, "127.96.0.10", 80, tuple(endpoints), affinity)


def test_round_robin_over_endpoint_chains():
    rs = nftrules.ruleset([web()])
    svc = nftrules.service_chain(WEB)
    eps = [nftrules.endpoint_chain(WEB, ep) for ep in EPS]
    assert rs.service_ips == [f"127.96.0.10 . tcp . 80 : goto {svc}"]
    assert rs.chains[svc] == [f"numgen inc mod 3 vmap {{ 0 : goto {eps[0]}, 1 : goto {eps[1]}, 2 : goto {eps[2]} }}"]
    assert rs.chains[eps[1]] == ["meta l4proto tcp dnat to 127.16.0.3:8080"]
    assert rs.sets == {} and rs.no_endpoints == []
    text = nftrules.transaction("minikctl-42", rs)
    assert text.startswith("add table ip minikctl-42 { flags owner; }\n")
    assert "add rule ip minikctl-42 nat-output ip daddr . meta l4proto . th dport vmap @service-ips\n" in text
    assert "type nat hook output priority -100; policy accept;" in text
    # Endpoint chains exist before the service chain that jumps to them.
    assert text.index(f"add chain ip minikctl-42 {eps[0]}\n") < text.index(f"add chain ip minikctl-42 {svc}\n")


def test_one_endpoint_is_a_plain_goto_and_udp_dnat():
    rs = nftrules.ruleset([nftrules.ServicePort(DNS, "127.96.0.53", 53, (("127.16.0.9", 5353),))])
    ep = nftrules.endpoint_chain(DNS, ("127.16.0.9", 5353))
    assert rs.chains[nftrules.service_chain(DNS)] == [f"goto {ep}"]
    assert rs.chains[ep] == ["meta l4proto udp dnat to 127.16.0.9:5353"]
    assert rs.service_ips == [f"127.96.0.53 . udp . 53 : goto {nftrules.service_chain(DNS)}"]


def test_client_ip_affinity_sets_before_the_round_robin():
    rs = nftrules.ruleset([web(EPS[:2], affinity=600)])
    svc = nftrules.service_chain(WEB)
    sets = [nftrules.affinity_set(WEB, ep, 600) for ep in EPS[:2]]
    eps = [nftrules.endpoint_chain(WEB, ep) for ep in EPS[:2]]
    assert rs.sets == {sets[0]: 600, sets[1]: 600}
    assert rs.chains[svc][:2] == [f"ip saddr @{sets[0]} goto {eps[0]}", f"ip saddr @{sets[1]} goto {eps[1]}"]
    assert rs.chains[svc][2].startswith("numgen inc mod 2 vmap")
    assert rs.chains[eps[0]] == [f"update @{sets[0]} {{ ip saddr timeout 600s }}",
                                 "meta l4proto tcp dnat to 127.16.0.2:8080"]
    text = nftrules.transaction("t", rs)
    assert f"add set ip t {sets[0]} {{ type ipv4_addr; flags dynamic,timeout; timeout 600s; }}\n" in text


def test_no_endpoints_are_rejected_not_dnatted():
    rs = nftrules.ruleset([web(()), nftrules.ServicePort(DNS, "127.96.0.53", 53, ())])
    assert rs.service_ips == [] and rs.chains == {}
    assert rs.no_endpoints == ["127.96.0.10 . tcp . 80 : goto reject-no-endpoints",
                               "127.96.0.53 . udp . 53 : goto reject-no-endpoints"]
    text = nftrules.transaction("t", rs)
    assert "add element ip t no-endpoint-services { 127.96.0.10 . tcp . 80 : goto reject-no-endpoints, " \
           "127.96.0.53 . udp . 53 : goto reject-no-endpoints }\n" in text
    assert "add rule ip t reject-no-endpoints meta l4proto tcp reject with tcp reset\n" in text
    assert "add rule ip t reject-no-endpoints reject\n" in text
    assert "type filter hook output priority 0; policy accept;" in text


def test_names_are_stable_readable_and_distinct():
    assert nftrules.service_chain(WEB) == nftrules.service_chain(PortKey("default", "web", "http", "TCP"))
    assert nftrules.service_chain(WEB).startswith("service-") and nftrules.service_chain(WEB).endswith(
        "-default/web/tcp/http")
    assert nftrules.service_chain(WEB) != nftrules.service_chain(PortKey("default", "web", "http", "UDP"))
    ep = nftrules.endpoint_chain(WEB, EPS[0])
    assert ep.startswith("endpoint-") and ep.endswith("-default/web/tcp/http__127.16.0.2/8080")
    # A new timeout is a new set; the same one keeps its name (and its contents).
    assert nftrules.affinity_set(WEB, EPS[0], 60) != nftrules.affinity_set(WEB, EPS[0], 120)
    assert nftrules.affinity_set(WEB, EPS[0], 60) == nftrules.affinity_set(WEB, EPS[0], 60)
    assert nftrules.ruleset([web()]) == nftrules.ruleset([web()])


def test_an_update_keeps_survivors_and_deletes_what_left():
    before = nftrules.ruleset([web(EPS, affinity=60)])
    after = nftrules.ruleset([web(EPS[:2], affinity=60)])
    text = nftrules.transaction("t", after, before)
    gone_chain = nftrules.endpoint_chain(WEB, EPS[2])
    gone_set = nftrules.affinity_set(WEB, EPS[2], 60)
    kept_set = nftrules.affinity_set(WEB, EPS[0], 60)
    lines = text.splitlines()
    assert f"flush chain ip t {gone_chain}" in lines and f"delete chain ip t {gone_chain}" in lines
    assert f"delete set ip t {gone_set}" in lines
    # The surviving set is only added again (idempotent), never flushed or deleted: its
    # clients stay pinned.
    assert [ln for ln in lines if kept_set in ln and ln.startswith(("add set", "flush", "delete"))] == \
        [f"add set ip t {kept_set} {{ type ipv4_addr; flags dynamic,timeout; timeout 60s; }}"]
    # Deletions come after the maps are refilled (nothing points at them any more).
    assert lines.index("flush map ip t service-ips") < lines.index(f"delete chain ip t {gone_chain}")
    # The skeleton's rules are written once, not flushed on every update.
    assert "flush chain ip t nat-output" not in lines


def test_a_service_removed_entirely():
    before = nftrules.ruleset([web()])
    text = nftrules.transaction("t", nftrules.ruleset([]), before)
    lines = text.splitlines()
    for name in [nftrules.service_chain(WEB), *(nftrules.endpoint_chain(WEB, ep) for ep in EPS)]:
        assert f"delete chain ip t {name}" in lines
    assert "flush map ip t service-ips" in lines
    assert not any(ln.startswith("add element ip t service-ips") for ln in lines)


def test_departed_udp_endpoints():
    old = {DNS: nftrules.ServicePort(DNS, "127.96.0.53", 53, (("127.16.0.8", 53), ("127.16.0.9", 53))),
           WEB: web()}
    new = {DNS: nftrules.ServicePort(DNS, "127.96.0.53", 53, (("127.16.0.9", 53),))}
    assert nftrules.departed_udp(old, new) == [("127.96.0.53", 53, "127.16.0.8")]  # TCP needs nothing
    assert nftrules.departed_udp(old, {}) == [("127.96.0.53", 53, "127.16.0.8"), ("127.96.0.53", 53, "127.16.0.9")]
