"""Each plugin on its own: plain Node and Pod dicts in, verdicts and scores out."""
from __future__ import annotations

import pytest

from minikctl.scheduler import framework
from minikctl.scheduler.framework import Snapshot
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo
from minikctl.scheduler.plugins import (
    balancedallocation,
    imagelocality,
    interpodaffinity,
    nodeaffinity,
    nodename,
    nodeports,
    noderesources,
    nodeunschedulable,
    podtopologyspread,
    tainttoleration,
)

GI = 1024 ** 3


def node(name: str, *, cpu: str = "4", memory: str = "8Gi", pods: str = "110", labels: dict | None = None,
         taints: list | None = None, unschedulable: bool = False, images: list | None = None) -> dict:
    alloc = {"cpu": cpu, "memory": memory, "pods": pods}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints or [], "unschedulable": unschedulable},
            "status": {"allocatable": alloc, "capacity": alloc, "images": images or []}}


def pod(name: str, *, ns: str = "default", cpu: str | None = None, memory: str | None = None,
        labels: dict | None = None, node_name: str = "", **spec) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "namespace": ns, "labels": labels or {}, "uid": f"uid-{name}"},
         "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {"requests": requests}}], **spec}}
    if node_name:
        p["spec"]["nodeName"] = node_name
    return p


def info(n: dict, *pods: dict) -> NodeInfo:
    return NodeInfo.of(n, list(pods))


def run_filter(plugin, p: dict, nodes: list[NodeInfo], ns_labels: dict | None = None):  # type: ignore[no-untyped-def]
    """pre_filter then filter on every node: {node: reasons or None}, or the Status a
    pre-filter returned."""
    state: dict = {}
    pi = PodInfo(p)
    snap = Snapshot(nodes, ns_labels or {})
    skipped = False
    if hasattr(plugin, "pre_filter"):
        result = plugin.pre_filter(state, pi, snap)
        if isinstance(result, framework.Status):
            if result.code == framework.SKIP:
                skipped = True
            else:
                return result
    out = {}
    for n in nodes:
        status = None if skipped else plugin.filter(state, pi, n)
        out[n.name] = None if status is None else status.reasons
    return out


def run_score(plugin, p: dict, nodes: list[NodeInfo], all_nodes: list[NodeInfo] | None = None):  # type: ignore[no-untyped-def]
    state: dict = {}
    pi = PodInfo(p)
    snap = Snapshot(all_nodes or nodes, {})
    if hasattr(plugin, "pre_score") and plugin.pre_score(state, pi, nodes, snap) is False:
        return None
    scores = [plugin.score(state, pi, n) for n in nodes]
    if hasattr(plugin, "normalize"):
        scores = plugin.normalize(state, scores)
    return dict(zip([n.name for n in nodes], scores))


# -- NodeUnschedulable, NodeName -------------------------------------------------------------

def test_cordoned_nodes_take_only_pods_tolerating_the_unschedulable_taint():
    nodes = [info(node("a", unschedulable=True)), info(node("b"))]
    assert run_filter(nodeunschedulable.NodeUnschedulable(), pod("p"), nodes) == {
        "a": ("node(s) were unschedulable",), "b": None}
    tolerant = pod("p", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                                      "effect": "NoSchedule"}])
    assert run_filter(nodeunschedulable.NodeUnschedulable(), tolerant, nodes) == {"a": None, "b": None}


def test_node_name():
    nodes = [info(node("a")), info(node("b"))]
    assert run_filter(nodename.NodeName(), pod("p", node_name="b"), nodes) == {
        "a": ("node(s) didn't match the requested node name",), "b": None}


# -- NodeResourcesFit ----------------------------------------------------------------------------

def test_resources_count_what_bound_pods_request():
    full = info(node("a", cpu="2"), pod("x", cpu="1500m", node_name="a"))
    empty = info(node("b", cpu="2"))
    assert run_filter(noderesources.NodeResourcesFit(), pod("p", cpu="1"), [full, empty]) == {
        "a": ("Insufficient cpu",), "b": None}


