"""Kubernetes' server-side semantic validation: what a 1.32 API server rejects beyond
the OpenAPI schema (the hand-written rules of pkg/apis/*/validation and apimachinery).

    check(kind, obj, old=None) -> list[Cause]
    warnings(kind, obj) -> list[str]

`check` returns every violation at once (empty list: the object is fine). Each Cause
carries the field path in Kubernetes' form (`spec.template.spec.containers[0].ports[0].containerPort`,
`metadata.labels`, `data[tls.crt]`) and the message after the path, worded as the API
server words it: `Invalid value: -1: must be greater than or equal to 0`,
`Required value`, `Unsupported value: "Sometimes": supported values: "Always", ...`.

As in the API server, the rules judge the object *after defaulting*: they run on a
defaulted copy (api/defaults.py), so an omitted `restartPolicy` is judged as "Always"
and a Service port without `targetPort` as targeting its `port`. With `old` (the stored
object), the update rules run as well (immutable fields, the Pod and StatefulSet spec
restrictions); `obj` is then the whole new object as it would be stored.

Pure functions over plain dicts; shapes the schema rejects (a string where a list
belongs...) are skipped here, the schema reports them. Stdlib only, plus
quantity/selectors and (lazily) api/defaults; zoneinfo is imported only for CronJob
time zones.

Layout of the package, one job a module:

    common.py      causes and their wording, Go's renderings of values, paths, getters
    names.py       name and key syntaxes, ports, IPs, labels, annotations, label selectors
    metadata.py    ObjectMeta, pod template metadata
    resources.py   resource names, quantities, requests against limits
    volumes.py     volumes and volume mounts
    containers.py  containers and init containers: ports, env, probes, hooks...
    podspec.py     pod specs and templates, the Pod kind
    workloads.py   Deployments, ReplicaSets, DaemonSets, StatefulSets
    jobs.py        Jobs and CronJobs (cron.py: schedules, time zones, durations)
    service.py     Services and Endpoints
    config.py      ConfigMaps and Secrets
    others.py      Namespaces, RuntimeClasses, Leases, PersistentVolumeClaims
    immutable.py   the update rules

Where Kubernetes is surprising, these rules are too, on purpose:
- a StatefulSet's pod template is not validated beyond its labels, annotations and
  restartPolicy (ValidatePodTemplateSpecForStatefulSet never validates the pod spec;
  bad containers surface when the controller creates pods);
- a negative terminationGracePeriodSeconds is accepted (the API server treats it as 1
  and only warns, see `warnings`);
- a Job's activeDeadlineSeconds may be 0 (ValidateNonnegativeField), a pod's must be >= 1;
- cron schedules follow robfig/cron's standard parser (what Kubernetes uses), not
  croniter's: 5 fields, day-of-week 0-6 (7 is rejected), descriptors such as @hourly
  and "@every 5m" (which croniter cannot run); its messages name the bad value, not
  the field ("end of range (61) above maximum (59): 61").
"""
from __future__ import annotations

import copy
from collections.abc import Callable

from minikctl.api.kinds import Kind
from minikctl.api.rules.common import as_dict, as_int, at, go_quote, render, template_part
from minikctl.api.rules.config import base64_error, validate_config_map, validate_secret
from minikctl.api.rules.cron import cron_error, go_duration_error
from minikctl.api.rules.immutable import update_rules
from minikctl.api.rules.jobs import validate_cron_job, validate_job
from minikctl.api.rules.metadata import validate_object_meta
from minikctl.api.rules.names import validate_annotations, validate_label_selector, validate_labels
from minikctl.api.rules.node import validate_node
from minikctl.api.rules.others import validate_lease, validate_namespace, validate_pvc, validate_runtime_class
from minikctl.api.priority import validate_priority_class  # noqa: E402,I001 - PriorityClass rules live with admission
from minikctl.api.rules.rbac import (validate_cluster_role, validate_cluster_role_binding, validate_role,
                                     validate_role_binding)
from minikctl.api.rules.policy import validate_pod_disruption_budget
from minikctl.api.rules.podspec import validate_pod, validate_pod_spec, validate_pod_template, validate_tolerations
from minikctl.api.rules.resources import validate_resources
from minikctl.api.rules.service import validate_endpoints, validate_service
from minikctl.api.rules.workloads import (validate_daemon_set, validate_deployment, validate_replica_set,
                                          validate_stateful_set)
