"""metadata.managedFields: who set which field, in Kubernetes' FieldsV1 format.

Every write records its field manager (the `fieldManager` query parameter, else the
first word of the User-Agent, as kube-apiserver does: `kubectl scale` sends none and is
recorded as `kubectl`). Non-apply writes are `Update` entries owning the fields they
changed; server-side apply (apply.py) keeps `Apply` entries and reads them to find
conflicts and the fields a manager stopped applying.

A field set is held as a set of paths; each path is a tuple of FieldsV1 elements:
`f:<field>`, `k:<json of the merge keys>` (an item of a keyed list), `v:<json value>` (an
item of a set). FieldsV1 is the trie of those paths, "." marking a member that also
has children.
"""
from __future__ import annotations

import json
from typing import Any

from minikctl.api import meta, schemas
from minikctl.api.kinds import Kind

Path = tuple[str, ...]
# Metadata the server owns: never part of anyone's field set.
_SERVER_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName"}


def manager_name(ex) -> str:  # type: ignore[no-untyped-def]
    manager = ex.query.get("fieldManager")
    if manager:
        return manager
    agent = (ex.headers.get("User-Agent") or "unknown").split("/", 1)[0].split(" ", 1)[0]
    return agent or "unknown"


# -- field sets of objects ----------------------------------------------------------------


def field_set(kind: Kind, obj: dict) -> set[Path]:
    """Every field obj sets, as paths (leaves and keyed/set list items)."""
    root = schemas.load(kind)
    out: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _SERVER_META}
            if not value:
                continue
        sub = (root.get("properties") or {}).get(key)
        _collect(root, sub, value, (f"f:{key}",), out)
    return out


def _collect(root: dict, node: dict | None, value: Any, path: Path, out: set[Path]) -> None:
    node = schemas.resolve_ref(root, node) if isinstance(node, dict) else {}
    if isinstance(value, dict) and value and node.get("x-kubernetes-map-type") != "atomic":
        props = node.get("properties")
        extra = node.get("additionalProperties")
        if not isinstance(props, dict):
            out.add(path)  # a map is itself a member: FieldsV1 writes "."
        for key, sub_value in value.items():
            sub = (props or {}).get(key) if isinstance(props, dict) else None
            if sub is None and isinstance(extra, dict):
                sub = extra
            _collect(root, sub, sub_value, path + (f"f:{key}",), out)
        return
    if isinstance(value, list) and value and node.get("x-kubernetes-list-type") in ("map", "set"):
        items = node.get("items") if isinstance(node.get("items"), dict) else None
        keys = node.get("x-kubernetes-list-map-keys") or []
        for item in value:
            if node["x-kubernetes-list-type"] == "set" or not isinstance(item, dict):
                out.add(path + (f"v:{_json(item)}",))
                continue
            item_path = path + (f"k:{_json({k: item.get(k) for k in keys if k in item})}",)
            out.add(item_path)
            _collect_item(root, items, item, item_path, out)
        return
    out.add(path)


def _collect_item(root: dict, node: dict | None, item: dict, path: Path, out: set[Path]) -> None:
    node = schemas.resolve_ref(root, node) if isinstance(node, dict) else {}
    props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    for key, sub_value in item.items():
        _collect(root, props.get(key), sub_value, path + (f"f:{key}",), out)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    """(present, value) of the field a path names."""
    node = obj
    for element in path:
        prefix, _, rest = element.partition(":")
        if prefix == "f" and isinstance(node, dict) and rest in node:
            node = node[rest]
        elif prefix == "k" and isinstance(node, list):
            want = json.loads(rest)
            found = [i for i in node if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())]
            if not found:
                return False, None
            node = found[0]
        elif prefix == "v" and isinstance(node, list):
            want = json.loads(rest)
            if want not in node:
                return False, None
            node = want
        else:
            return False, None
    return True, node


