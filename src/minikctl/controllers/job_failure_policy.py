"""spec.podFailurePolicy (pkg/controller/job/pod_failure_policy.go): for each failed pod,
the first rule that matches decides what its failure means.

- FailJob: the Job fails at once (reason PodFailurePolicy);
- Ignore: the failure is not counted against backoffLimit (the pod is replaced);
- Count: counted, as without a policy (also when no rule matches);
- FailIndex: the pod's index fails for good (with backoffLimitPerIndex; see
  job_indexed), and the failure counts.

A rule matches on a non-zero exit code of a terminated container (onExitCodes, In or
NotIn, optionally one container) or on a pod condition (onPodConditions).
"""
from __future__ import annotations

from dataclasses import dataclass

FAIL_JOB, IGNORE, COUNT, FAIL_INDEX = "FailJob", "Ignore", "Count", "FailIndex"
REASON = "PodFailurePolicy"


@dataclass(frozen=True)
class Verdict:
    action: str
    message: str = ""

    @property
    def counts(self) -> bool:
        return self.action != IGNORE


COUNTED = Verdict(COUNT)


def judge(spec: dict, pod: dict) -> Verdict:
    """matchPodFailurePolicy for one failed pod."""
    policy = spec.get("podFailurePolicy") or {}
    md = pod.get("metadata") or {}
    where = f"{md.get('namespace', '')}/{md.get('name', '')}"
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action") or COUNT
        on_codes = rule.get("onExitCodes")
        if on_codes:
            container = _matching_container(pod, on_codes)
            if container is not None:
                code = container["state"]["terminated"].get("exitCode")
                return Verdict(action, f"Container {container.get('name')} for pod {where} failed with exit code "
                                       f"{code} matching {action} rule at index {index}")
        for pattern in rule.get("onPodConditions") or []:
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if cond.get("type") == pattern.get("type") and cond.get("status") == (pattern.get("status") or "True"):
                    return Verdict(action, f"Pod {where} has condition {cond.get('type')} matching {action} "
                                           f"rule at index {index}")
    return COUNTED


def _matching_container(pod: dict, requirement: dict) -> dict | None:
    status = pod.get("status") or {}
    name = requirement.get("containerName")
    values = set(requirement.get("values") or [])
    operator = requirement.get("operator")
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        terminated = (cs.get("state") or {}).get("terminated")
        if not terminated or (name and cs.get("name") != name):
            continue
        code = terminated.get("exitCode")
        if code in (0, None):
            continue
        if (operator == "In" and code in values) or (operator == "NotIn" and code not in values):
            return cs
    return None
