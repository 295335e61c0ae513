"""A Deployment's rollout history, read from its ReplicaSets, and rolling it back
(polymorphichelpers/history.go and rollback.go).

Each ReplicaSet the Deployment controls carries the revision it was created for
(`deployment.kubernetes.io/revision`) and, optionally, why (`kubernetes.io/change-cause`).
Undo copies a ReplicaSet's pod template (without its `pod-template-hash` label) back
into the Deployment, with the ReplicaSet's annotations, and the Deployment controller
does the rest. DaemonSets and StatefulSets keep their history in ControllerRevisions
(cli/rollout_revisions.py).
"""
from __future__ import annotations

import copy
from typing import Any

from minikctl import errors
from minikctl.cli.rollout_status import REVISION_ANNOTATION, group_kind

CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
# Annotations a rollback keeps from the Deployment rather than take from the ReplicaSet.
KEEP_ON_ROLLBACK = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration", REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to",
})
HISTORY_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


def check_kind(kind: Any, what: str) -> None:
    """Deployments, DaemonSets and StatefulSets have a history (and can be rolled back)."""
    if kind.kind not in HISTORY_KINDS:
        raise errors.MinikctlError(f'no {what} has been implemented for "{group_kind(kind)}"')


def _revisions(obj: dict) -> Any:
    """DaemonSets and StatefulSets keep their history in ControllerRevisions."""
    if obj.get("kind") in ("DaemonSet", "StatefulSet"):
        from minikctl.cli import rollout_revisions

        return rollout_revisions
    return None


def replicasets(client: Any, deployment: dict) -> list[dict]:
    """deploymentutil.GetAllReplicaSets: the ReplicaSets the Deployment controls."""
    from minikctl.api import kinds, selectors
    from minikctl.cli.printers.describe_workloads import deployment_replicasets

    md = deployment["metadata"]
    try:
        selector = selectors.from_label_selector((deployment.get("spec") or {}).get("selector")).to_string()
    except ValueError as exc:
        raise errors.MinikctlError(f"failed to retrieve replica sets from deployment {md['name']}: {exc}") from None
    items, _ = client.list(kinds.by_kind("ReplicaSet"), md.get("namespace"), label_selector=selector or None)
    old, new = deployment_replicasets(deployment, items)
    return old + ([new] if new is not None else [])


def _revision(rs: dict) -> int | None:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def by_revision(client: Any, deployment: dict) -> dict[int, dict]:
    """revision -> ReplicaSet (a later ReplicaSet wins a duplicated revision, as in kubectl's map);
    for a DaemonSet or StatefulSet, revision -> the object as it was at that revision."""
    if (other := _revisions(deployment)) is not None:
        return other.applied_by_revision(client, deployment)  # type: ignore[no-any-return]
    out: dict[int, dict] = {}
    for rs in replicasets(client, deployment):
        rev = _revision(rs)
        if rev is not None:
            out[rev] = rs
    return out


def _history_template(rs: dict) -> dict:
    """The RS's pod template, with the RS's change-cause shown among its annotations."""
    template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
    cause = ((rs.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE)
    if cause:
        template.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
    return template


def view_history(client: Any, deployment: dict, revision: int) -> str:
    """What `rollout history` prints after the object's name (ViewHistory)."""
    from minikctl.cli.printers import tabwriter

    if (other := _revisions(deployment)) is not None:
        return other.view_history(client, deployment, revision)  # type: ignore[no-any-return]
    history = by_revision(client, deployment)
    if not history:
        return "No rollout history found."
    if revision > 0:
        if revision not in history:
            raise errors.MinikctlError("unable to find the specified revision")
        return print_template(_history_template(history[revision]))
    lines = ["REVISION\tCHANGE-CAUSE"]
    for rev in sorted(history):
        cause = ((history[rev].get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
        lines.append(f"{rev}\t{cause}")
    return tabwriter.format_text("\n".join(lines) + "\n", minwidth=0, padding=2)


def print_template(template: dict) -> str:
    """describe.DescribePodTemplate through a plain PrefixWriter: tabs left as they are."""
    from minikctl.cli.printers.describe import PrefixWriter
    from minikctl.cli.printers.describe_pod import describe_pod_template

    class Plain(PrefixWriter):
        def flush(self) -> None:
            if self._pending:
                self._done.append("".join(self._pending))
                self._pending = []

    w = Plain()
    describe_pod_template(w, template)
    return w.getvalue()


def _without_hash(template: dict) -> dict:
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return template


def rollback_target(client: Any, deployment: dict, to_revision: int) -> dict:
    """deploymentRevision: the ReplicaSet of `to_revision`, or of the one before the latest."""
    if to_revision < 0:
        raise errors.MinikctlError(f"unable to find specified revision {to_revision} in history")
    history = by_revision(client, deployment)
    if to_revision > 0:
        if to_revision not in history:
            raise errors.MinikctlError(f"unable to find specified revision {to_revision} in history")
        return history[to_revision]
    revisions = sorted(history)
    if len(revisions) < 2:
        raise errors.MinikctlError(f'no rollout history found for deployment "{deployment["metadata"]["name"]}"')
    return history[revisions[-2]]


def rollback(client: Any, kind: Any, deployment: dict, to_revision: int, dry_run: str) -> str:
    """Roll the Deployment back; the operation kubectl prints after its name."""
    if (other := _revisions(deployment)) is not None:
        return other.rollback(client, kind, deployment, to_revision, dry_run)  # type: ignore[no-any-return]
    md = deployment["metadata"]
    rs = rollback_target(client, deployment, to_revision)
    if dry_run == "client":
        return print_template((rs.get("spec") or {}).get("template") or {})
    if (deployment.get("spec") or {}).get("paused"):
        raise errors.MinikctlError("you cannot rollback a paused deployment; resume it first with "
                                   "'minikctl rollout resume' and try again")
    wanted = _without_hash((rs.get("spec") or {}).get("template") or {})
    if wanted == _without_hash((deployment.get("spec") or {}).get("template") or {}):
        return f"skipped rollback (current template already matches revision {to_revision})"
    annotations = {k: v for k, v in (md.get("annotations") or {}).items() if k in KEEP_ON_ROLLBACK}
    annotations.update({k: v for k, v in ((rs.get("metadata") or {}).get("annotations") or {}).items()
                        if k not in KEEP_ON_ROLLBACK})

    def restore(obj: dict) -> None:
        obj.setdefault("spec", {})["template"] = copy.deepcopy(wanted)
        obj["metadata"]["annotations"] = dict(annotations)
        if not annotations:
            obj["metadata"].pop("annotations")

    try:
        client.modify(kind, md.get("namespace", ""), md["name"], restore, dry_run=dry_run == "server")
    except errors.StatusError as exc:
        raise errors.MinikctlError(f"failed restoring revision {to_revision}: {exc.message}") from None
    return "rolled back"
