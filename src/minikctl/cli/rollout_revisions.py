"""The rollout history of a DaemonSet or StatefulSet, read from its ControllerRevisions,
and rolling it back (kubectl's polymorphichelpers/history.go and rollback.go).

Each revision holds the strategic merge patch that restores the object's pod template
(`{"spec": {"template": {..., "$patch": "replace"}}}`) and a copy of the object's
annotations (so its `kubernetes.io/change-cause`). Undo applies that patch: the
template is replaced by the revision's, and the controller rolls the pods over, reusing
(and renumbering) the old revision.
"""
from __future__ import annotations

import copy
from typing import Any

from minikctl import errors

CHANGE_CAUSE = "kubernetes.io/change-cause"
REVISION_KINDS = ("DaemonSet", "StatefulSet")


def controlled_revisions(client: Any, obj: dict) -> list[dict]:
    """The ControllerRevisions the object's selector finds and that it controls."""
    from minikctl.api import kinds, selectors

    md = obj["metadata"]
    try:
        selector = selectors.from_label_selector((obj.get("spec") or {}).get("selector")).to_string()
    except ValueError as exc:
        raise errors.MinikctlError(f"failed to parse selector of {obj.get('kind', '').lower()} {md['name']}: {exc}") \
            from None
    items, _ = client.list(kinds.by_kind("ControllerRevision"), md.get("namespace"), label_selector=selector or None)
    uid = md.get("uid")
    return [r for r in items if any(ref.get("controller") and ref.get("uid") == uid
                                    for ref in r["metadata"].get("ownerReferences") or [])]


def by_revision(client: Any, obj: dict) -> dict[int, dict]:
    """revision number -> ControllerRevision (a later one wins a duplicated number)."""
    return {int(r.get("revision") or 0): r for r in controlled_revisions(client, obj)}


def template_of(revision: dict) -> dict:
    template = copy.deepcopy((((revision.get("data") or {}).get("spec") or {}).get("template")) or {})
    template.pop("$patch", None)
    return template


def applied(obj: dict, revision: dict) -> dict:
    """applyDaemonSetHistory / applyStatefulSetHistory: the object at that revision."""
    out = copy.deepcopy(obj)
    out.setdefault("spec", {})["template"] = template_of(revision)
    return out


def applied_by_revision(client: Any, obj: dict) -> dict[int, dict]:
    """GetHistory: revision -> the object as it was at that revision (for -o)."""
    return {number: applied(obj, r) for number, r in by_revision(client, obj).items()}


def view_history(client: Any, obj: dict, revision: int) -> str:
    """printHistory: the REVISION / CHANGE-CAUSE table, or one revision's pod template."""
    from minikctl.cli.printers import tabwriter
    from minikctl.cli.rollout_history import print_template

    history = by_revision(client, obj)
    if not history:
        return "No rollout history found."
    if revision > 0:
        if revision not in history:
            raise errors.MinikctlError("unable to find the specified revision")
        return print_template(template_of(history[revision]))
    lines = ["REVISION\tCHANGE-CAUSE"]
    for number in sorted(history):
        cause = ((history[number].get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
        lines.append(f"{number}\t{cause}")
    return tabwriter.format_text("\n".join(lines) + "\n", minwidth=0, padding=2)


def _not_found(to_revision: int) -> errors.MinikctlError:
    return errors.MinikctlError(f"unable to find specified revision {to_revision} in history")


def find_target(client: Any, obj: dict, to_revision: int) -> dict:
    """findHistory: the revision numbered to_revision, or the one before the latest."""
    if to_revision < 0:
        raise _not_found(to_revision)
    history = by_revision(client, obj)
    if to_revision == 0:
        if len(history) <= 1:
            raise errors.MinikctlError("no last revision to roll back to")
        return history[sorted(history)[-2]]
    if to_revision not in history:
        raise _not_found(to_revision)
    return history[to_revision]


def rollback(client: Any, kind: Any, obj: dict, to_revision: int, dry_run: str) -> str:
    """Rollback: the operation kubectl prints after the object's name."""
    from minikctl.cli.rollout_history import print_template

    md = obj["metadata"]
    target = find_target(client, obj, to_revision)
    wanted = template_of(target)
    if dry_run == "client":
        return print_template(wanted)
    if _same(wanted, (obj.get("spec") or {}).get("template") or {}):
        return f"skipped rollback (current template already matches revision {to_revision})"

    def restore(current: dict) -> None:
        current.setdefault("spec", {})["template"] = copy.deepcopy(wanted)

    try:
        client.modify(kind, md.get("namespace", ""), md["name"], restore, dry_run=dry_run == "server")
    except errors.StatusError as exc:
        raise errors.MinikctlError(f"failed restoring revision {to_revision}: {exc.message}") from None
    return "rolled back"


def _same(a: dict, b: dict) -> bool:
    """daemonSetMatch / statefulSetMatch compare the patches; nil and empty alike."""
    def pruned(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: pruned(v) for k, v in value.items()}
            return {k: v for k, v in out.items() if v not in (None, [], {})}
        if isinstance(value, list):
            return [pruned(v) for v in value]
        return value

    return bool(pruned(a) == pruned(b))
