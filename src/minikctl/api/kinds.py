"""The registry of resource types minikctl serves, and how names resolve to them.

kubectl resolves `deploy`, `deployments`, `deployment`, `Deployment`,
`deployments.apps` and `deployments.v1.apps` to the same type; so do we.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from minikctl import errors


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    # Fields of this kind's spec that may not change after creation (path, message).
    immutable: tuple[str, ...] = field(default=())

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def resource(self) -> str:
        """`deployments.apps`, as kubectl names a resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def schema_name(self) -> str:
        return f"{self.group}.{self.version}.{self.kind}" if self.group else f"{self.version}.{self.kind}"

    def type_name(self) -> str:
        """`deployment.apps`, the prefix kubectl prints in `deployment.apps/web created`."""
        return f"{self.singular}.{self.group}" if self.group else self.singular


ALL = "all"
_WORKLOAD = ("all",)

KINDS: tuple[Kind, ...] = (
    Kind("", "v1", "Namespace", "namespaces", ("ns",), namespaced=False),
    Kind("", "v1", "Node", "nodes", ("no",), namespaced=False),
    Kind("", "v1", "Pod", "pods", ("po",), categories=_WORKLOAD),
    Kind("", "v1", "Service", "services", ("svc",), categories=_WORKLOAD),
    Kind("", "v1", "Endpoints", "endpoints", ("ep",)),
    Kind("", "v1", "ConfigMap", "configmaps", ("cm",)),
    Kind("", "v1", "Secret", "secrets"),
    Kind("", "v1", "ServiceAccount", "serviceaccounts", ("sa",)),
    Kind("", "v1", "Event", "events", ("ev",)),
    Kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", ("pvc",)),
    Kind("apps", "v1", "ControllerRevision", "controllerrevisions"),
    Kind("apps", "v1", "DaemonSet", "daemonsets", ("ds",), categories=_WORKLOAD),
    Kind("apps", "v1", "Deployment", "deployments", ("deploy",), categories=_WORKLOAD),
    Kind("apps", "v1", "ReplicaSet", "replicasets", ("rs",), categories=_WORKLOAD),
    Kind("apps", "v1", "StatefulSet", "statefulsets", ("sts",), categories=_WORKLOAD),
    Kind("batch", "v1", "CronJob", "cronjobs", ("cj",), categories=_WORKLOAD),
    Kind("batch", "v1", "Job", "jobs", categories=_WORKLOAD),
    Kind("coordination.k8s.io", "v1", "Lease", "leases"),
    Kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", ("pdb",)),
    Kind("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", ("pc",), namespaced=False),
    Kind("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", namespaced=False),
    # RBAC objects are stored and served, not enforced: the one user is an administrator.
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
)

_BY_GVK = {(k.api_version, k.kind): k for k in KINDS}
_BY_NAME: dict[str, Kind] = {}
for _k in KINDS:
    for _n in (_k.plural, _k.singular, *_k.short_names):
        _BY_NAME.setdefault(_n, _k)
        _BY_NAME.setdefault(f"{_n}.{_k.group}" if _k.group else _n, _k)
        _BY_NAME.setdefault(f"{_n}.{_k.version}.{_k.group}" if _k.group else f"{_n}.{_k.version}", _k)


def for_object(api_version: str, kind: str) -> Kind:
    """The Kind for a manifest's apiVersion and kind, or NoKindMatch as kubectl says it."""
    found = _BY_GVK.get((api_version, kind))
    if found is None:
        raise errors.NoKindMatch(kind, api_version)
    return found


def by_kind(kind: str) -> Kind:
    for k in KINDS:
        if k.kind == kind:
            return k
    raise errors.UnknownResourceType(kind)


def resolve(name: str) -> Kind:
    """A resource type as the user types it: `po`, `pods`, `Pod`, `deployments.apps`."""
    found = _BY_NAME.get(name) or _BY_NAME.get(name.lower())
    if found is None:
        raise errors.UnknownResourceType(name)
    return found


def resolve_many(names: str) -> list[Kind]:
    """`deploy,svc` or `all` (kubectl's category) to a list of kinds, in order, unique."""
    out: list[Kind] = []
    for part in names.split(","):
        part = part.strip()
        if not part:
            continue
        found = [k for k in KINDS if part in k.categories] if part == ALL else [resolve(part)]
        for k in found:
            if k not in out:
                out.append(k)
    if not out:
        raise errors.UnknownResourceType(names)
    return out


def groups() -> dict[str, list[Kind]]:
    out: dict[str, list[Kind]] = {}
    for k in KINDS:
        out.setdefault(k.api_version, []).append(k)
    return out
