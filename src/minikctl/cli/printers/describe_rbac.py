"""`kubectl describe` for ServiceAccounts and the RBAC kinds, as kubectl 1.32 lays them out
(describe.go: describeServiceAccount, describeRole/ClusterRole, describeRoleBinding/
ClusterRoleBinding; k8s.io/kubectl/pkg/util/rbac for the rule table).

A role's rules are printed broken down to one resource, verb and name each, then the
simple ones (one group, one resource, at most one name) merged back by verb, and sorted
by kubectl's PolicyRule.String(), so a row's order follows its verbs first, as kubectl's.
"""
from __future__ import annotations

from minikctl.cli.printers.describe import (NONE, Context, PrefixWriter, annotations_multiline, describe_events,
                                            labels_multiline, meta)

TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"


def _header(w: PrefixWriter, obj: dict) -> None:
    w.write(0, f"Name:\t{meta(obj).get('name', '')}\n")
    labels_multiline(w, "Labels", meta(obj).get("labels"))
    annotations_multiline(w, "Annotations", meta(obj).get("annotations"))


# --- ServiceAccount ---------------------------------------------------------------------------

def describe_service_account(w: PrefixWriter, sa: dict, ctx: Context) -> None:
    md = meta(sa)
    w.write(0, f"Name:\t{md.get('name', '')}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    secrets = ctx.related.get("secrets")  # the namespace's Secrets, when the caller fetched them
    existing = None if secrets is None else {meta(s).get("name") for s in secrets}
    tokens = [meta(s).get("name", "") for s in secrets or []
              if s.get("type") == TOKEN_TYPE and (meta(s).get("annotations") or {}).get(SA_NAME_ANNOTATION)
              == md.get("name")]
    sections = {  # kubectl prints them in the sorted order of these padded headers
        "Image pull secrets:": [r.get("name", "") for r in sa.get("imagePullSecrets") or []],
        "Mountable secrets: ": [r.get("name", "") for r in sa.get("secrets") or []],
        "Tokens:            ": tokens,
    }
    for header in sorted(sections):
        names = sections[header]
        if not names:
            w.write(0, f"{header}\t{NONE}\n")
            continue
        prefix = header
        for name in names:
            missing = existing is not None and name not in existing
            w.write(0, f"{prefix}\t{name}{' (not found)' if missing else ''}\n")
            prefix = " " * len(header)
    describe_events(w, ctx)


# --- Role, ClusterRole ------------------------------------------------------------------------

def breakdown(rule: dict) -> list[dict]:
    """BreakdownRule: one group, resource, verb and resource name per rule; URLs per verb."""
    out = []
    verbs, names = rule.get("verbs") or [], rule.get("resourceNames") or []
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            for verb in verbs:
                base = {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                out += [{**base, "resourceNames": [n]} for n in names] if names else [base]
    for url in rule.get("nonResourceURLs") or []:
        out += [{"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs]
    return out


def compact(rules: list[dict]) -> list[dict]:
    """CompactRules: simple rules that differ only by verb become one."""
    compacted, simple = [], {}
    for rule in rules:
        names = rule.get("resourceNames") or []
        if rule.get("nonResourceURLs") or len(names) > 1 or len(rule.get("apiGroups") or []) != 1 \
                or len(rule.get("resources") or []) != 1:
            compacted.append(rule)
            continue
        key = (rule["apiGroups"][0], rule["resources"][0], tuple(names))
        if key in simple:
            simple[key]["verbs"] += [v for v in rule.get("verbs") or [] if v not in simple[key]["verbs"]]
        else:
            simple[key] = {**rule, "verbs": list(rule.get("verbs") or [])}
    return compacted + list(simple.values())


def _go_list(values: list[str] | None) -> str:
    return "[" + " ".join(values or []) + "]"


def rule_string(rule: dict) -> str:
    """The generated PolicyRule.String() kubectl sorts by."""
    return ("&PolicyRule{" + "".join(f"{k}:{_go_list(rule.get(f))}," for k, f in (
        ("Verbs", "verbs"), ("APIGroups", "apiGroups"), ("Resources", "resources"),
        ("ResourceNames", "resourceNames"), ("NonResourceURLs", "nonResourceURLs"))) + "}")


def combine_resource_group(resources: list[str] | None, groups: list[str] | None) -> str:
    """`deployments.apps`, `pods`, `deployments.apps/scale`."""
    if not resources:
        return ""
    base, slash, sub = resources[0].partition("/")
    if groups and groups[0]:
        base += "." + groups[0]
    return base + (f"/{sub}" if slash else "")


def describe_role(w: PrefixWriter, role: dict, ctx: Context) -> None:
    rules = compact([part for rule in role.get("rules") or [] for part in breakdown(rule)])
    rules.sort(key=rule_string)  # stable, as sort.Stable
    _header(w, role)
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for r in rules:
        w.write(1, f"{combine_resource_group(r.get('resources'), r.get('apiGroups'))}\t"
                   f"{_go_list(r.get('nonResourceURLs'))}\t{_go_list(r.get('resourceNames'))}\t"
                   f"{_go_list(r.get('verbs'))}\n")


# --- RoleBinding, ClusterRoleBinding -------------------------------------------------------------

def describe_binding(w: PrefixWriter, binding: dict, ctx: Context) -> None:
    _header(w, binding)
    ref = binding.get("roleRef") or {}
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in binding.get("subjects") or []:
        w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace', '')}\n")


DESCRIBERS = {
    "ServiceAccount": describe_service_account,
    "Role": describe_role,
    "ClusterRole": describe_role,
    "RoleBinding": describe_binding,
    "ClusterRoleBinding": describe_binding,
}
