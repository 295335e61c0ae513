"""Server-side apply: PATCH with application/apply-patch+yaml (`kubectl apply --server-side`).

The body is the manager's whole intent for the object. The server:
- creates the object when it does not exist (201), else merges the intent into it (200);
- removes fields this manager applied before and no longer applies, unless another
  manager owns them too;
- refuses (409, one cause per field) to change a field another manager owns to a
  different value, unless `force=true`, which takes the field over;
- records the manager's fields as an `Apply` entry in metadata.managedFields.

Merging uses the strategic-merge rules of the kind's schema (lists with merge keys merge
by key, others are replaced), which is what Kubernetes' structured merge does for the
built-in kinds.
"""
from __future__ import annotations

import copy

from minikctl import errors
from minikctl.api import schemas, strategicpatch
from minikctl.api.kinds import Kind
from minikctl.server import fields, managed, resources
from minikctl.server.exchange import Exchange
from minikctl.server.managed import Path
from minikctl.server.routes import Target

_RETRIES = 10


class ApplyConflict(errors.StatusError):
    code = 409
    reason = "Conflict"

    def __init__(self, conflicts: list[tuple[dict, Path]]) -> None:
        self.conflicts = conflicts
        super().__init__(conflict_message(conflicts))

    def to_status(self) -> dict:
        status = super().to_status()
        status["details"] = {"causes": [
            {"reason": "FieldManagerConflict", "message": f"conflict with {describe_manager(e)}",
             "field": path_string(p)} for e, p in self.conflicts]}
        return status


def serve(ex: Exchange, t: Target, applied: object) -> None:
    manager = ex.query.get("fieldManager")
    if not manager:
        raise errors.BadRequest("PATCH, application/apply-patch+yaml requires a fieldManager: the manager "
                                "that owns the applied fields")
    if not isinstance(applied, dict):
        raise errors.BadRequest("the applied configuration must be an object")
    resources.check_type(applied, t.kind)
    md = applied.setdefault("metadata", {})
    if md.get("name") != t.name:
        raise errors.BadRequest(f"the name of the object ({md.get('name') or ''}) does not match the name on "
                                f"the URL ({t.name})")
    if t.namespace and md.get("namespace") not in (None, "", t.namespace):
        raise errors.BadRequest("the namespace of the provided object does not match the namespace sent on "
                                "the request")
    applied = fields.enforce(t.kind, applied, resources.field_mode(ex), ex.warn)
    code, obj = apply(ex, t, applied, manager, force=ex.flag("force"), dry_run=ex.dry_run())
    ex.send_json(code, obj)


def apply(ex: Exchange, t: Target, applied: dict, manager: str, *, force: bool, dry_run: bool) -> tuple[int, dict]:
    ns, name = t.namespace or "", t.name or ""
    asked_rv = applied["metadata"].pop("resourceVersion", None)
    for _ in range(_RETRIES):
        try:
            current = ex.api.get(t.kind, ns, name)
        except errors.NotFound:
            if asked_rv:
                raise
            return 201, _create(ex, t, applied, manager, dry_run)
        live_rv = current["metadata"].get("resourceVersion")
        if asked_rv and asked_rv != live_rv:
            raise errors.Conflict(t.kind.plural, name, t.kind.group)
        merged = merge(t.kind, current, applied, manager, force=force)
        merged["metadata"]["resourceVersion"] = live_rv
        managed.keep_times_of_a_no_op(current, merged)
        try:
            if t.subresource == "status":
                return 200, ex.api.update_status(merged, namespace=t.namespace, dry_run=dry_run)
            return 200, ex.api.update(merged, namespace=t.namespace, dry_run=dry_run)
        except errors.Conflict:
            if asked_rv:
                raise
    raise errors.Conflict(t.kind.plural, name, t.kind.group)


def _create(ex: Exchange, t: Target, applied: dict, manager: str, dry_run: bool) -> dict:
    obj = copy.deepcopy(applied)
    entry = managed.entry(manager, "Apply", t.kind.api_version, managed.field_set(t.kind, applied))
    obj["metadata"]["managedFields"] = [entry]
    created = ex.api.create(obj, namespace=t.namespace, dry_run=dry_run)
    if dry_run or created["metadata"].get("managedFields"):
        return created
    # The api layer drops managedFields on create; record the Apply entry right after,
    # or the next apply could not tell which fields this manager owns.
    created["metadata"]["managedFields"] = [entry]
    return ex.api.update(created, namespace=t.namespace)


