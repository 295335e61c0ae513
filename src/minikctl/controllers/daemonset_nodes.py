"""Which nodes a DaemonSet's pod belongs on, and how its pod is pinned there, after
pkg/controller/daemon/util and NodeShouldRunDaemonPod:

- the template's nodeName (if any), nodeSelector and required node affinity must match
  the node (labels, and `metadata.name` through matchFields);
- a taint with effect NoSchedule or NoExecute that the pod does not tolerate keeps a new
  pod off the node; only an untolerated NoExecute taint evicts a running one;
- every daemon pod tolerates what Kubernetes adds (not-ready, unreachable: NoExecute;
  disk/memory/pid pressure, unschedulable: NoSchedule; network-unavailable for
  hostNetwork pods), so it runs on nodes other pods avoid;
- the pod is pinned to its node, as since Kubernetes 1.12, by a required node affinity
  term `matchFields: metadata.name In [node]` (not spec.nodeName): the scheduler binds it.

Pure functions over plain dicts.
"""
from __future__ import annotations

import copy

from minikctl.api import meta
from minikctl.api.nodeaffinity import NAME_FIELD, RequiredAffinity
from minikctl.api.tolerations import tolerates

NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "NoExecute"
_DEFAULT_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", NO_EXECUTE),
    ("node.kubernetes.io/unreachable", NO_EXECUTE),
    ("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/unschedulable", NO_SCHEDULE),
)
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"


# -- the pod a daemon set runs ------------------------------------------------------------------

def with_daemon_tolerations(spec: dict) -> dict:
    """AddOrUpdateDaemonPodTolerations, on a copy of a pod spec."""
    spec = copy.deepcopy(spec)
    tolerations = list(spec.get("tolerations") or [])
    wanted = list(_DEFAULT_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append((NETWORK_UNAVAILABLE, NO_SCHEDULE))
    for key, effect in wanted:
        toleration = {"key": key, "operator": "Exists", "effect": effect}
        if not any(_same_toleration(t, toleration) for t in tolerations):
            tolerations.append(toleration)
    spec["tolerations"] = tolerations
    return spec


def _same_toleration(a: dict, b: dict) -> bool:
    """MatchToleration: same key, operator, value and effect."""
    return all((a.get(f) or "") == (b.get(f) or "") for f in ("key", "value", "effect")) \
        and (a.get("operator") or "Equal") == (b.get("operator") or "Equal")


def pin_to_node(spec: dict, node_name: str) -> None:
    """ReplaceDaemonSetPodNodeNameNodeAffinity, in place: one required term naming the node."""
    term = {"matchFields": [{"key": NAME_FIELD, "operator": "In", "values": [node_name]}]}
    node_affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    required["nodeSelectorTerms"] = [term]


def target_node(pod: dict) -> str | None:
    """GetTargetNodeName: the node a pod is bound to, or pinned to by its affinity."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or []:
        for req in term.get("matchFields") or []:
            if req.get("key") == NAME_FIELD and req.get("operator") == "In" and len(req.get("values") or []) == 1:
                return str(req["values"][0])
    return None


# -- does a node fit ----------------------------------------------------------------------------

def should_run(template_spec: dict, node: dict) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod: (should a pod be created there, may a running one stay)."""
    spec = with_daemon_tolerations(template_spec)
    if spec.get("nodeName") and spec["nodeName"] != meta.name_of(node):
        return False, False
    if not matches_required_affinity(spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = spec.get("tolerations") or []
    untolerated = [t for t in taints if t.get("effect") in (NO_SCHEDULE, NO_EXECUTE)
                   and not any(tolerates(tol, t) for tol in tolerations)]
    if untolerated:
        return False, not any(t.get("effect") == NO_EXECUTE for t in untolerated)
    return True, True


def matches_required_affinity(spec: dict, node: dict) -> bool:
    """nodeSelector and required node affinity (labels, and metadata.name through
    matchFields), by the matcher the scheduler uses."""
    return RequiredAffinity(spec).matches(meta.name_of(node), meta.labels_of(node))