def test_every_missing_resource_is_a_reason_and_pods_come_first():
    n = info(node("a", cpu="1", memory="1Gi", pods="1"), pod("x", node_name="a"))
    reasons = run_filter(noderesources.NodeResourcesFit(), pod("p", cpu="2", memory="2Gi"), [n])["a"]
    assert reasons == ("Too many pods", "Insufficient cpu", "Insufficient memory")


def test_ephemeral_storage_and_extended_resources():
    p = pod("p")
    p["spec"]["containers"][0]["resources"]["requests"] = {"ephemeral-storage": "2Gi", "example.com/dongle": "1"}
    n = node("a")
    n["status"]["allocatable"].update({"ephemeral-storage": "1Gi"})
    assert run_filter(noderesources.NodeResourcesFit(), p, [info(n)])["a"] == (
        "Insufficient ephemeral-storage", "Insufficient example.com/dongle")


def test_least_allocated_prefers_the_emptier_node():
    busy = info(node("a"), pod("x", cpu="3", memory="6Gi", node_name="a"))
    idle = info(node("b"))
    scores = run_score(noderesources.NodeResourcesFit(), pod("p", cpu="1", memory="2Gi"), [busy, idle])
    # a: cpu (4000-4000)/4000 -> 0, memory (8-8)/8 -> 0; b: cpu 75, memory 75.
    assert scores == {"a": 0, "b": 75}


def test_request_less_pods_still_count_through_non_zero_defaults():
    busy = info(node("a", cpu="1", memory="1Gi"), *[pod(f"x{i}", node_name="a") for i in range(5)])
    idle = info(node("b", cpu="1", memory="1Gi"))
    scores = run_score(noderesources.NodeResourcesFit(), pod("p"), [busy, idle])
    assert scores["b"] > scores["a"]


def test_balanced_allocation():
    assert balancedallocation.balanced_score([2000, 4 * GI], [4000, 8 * GI]) == 100
    assert balancedallocation.balanced_score([4000, 0], [4000, 8 * GI]) == 50
    nodes = [info(node("a")), info(node("b"), pod("x", cpu="2", node_name="b"))]
    assert run_score(balancedallocation.NodeResourcesBalancedAllocation(), pod("p"), nodes) is None  # BestEffort
    scores = run_score(balancedallocation.NodeResourcesBalancedAllocation(), pod("p", cpu="1", memory="2Gi"), nodes)
    assert scores == {"a": 100, "b": 75}  # b: cpu 3/4, memory 2/8 -> std 0.25


# -- NodeAffinity --------------------------------------------------------------------------------

def affinity_pod(*terms: dict, preferred: list | None = None, **kw) -> dict:
    na: dict = {}
    if terms:
        na["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": list(terms)}
    if preferred:
        na["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    return pod("p", affinity={"nodeAffinity": na}, **kw)


NODES = [node("a", labels={"disk": "ssd", "gen": "3"}), node("b", labels={"disk": "hdd", "gen": "5"}), node("c")]


@pytest.mark.parametrize("expr,fits", [
    ({"key": "disk", "operator": "In", "values": ["ssd", "nvme"]}, {"a"}),
    ({"key": "disk", "operator": "NotIn", "values": ["ssd"]}, {"b", "c"}),
    ({"key": "disk", "operator": "Exists"}, {"a", "b"}),
    ({"key": "disk", "operator": "DoesNotExist"}, {"c"}),
    ({"key": "gen", "operator": "Gt", "values": ["4"]}, {"b"}),
    ({"key": "gen", "operator": "Lt", "values": ["4"]}, {"a"}),
    ({"key": "gen", "operator": "Gt", "values": ["four"]}, set()),
], ids=["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gt-not-a-number"])
def test_required_node_affinity_operators(expr, fits):
    result = run_filter(nodeaffinity.NodeAffinity(), affinity_pod({"matchExpressions": [expr]}),
                        [info(n) for n in NODES])
    assert {n for n, r in result.items() if r is None} == fits
    assert all(r == ("node(s) didn't match Pod's node affinity/selector",) for r in result.values() if r)


def test_terms_are_ored_and_expressions_anded_and_node_selector_applies_too():
    p = affinity_pod({"matchExpressions": [{"key": "disk", "operator": "Exists"},
                                           {"key": "gen", "operator": "Gt", "values": ["4"]}]},
                     {"matchExpressions": [{"key": "disk", "operator": "DoesNotExist"}]})
    result = run_filter(nodeaffinity.NodeAffinity(), p, [info(n) for n in NODES])
    assert {n for n, r in result.items() if r is None} == {"b", "c"}
    p["spec"]["nodeSelector"] = {"disk": "hdd"}
    result = run_filter(nodeaffinity.NodeAffinity(), p, [info(n) for n in NODES])
    assert {n for n, r in result.items() if r is None} == {"b"}


def test_match_fields_pin_a_daemonset_pod_to_its_node():
    p = affinity_pod({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]})
    plugin = nodeaffinity.NodeAffinity()
    state: dict = {}
    assert plugin.pre_filter(state, PodInfo(p), Snapshot([info(n) for n in NODES])) == {"b"}
    assert plugin.filter(state, PodInfo(p), info(NODES[1])) is None
    assert plugin.filter(state, PodInfo(p), info(NODES[0])).reasons == (nodeaffinity.REASON,)


