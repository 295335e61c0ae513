"""The batch/v1 controllers: Jobs (validateJobSpec: counts, completion modes, pod failure
and replacement policies, the restart policy of the template, the selector the registry
generates from the Job's name and uid) and CronJobs (schedule, time zone, concurrency
policy, history limits, and the jobTemplate, whose selector is always generated).
"""
from __future__ import annotations

from minikctl.api.rules.common import (as_dict, as_int, as_str, as_text, at, go_label_selector, go_string_map,
                                       go_struct, invalid, key, nonnegative, not_supported, one_of, required,
                                       template_part)
from minikctl.api.rules.cron import schedule_errors, time_zone_errors
from minikctl.api.rules.names import dns1123_label_errors, validate_label_selector
from minikctl.api.rules.podspec import validate_pod_template
from minikctl.api.rules.workloads import label_selector, selector_matches_template
from minikctl.api.selectors import max_len_error
from minikctl.errors import Cause

JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
CONTROLLER_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")


def _job_spec(spec: dict, path: str) -> list[Cause]:
    """validateJobSpec: what a Job and a CronJob's jobTemplate have in common."""
    causes = []
    for f in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
              "backoffLimitPerIndex", "maxFailedIndexes"):
        causes += nonnegative(spec.get(f), at(path, f))
    mode = spec.get("completionMode")
    indexed = mode == "Indexed"
    causes += one_of(mode, at(path, "completionMode"), ("NonIndexed", "Indexed"))
    if indexed and spec.get("completions") is None:
        causes.append(required(at(path, "completions"), "when completion mode is Indexed"))
    if indexed and (as_int(spec.get("parallelism")) or 0) > 100000:
        causes.append(invalid(at(path, "parallelism"), spec["parallelism"],
                              "must be less than or equal to 100000 when completion mode is Indexed"))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        causes.append(required(at(path, "backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
    if not indexed:
        for f in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(f) is not None:
                causes.append(invalid(at(path, f), spec[f], "requires indexed completion mode"))
        if spec.get("successPolicy") is not None:
            causes.append(invalid(at(path, "successPolicy"), go_struct("batch.SuccessPolicy", spec["successPolicy"]),
                                  "requires indexed completion mode"))
    causes += _pod_replacement_policy(spec, path)
    causes += validate_pod_template(spec.get("template"), at(path, "template"))
    return causes + _job_restart_policy(spec, path)


def _pod_replacement_policy(spec: dict, path: str) -> list[Cause]:
    policy = spec.get("podReplacementPolicy")
    if not isinstance(policy, str):
        return []
    if policy not in ("Failed", "TerminatingOrFailed"):
        return [not_supported(at(path, "podReplacementPolicy"), policy, ("Failed", "TerminatingOrFailed"))]
    if spec.get("podFailurePolicy") is not None and policy != "Failed":
        return [not_supported(at(path, "podReplacementPolicy"), policy, ("Failed",))]
    return []


def _job_restart_policy(spec: dict, path: str) -> list[Cause]:
    p = at(path, "template", "spec", "restartPolicy")
    policy = template_part(spec, "spec").get("restartPolicy")
    if policy in (None, "", "Always"):
        return [required(p, 'valid values: "OnFailure", "Never"')]
    if isinstance(policy, str) and policy not in ("OnFailure", "Never"):
        return [not_supported(p, policy, ("OnFailure", "Never"))]
    if spec.get("podFailurePolicy") is not None and policy != "Never":
        return [invalid(p, policy, 'only "Never" is supported when podFailurePolicy is specified')]
    return []


def validate_job(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    md = as_dict(obj.get("metadata"))
    name, uid = as_str(md.get("name")), as_str(md.get("uid"))
    causes = _job_spec(spec, "spec")
    manual = spec.get("manualSelector") is True
    selector = spec.get("selector")
    if selector is not None:
        causes += validate_label_selector(selector, "spec.selector")
    if manual:
        if selector is None:
            causes.append(required("spec.selector"))
        causes += selector_matches_template(spec, "spec", label_selector(selector))
    else:
        causes += _generated_selector(spec, name, uid)
    completions = as_int(spec.get("completions"))
    if spec.get("completionMode") == "Indexed" and completions and completions > 0 and name:
        hostname = f"{name}-{completions - 1}"
        if dns1123_label_errors(hostname):
            causes.append(invalid("metadata.name", name, f"will not able to create pod with invalid DNS label: {hostname}"))
    return causes


def _generated_selector(spec: dict, name: str, uid: str) -> list[Cause]:
    """The registry generates the selector and template labels from the Job's uid and
    name (validateGeneratedSelector checks the result); what the user gave must agree."""
    causes = []
    labels = as_dict(template_part(spec, "metadata").get("labels"))
    for keys, wanted in ((JOB_NAME_LABELS, name), (CONTROLLER_UID_LABELS, uid)):
        for k in keys:
            if k in labels and as_text(labels[k]) != wanted:
                causes.append(invalid(key("spec.template.metadata.labels", k), go_string_map(labels), f"must be '{wanted}'"))
    if len(name) > 63 and not any(k in labels for k in JOB_NAME_LABELS):
        causes.append(invalid("spec.template.labels", name, max_len_error(63)))  # the generated job-name label
    selector = spec.get("selector")
    if selector is not None:
        expected = {**{k: name for k in JOB_NAME_LABELS}, **{k: uid for k in CONTROLLER_UID_LABELS}}
        sel = label_selector(selector)
        if sel is not None and not sel.matches(expected):
            causes.append(invalid("spec.selector", go_label_selector(selector), "`selector` not auto-generated"))
    return causes


def validate_cron_job(obj: dict, *, creating: bool = True, old_spec: dict | None = None) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = []
    schedule = spec.get("schedule")
    if isinstance(schedule, str) or schedule is None:
        schedule = schedule or ""
        if not schedule:
            causes.append(required("spec.schedule"))
        else:
            allow_tz = old_spec is not None and "TZ" in as_str(old_spec.get("schedule"))
            causes += schedule_errors(schedule, "spec.schedule", allow_tz, spec.get("timeZone"))
    causes += nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        causes += time_zone_errors(spec.get("timeZone"), "spec.timeZone")
    causes += one_of(spec.get("concurrencyPolicy"), "spec.concurrencyPolicy", ("Allow", "Forbid", "Replace"))
    causes += _job_template(as_dict(spec.get("jobTemplate")), "spec.jobTemplate")
    for f in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += nonnegative(spec.get(f), at("spec", f))
    name = as_str(as_dict(obj.get("metadata")).get("name"))
    if creating and len(name) > 52:
        # Job names are the CronJob's plus an 11-character "-<timestamp>" suffix.
        causes.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes


def _job_template(template: dict, path: str) -> list[Cause]:
    spec = as_dict(template.get("spec"))
    causes = _job_spec(spec, at(path, "spec"))
    if spec.get("selector") is not None:
        causes.append(invalid(at(path, "spec", "selector"), go_label_selector(spec["selector"]), "`selector` will be auto-generated"))
    if spec.get("manualSelector") is True:
        causes.append(not_supported(at(path, "spec", "manualSelector"), True, ("nil", "false")))
    return causes
