"""Resource paths: turning a URL path into the kind, namespace, name and subresource it names.

    /api/v1/namespaces/{ns}/{plural}[/{name}[/{sub}]]     namespaced
    /api/v1/{plural}[/{name}[/{sub}]]                      cluster-scoped, or all namespaces
    /apis/{group}/{version}/...                            the same under a group

`/api/v1/namespaces/{name}[/status]` is the Namespace object itself. Anything this
server does not serve resolves to None (a 404 "could not find the requested resource").
"""
from __future__ import annotations

from dataclasses import dataclass

from minikctl.api import kinds
from minikctl.api.kinds import Kind

# Subresources served per kind (besides the kind's own verbs on the main resource).
_STATUS_KINDS = {"Pod", "Service", "Namespace", "Node", "PersistentVolumeClaim", "Deployment", "ReplicaSet",
                 "DaemonSet", "StatefulSet", "Job", "CronJob", "PodDisruptionBudget"}
_SCALE_KINDS = {"Deployment", "ReplicaSet", "StatefulSet"}


def subresources(kind: Kind) -> tuple[str, ...]:
    out: list[str] = []
    if kind.kind == "Pod":
        out += ["attach", "binding", "eviction", "exec", "log", "portforward"]
    if kind.kind in _SCALE_KINDS:
        out.append("scale")
    if kind.kind in _STATUS_KINDS:
        out.append("status")
    return tuple(out)


@dataclass(frozen=True)
class Target:
    kind: Kind
    namespace: str | None  # None: cluster-scoped kind, or a list across all namespaces
    name: str | None = None
    subresource: str | None = None

    @property
    def is_collection(self) -> bool:
        return self.name is None


_BY_RESOURCE = {(k.api_version, k.plural): k for k in kinds.KINDS}


def group_version(parts: list[str]) -> tuple[str, list[str]] | None:
    """('apps/v1', rest) for ['apis', 'apps', 'v1', ...]; ('v1', rest) for ['api', 'v1', ...]."""
    if len(parts) >= 2 and parts[0] == "api":
        return parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return f"{parts[1]}/{parts[2]}", parts[3:]
    return None


def resolve(path: str) -> Target | None:
    parts = [p for p in path.split("/") if p]
    gv = group_version(parts)
    if gv is None or not gv[1]:
        return None
    api_version, rest = gv
    if rest[0] == "namespaces" and len(rest) >= 3 and (api_version, rest[2]) in _BY_RESOURCE:
        kind = _BY_RESOURCE[(api_version, rest[2])]
        if not kind.namespaced:
            return None
        return _target(kind, rest[1], rest[3:])
    kind = _BY_RESOURCE.get((api_version, rest[0]))
    if kind is None:
        return None
    return _target(kind, None, rest[1:])


def _target(kind: Kind, namespace: str | None, rest: list[str]) -> Target | None:
    if len(rest) > 2:
        return None
    name = rest[0] if rest else None
    sub = rest[1] if len(rest) == 2 else None
    if sub is not None and sub not in subresources(kind):
        return None
    if namespace is None and kind.namespaced and name is not None:
        return None  # a namespaced object needs its namespace in the path
    return Target(kind, namespace, name, sub)