from minikctl.errors import Cause

__all__ = [
    "base64_error", "check", "cron_error", "go_duration_error", "go_quote", "render", "validate_annotations",
    "validate_label_selector", "validate_labels", "validate_object_meta", "validate_pod_spec", "validate_pod_template",
    "validate_resources", "validate_tolerations", "warnings",
]

_KIND_RULES: dict[str, Callable[[dict], list[Cause]]] = {
    "Pod": validate_pod,
    "Deployment": validate_deployment,
    "ReplicaSet": validate_replica_set,
    "DaemonSet": validate_daemon_set,
    "StatefulSet": validate_stateful_set,
    "Job": validate_job,
    "CronJob": validate_cron_job,
    "Service": validate_service,
    "ConfigMap": validate_config_map,
    "Secret": validate_secret,
    "Namespace": validate_namespace,
    "RuntimeClass": validate_runtime_class,
    "PriorityClass": validate_priority_class,
    "Lease": validate_lease,
    "PersistentVolumeClaim": validate_pvc,
    "Endpoints": validate_endpoints,
    "Node": validate_node,
    "Role": validate_role,
    "ClusterRole": validate_cluster_role,
    "RoleBinding": validate_role_binding,
    "ClusterRoleBinding": validate_cluster_role_binding,
    "PodDisruptionBudget": validate_pod_disruption_budget,
}


def _defaulted(kind: Kind, obj: dict) -> dict:
    """A defaulted copy: the API server validates what it would store."""
    from minikctl.api import defaults

    view = copy.deepcopy(obj)
    try:
        defaults.apply_defaults(kind, view)
    except Exception:  # noqa: BLE001 - a shape the schema rejects; judge it as given
        return copy.deepcopy(obj)
    return view


def check(kind: Kind, obj: dict, old: dict | None = None) -> list[Cause]:
    """Every semantic violation in `obj` (a `kind` object), in Kubernetes' words.

    With `old`, `obj` is an update of it: the create rules (minus the ones Kubernetes
    skips on update) and the update rules both apply.
    """
    if not isinstance(obj, dict):
        return []
    view = _defaulted(kind, obj)
    causes = validate_object_meta(kind, view)
    if kind.kind == "CronJob":
        old_spec = as_dict(_defaulted(kind, old).get("spec")) if isinstance(old, dict) else None
        causes += validate_cron_job(view, creating=old is None, old_spec=old_spec)
    elif kind.kind in _KIND_RULES:
        causes += _KIND_RULES[kind.kind](view)
    if isinstance(old, dict):
        causes += update_rules(kind, view, _defaulted(kind, old))
    return _unique(causes)


def _unique(causes: list[Cause]) -> list[Cause]:
    """ErrorList.ToAggregate drops repeated messages; so do we."""
    seen, out = set(), []
    for c in causes:
        if (c.field, c.message) not in seen:
            seen.add((c.field, c.message))
            out.append(c)
    return out


def warnings(kind: Kind, obj: dict) -> list[str]:
    """The warnings a 1.32 API server attaches to an accepted object (the subset about
    values it changes or ignores), worded as Kubernetes does."""
    spec = as_dict(obj.get("spec")) if isinstance(obj, dict) else {}
    out = []
    for path, pod_spec in _pod_specs(kind, spec):
        grace = as_int(pod_spec.get("terminationGracePeriodSeconds"))
        if grace is not None and grace < 0:
            out.append(f"{at(path, 'terminationGracePeriodSeconds')}: must be >= 0; negative values are invalid "
                       "and will be treated as 1")
    return out


def _pod_specs(kind: Kind, spec: dict) -> list[tuple[str, dict]]:
    if kind.kind == "Pod":
        return [("spec", spec)]
    if kind.kind == "CronJob":
        job_spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
        return [("spec.jobTemplate.spec.template.spec", template_part(job_spec, "spec"))]
    if kind.kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"):
        return [("spec.template.spec", template_part(spec, "spec"))]
    return []
