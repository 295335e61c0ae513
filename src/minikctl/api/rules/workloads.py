"""The apps/v1 controllers: Deployments, ReplicaSets, DaemonSets and StatefulSets
(selectors, which must match the template's labels, update strategies, the pod template);
and the selector helpers Jobs share with them.
"""
from __future__ import annotations

import re
from typing import Any

from minikctl.api import selectors
from minikctl.api.rules.common import (NEGATIVE, Go, as_dict, as_int, as_text, at, forbidden, go_label_selector,
                                       go_string_map, go_struct, invalid, nonnegative, not_supported, one_of, required,
                                       template_part)
from minikctl.api.rules.metadata import validate_template_metadata
from minikctl.api.rules.names import validate_label_selector
from minikctl.api.rules.podspec import restart_always_template, validate_pod_template
from minikctl.api.selectors import regex_error
from minikctl.errors import Cause

# --- Selectors ---------------------------------------------------------------------------------

def label_selector(sel: Any) -> selectors.Selector | None:
    """The selector as LabelSelectorAsSelector builds it; None when it cannot be built."""
    try:
        return selectors.from_label_selector(sel if isinstance(sel, dict) or sel is None else {})
    except ValueError:
        return None


def selector_matches_template(spec: dict, path: str, sel: selectors.Selector | None) -> list[Cause]:
    if sel is None or sel.empty():
        return []
    labels = template_part(spec, "metadata").get("labels")
    if sel.matches({str(k): as_text(v) for k, v in as_dict(labels).items()}):
        return []
    shown = go_string_map(labels if isinstance(labels, dict) else None)
    return [invalid(at(path, "template", "metadata", "labels"), shown, "`selector` does not match template `labels`")]


def _is_empty(sel: Any) -> bool:
    return not as_dict(sel).get("matchLabels") and not as_dict(sel).get("matchExpressions")


def _replicated_selector(spec: dict, what: str, detail: str) -> tuple[selectors.Selector | None, list[Cause]]:
    """Deployment/ReplicaSet/StatefulSet: a non-empty spec.selector, strictly valid; and
    the selector it makes (None when it cannot be built: `detail` says so)."""
    sel = spec.get("selector")
    if sel is None:
        causes = [required("spec.selector")]  # and the selector selects nothing
    else:
        causes = validate_label_selector(sel, "spec.selector")
        if _is_empty(sel):
            causes.append(invalid("spec.selector", go_label_selector(sel), f"empty selector is invalid for {what}"))
    built = label_selector(sel)
    if built is None:
        causes.append(invalid("spec.selector", go_label_selector(sel), detail))
    return built, causes


# --- Deployments and ReplicaSets -----------------------------------------------------------------

_PERCENT = re.compile(r"[0-9]+%")


def _int_or_percent(value: Any, path: str) -> list[Cause]:
    """ValidatePositiveIntOrPercent."""
    if isinstance(value, str):
        if not _PERCENT.fullmatch(value):
            return [invalid(path, Go(value), regex_error(
                "a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%"))]
        return []
    v = as_int(value)
    return [invalid(path, v, NEGATIVE)] if v is not None and v < 0 else []


def _int_or_percent_value(value: Any) -> int:
    if isinstance(value, str):
        return int(value[:-1]) if _PERCENT.fullmatch(value) else 0
    return as_int(value) or 0


def _over_100_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str) and _PERCENT.fullmatch(value) and int(value[:-1]) > 100:
        return [invalid(path, Go(value), "must not be greater than 100%")]
    return []


def _intstr(value: Any) -> Any:
    """IntOrString values print through their String(): no quotes around strings."""
    return Go(value) if isinstance(value, str) else value


def _surge_and_unavailable(rolling: dict, path: str) -> tuple[Any, Any, list[Cause]]:
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = _int_or_percent(unavailable, at(path, "maxUnavailable")) + _int_or_percent(surge, at(path, "maxSurge"))
    return unavailable, surge, causes