def changed_paths(kind: Kind, old: dict, new: dict) -> set[Path]:
    """Paths of `new` whose value differs from `old` (added fields included)."""
    return {p for p in field_set(kind, new) if value_at(old, p) != value_at(new, p)}


# -- FieldsV1 -------------------------------------------------------------------------------


def to_fields_v1(paths: set[Path]) -> dict:
    trie: dict = {}
    for path in sorted(paths):
        node = trie
        for element in path:
            node = node.setdefault(element, {})
        node.setdefault(".", {})
    return _strip_leaf_dots(trie)


def _strip_leaf_dots(node: dict) -> dict:
    out: dict = {}
    for key, child in node.items():
        if key == ".":
            continue
        sub = _strip_leaf_dots(child)
        if "." in child and sub:
            sub = {".": {}, **sub}
        out[key] = sub
    return out


def from_fields_v1(trie: dict, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for key, child in (trie or {}).items():
        if key == ".":
            continue
        path = prefix + (key,)
        if not child or "." in child:
            out.add(path)
        out |= from_fields_v1(child, path)
    return out


# -- managedFields entries ---------------------------------------------------------------------


def entries(obj: dict) -> list[dict]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def owned(entry: dict) -> set[Path]:
    return from_fields_v1(entry.get("fieldsV1") or {})


def entry(manager: str, operation: str, api_version: str, paths: set[Path], subresource: str = "") -> dict:
    out = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": meta.now_rfc3339(),
           "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        out["subresource"] = subresource
    return out


def record_update(kind: Kind, old: dict | None, new: dict, manager: str, subresource: str = "") -> list[dict]:
    """managedFields after an Update by `manager` turning old (None: a create) into new:
    the manager gains the fields it changed, other managers lose them."""
    changed = field_set(kind, new) if old is None else changed_paths(kind, old, new)
    removed = set() if old is None else {p for p in field_set(kind, old) if not value_at(new, p)[0]}
    result: list[dict] = []
    mine: set[Path] = set()
    for e in entries(old or {}):
        paths = owned(e) - changed - removed
        same = (e.get("manager"), e.get("operation"), e.get("subresource", "")) == (manager, "Update", subresource)
        if same:
            mine = paths
            continue
        if paths:
            result.append({**e, "fieldsV1": to_fields_v1(paths)})
    mine |= changed
    if mine:
        result.append(entry(manager, "Update", kind.api_version, mine, subresource))
    return result


def prepare_create(kind: Kind, obj: dict, manager: str) -> None:
    obj.setdefault("metadata", {})["managedFields"] = record_update(kind, None, obj, manager)


def prepare_update(kind: Kind, current: dict, obj: dict, manager: str, subresource: str = "") -> None:
    """Set obj's managedFields for a write replacing `current`, unless the client replaced
    them itself (kubectl does, migrating client-side apply to server-side apply)."""
    md = obj.setdefault("metadata", {})
    theirs = md.get("managedFields")
    if theirs is not None and theirs != entries(current):
        return
    md["managedFields"] = record_update(kind, current, obj, manager, subresource) or None
    if md["managedFields"] is None:
        md.pop("managedFields")
    keep_times_of_a_no_op(current, obj)


def keep_times_of_a_no_op(current: dict, new: dict) -> None:
    """kube-apiserver's IgnoreManagedFieldsTimestampsTransformer: a write that changes
    nothing but managedFields' timestamps keeps the old ones, so it stays a no-op (no new
    resourceVersion, no watch event) instead of recording "now" again."""
    def rest(obj: dict) -> dict:
        md = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("managedFields", "resourceVersion")}
        return {**obj, "metadata": md}

    def untimed(e: dict) -> dict:
        return {k: v for k, v in e.items() if k != "time"}

    if rest(current) != rest(new):
        return
    before = {json.dumps(untimed(e), sort_keys=True): e.get("time") for e in entries(current)}
    for e in entries(new):
        then = before.get(json.dumps(untimed(e), sort_keys=True))
        if then is not None:
            e["time"] = then
