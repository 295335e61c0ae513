"""describe for Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs.

Fields the API server defaults on create (strategy, history limits, backoff limit,
parallelism) print with their defaults when absent, so a minikctl object describes
like the same object on a real cluster.
"""
from __future__ import annotations

from minikctl.api.quantity import format_quantity
from minikctl.cli.printers import age
from minikctl.cli.printers.describe import (
    Context,
    PrefixWriter,
    annotations_multiline,
    conditions_table,
    describe_events,
    labels_multiline,
    meta,
    name_and_namespace,
    pod_status_counts,
    spec,
    status,
    write_controller,
)
from minikctl.cli.printers.describe_pod import describe_pod, describe_pod_template
from minikctl.cli.printers.values import format_label_selector, format_labels, go_sprint, selector_string

_HASH_LABEL = "pod-template-hash"


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def _head(w: PrefixWriter, obj: dict, *, created: bool = False) -> None:
    name_and_namespace(w, obj)
    if created:
        w.write(0, f"CreationTimestamp:\t{age.rfc1123z(meta(obj).get('creationTimestamp'))}\n")


def _labels_annotations(w: PrefixWriter, obj: dict) -> None:
    labels_multiline(w, "Labels", meta(obj).get("labels"))
    annotations_multiline(w, "Annotations", meta(obj).get("annotations"))


# --- Deployment ---------------------------------------------------------------------------------

def _without_hash(template: dict) -> dict:
    template = dict(template or {})
    md = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (md.get("labels") or {}).items() if k != _HASH_LABEL}
    md["labels"] = labels
    template["metadata"] = md
    return template


def _controlled_by(obj: dict, owner: dict) -> bool:
    for ref in meta(obj).get("ownerReferences") or []:
        if not ref.get("controller"):
            continue
        if meta(owner).get("uid"):
            return ref.get("uid") == meta(owner)["uid"]
        return ref.get("kind") == owner.get("kind") and ref.get("name") == meta(owner).get("name")
    return False


def deployment_replicasets(deployment: dict, replicasets: list[dict]) -> tuple[list[dict], dict | None]:
    """(old, new): the new one has the Deployment's pod template, ignoring the hash label."""
    owned = [rs for rs in replicasets if _controlled_by(rs, deployment)]
    owned.sort(key=lambda rs: meta(rs).get("creationTimestamp") or "")
    template = _without_hash(spec(deployment).get("template") or {})
    new = next((rs for rs in owned if _without_hash(spec(rs).get("template") or {}) == template), None)
    return [rs for rs in owned if rs is not new], new


def _replicasets_text(replicasets: list[dict]) -> str:
    texts = [f"{meta(rs).get('name', '')} ({_int(status(rs).get('replicas'))}/"
             f"{_int(spec(rs).get('replicas'), 1)} replicas created)" for rs in replicasets]
    return ", ".join(texts) or "<none>"


def _percent_or_int(value: object, default: str) -> str:
    return default if value is None else str(value)


def describe_deployment(w: PrefixWriter, d: dict, ctx: Context) -> None:
    ds, st = spec(d), status(d)
    _head(w, d, created=True)
    _labels_annotations(w, d)
    w.write(0, f"Selector:\t{selector_string(ds.get('selector'))}\n")
    w.write(0, f"Replicas:\t{_int(ds.get('replicas'), 1)} desired | {_int(st.get('updatedReplicas'))} updated | "
               f"{_int(st.get('replicas'))} total | {_int(st.get('availableReplicas'))} available | "
               f"{_int(st.get('unavailableReplicas'))} unavailable\n")
    strategy = ds.get("strategy") or {}
    kind = strategy.get("type") or "RollingUpdate"
    w.write(0, f"StrategyType:\t{kind}\n")
    w.write(0, f"MinReadySeconds:\t{_int(ds.get('minReadySeconds'))}\n")
    if kind == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        w.write(0, f"RollingUpdateStrategy:\t{_percent_or_int(rolling.get('maxUnavailable'), '25%')} max unavailable, "
                   f"{_percent_or_int(rolling.get('maxSurge'), '25%')} max surge\n")
    describe_pod_template(w, ds.get("template") or {})
    conditions_table(w, st.get("conditions") or [])
    if "replicasets" in ctx.related:
        old, new = deployment_replicasets(d, ctx.related.get("replicasets") or [])
        if old or new:
            w.write(0, f"OldReplicaSets:\t{_replicasets_text(old)}\n")
            w.write(0, f"NewReplicaSet:\t{_replicasets_text([new] if new else [])}\n")
    describe_events(w, ctx)