def merge(kind: Kind, current: dict, applied: dict, manager: str, *, force: bool) -> dict:
    """The object after `manager` applies `applied` to `current`, managedFields included;
    ApplyConflict when another manager owns a field applied with a different value."""
    new_set = managed.field_set(kind, applied)
    mine: set[Path] = set()
    others: list[tuple[dict, set[Path]]] = []
    for e in managed.entries(current):
        if e.get("manager") == manager and e.get("operation") == "Apply" and not e.get("subresource"):
            mine = managed.owned(e)
        else:
            others.append((e, managed.owned(e)))
    conflicts = _conflicts(current, applied, new_set, others)
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    taken = {p for _, p in conflicts}
    others = [(e, paths - taken) for e, paths in others]
    body = {k: v for k, v in applied.items() if k not in ("apiVersion", "kind")}
    body["metadata"] = {k: v for k, v in applied.get("metadata", {}).items() if k not in ("managedFields",)}
    merged = strategicpatch.apply_patch(current, body, schemas.load(kind))
    kept_by_others = set().union(*(paths for _, paths in others)) if others else set()
    _remove(merged, mine - new_set, kept_by_others)
    entries = [{**e, "fieldsV1": managed.to_fields_v1(paths)} for e, paths in others if paths]
    entries.append(managed.entry(manager, "Apply", kind.api_version, new_set))
    merged["metadata"]["managedFields"] = _in_original_order(entries, managed.entries(current))
    return merged


def _leaves(paths: set[Path]) -> set[Path]:
    prefixes = {p[:i] for p in paths for i in range(1, len(p))}
    return paths - prefixes


def _conflicts(current: dict, applied: dict, new_set: set[Path],
               others: list[tuple[dict, set[Path]]]) -> list[tuple[dict, Path]]:
    out: list[tuple[dict, Path]] = []
    leaves = _leaves(new_set)
    for e, paths in others:
        for p in sorted(leaves & paths):
            if managed.value_at(current, p) != managed.value_at(applied, p):
                out.append((e, p))
    return out


def _remove(obj: dict, paths: set[Path], kept: set[Path]) -> None:
    """Delete the fields at `paths`, sparing any with a part someone keeps. Shallowest first:
    a list item goes whole (its key fields with it), its other paths then find nothing."""
    for path in sorted(paths, key=len):
        if any(k[:len(path)] == path for k in kept):
            continue
        present, _ = managed.value_at(obj, path)
        if not present:
            continue
        parent_present, parent = managed.value_at(obj, path[:-1])
        if not parent_present:
            continue
        prefix, _, rest = path[-1].partition(":")
        if prefix == "f" and isinstance(parent, dict):
            parent.pop(rest, None)
        elif prefix in ("k", "v") and isinstance(parent, list):
            _, item = managed.value_at(parent, (path[-1],))
            parent[:] = [i for i in parent if i is not item]
            if not parent:  # a list nobody has items in is no longer set at all
                _, holder = managed.value_at(obj, path[:-2])
                if isinstance(holder, dict) and path[-2].startswith("f:"):
                    holder.pop(path[-2][2:], None)


def _in_original_order(entries: list[dict], before: list[dict]) -> list[dict]:
    def key(e: dict) -> tuple:
        return e.get("manager"), e.get("operation"), e.get("subresource", "")

    rank = {key(e): i for i, e in enumerate(before)}
    return sorted(entries, key=lambda e: rank.get(key(e), len(before)))


# -- messages -------------------------------------------------------------------------------------


def describe_manager(e: dict) -> str:
    text = f'"{e.get("manager", "")}"'
    if e.get("subresource"):
        text += f' with subresource "{e["subresource"]}"'
    if e.get("operation") == "Update":
        text += f" using {e.get('apiVersion', '')}"
        if e.get("time"):
            text += f" at {e['time']}"
    return text


def conflict_message(conflicts: list[tuple[dict, Path]]) -> str:
    if len(conflicts) == 1:
        e, p = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {describe_manager(e)}: {path_string(p)}"
    by_manager: dict[str, list[Path]] = {}
    for e, p in conflicts:
        by_manager.setdefault(describe_manager(e), []).append(p)
    lines: list[str] = []
    for who in sorted(by_manager):
        lines.append(f"conflicts with {who}:")
        lines.extend(f"- {path_string(p)}" for p in by_manager[who])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def path_string(path: Path) -> str:
    """`.spec.template.spec.containers[name="nginx"].image`, as structured-merge-diff prints paths."""
    import json

    out = ""
    for element in path:
        prefix, _, rest = element.partition(":")
        if prefix == "f":
            out += f".{rest}"
        elif prefix == "k":
            keys = json.loads(rest)
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(keys.items())) + "]"
        elif prefix == "v":
            out += f"[={rest}]"
    return out