def test_conflicting_match_fields():
    p = affinity_pod({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]},
                                      {"key": "metadata.name", "operator": "In", "values": ["b"]}]})
    status = run_filter(nodeaffinity.NodeAffinity(), p, [info(n) for n in NODES])
    assert status.code == framework.UNRESOLVABLE and status.reasons == ("pod affinity terms conflict",)


def test_preferred_node_affinity_scores_by_weight():
    p = affinity_pod(preferred=[
        {"weight": 80, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}},
        {"weight": 20, "preference": {"matchExpressions": [{"key": "gen", "operator": "Exists"}]}}])
    assert run_score(nodeaffinity.NodeAffinity(), p, [info(n) for n in NODES]) == {"a": 100, "b": 20, "c": 0}


# -- TaintToleration ---------------------------------------------------------------------------

def test_untolerated_taints_name_the_first_one():
    tainted = info(node("a", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]))
    gone = info(node("b", taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]))
    soft = info(node("c", taints=[{"key": "spot", "effect": "PreferNoSchedule"}]))
    result = run_filter(tainttoleration.TaintToleration(), pod("p"), [tainted, gone, soft])
    assert result == {"a": ("node(s) had untolerated taint {dedicated: gpu}",),
                      "b": ("node(s) had untolerated taint {node.kubernetes.io/unreachable: }",), "c": None}


@pytest.mark.parametrize("toleration,ok", [
    ({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}, True),
    ({"key": "dedicated", "value": "gpu"}, True),
    ({"key": "dedicated", "value": "cpu"}, False),
    ({"key": "dedicated", "operator": "Exists"}, True),
    ({"operator": "Exists"}, True),
    ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, False),
])
def test_toleration_matching(toleration, ok):
    n = info(node("a", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]))
    result = run_filter(tainttoleration.TaintToleration(), pod("p", tolerations=[toleration]), [n])
    assert (result["a"] is None) is ok


def test_prefer_no_schedule_taints_lower_the_score():
    nodes = [info(node("a", taints=[{"key": "spot", "effect": "PreferNoSchedule"},
                                    {"key": "old", "effect": "PreferNoSchedule"}])),
             info(node("b", taints=[{"key": "spot", "effect": "PreferNoSchedule"}])), info(node("c"))]
    assert run_score(tainttoleration.TaintToleration(), pod("p"), nodes) == {"a": 0, "b": 50, "c": 100}
    tolerant = pod("p", tolerations=[{"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"}])
    assert run_score(tainttoleration.TaintToleration(), tolerant, nodes) == {"a": 0, "b": 100, "c": 100}


# -- NodePorts -----------------------------------------------------------------------------------

def port_pod(name: str, port: int, ip: str = "", node_name: str = "", protocol: str = "TCP") -> dict:
    p = pod(name, node_name=node_name)
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": port, "hostIP": ip, "protocol": protocol}]
    return p