def describe_replicaset(w: PrefixWriter, rs: dict, ctx: Context) -> None:
    _head(w, rs)
    w.write(0, f"Selector:\t{format_label_selector(spec(rs).get('selector'))}\n")
    _labels_annotations(w, rs)
    write_controller(w, rs)
    w.write(0, f"Replicas:\t{_int(status(rs).get('replicas'))} current / {_int(spec(rs).get('replicas'), 1)} desired\n")
    w.write(0, f"Pods Status:\t{pod_status_counts(rs, ctx)}\n")
    describe_pod_template(w, spec(rs).get("template") or {})
    conditions_table(w, status(rs).get("conditions") or [])
    describe_events(w, ctx)


# --- StatefulSet and DaemonSet ----------------------------------------------------------------------

def _claim_templates(w: PrefixWriter, templates: list[dict]) -> None:
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for pvc in templates:
        pvc_spec = spec(pvc)
        annotations = meta(pvc).get("annotations") or {}
        storage_class = annotations.get("volume.beta.kubernetes.io/storage-class",
                                        pvc_spec.get("storageClassName") or "")
        w.write(1, f"Name:\t{meta(pvc).get('name', '')}\n")
        w.write(1, f"StorageClass:\t{storage_class}\n")
        labels_multiline(w, "Labels", meta(pvc).get("labels"), indent="  ")
        labels_multiline(w, "Annotations", annotations, indent="  ")
        capacity = ((pvc_spec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{format_quantity(capacity) if capacity is not None else '<default>'}\n")
        w.write(1, f"Access Modes:\t{go_sprint(pvc_spec.get('accessModes') or [])}\n")


def describe_statefulset(w: PrefixWriter, sts: dict, ctx: Context) -> None:
    ss = spec(sts)
    _head(w, sts, created=True)
    w.write(0, f"Selector:\t{selector_string(ss.get('selector'))}\n")
    _labels_annotations(w, sts)
    w.write(0, f"Replicas:\t{_int(ss.get('replicas'), 1)} desired | {_int(status(sts).get('replicas'))} total\n")
    strategy = ss.get("updateStrategy") or {}
    kind = strategy.get("type") or "RollingUpdate"
    w.write(0, f"Update Strategy:\t{kind}\n")
    if kind == "RollingUpdate":
        # the API server defaults rollingUpdate.partition to 0
        rolling = strategy.get("rollingUpdate") or {}
        w.write(1, f"Partition:\t{_int(rolling.get('partition'))}\n")
        if rolling.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{rolling['maxUnavailable']}\n")
    w.write(0, f"Pods Status:\t{pod_status_counts(sts, ctx)}\n")
    describe_pod_template(w, ss.get("template") or {})
    _claim_templates(w, ss.get("volumeClaimTemplates") or [])
    describe_events(w, ctx)


def describe_daemonset(w: PrefixWriter, ds: dict, ctx: Context) -> None:
    dspec, st = spec(ds), status(ds)
    _head(w, ds)
    w.write(0, f"Selector:\t{selector_string(dspec.get('selector'))}\n")
    node_selector = ((dspec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector)}\n")
    _labels_annotations(w, ds)
    for title, key in (("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
                       ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
                       ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
                       ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
                       ("Number of Nodes Misscheduled", "numberMisscheduled")):
        w.write(0, f"{title}: {_int(st.get(key))}\n")
    w.write(0, f"Pods Status:\t{pod_status_counts(ds, ctx)}\n")
    describe_pod_template(w, dspec.get("template") or {})
    describe_events(w, ctx)


# --- Job and CronJob --------------------------------------------------------------------------------

def _job_settings(w: PrefixWriter, js: dict) -> None:
    # Job defaulting: parallelism 1, completions 1 when neither is set, backoffLimit 6.
    both_unset = js.get("completions") is None and js.get("parallelism") is None
    w.write(0, f"Parallelism:\t{_int(js.get('parallelism'), 1)}\n")
    completions = 1 if both_unset else js.get("completions")
    w.write(0, f"Completions:\t{completions if completions is not None else '<unset>'}\n")
    w.write(0, f"Completion Mode:\t{js.get('completionMode') or 'NonIndexed'}\n")
    w.write(0, f"Suspend:\t{'true' if js.get('suspend') else 'false'}\n")
    w.write(0, f"Backoff Limit:\t{_int(js.get('backoffLimit'), 6)}\n")
    if js.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{js['ttlSecondsAfterFinished']}\n")


def describe_job(w: PrefixWriter, job: dict, ctx: Context) -> None:
    js, st = spec(job), status(job)
    _head(w, job)
    w.write(0, f"Selector:\t{selector_string(js.get('selector'))}\n")
    _labels_annotations(w, job)
    write_controller(w, job)
    _job_settings(w, js)
    if st.get("startTime"):
        w.write(0, f"Start Time:\t{age.rfc1123z(st['startTime'])}\n")
    if st.get("completionTime"):
        w.write(0, f"Completed At:\t{age.rfc1123z(st['completionTime'])}\n")
    if st.get("startTime") and st.get("completionTime"):
        w.write(0, f"Duration:\t{age.between(st['startTime'], st['completionTime'])}\n")
    if js.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{js['activeDeadlineSeconds']}s\n")
    active, succeeded, failed = _int(st.get("active")), _int(st.get("succeeded")), _int(st.get("failed"))
    ready = f" ({st['ready']} Ready)" if isinstance(st.get("ready"), int) else ""
    w.write(0, f"Pods Statuses:\t{active} Active{ready} / {succeeded} Succeeded / {failed} Failed\n")
    if js.get("completionMode") == "Indexed":
        indexes = st.get("completedIndexes") or ""
        if len(indexes) > 50:
            cut = indexes.find(",", 50)
            indexes = indexes if cut < 0 else indexes[:cut + 1] + "..."
        w.write(0, f"Completed Indexes:\t{indexes or '<none>'}\n")
    describe_pod_template(w, js.get("template") or {})
    describe_events(w, ctx)


def _unset(value: object, suffix: str = "") -> str:
    return "<unset>" if value is None else f"{value}{suffix}"


def describe_cronjob(w: PrefixWriter, cj: dict, ctx: Context) -> None:
    cs, st = spec(cj), status(cj)
    _head(w, cj)
    _labels_annotations(w, cj)
    w.write(0, f"Schedule:\t{cs.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{cs.get('concurrencyPolicy') or 'Allow'}\n")
    w.write(0, f"Suspend:\t{'True' if cs.get('suspend') else 'False'}\n")
    w.write(0, f"Successful Job History Limit:\t{_int(cs.get('successfulJobsHistoryLimit'), 3)}\n")
    w.write(0, f"Failed Job History Limit:\t{_int(cs.get('failedJobsHistoryLimit'), 1)}\n")
    w.write(0, f"Starting Deadline Seconds:\t{_unset(cs.get('startingDeadlineSeconds'), 's')}\n")
    job_spec = (cs.get("jobTemplate") or {}).get("spec") or {}
    selector = job_spec.get("selector")
    w.write(0, f"Selector:\t{selector_string(selector) if selector is not None else '<unset>'}\n")
    w.write(0, f"Parallelism:\t{_unset(job_spec.get('parallelism'))}\n")
    w.write(0, f"Completions:\t{_unset(job_spec.get('completions'))}\n")
    if job_spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{job_spec['activeDeadlineSeconds']}s\n")
    describe_pod_template(w, job_spec.get("template") or {})
    last = st.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{age.rfc1123z(last) if last else '<unset>'}\n")
    w.write(0, "Active Jobs:\t")
    w.line(", ".join(ref.get("name", "") for ref in st.get("active") or []) or "<none>")
    describe_events(w, ctx)


DESCRIBERS = {
    "Pod": describe_pod,
    "Deployment": describe_deployment,
    "ReplicaSet": describe_replicaset,
    "StatefulSet": describe_statefulset,
    "DaemonSet": describe_daemonset,
    "Job": describe_job,
    "CronJob": describe_cronjob,
}
