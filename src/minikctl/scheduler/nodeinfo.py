"""What the scheduler knows of a pod and of a node, precomputed once per object.

PodInfo parses a pod's requests, host ports and affinity terms when the pod is first
seen, so filtering a thousand pods over ten nodes does not reparse quantities and
selectors ten thousand times. NodeInfo is a node plus the sums of the pods assigned (or
assumed) to it: requested resources, used host ports, pods with affinity terms.
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

from minikctl.api import selectors
from minikctl.scheduler import resources

DEFAULT_PRIORITY = 0


@dataclass(frozen=True)
class AffinityTerm:
    """A PodAffinityTerm: pods matching `selector` in `namespaces` (or in namespaces
    whose labels match `namespace_selector`), counted per `topology_key` domain."""

    selector: selectors.Selector
    namespaces: frozenset
    namespace_selector: selectors.Selector | None
    topology_key: str
    weight: int = 0

    def matches(self, pod: PodInfo, namespace_labels: dict | None) -> bool:
        if pod.namespace not in self.namespaces and not (
                self.namespace_selector is not None and self.namespace_selector.matches(namespace_labels or {})):
            return False
        return self.selector.matches(pod.labels)

    def with_namespaces(self, extra: set[str]) -> AffinityTerm:
        """The term with its namespaceSelector resolved to names (the incoming pod's
        terms are resolved once per cycle, as kube-scheduler's PreFilter does)."""
        return AffinityTerm(self.selector, self.namespaces | frozenset(extra), None, self.topology_key, self.weight)


def _selector(obj: dict | None) -> selectors.Selector:
    try:
        return selectors.from_label_selector(obj)
    except ValueError:
        return selectors.NOTHING  # validation rejects these; never match rather than crash


def _term(term: dict, namespace: str, weight: int = 0) -> AffinityTerm:
    names = frozenset(term.get("namespaces") or [])
    ns_selector = term.get("namespaceSelector")
    if not names and ns_selector is None:
        names = frozenset([namespace])
    return AffinityTerm(
        selector=_selector(term.get("labelSelector")),
        namespaces=names,
        namespace_selector=None if ns_selector is None else _selector(ns_selector),
        topology_key=str(term.get("topologyKey") or ""),
        weight=weight,
    )


def _terms(affinity: dict, namespace: str) -> tuple[list, list]:
    required = [_term(t, namespace) for t in affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or []]
    preferred = [_term(w.get("podAffinityTerm") or {}, namespace, int(w.get("weight") or 0))
                 for w in affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
    return required, preferred


def host_ports(spec: dict) -> list[tuple[str, str, int]]:
    """(hostIP, protocol, hostPort) of every container port that claims a host port."""
    out = []
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            port = p.get("hostPort") or 0
            if port > 0:
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(port)))
    return out


class PodInfo:
    __slots__ = ("pod", "key", "namespace", "name", "uid", "labels", "priority", "node_name", "requests",
                 "non_zero", "ports", "required_affinity", "preferred_affinity", "required_anti_affinity",
                 "preferred_anti_affinity", "terminating")

    def __init__(self, pod: dict) -> None:
        md, spec = pod["metadata"], pod.get("spec") or {}
        self.pod = pod
        self.namespace = md.get("namespace") or "default"
        self.name = md["name"]
        self.key = f"{self.namespace}/{self.name}"
        self.uid = md.get("uid") or ""
        self.labels = md.get("labels") or {}
        self.priority = int(spec.get("priority") or DEFAULT_PRIORITY)
        self.node_name = spec.get("nodeName") or ""
        self.terminating = bool(md.get("deletionTimestamp"))
        self.requests = resources.pod_requests(spec)
        nz = resources.pod_requests(spec, non_zero=True)
        self.non_zero = (nz.get(resources.CPU, 0), nz.get(resources.MEMORY, 0))
        self.ports = host_ports(spec)
        affinity = spec.get("affinity") or {}
        self.required_affinity, self.preferred_affinity = _terms(affinity.get("podAffinity") or {}, self.namespace)
        self.required_anti_affinity, self.preferred_anti_affinity = _terms(
            affinity.get("podAntiAffinity") or {}, self.namespace)

    @property
    def has_affinity(self) -> bool:
        return bool(self.required_affinity or self.preferred_affinity
                    or self.required_anti_affinity or self.preferred_anti_affinity)

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


@dataclass
class NodeInfo:
    node: dict
    pods: dict = field(default_factory=dict)  # key -> PodInfo
    requested: dict = field(default_factory=dict)
    non_zero_cpu: int = 0
    non_zero_memory: int = 0
    used_ports: Counter = field(default_factory=Counter)
    generation: int = 0
    # How many of its pods carry (anti-)affinity terms: lets InterPodAffinity skip
    # the pod walk entirely in the common case of a cluster without any.
    affinity_pods: int = 0
    required_anti_affinity_pods: int = 0

    def __post_init__(self) -> None:
        self.set_node(self.node)

    def set_node(self, node: dict) -> None:
        self.node = node
        md, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
        self.name: str = md["name"]
        self.labels: dict = md.get("labels") or {}
        self.taints: list = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable = resources.allocatable(node)
        self.allowed_pods = self.allocatable.get(resources.PODS, 0)
        self.images: dict = {}
        for image in status.get("images") or []:
            for name in image.get("names") or []:
                self.images[name] = int(image.get("sizeBytes") or 0)
        self.generation += 1

    @classmethod
    def of(cls, node: dict, pods: list[dict] | None = None) -> NodeInfo:
        """A NodeInfo built from plain objects (tests, benchmarks)."""
        info = cls(node)
        for p in pods or []:
            info.add_pod(p if isinstance(p, PodInfo) else PodInfo(p))
        return info

    def add_pod(self, pod: PodInfo) -> None:
        self.pods[pod.key] = pod
        self._account(pod, 1)

    def remove_pod(self, key: str) -> PodInfo | None:
        pod = self.pods.pop(key, None)
        if pod is not None:
            self._account(pod, -1)
        return pod

    def _account(self, pod: PodInfo, sign: int) -> None:
        for k, v in pod.requests.items():
            self.requested[k] = self.requested.get(k, 0) + sign * v
        self.non_zero_cpu += sign * pod.non_zero[0]
        self.non_zero_memory += sign * pod.non_zero[1]
        if pod.has_affinity:
            self.affinity_pods += sign
        if pod.required_anti_affinity:
            self.required_anti_affinity_pods += sign
        for port in pod.ports:
            self.used_ports[port] += sign
            if self.used_ports[port] <= 0:
                del self.used_ports[port]
        self.generation += 1

    def clone(self) -> NodeInfo:
        twin = copy.copy(self)
        twin.pods = dict(self.pods)
        twin.requested = dict(self.requested)
        twin.used_ports = Counter(self.used_ports)
        return twin

    def pods_with_required_anti_affinity(self) -> list[PodInfo]:
        return [p for p in self.pods.values() if p.required_anti_affinity]
