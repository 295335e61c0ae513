"""The RBAC kinds (rbac.authorization.k8s.io/v1): the API server's defaulting and the
validation rules users hit (pkg/apis/rbac/validation, rbac/v1/defaults.go).

    Role / ClusterRole          each rule needs verbs, and apiGroups + resources unless it
                                names nonResourceURLs (ClusterRoles only); an aggregationRule
                                needs at least one clusterRoleSelector
    RoleBinding                 roleRef.kind Role or ClusterRole, roleRef.apiGroup
    ClusterRoleBinding          rbac.authorization.k8s.io, roleRef.name given; ClusterRole
                                only for a ClusterRoleBinding; subjects ServiceAccount (a
                                namespace needed cluster-wide), User or Group
    update of a binding         roleRef may not change (`cannot change roleRef`)

RBAC is stored and served, not enforced: minikctl has one user, an administrator (see
server/reviews.py, `auth can-i` says yes to everything); these objects are accepted so
that the manifests carrying them apply as on a cluster.

RBAC names are path segments (ValidateRBACName), not DNS names: `system:aggregate-to-view`
is a valid ClusterRole name. Stdlib only: the CLI's apply path validates in process.
"""
from __future__ import annotations

from minikctl.api.rules.common import (Go, as_dict, as_list, as_str, at, dict_items, go_quote, go_string_slice, idx,
                                       invalid, not_supported, required)
from minikctl.errors import Cause

GROUP = "rbac.authorization.k8s.io"
SERVICE_ACCOUNT, USER, GROUP_KIND = "ServiceAccount", "User", "Group"


def path_segment_name(name: str, prefix: bool = False) -> list[str]:
    """IsValidPathSegmentName (IsValidPathSegmentPrefix for a generateName prefix)."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in name]


def default_binding(obj: dict) -> None:
    """SetDefaults_RoleBinding/ClusterRoleBinding and SetDefaults_Subject: roleRef's group,
    and the rbac group for User and Group subjects."""
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    for subject in as_list(obj.get("subjects")):
        if isinstance(subject, dict) and not subject.get("apiGroup") and subject.get("kind") in (USER, GROUP_KIND):
            subject["apiGroup"] = GROUP


def _policy_rule(rule: dict, path: str, *, namespaced: bool) -> list[Cause]:
    causes = []
    if not as_list(rule.get("verbs")):
        causes.append(required(at(path, "verbs"), "verbs must contain at least one value"))
    urls = as_list(rule.get("nonResourceURLs"))
    if urls:
        shown = go_string_slice(urls)
        if namespaced:
            causes.append(invalid(at(path, "nonResourceURLs"), shown, "namespaced rules cannot apply to non-resource URLs"))
        if as_list(rule.get("apiGroups")) or as_list(rule.get("resources")) or as_list(rule.get("resourceNames")):
            causes.append(invalid(at(path, "nonResourceURLs"), shown,
                                  "rules cannot apply to both regular resources and non-resource URLs"))
        return causes
    if not as_list(rule.get("apiGroups")):
        causes.append(required(at(path, "apiGroups"), "resource rules must supply at least one api group"))
    if not as_list(rule.get("resources")):
        causes.append(required(at(path, "resources"), "resource rules must supply at least one resource"))
    return causes


def _rules(obj: dict, *, namespaced: bool) -> list[Cause]:
    causes = []
    for i, rule in dict_items(obj.get("rules")):
        causes += _policy_rule(rule, idx("rules", i), namespaced=namespaced)
    return causes


def validate_role(obj: dict) -> list[Cause]:
    return _rules(obj, namespaced=True)


def validate_cluster_role(obj: dict) -> list[Cause]:
    from minikctl.api.rules.names import validate_label_selector

    causes = _rules(obj, namespaced=False)
    aggregation = obj.get("aggregationRule")
    if isinstance(aggregation, dict):
        selectors = as_list(aggregation.get("clusterRoleSelectors"))
        path = "aggregationRule.clusterRoleSelectors"
        if not selectors:
            causes.append(required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
        for i, selector in enumerate(selectors):
            causes += validate_label_selector(selector, idx(path, i))
    return causes


def _subject(subject: dict, path: str, *, namespaced: bool) -> list[Cause]:
    from minikctl.api.rules.names import name_is_subdomain

    causes = []
    name, kind, group = as_str(subject.get("name")), as_str(subject.get("kind")), as_str(subject.get("apiGroup"))
    if not name:
        causes.append(required(at(path, "name")))
    if kind == SERVICE_ACCOUNT:
        causes += [invalid(at(path, "name"), name, msg) for msg in (name_is_subdomain(name) if name else [])]
        if group:
            causes.append(not_supported(at(path, "apiGroup"), group, [""]))
        if not namespaced and not as_str(subject.get("namespace")):
            causes.append(required(at(path, "namespace")))
    elif kind in (USER, GROUP_KIND):
        if group != GROUP:
            causes.append(not_supported(at(path, "apiGroup"), group, [GROUP]))
    else:
        causes.append(not_supported(at(path, "kind"), kind, [SERVICE_ACCOUNT, USER, GROUP_KIND]))
    return causes


def _binding(obj: dict, *, namespaced: bool) -> list[Cause]:
    ref = as_dict(obj.get("roleRef"))
    causes = []
    if as_str(ref.get("apiGroup")) != GROUP:
        causes.append(not_supported("roleRef.apiGroup", as_str(ref.get("apiGroup")), [GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if as_str(ref.get("kind")) not in kinds:
        causes.append(not_supported("roleRef.kind", as_str(ref.get("kind")), kinds))
    name = as_str(ref.get("name"))
    if not name:
        causes.append(required("roleRef.name"))
    causes += [invalid("roleRef.name", name, msg) for msg in (path_segment_name(name) if name else [])]
    for i, subject in dict_items(obj.get("subjects")):
        causes += _subject(subject, idx("subjects", i), namespaced=namespaced)
    return causes


def validate_role_binding(obj: dict) -> list[Cause]:
    return _binding(obj, namespaced=True)


def validate_cluster_role_binding(obj: dict) -> list[Cause]:
    return _binding(obj, namespaced=False)


def role_ref_update(new: dict, old: dict) -> list[Cause]:
    """ValidateRoleBindingUpdate: a binding's roleRef is fixed (delete and recreate it)."""
    ref, before = as_dict(new.get("roleRef")), as_dict(old.get("roleRef"))
    fields = ("apiGroup", "kind", "name")
    if all(as_str(ref.get(f)) == as_str(before.get(f)) for f in fields):
        return []
    shown = Go("rbac.RoleRef{" + ", ".join(f"{f[0].upper() + f[1:] if f != 'apiGroup' else 'APIGroup'}:"
                                            f"{go_quote(as_str(ref.get(f)))}" for f in fields) + "}")
    return [invalid("roleRef", shown, "cannot change roleRef")]
