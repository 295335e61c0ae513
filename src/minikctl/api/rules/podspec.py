"""Pod specs and pod templates (ValidatePodSpec, ValidatePodTemplateSpec): the spec-level
fields around the containers and volumes (restart and DNS policies, security context,
affinity, topology spread, tolerations, host aliases, names of other objects, overhead),
the Pod kind itself, and what controllers with long-running pods add to their templates.
"""
from __future__ import annotations

from typing import Any

from minikctl.api import selectors
from minikctl.api.rules.common import (MAX_INT32, as_dict, as_int, as_list, as_str, at, dict_items, enum, forbidden,
                                       go_string_slice, go_struct, idx, int_in_range, invalid, not_supported, one_of,
                                       required, template_part)
from minikctl.api.rules.containers import validate_containers, validate_host_ports, validate_init_containers
from minikctl.api.rules.metadata import pod_specific_annotations, validate_template_metadata
from minikctl.api.rules.names import (ip_errors, name_is_label, name_is_subdomain, requirement_errors,
                                      validate_label_selector, validate_labels)
from minikctl.api.rules.resources import validate_resources
from minikctl.api.rules.volumes import validate_volumes
from minikctl.api.selectors import qualified_name_errors, subdomain_errors
from minikctl.errors import Cause

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def validate_pod_spec(spec: Any, path: str, *, is_pod: bool) -> list[Cause]:
    """ValidatePodSpec (for a Pod, or a template when is_pod is False)."""
    if not isinstance(spec, dict):
        return []
    grace = as_int(spec.get("terminationGracePeriodSeconds"))
    volumes, causes = validate_volumes(spec.get("volumes"), at(path, "volumes"))
    causes += validate_containers(spec, path, volumes, grace, is_pod)
    causes += validate_init_containers(spec, path, volumes, grace, is_pod)
    causes += validate_host_ports(spec, path)
    causes += enum(spec.get("restartPolicy"), at(path, "restartPolicy"), RESTART_POLICIES)
    causes += enum(spec.get("dnsPolicy"), at(path, "dnsPolicy"), DNS_POLICIES)
    causes += validate_labels(spec.get("nodeSelector"), at(path, "nodeSelector"))
    causes += _pod_security_context(spec.get("securityContext"), at(path, "securityContext"))
    causes += _image_pull_secrets(spec.get("imagePullSecrets"), at(path, "imagePullSecrets"))
    causes += _affinity(spec.get("affinity"), at(path, "affinity"))
    causes += _dns_config(spec, path)
    causes += _topology_spread(spec.get("topologySpreadConstraints"), at(path, "topologySpreadConstraints"))
    causes += _pod_names(spec, path)
    causes += int_in_range(spec.get("activeDeadlineSeconds"), at(path, "activeDeadlineSeconds"), 1, MAX_INT32)
    causes += validate_tolerations(spec.get("tolerations"), at(path, "tolerations"))
    causes += _host_aliases(spec.get("hostAliases"), at(path, "hostAliases"))
    preemption = spec.get("preemptionPolicy")
    if isinstance(preemption, str):
        causes += enum(preemption, at(path, "preemptionPolicy"), ("PreemptLowerPriority", "Never"), allow_empty=False)
    if isinstance(spec.get("overhead"), dict):
        causes += validate_resources({"limits": spec["overhead"]}, at(path, "overhead"))
    return causes


def _pod_security_context(sc: Any, path: str) -> list[Cause]:
    sc = as_dict(sc)
    causes = []
    for f in ("runAsUser", "runAsGroup", "fsGroup"):
        causes += int_in_range(sc.get(f), at(path, f), 0, MAX_INT32)
    for i, gid in enumerate(as_list(sc.get("supplementalGroups"))):
        causes += int_in_range(gid, idx(at(path, "supplementalGroups"), i), 0, MAX_INT32)
    return causes + one_of(sc.get("fsGroupChangePolicy"), at(path, "fsGroupChangePolicy"), ("Always", "OnRootMismatch"))


def _image_pull_secrets(secrets: Any, path: str) -> list[Cause]:
    return [invalid(idx(path, i), go_struct("core.LocalObjectReference", s), "only name may be set")
            for i, s in dict_items(secrets) if set(s) - {"name"}]