def _deployment_strategy(strategy: Any, path: str) -> list[Cause]:
    strategy = as_dict(strategy)
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [forbidden(at(path, "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind == "RollingUpdate":
        if not isinstance(rolling, dict):
            return [required(at(path, "rollingUpdate"), "this should be defaulted and never be nil")]
        p = at(path, "rollingUpdate")
        unavailable, surge, causes = _surge_and_unavailable(rolling, p)
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            causes.append(invalid(at(p, "maxUnavailable"), _intstr(unavailable), "may not be 0 when `maxSurge` is 0"))
        return causes + _over_100_percent(unavailable, at(p, "maxUnavailable"))
    shown = go_struct("apps.DeploymentStrategy", strategy)
    return [not_supported(path, shown, ("Recreate", "RollingUpdate"))]


def _replica_set_template(spec: dict) -> list[Cause]:
    """The selector, and ValidatePodTemplateSpecForReplicaSet (Deployments and ReplicaSets).
    Kubernetes says "deployment" in a ReplicaSet's empty-selector message too."""
    sel, causes = _replicated_selector(spec, "deployment", "invalid label selector")
    if sel is None:
        return causes
    causes += selector_matches_template(spec, "spec", sel)
    causes += validate_pod_template(spec.get("template"), "spec.template")
    return causes + restart_always_template(spec, "spec", "ReplicaSet")


def validate_deployment(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = nonnegative(spec.get("replicas"), "spec.replicas")
    causes += _replica_set_template(spec)
    causes += _deployment_strategy(spec.get("strategy"), "spec.strategy")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = as_int(spec.get("progressDeadlineSeconds"))
    if deadline is not None:
        causes += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (as_int(spec.get("minReadySeconds")) or 0):
            causes.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return causes


def validate_replica_set(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = nonnegative(spec.get("replicas"), "spec.replicas")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    return causes + _replica_set_template(spec)


# --- DaemonSets -----------------------------------------------------------------------------------

def validate_daemon_set(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = validate_label_selector(spec.get("selector"), "spec.selector")
    causes += selector_matches_template(spec, "spec", label_selector(spec.get("selector")))
    selector = spec.get("selector")
    if isinstance(selector, dict) and _is_empty(selector):
        causes.append(invalid("spec.selector", go_label_selector(selector), "empty selector is invalid for daemonset"))
    causes += validate_pod_template(spec.get("template"), "spec.template")
    causes += restart_always_template(spec, "spec", "DaemonSet")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += _daemon_set_strategy(spec.get("updateStrategy"), "spec.updateStrategy")
    causes += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return causes


def _daemon_set_strategy(strategy: Any, path: str) -> list[Cause]:
    strategy = as_dict(strategy)
    kind = strategy.get("type")
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        return [not_supported(path, go_struct("apps.DaemonSetUpdateStrategy", strategy), ("RollingUpdate", "OnDelete"))]
    rolling = strategy.get("rollingUpdate")
    if not isinstance(rolling, dict):
        return [required(at(path, "rollingUpdate"))]
    p = at(path, "rollingUpdate")
    unavailable, surge, causes = _surge_and_unavailable(rolling, p)
    causes += _over_100_percent(unavailable, at(p, "maxUnavailable")) + _over_100_percent(surge, at(p, "maxSurge"))
    has_unavailable, has_surge = _int_or_percent_value(unavailable) != 0, _int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        causes.append(invalid(at(p, "maxSurge"), _intstr(surge), "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        causes.append(required(at(p, "maxUnavailable"), "cannot be 0 when maxSurge is 0"))
    return causes


# --- StatefulSets ---------------------------------------------------------------------------------

def validate_stateful_set(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = _stateful_set_policies(spec)
    causes += nonnegative(spec.get("replicas"), "spec.replicas")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative(as_dict(spec.get("ordinals")).get("start"), "spec.ordinals.start")
    sel, sel_causes = _replicated_selector(spec, "statefulset", "")
    causes += sel_causes
    if sel is not None:
        # ValidatePodTemplateSpecForStatefulSet: only labels and annotations, not the pod spec.
        causes += selector_matches_template(spec, "spec", sel)
        causes += validate_template_metadata(as_dict(spec.get("template")), "spec.template")
    return causes + restart_always_template(spec, "spec", "StatefulSet")


def _stateful_set_policies(spec: dict) -> list[Cause]:
    causes = []
    policy = spec.get("podManagementPolicy")
    if isinstance(policy, str) and policy not in ("OrderedReady", "Parallel"):
        causes.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    strategy = as_dict(spec.get("updateStrategy"))
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "OnDelete" and rolling is not None:
        causes.append(invalid("spec.updateStrategy.rollingUpdate", go_struct("apps.RollingUpdateStatefulSetStrategy", rolling),
                              "only allowed for updateStrategy 'RollingUpdate'"))
    elif kind == "RollingUpdate" and isinstance(rolling, dict):
        causes += nonnegative(rolling.get("partition"), "spec.updateStrategy.rollingUpdate.partition")
    elif kind not in ("OnDelete", "RollingUpdate"):
        causes.append(invalid("spec.updateStrategy", go_struct("apps.StatefulSetUpdateStrategy", strategy),
                              "must be 'RollingUpdate' or 'OnDelete'"))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    for f in ("whenDeleted", "whenScaled"):
        causes += one_of(as_dict(retention).get(f), at("spec.persistentVolumeClaimRetentionPolicy", f), ("Retain", "Delete"))
    return causes