def test_host_ports_conflict_per_protocol_and_ip():
    n = info(node("a"), port_pod("x", 8080, "127.0.0.1", node_name="a"))
    plugin = nodeports.NodePorts()
    assert run_filter(plugin, port_pod("p", 8080), [n])["a"] == (nodeports.REASON,)  # 0.0.0.0 vs 127.0.0.1
    assert run_filter(plugin, port_pod("p", 8080, "127.0.0.2"), [n])["a"] is None
    assert run_filter(plugin, port_pod("p", 8080, protocol="UDP"), [n])["a"] is None
    assert run_filter(plugin, port_pod("p", 9090), [n])["a"] is None
    assert run_filter(plugin, pod("p"), [n])["a"] is None  # no host ports: skipped


# -- InterPodAffinity ----------------------------------------------------------------------------

def anti(key: str = "kubernetes.io/hostname", **match) -> dict:
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": match}, "topologyKey": key}]}}


def test_required_anti_affinity_keeps_replicas_apart():
    web = {"app": "web"}
    nodes = [info(node("a"), pod("w1", labels=web, node_name="a", affinity=anti(app="web"))),
             info(node("b"), pod("db", labels={"app": "db"}, node_name="b")), info(node("c"))]
    result = run_filter(interpodaffinity.InterPodAffinity(), pod("w2", labels=web, affinity=anti(app="web")), nodes)
    assert result == {"a": (interpodaffinity.ANTI_AFFINITY,), "b": None, "c": None}


def test_existing_pods_anti_affinity_is_symmetric():
    nodes = [info(node("a"), pod("loner", labels={"app": "x"}, node_name="a", affinity=anti(app="web"))),
             info(node("b"))]
    result = run_filter(interpodaffinity.InterPodAffinity(), pod("w", labels={"app": "web"}), nodes)
    assert result == {"a": (interpodaffinity.EXISTING_ANTI_AFFINITY,), "b": None}


def test_required_affinity_by_zone_and_the_first_pod_of_a_group():
    aff = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "zone"}]}}
    nodes = [info(node("a", labels={"zone": "z1"}), pod("cache", labels={"app": "cache"}, node_name="a")),
             info(node("b", labels={"zone": "z1"})), info(node("c", labels={"zone": "z2"})), info(node("d"))]
    result = run_filter(interpodaffinity.InterPodAffinity(), pod("web", affinity=aff), nodes)
    assert result == {"a": None, "b": None, "c": (interpodaffinity.AFFINITY,), "d": (interpodaffinity.AFFINITY,)}
    # No matching pod anywhere: only a pod matching its own terms may start the group.
    lonely = [info(node("c", labels={"zone": "z2"}))]
    assert run_filter(interpodaffinity.InterPodAffinity(), pod("web", affinity=aff), lonely)["c"] == (
        interpodaffinity.AFFINITY,)
    assert run_filter(interpodaffinity.InterPodAffinity(), pod("c2", labels={"app": "cache"}, affinity=aff),
                      lonely)["c"] is None


def test_namespaces_and_namespace_selector():
    term = {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname",
            "namespaceSelector": {"matchLabels": {"team": "data"}}}
    aff = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    nodes = [info(node("a"), pod("db", ns="data", labels={"app": "db"}, node_name="a")),
             info(node("b"), pod("db", ns="other", labels={"app": "db"}, node_name="b"))]
    ns_labels = {"data": {"team": "data"}, "other": {}, "default": {}}
    result = run_filter(interpodaffinity.InterPodAffinity(), pod("p", affinity=aff), nodes, ns_labels)
    assert result == {"a": (interpodaffinity.ANTI_AFFINITY,), "b": None}
    # Without a selector the term means the pod's own namespace only.
    result = run_filter(interpodaffinity.InterPodAffinity(), pod("p", affinity=anti(app="db")), nodes, ns_labels)
    assert result == {"a": None, "b": None}


def test_preferred_affinity_scores():
    pref = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "cache"}},
                                           "topologyKey": "kubernetes.io/hostname"}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 5, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "noisy"}},
                                          "topologyKey": "kubernetes.io/hostname"}}]}}
    nodes = [info(node("a"), pod("c", labels={"app": "cache"}, node_name="a")),
             info(node("b")), info(node("n"), pod("x", labels={"app": "noisy"}, node_name="n"))]
    assert run_score(interpodaffinity.InterPodAffinity(), pod("p", affinity=pref), nodes) == {"a": 100, "b": 33, "n": 0}


