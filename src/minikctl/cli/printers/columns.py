"""The columns `kubectl get` prints for each kind, declared as data.

Each kind has a tuple of `Column(header, priority, fn)`; priority-1 columns show only
with `-o wide`. `fn(obj, ctx)` returns the cell text. The cell logic follows kubectl
1.32's server-side printers (pkg/printers/internalversion/printers.go), including the
Pod STATUS rules. Objects that no controller has touched yet (no `status`) print the
way a freshly created object prints on a real cluster: `0/1`, `<none>`, `0s`.
Kinds without their own columns get kubectl's default NAME and AGE.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from minikctl.cli.printers import age, pod_status
from minikctl.cli.printers.values import NONE, format_label_selector, format_labels, selector_string


class Context:
    """What cells need besides the object: the clock, `-o wide`, and a one-row memo."""

    __slots__ = ("now", "wide", "memo_key", "memo")

    def __init__(self, now: datetime, wide: bool = False) -> None:
        self.now, self.wide = now, wide
        self.memo_key: Any = None
        self.memo: Any = None


class Column:
    """One column: its header, its priority (1 = only with -o wide) and its cell function."""

    __slots__ = ("header", "priority", "fn", "is_name")

    def __init__(self, header: str, priority: int, fn: Callable[[dict, Context], str],
                 is_name: bool = False) -> None:
        self.header, self.priority, self.fn = header, priority, fn
        # The column kubectl prefixes with `kind.group/` when several kinds are printed.
        self.is_name = is_name

    def __repr__(self) -> str:
        return f"Column({self.header!r}, {self.priority})"


def meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def status(obj: dict) -> dict:
    return obj.get("status") or {}


def name(obj: dict, ctx: Context) -> str:
    return meta(obj).get("name", "")


def created(obj: dict, ctx: Context) -> str:
    return age.since(meta(obj).get("creationTimestamp"), ctx.now)


NAME = Column("Name", 0, name, is_name=True)
AGE = Column("Age", 0, created)
DEFAULT: tuple[Column, ...] = (NAME, AGE)


def as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def _replicas(obj: dict) -> int:
    # The API server defaults spec.replicas to 1.
    return as_int(spec(obj).get("replicas"), 1)


def _containers(template: dict) -> tuple[str, str]:
    containers = (template.get("spec") or {}).get("containers") or []
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


def _template(obj: dict) -> dict:
    return spec(obj).get("template") or {}


def _template_names(obj: dict, ctx: Context) -> str:
    return _containers(_template(obj))[0]


def _template_images(obj: dict, ctx: Context) -> str:
    return _containers(_template(obj))[1]


def _selector(obj: dict, ctx: Context) -> str:
    return format_label_selector(spec(obj).get("selector"))


CONTAINERS = Column("Containers", 1, _template_names)
IMAGES = Column("Images", 1, _template_images)
SELECTOR = Column("Selector", 1, _selector)


# --- Pod ------------------------------------------------------------------------------

def pod_summary(pod: dict, ctx: Context) -> pod_status.PodSummary:
    # READY, STATUS and RESTARTS come from one pass over the pod; compute it once per row.
    if ctx.memo_key is not pod:
        ctx.memo_key, ctx.memo = pod, pod_status.summarize(pod, ctx.now)
    return ctx.memo


def _pod_ip(pod: dict, ctx: Context) -> str:
    st = status(pod)
    ips = st.get("podIPs") or []
    # The kubelet fills podIP and podIPs together; accept either.
    ip = (ips[0].get("ip") if ips else "") or st.get("podIP") or ""
    return ip or NONE


def _readiness_gates(pod: dict, ctx: Context) -> str:
    gates = spec(pod).get("readinessGates") or []
    if not gates:
        return NONE
    conditions = {c.get("type"): c.get("status") for c in status(pod).get("conditions") or []}
    true = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
    return f"{true}/{len(gates)}"


POD = (
    NAME,
    Column("Ready", 0, lambda o, c: pod_summary(o, c).ready),
    Column("Status", 0, lambda o, c: pod_summary(o, c).status),
    Column("Restarts", 0, lambda o, c: pod_summary(o, c).restarts),
    AGE,
    Column("IP", 1, _pod_ip),
    Column("Node", 1, lambda o, c: spec(o).get("nodeName") or NONE),
    Column("Nominated Node", 1, lambda o, c: status(o).get("nominatedNodeName") or NONE),
    Column("Readiness Gates", 1, _readiness_gates),
)


# --- Workloads ------------------------------------------------------------------------

def _status_int(key: str) -> Callable[[dict, Context], str]:
    return lambda obj, ctx: str(as_int(status(obj).get(key)))


DEPLOYMENT = (
    NAME,
    Column("Ready", 0, lambda o, c: f"{as_int(status(o).get('readyReplicas'))}/{_replicas(o)}"),
    Column("Up-to-date", 0, _status_int("updatedReplicas")),
    Column("Available", 0, _status_int("availableReplicas")),
    AGE,
    CONTAINERS,
    IMAGES,
    # Deployments print the bare selector string, without `<none>` for an empty one.
    Column("Selector", 1, lambda o, c: selector_string(spec(o).get("selector"))),
)

REPLICASET = (
    NAME,
    Column("Desired", 0, lambda o, c: str(_replicas(o))),
    Column("Current", 0, _status_int("replicas")),
    Column("Ready", 0, _status_int("readyReplicas")),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
)

DAEMONSET = (
    NAME,
    Column("Desired", 0, _status_int("desiredNumberScheduled")),
    Column("Current", 0, _status_int("currentNumberScheduled")),
    Column("Ready", 0, _status_int("numberReady")),
    Column("Up-to-date", 0, _status_int("updatedNumberScheduled")),
    Column("Available", 0, _status_int("numberAvailable")),
    Column("Node Selector", 0, lambda o, c: format_labels((_template(o).get("spec") or {}).get("nodeSelector"))),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
)

STATEFULSET = (
    NAME,
    Column("Ready", 0, lambda o, c: f"{as_int(status(o).get('readyReplicas'))}/{_replicas(o)}"),
    AGE,
    CONTAINERS,
    IMAGES,
)


def _job_completions(job: dict, ctx: Context) -> str:
    sp, succeeded = spec(job), as_int(status(job).get("succeeded"))
    completions = sp.get("completions")
    if isinstance(completions, int):
        return f"{succeeded}/{completions}"
    # Without completions (a work queue), kubectl shows how many pods run in parallel.
    parallelism = as_int(sp.get("parallelism"))
    if parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _job_duration(job: dict, ctx: Context) -> str:
    st = status(job)
    start = age.parse_time(st.get("startTime"))
    if start is None:
        return ""
    end = age.parse_time(st.get("completionTime")) or ctx.now
    return age.human_duration((end - start).total_seconds())


def _job_status(job: dict, ctx: Context) -> str:
    conditions = status(job).get("conditions") or []

    def has(kind: str) -> bool:
        # kubectl looks at the first condition of a type only.
        for c in conditions:
            if c.get("type") == kind:
                return c.get("status") == "True"
        return False

    if has("Complete"):
        return "Complete"
    if has("Failed"):
        return "Failed"
    if meta(job).get("deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if has(kind):
            return kind
    return "Running"


JOB = (
    NAME,
    Column("Status", 0, _job_status),
    Column("Completions", 0, _job_completions),
    Column("Duration", 0, _job_duration),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
)


def _job_template(cj: dict) -> dict:
    return ((spec(cj).get("jobTemplate") or {}).get("spec") or {})


def _cronjob_last(cj: dict, ctx: Context) -> str:
    last = status(cj).get("lastScheduleTime")
    return age.since(last, ctx.now) if last else NONE


CRONJOB = (
    NAME,
    Column("Schedule", 0, lambda o, c: spec(o).get("schedule", "")),
    Column("Timezone", 0, lambda o, c: spec(o).get("timeZone") or NONE),
    # spec.suspend defaults to false on a real API server.
    Column("Suspend", 0, lambda o, c: "True" if spec(o).get("suspend") else "False"),
    Column("Active", 0, lambda o, c: str(len(status(o).get("active") or []))),
    Column("Last Schedule", 0, _cronjob_last),
    AGE,
    Column("Containers", 1, lambda o, c: _containers(_job_template(o).get("template") or {})[0]),
    Column("Images", 1, lambda o, c: _containers(_job_template(o).get("template") or {})[1]),
    Column("Selector", 1, lambda o, c: format_label_selector(_job_template(o).get("selector"))),
)


def _revision_controller(revision: dict, ctx: Context) -> str:
    """`daemonset.apps/agent`: the controller's kind.group/name, lower-cased as kubectl does."""
    ref = next((r for r in meta(revision).get("ownerReferences") or [] if r.get("controller")), None)
    if ref is None:
        return NONE
    group = (ref.get("apiVersion") or "").rpartition("/")[0]
    kind = f"{ref.get('kind', '')}.{group}" if group else ref.get("kind", "")
    return f"{kind.lower()}/{ref.get('name', '')}"


CONTROLLERREVISION = (
    NAME,
    Column("Controller", 0, _revision_controller),
    Column("Revision", 0, lambda o, c: str(as_int(o.get("revision")))),
    AGE,
)

_WORKLOADS: dict[str, tuple[Column, ...]] = {
    "Pod": POD,
    "Deployment": DEPLOYMENT,
    "ReplicaSet": REPLICASET,
    "DaemonSet": DAEMONSET,
    "StatefulSet": STATEFULSET,
    "ControllerRevision": CONTROLLERREVISION,
    "Job": JOB,
    "CronJob": CRONJOB,
}
_REGISTRY: dict[str, tuple[Column, ...]] = {}


def for_kind(kind: str) -> tuple[Column, ...]:
    """The columns of a kind; NAME and AGE for kinds kubectl has no printer for."""
    if not _REGISTRY:
        from minikctl.cli.printers import columns_core  # it builds on the definitions above

        _REGISTRY.update(_WORKLOADS)
        _REGISTRY.update(columns_core.BY_KIND)
    return _REGISTRY.get(kind, DEFAULT)
