"""PodDisruptionBudget (policy/v1): the API server's validation rules a user hits
(pkg/apis/policy/validation ValidatePodDisruptionBudgetSpec).

    minAvailable and maxUnavailable   at most one (`spec: Invalid value: ...: minAvailable
                                      and maxUnavailable cannot be both set`); each an
                                      int >= 0 or a percent string of at most 100%
    selector                          a valid label selector (empty: every pod of the
                                      namespace; absent: none)
    unhealthyPodEvictionPolicy        IfHealthyBudget or AlwaysAllow

The spec is mutable on update since Kubernetes 1.15, so there are no update rules.
Stdlib only: the CLI's apply path validates in process.
"""
from __future__ import annotations

from minikctl.api.rules.common import as_dict, at, go_struct, invalid, not_supported
from minikctl.api.rules.names import validate_label_selector
# The int-or-percent checks are the Deployment strategy's (ValidatePositiveIntOrPercent,
# IsNotMoreThan100Percent): one implementation for both kinds, as in Kubernetes.
from minikctl.api.rules.workloads import _int_or_percent, _over_100_percent
from minikctl.errors import Cause

UNHEALTHY_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def validate_pod_disruption_budget(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        causes.append(invalid("spec", go_struct("policy.PodDisruptionBudgetSpec", spec),
                              "minAvailable and maxUnavailable cannot be both set"))
    for key in ("minAvailable", "maxUnavailable"):
        value = spec.get(key)
        if value is not None:
            causes += _int_or_percent(value, at("spec", key)) + _over_100_percent(value, at("spec", key))
    causes += validate_label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POLICIES:
        causes.append(not_supported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POLICIES))
    return causes