# --- Affinity and topology spread -----------------------------------------------------------

def _node_selector_term(term: dict, path: str) -> list[Cause]:
    causes = []
    for i, req in dict_items(term.get("matchExpressions")):
        causes += requirement_errors(req, idx(at(path, "matchExpressions"), i), numeric=True)
    for i, req in dict_items(term.get("matchFields")):
        p = idx(at(path, "matchFields"), i)
        if as_str(req.get("key")) != "metadata.name":
            causes.append(invalid(at(p, "key"), as_str(req.get("key")), "not a valid field selector key"))
    return causes


def _affinity(affinity: Any, path: str) -> list[Cause]:
    affinity = as_dict(affinity)
    causes = []
    node = as_dict(affinity.get("nodeAffinity"))
    required_terms = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required_terms, dict):
        p = at(path, "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
        terms = as_list(required_terms.get("nodeSelectorTerms"))
        if not terms:
            causes.append(required(at(p, "nodeSelectorTerms"), "must have at least one node selector term"))
        for i, term in dict_items(terms):
            causes += _node_selector_term(term, idx(at(p, "nodeSelectorTerms"), i))
    for i, pref in dict_items(node.get("preferredDuringSchedulingIgnoredDuringExecution")):
        p = idx(at(path, "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"), i)
        causes += _weight(pref.get("weight"), at(p, "weight"))
        causes += _node_selector_term(as_dict(pref.get("preference")), at(p, "preference"))
    for which in ("podAffinity", "podAntiAffinity"):
        pod = as_dict(affinity.get(which))
        for i, term in dict_items(pod.get("requiredDuringSchedulingIgnoredDuringExecution")):
            causes += _pod_affinity_term(term, idx(at(path, which, "requiredDuringSchedulingIgnoredDuringExecution"), i))
        for i, weighted in dict_items(pod.get("preferredDuringSchedulingIgnoredDuringExecution")):
            p = idx(at(path, which, "preferredDuringSchedulingIgnoredDuringExecution"), i)
            causes += _weight(weighted.get("weight"), at(p, "weight"))
            causes += _pod_affinity_term(as_dict(weighted.get("podAffinityTerm")), at(p, "podAffinityTerm"))
    return causes


def _weight(weight: Any, path: str) -> list[Cause]:
    w = as_int(weight)
    return [invalid(path, w, "must be in the range 1-100")] if w is not None and not 1 <= w <= 100 else []


def _topology_key(item: dict, path: str) -> list[Cause]:
    topology = as_str(item.get("topologyKey"))
    if not topology:
        return [required(at(path, "topologyKey"), "can not be empty")]
    return [invalid(at(path, "topologyKey"), topology, m) for m in qualified_name_errors(topology)]


def _pod_affinity_term(term: dict, path: str) -> list[Cause]:
    causes = validate_label_selector(term.get("labelSelector"), at(path, "labelSelector"))
    causes += validate_label_selector(term.get("namespaceSelector"), at(path, "namespaceSelector"))
    for i, ns in enumerate(as_list(term.get("namespaces"))):
        if isinstance(ns, str):
            causes += [invalid(idx(at(path, "namespaces"), i), ns, m) for m in name_is_label(ns)]
    return causes + _topology_key(term, path)


def _topology_spread(constraints: Any, path: str) -> list[Cause]:
    causes = []
    for i, c in dict_items(constraints):
        p = idx(path, i)
        skew = as_int(c.get("maxSkew"))
        if skew is not None and skew <= 0:
            causes.append(invalid(at(p, "maxSkew"), skew, "must be greater than zero"))
        causes += _topology_key(c, p)
        causes += one_of(c.get("whenUnsatisfiable"), at(p, "whenUnsatisfiable"), ("DoNotSchedule", "ScheduleAnyway"))
        min_domains = as_int(c.get("minDomains"))
        if min_domains is not None and min_domains <= 0:
            causes.append(invalid(at(p, "minDomains"), min_domains, "must be greater than 0"))
        causes += validate_label_selector(c.get("labelSelector"), at(p, "labelSelector"))
    return causes


# --- DNS, names, tolerations, host aliases --------------------------------------------------

def _dns_config(spec: dict, path: str) -> list[Cause]:
    config = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if not isinstance(config, dict):
            return [required(at(path, "dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(config.get("nameservers")):
            return [required(at(path, "dnsConfig", "nameservers"),
                             "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    causes = []
    nameservers = as_list(as_dict(config).get("nameservers"))
    if len(nameservers) > 3:
        causes.append(invalid(at(path, "dnsConfig", "nameservers"), go_string_slice(nameservers), "must not have more than 3 nameservers"))
    for i, ns in enumerate(nameservers):
        if isinstance(ns, str):
            causes += ip_errors(idx(at(path, "dnsConfig", "nameservers"), i), ns)
    for i, option in dict_items(as_dict(config).get("options")):
        if not as_str(option.get("name")):
            causes.append(required(idx(at(path, "dnsConfig", "options"), i), "must not be empty"))
    return causes


def _pod_names(spec: dict, path: str) -> list[Cause]:
    causes = []
    for f, fn in (("serviceAccountName", name_is_subdomain), ("nodeName", name_is_subdomain),
                  ("priorityClassName", name_is_subdomain), ("runtimeClassName", name_is_subdomain),
                  ("hostname", name_is_label), ("subdomain", name_is_label)):
        value = as_str(spec.get(f))
        if value:
            causes += [invalid(at(path, f), value, m) for m in fn(value)]
    return causes


def validate_tolerations(tolerations: Any, path: str) -> list[Cause]:
    causes = []
    for i, t in dict_items(tolerations):
        p = idx(path, i)
        k, op, value, effect = (as_str(t.get(f)) for f in ("key", "operator", "value", "effect"))
        if k:
            causes += [invalid(at(p, "key"), k, m) for m in qualified_name_errors(k)]
        if not k and op != "Exists":
            causes.append(invalid(at(p, "operator"), op, "operator must be Exists when `key` is empty, which means "
                                                         "\"match all values and all keys\""))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            causes.append(invalid(at(p, "effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            errs = selectors.label_value_errors(value)
            if errs:
                causes.append(invalid(at(p, "operator"), value, ";".join(errs)))
        elif op == "Exists":
            if value:
                causes.append(invalid(at(p, "operator"), value, "value must be empty when `operator` is 'Exists'"))
        else:
            causes.append(not_supported(at(p, "operator"), op, TOLERATION_OPERATORS))
        causes += enum(effect, at(p, "effect"), TAINT_EFFECTS)
    return causes


def _host_aliases(aliases: Any, path: str) -> list[Cause]:
    causes = []
    for i, alias in dict_items(aliases):
        p = idx(path, i)
        causes += ip_errors(at(p, "ip"), as_str(alias.get("ip")))
        for j, host in enumerate(as_list(alias.get("hostnames"))):
            if isinstance(host, str):
                causes += [invalid(idx(at(p, "hostnames"), j), host, m) for m in subdomain_errors(host)]
    return causes


# --- Pods and pod templates -------------------------------------------------------------------

def validate_pod(obj: dict) -> list[Cause]:
    md = as_dict(obj.get("metadata"))
    causes = pod_specific_annotations(md.get("annotations"), "metadata.annotations")
    return causes + validate_pod_spec(obj.get("spec"), "spec", is_pod=True)


def validate_pod_template(template: Any, path: str) -> list[Cause]:
    """ValidatePodTemplateSpec. Note the paths: `template.labels`, not `template.metadata.labels`."""
    template = as_dict(template)
    causes = validate_template_metadata(template, path)
    causes += validate_pod_spec(template.get("spec"), at(path, "spec"), is_pod=False)
    if as_list(as_dict(template.get("spec")).get("ephemeralContainers")):
        causes.append(forbidden(at(path, "spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
    return causes


def restart_always_template(spec: dict, path: str, owner: str) -> list[Cause]:
    """The rules every controller with long-running pods adds to its template."""
    tspec = template_part(spec, "spec")
    causes = one_of(tspec.get("restartPolicy"), at(path, "template", "spec", "restartPolicy"), ("Always",))
    if tspec.get("activeDeadlineSeconds") is not None:
        causes.append(forbidden(at(path, "template", "spec", "activeDeadlineSeconds"),
                                f"activeDeadlineSeconds in {owner} is not Supported"))
    return causes