# -- PodTopologySpread ---------------------------------------------------------------------------

def spread(max_skew: int = 1, key: str = "zone", when: str = "DoNotSchedule", **extra) -> dict:
    return {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "web"}}, **extra}


def zones(*counts: int) -> list[NodeInfo]:
    out = []
    for i, n in enumerate(counts):
        out.append(info(node(f"n{i}", labels={"zone": f"z{i}"}),
                        *[pod(f"w{i}-{j}", labels={"app": "web"}, node_name=f"n{i}") for j in range(n)]))
    return out


def test_max_skew_keeps_domains_even():
    p = pod("new", labels={"app": "web"}, topologySpreadConstraints=[spread()])
    result = run_filter(podtopologyspread.PodTopologySpread(), p, zones(2, 1, 1) + [info(node("bare"))])
    assert result == {"n0": (podtopologyspread.CONSTRAINTS_NOT_MATCH,), "n1": None, "n2": None,
                      "bare": (podtopologyspread.NODE_LABEL_NOT_MATCH,)}


def test_min_domains_counts_missing_domains_as_empty():
    p = pod("new", labels={"app": "web"}, topologySpreadConstraints=[spread(minDomains=3)])
    result = run_filter(podtopologyspread.PodTopologySpread(), p, zones(1, 1))
    assert result == {"n0": (podtopologyspread.CONSTRAINTS_NOT_MATCH,), "n1": (podtopologyspread.CONSTRAINTS_NOT_MATCH,)}
    p = pod("new", labels={"app": "web"}, topologySpreadConstraints=[spread(minDomains=2)])
    assert run_filter(podtopologyspread.PodTopologySpread(), p, zones(1, 1)) == {"n0": None, "n1": None}


def test_node_affinity_policy_honor_ignores_nodes_the_pod_cannot_use():
    p = pod("new", labels={"app": "web"}, nodeSelector={"zone": "z1"}, topologySpreadConstraints=[spread()])
    # z0 has 3 pods but the pod may not go there: it does not count as the minimum domain.
    assert run_filter(podtopologyspread.PodTopologySpread(), p, zones(3, 0))["n1"] is None
    p["spec"]["topologySpreadConstraints"] = [spread(nodeAffinityPolicy="Ignore")]
    assert run_filter(podtopologyspread.PodTopologySpread(), p, zones(0, 3))["n1"] == (
        podtopologyspread.CONSTRAINTS_NOT_MATCH,)


def test_schedule_anyway_prefers_emptier_domains():
    p = pod("new", labels={"app": "web"}, topologySpreadConstraints=[spread(when="ScheduleAnyway")])
    nodes = zones(2, 1, 0)
    assert run_filter(podtopologyspread.PodTopologySpread(), p, nodes) == {"n0": None, "n1": None, "n2": None}
    scores = run_score(podtopologyspread.PodTopologySpread(), p, nodes)
    assert scores["n2"] == 100 and scores["n0"] < scores["n1"] < scores["n2"]


def test_system_default_spreading_uses_the_owner_selector():
    from minikctl.api import selectors

    plugin = podtopologyspread.PodTopologySpread(default_selector=lambda p: selectors.from_set({"app": "web"}))
    nodes = [info(node("a"), *[pod(f"w{i}", labels={"app": "web"}, node_name="a") for i in range(3)]), info(node("b"))]
    scores = run_score(plugin, pod("new", labels={"app": "web"}), nodes)
    assert scores["b"] > scores["a"]
    assert run_score(podtopologyspread.PodTopologySpread(), pod("new", labels={"app": "web"}), nodes) is None


# -- ImageLocality -------------------------------------------------------------------------------

def test_image_locality_prefers_nodes_with_big_images():
    big = [{"names": ["docker.io/library/busybox:latest"], "sizeBytes": 500 * 1024 * 1024}]
    nodes = [info(node("a", images=big)), info(node("b"))]
    scores = run_score(imagelocality.ImageLocality(), pod("p"), nodes)
    assert scores["a"] > 0 and scores["b"] == 0
    assert run_score(imagelocality.ImageLocality(), pod("p"), [info(node("x")), info(node("y"))]) is None
