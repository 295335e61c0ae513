"""Patching objects: strategic merge patch, JSON merge patch (RFC 7386), JSON patch (RFC 6902).

Strategic merge patch follows k8s.io/apimachinery/pkg/util/strategicpatch, with the patch
metadata read from our JSON schemas (`x-kubernetes-patch-strategy`,
`x-kubernetes-patch-merge-key`) by walking the schema alongside the data, instead of from
Go struct tags:

- maps merge recursively; `null` deletes a key;
- a list whose field has strategy `merge` and a merge key merges item by item on that key;
  a `merge` list of primitives is a union; every other list is replaced whole;
- directives: `$patch: replace|delete` (in a map or a list item), `$retainKeys`,
  `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.

`apply_patch` is what the API server does with a PATCH; `create_three_way_patch` is what
`kubectl apply` sends (from last-applied, the new manifest and the live object);
`create_two_way_patch` is the plain diff of two documents.

Where Kubernetes behaves differently it is said at the spot; in short: an unknown field has
no patch metadata (Kubernetes errors), `$patch: merge` is accepted as the explicit default
(Kubernetes rejects it), values copied in whole by a patch are cleaned of directives and
nulls (newer apimachinery does the same), and an unchanged but unsorted primitive list gets
no `$setElementOrder` (apimachinery sends one, so `apply` would never say "unchanged").
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from minikctl.api import schemas as _schemas

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

_DROP = object()  # a value that `$patch: delete` removed


# --------------------------------------------------------------------------- public API


def apply_patch(original: dict, patch: dict, schema: dict | None) -> dict:
    """Apply a strategic merge patch to `original`; inputs are never mutated."""
    _require_map(original, "original")
    _require_map(patch, "patch")
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch), _Meta.of(schema), applying=True)


def create_three_way_patch(original: dict | None, modified: dict, current: dict, schema: dict | None) -> dict:
    """The patch `kubectl apply` sends: {} when nothing changes.

    original is the last-applied configuration (None on first apply), modified the new
    manifest, current the live object. The patch sets what modified says where current
    differs (fields only current has, such as server defaults, are left alone) and deletes
    what original had but modified dropped.
    """
    meta = _Meta.of(schema)
    modified = copy.deepcopy(modified)  # diffs only read; the patch shares parts of this copy
    # Why two diffs: changes come from current (the truth), deletions from original (what
    # we applied last time), so fields other writers own are never deleted.
    delta = _diff_maps(current, modified, meta, _DiffOptions(set_element_order=True, ignore_deletions=True))
    deletions = _diff_maps(original or {}, modified, meta, _DiffOptions(set_element_order=True, ignore_changes=True))
    return _merge_map(deletions, delta, meta, applying=False)


def create_two_way_patch(original: dict, modified: dict, schema: dict | None) -> dict:
    """A strategic merge patch that turns `original` into `modified`."""
    return _diff_maps(original, copy.deepcopy(modified), _Meta.of(schema), _DiffOptions(set_element_order=True))


def apply_merge_patch(original: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, `null` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    target = copy.deepcopy(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = apply_merge_patch(target.get(key), value)
    return target


def apply_json_patch(original: Any, ops: list) -> Any:
    """RFC 6902 JSON patch: all operations apply, or ValueError and nothing changes."""
    if not isinstance(ops, list):
        raise ValueError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(original)
    for number, op in enumerate(ops):
        doc = _json_patch_op(doc, op, number)
    return doc


# --------------------------------------------------------------------------- schema walking


class _Meta:
    """A position in the schema, walked alongside the data; node None means unknown."""

    __slots__ = ("root", "node")

    def __init__(self, root: dict | None, node: dict | None) -> None:
        self.root = root
        self.node = node

    @classmethod
    def of(cls, schema: dict | None) -> _Meta:
        return cls(schema, schema or None)

    def _resolved(self) -> dict:
        return _resolve(self.root, self.node) if self.node else {}

    def field(self, key: str) -> tuple[_Meta, tuple[str, ...], str]:
        """The schema of field `key` (or of a map's values) and its patch strategies and merge key."""
        node = self._resolved()
        child = (node.get("properties") or {}).get(key)
        if child is None and isinstance(node.get("additionalProperties"), dict):
            child = node["additionalProperties"]
        if not isinstance(child, dict):
            # Kubernetes errors on a field its schema lacks; we treat it as plain data
            # (validation reports unknown fields, patching should not).
            return _Meta(self.root, None), (), ""
        child = _resolve(self.root, child)  # keeps the x-kubernetes-* siblings of a $ref
        strategies = tuple(s for s in str(child.get("x-kubernetes-patch-strategy") or "").split(",") if s)
        return _Meta(self.root, child), strategies, str(child.get("x-kubernetes-patch-merge-key") or "")

    def items(self) -> _Meta:
        items = self._resolved().get("items")
        return _Meta(self.root, items if isinstance(items, dict) else None)


def _resolve(root: dict | None, node: dict) -> dict:
    try:
        return _schemas.resolve_ref(root or {}, node)
    except (KeyError, TypeError):
        return {}


def _split_strategies(strategies: tuple[str, ...]) -> tuple[bool, str]:
    """(retainKeys?, the other strategy) from e.g. ("merge", "retainKeys")."""
    if not strategies:
        return False, ""
    if len(strategies) == 1:
        return (True, "") if strategies[0] == "retainKeys" else (False, strategies[0])
    if len(strategies) == 2 and "retainKeys" in strategies:
        return True, strategies[1] if strategies[0] == "retainKeys" else strategies[0]
    raise ValueError(f"unexpected patch strategy: {list(strategies)}")


# --------------------------------------------------------------------------- value helpers


def _kind(value: Any) -> str:
    """The JSON type, as Go's decoder sees it (bool is not a number; 1 and 1.0 are alike)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _equal(a: Any, b: Any) -> bool:
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "map":
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if kind == "list":
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def _hkey(value: Any) -> tuple:
    """A hashable identity for a scalar (merge key values, primitive list items)."""
    if isinstance(value, (dict, list)):
        return (_kind(value), repr(value))
    return (_kind(value), value)


def _go_str(value: Any) -> str:
    """fmt.Sprintf("%v") of a decoded JSON value: Kubernetes sorts and compares with it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # apimachinery decodes integral JSON numbers as int64
    if isinstance(value, float):
        return _go_float(value)
    return value if isinstance(value, str) else repr(value)


def _go_float(f: float) -> str:
    """%v of a float64: shortest digits, exponent form when exp < -4 or >= 6 (strconv 'g', -1)."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    import decimal  # floats are rare in objects; keep the import off the CLI's path

    sign, digits, exp = decimal.Decimal(repr(f)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + exp - 1  # decimal exponent of the first digit
    prefix = "-" if sign else ""
    if point < -4 or point >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    return prefix + format(decimal.Decimal(f"{text}E{exp}"), "f")


def _sort_scalars(values: list) -> list:
    return sorted(values, key=_go_str)


def _dedupe(values: list) -> list:
    seen: set = set()
    out = []
    for v in values:
        if _hkey(v) not in seen:
            seen.add(_hkey(v))
            out.append(v)
    return out


def _element_kind(*lists: list) -> str:
    """The one kind of all items (sliceElementType); lists of lists and mixed kinds are errors."""
    kind = ""
    for items in lists:
        for item in items:
            if not kind:
                kind = _kind(item)
                if kind == "list":
                    raise ValueError("lists of lists are not supported")
            elif _kind(item) != kind:
                raise ValueError(f"list element types are not identical: {list(lists)}")
    if not kind:
        raise ValueError("no elements in any of the given slices")
    return kind


def _require_map(value: Any, what: str) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, not {_kind(value)}")


def _merge_key_value(item: Any, merge_key: str) -> Any:
    if not isinstance(item, dict):
        raise ValueError(f"expected a map in a list merged on {merge_key!r}, got {_kind(item)}: {item!r}")
    if merge_key not in item:
        raise ValueError(f"map: {item!r} does not contain declared merge key: {merge_key}")
    return item[merge_key]


def _directive_target(key: str, prefix: str) -> str:
    """`$setElementOrder/containers` -> `containers`."""
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        what = "primitive list" if prefix == DELETE_FROM_PRIMITIVE_LIST else "setElementOrder list"
        raise ValueError(f"invalid patch format of {what}: {key!r}")
    return rest


def _is_directive_key(key: str) -> bool:
    return key in (DIRECTIVE, RETAIN_KEYS) or key.startswith(
        (SET_ELEMENT_ORDER + "/", DELETE_FROM_PRIMITIVE_LIST + "/"))


def _clean(value: Any, *, in_list: bool = False) -> Any:
    """A value a patch copies in whole, without directives and nulls.

    Kubernetes drops the nulls (discardNullValuesFromPatch) and, in newer apimachinery,
    items carrying `$patch`; we also drop the other directives so none can leak into a
    stored object. A `$patch: replace` map keeps its fields; in a list it is only a marker.
    """
    if isinstance(value, dict):
        directive = value.get(DIRECTIVE)
        if directive == "delete" or (in_list and directive == "replace"):
            return _DROP
        out = {}
        for key, item in value.items():
            if item is None or _is_directive_key(key):
                continue
            cleaned = _clean(item)
            if cleaned is not _DROP:
                out[key] = cleaned
        return out
    if isinstance(value, list):
        return [c for c in (_clean(v, in_list=True) for v in value) if c is not _DROP]
    return value


# --------------------------------------------------------------------------- merging (apply)


def _merge_map(original: dict | None, patch: dict, meta: _Meta, applying: bool) -> dict:
    """Merge `patch` into `original` (mutating both, as apimachinery's mergeMap does).

    applying=True is the server applying a patch (parallel lists are consumed, unmatched
    nulls dropped); False combines the two halves of a three-way patch (directives kept).
    """
    if DIRECTIVE in patch:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            return _clean(patch) if applying else patch
        if directive == "delete":
            return {}
        if directive != "merge":
            raise ValueError(f"unknown patch type: {directive!r} in map: {patch!r}")
        # `$patch: merge` is the default spelled out; Kubernetes rejects it in a map.
    if original is None:
        original = {}
    _apply_retain_keys(original, patch, applying)
    _merge_ordered_lists(original, patch, meta, applying)
    for key, value in list(patch.items()):
        delete_list = False
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            if not applying:
                original[key] = value
                continue
            key, delete_list = _directive_target(key, DELETE_FROM_PRIMITIVE_LIST), True
        if value is None:
            original.pop(key, None)
            if applying:
                continue
        if key not in original or _kind(original[key]) != _kind(value):
            if not delete_list:
                _put(original, key, _clean(value) if applying else value)
            continue
        current = original[key]
        if not isinstance(current, (dict, list)):
            original[key] = value
            continue
        sub, strategies, merge_key = meta.field(key)
        _, strategy = _split_strategies(strategies)
        if isinstance(current, list):
            original[key] = _merge_list_field(current, value, sub.items(), strategy, merge_key, delete_list, applying)
        elif strategy == "replace":
            _put(original, key, _clean(value) if applying else value)
        else:
            original[key] = _merge_map(current, value, sub, applying)
    return original


def _put(target: dict, key: str, value: Any) -> None:
    if value is _DROP:
        target.pop(key, None)
    else:
        target[key] = value


def _apply_retain_keys(original: dict, patch: dict, applying: bool) -> None:
    """`$retainKeys: [a, b]`: clear every field of original not listed (retainKeys strategy)."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not applying:
        # Both halves of a three-way patch compute the same list; keep one.
        if RETAIN_KEYS in original and not _equal(original[RETAIN_KEYS], retain):
            raise ValueError(f"{original[RETAIN_KEYS]} and {retain} are not deep equal: "
                             "this may happen when calculating the 3-way diff patch")
        original.setdefault(RETAIN_KEYS, retain)
        return
    if not isinstance(retain, list):
        raise ValueError(f"invalid patch format of retainKeys: {retain!r}")
    keep = {k for k in retain if isinstance(k, str)}
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if key not in keep:
            raise ValueError(f"invalid patch format of retainKeys: field {key!r} is patched "
                             f"but missing from $retainKeys {retain}")
    for key in list(original):
        if key not in keep:
            del original[key]


def _merge_ordered_lists(original: dict, patch: dict, meta: _Meta, applying: bool) -> None:
    """Process every `$setElementOrder/<field>` with its list (mergePatchIntoOriginal).

    Order precedence: $setElementOrder, then the patch list, then the live list.
    """
    for key, order in list(patch.items()):
        if not key.startswith(SET_ELEMENT_ORDER):
            continue
        if not applying:
            if key in original and not _equal(original[key], order):
                raise ValueError(f"invalid patch format of setElementOrder list: {key!r} differs")
            original.setdefault(key, order)
        del patch[key]
        if not isinstance(order, list):
            raise ValueError(f"invalid patch format of setElementOrder list: {key!r} is not a list")
        field = _directive_target(key, SET_ELEMENT_ORDER)
        old, new = original.get(field), patch.get(field)
        for value in (old, new):
            if value is not None and not isinstance(value, list):
                raise ValueError(f"{field!r}: a $setElementOrder list needs a list, got {_kind(value)}")
        sub, strategies, merge_key = meta.field(field)
        _, strategy = _split_strategies(strategies)
        _check_order(new or [], order, merge_key)
        if old is None and new is None:
            continue  # Kubernetes returns here, leaving later directives unprocessed
        if new is None:
            merged = old
        elif old is None:
            merged = new
        else:
            merged = _merge_list_field(old, new, sub.items(), strategy, merge_key, False, applying)
        patch.pop(field, None)
        if not (old or new):
            original[field] = merged
            continue
        kind = _element_kind(old or [], new or [])
        in_order, server_only = _partition(merged, order, merge_key)
        original[field] = _normalize_element_order(in_order, server_only, order, old or [], merge_key, kind)


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    """The patch list must follow $setElementOrder's relative order (deletions aside)."""
    if not patch_list or not order:
        return
    items = patch_list
    if merge_key:
        items = [v for v in patch_list if not (isinstance(v, dict) and v.get(DIRECTIVE) == "delete")]
    pi = oi = 0
    while pi < len(items) and oi < len(order):
        if isinstance(items[pi], dict) and DIRECTIVE in items[pi]:
            pi += 1
            continue
        if merge_key:
            same = _hkey(_merge_key_value(items[pi], merge_key)) == _hkey(_merge_key_value(order[oi], merge_key))
        else:
            same = _hkey(items[pi]) == _hkey(order[oi])
        if same:
            pi += 1
        oi += 1
    if pi < len(items):
        raise ValueError(f"the order in patch list {patch_list} doesn't match $setElementOrder list {order}")


def _merge_list_field(original: list, patch: list, elem: _Meta, strategy: str, merge_key: str,
                      delete_list: bool, applying: bool) -> list:
    if strategy != "merge":
        return patch  # lists replace unless their field says merge
    return _merge_list(original, patch, elem, merge_key, delete_list, applying)


def _merge_list(original: list, patch: list, elem: _Meta, merge_key: str, delete_list: bool,
                applying: bool) -> list:
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    if kind != "map":
        if applying and delete_list:
            gone = {_hkey(v) for v in patch}
            return [v for v in original if _hkey(v) not in gone]
        merged = _dedupe(original + patch)
    else:
        if not merge_key:
            raise ValueError("cannot merge lists without merge key for type map")
        original, patch = _apply_list_directives(original, patch, merge_key)
        merged = _merge_by_key(original, patch, merge_key, elem, applying)
    in_patch, server_only = _partition(merged, patch, merge_key)
    return _normalize_element_order(in_patch, server_only, patch, original, merge_key, kind)


def _apply_list_directives(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Items with `$patch`: delete removes by key, replace makes the patch the whole list."""
    rest, replace_all = [], False
    for item in patch:
        directive = item.get(DIRECTIVE)
        if DIRECTIVE not in item:
            rest.append(item)
        elif directive == "delete":
            key = _hkey(_merge_key_value(item, merge_key))
            original = [o for o in original if not (isinstance(o, dict) and merge_key in o
                                                    and _hkey(o[merge_key]) == key)]
        elif directive == "replace":
            replace_all = True
        elif directive == "merge":
            # Kubernetes: "merging lists cannot yet be specified in the patch"; we take it
            # as the default it names.
            rest.append({k: v for k, v in item.items() if k != DIRECTIVE})
        else:
            raise ValueError(f"unknown patch type: {directive!r} in map: {item!r}")
    if replace_all:
        return rest, []
    return original, rest


def _merge_by_key(original: list, patch: list, merge_key: str, elem: _Meta, applying: bool) -> list:
    merged = list(original)
    for item in patch:
        key = _hkey(_merge_key_value(item, merge_key))
        for index, current in enumerate(merged):
            if not isinstance(current, dict):
                raise ValueError(f"value for key {index} is not a map.")
            if merge_key in current and _hkey(current[merge_key]) == key:
                merged[index] = _merge_map(current, item, elem, applying)
                break
        else:
            merged.append(_clean(item) if applying else item)
    return merged


def _partition(items: list, by: list, merge_key: str) -> tuple[list, list]:
    """(items present in `by`, the others), by merge key for maps, by value for primitives."""
    if merge_key:
        keys = {_hkey(_merge_key_value(b, merge_key)) for b in by}
        present = [_hkey(_merge_key_value(v, merge_key)) in keys for v in items]
    else:
        keys = {_hkey(b) for b in by}
        present = [_hkey(v) in keys for v in items]
    return ([v for v, p in zip(items, present) if p],
            [v for v, p in zip(items, present) if not p])


def _normalize_element_order(in_patch: list, server_only: list, patch_order: list, server_order: list,
                             merge_key: str, kind: str) -> list:
    """Sort patch items by the patch, server-only items by the live list, then interleave."""
    in_patch = _sort_by_order(in_patch, patch_order, merge_key, kind)
    server_only = _sort_by_order(server_only, server_order, merge_key, kind)
    return _merge_sorted(server_only, in_patch, server_order, merge_key, kind)


def _position_in(order: list, merge_key: str, kind: str) -> Callable[[Any], int]:
    """index(): where an item (by merge key for maps) first appears in `order`, or -1."""
    def value(item: Any) -> Any:
        if kind != "map":
            return item
        return item.get(merge_key) if isinstance(item, dict) else None

    first: dict = {}
    for i, item in enumerate(order):
        first.setdefault(_hkey(value(item)), i)
    return lambda item: first.get(_hkey(value(item)), -1)


def _sort_by_order(items: list, order: list, merge_key: str, kind: str) -> list:
    """normalizeSliceOrder: sort by position in `order`, `$patch: delete` items last."""
    deleted: list = []
    if kind == "map":
        for v in [*items, *order]:
            _merge_key_value(v, merge_key)
        deleted = [v for v in items if v.get(DIRECTIVE) == "delete"]
        items = [v for v in items if v.get(DIRECTIVE) != "delete"]
    pos = _position_in(order, merge_key, kind)
    ranks = [pos(v) for v in items]
    if all(r >= 0 for r in ranks):
        ordered = [items[i] for i in sorted(range(len(items)), key=ranks.__getitem__)]  # stable
    else:
        # Kubernetes' comparator says "less" for any pair with an item missing from the
        # order; replay Go's stable insertion sort so such items land where Go puts them.
        ordered = list(items)
        for i in range(1, len(ordered)):
            j = i
            while j > 0 and _go_less(pos(ordered[j]), pos(ordered[j - 1])):
                ordered[j], ordered[j - 1] = ordered[j - 1], ordered[j]
                j -= 1
    return ordered + deleted


def _go_less(a: int, b: int) -> bool:
    return a < b if a >= 0 and b >= 0 else True


def _merge_sorted(left: list, right: list, server_order: list, merge_key: str, kind: str) -> list:
    """mergeSortedSlice: interleave server-only items (left) into patch items (right)."""
    pos = _position_in(server_order, merge_key, kind)
    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li, ri = pos(left[i]), pos(right[j])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


# --------------------------------------------------------------------------- diffing


@dataclass(frozen=True)
class _DiffOptions:
    set_element_order: bool = False  # emit $setElementOrder parallel lists
    ignore_changes: bool = False  # IgnoreChangesAndAdditions: only deletions
    ignore_deletions: bool = False  # only changes and additions
    retain_keys: bool = False  # this map's field has the retainKeys strategy


def _diff_maps(original: dict, modified: dict, meta: _Meta, opts: _DiffOptions) -> dict:
    """The strategic merge patch from original to modified (apimachinery's diffMaps)."""
    patch: dict = {}
    retain: list = []
    for key, new in modified.items():
        if opts.retain_keys and new is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes:
                patch[key] = new
            continue
        old = original[key]
        if key == DIRECTIVE:
            if not isinstance(old, str) or not isinstance(new, str):
                raise ValueError(f"invalid value for special key: {DIRECTIVE}")
            if old != new:
                patch[key] = new
            continue
        if _kind(old) != _kind(new):
            if not opts.ignore_changes:
                patch[key] = new
            continue
        if isinstance(old, dict):
            _diff_map_field(key, old, new, patch, meta, opts)
        elif isinstance(old, list):
            _diff_list_field(key, old, new, patch, meta, opts)
        elif not opts.ignore_changes and not _equal(old, new):
            patch[key] = new
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    # $retainKeys only when something changes or original has fields to clear.
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[RETAIN_KEYS] = _sort_scalars(retain)
    return patch


def _diff_map_field(key: str, old: dict, new: dict, patch: dict, meta: _Meta, opts: _DiffOptions) -> None:
    sub, strategies, _ = meta.field(key)
    retain, strategy = _split_strategies(strategies)
    if strategy == "replace":
        if not opts.ignore_changes:
            patch[key] = new
        return
    value = _diff_maps(old, new, sub, replace(opts, retain_keys=retain))
    if value:
        patch[key] = value


def _diff_list_field(key: str, old: list, new: list, patch: dict, meta: _Meta, opts: _DiffOptions) -> None:
    sub, strategies, merge_key = meta.field(key)
    retain, strategy = _split_strategies(strategies)
    if strategy != "merge":
        if not opts.ignore_changes and not _equal(old, new):
            patch[key] = new
        return
    changes, deletions, order = _diff_lists(old, new, sub.items(), merge_key, replace(opts, retain_keys=retain))
    if changes:
        patch[key] = changes
    if deletions:
        patch[f"{DELETE_FROM_PRIMITIVE_LIST}/{key}"] = deletions
    if order:
        patch[f"{SET_ELEMENT_ORDER}/{key}"] = order


def _diff_lists(original: list, modified: list, elem: _Meta, merge_key: str,
                opts: _DiffOptions) -> tuple[list, list, list]:
    """(patch list, $deleteFromPrimitiveList list, $setElementOrder list) for a merge list."""
    if not original:
        if not modified or opts.ignore_changes:
            return [], [], []
        return modified, [], []
    kind = _element_kind(original, modified)
    if kind == "list":
        raise ValueError("lists of lists are not supported")
    order: list = []
    if kind == "map":
        changes, deletions = _diff_lists_of_maps(original, modified, elem, merge_key, opts)
        changes = _sort_by_order(changes, modified, merge_key, kind) + deletions
        same_order = len(original) == len(modified) and all(
            _hkey(_merge_key_value(o, merge_key)) == _hkey(_merge_key_value(m, merge_key))
            for o, m in zip(original, modified))
        if opts.set_element_order and (
                (not opts.ignore_changes and (changes or not same_order))
                or (not opts.ignore_deletions and changes)):
            order = [{merge_key: m[merge_key]} for m in modified]
        return changes, [], order
    additions, deletions = _diff_lists_of_scalars(original, modified, opts)
    additions = _sort_by_order(additions, modified, merge_key, kind)
    # apimachinery compares modified with original after sorting original in place, so an
    # unchanged but unsorted list (finalizers) gets a $setElementOrder and `apply` reports
    # "configured" forever; we compare the list as it is.
    if opts.set_element_order and ((not opts.ignore_deletions and deletions) or (
            not opts.ignore_changes and not _equal(original, modified))):
        order = list(modified)
    return additions, deletions, order


def _diff_lists_of_scalars(original: list, modified: list, opts: _DiffOptions) -> tuple[list, list]:
    """Walk both lists sorted by their string form: (additions, deletions)."""
    old, new = _sort_scalars(original), _sort_scalars(modified)
    additions, deletions = [], []
    i = j = 0
    while i < len(old) or j < len(new):
        a = _go_str(old[i]) if i < len(old) else None
        b = _go_str(new[j]) if j < len(new) else None
        if a is not None and b is not None and a == b:
            i, j = i + 1, j + 1
        elif a is None or (b is not None and a > b):
            if not opts.ignore_changes:
                additions.append(new[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                deletions.append(old[i])
            i += 1
    return additions, _dedupe(deletions)


def _diff_lists_of_maps(original: list, modified: list, elem: _Meta, merge_key: str,
                        opts: _DiffOptions) -> tuple[list, list]:
    """Match items by merge key: (patches for changed/added items, `$patch: delete` items)."""
    def by_key(items: list) -> list:
        return sorted(items, key=lambda v: _go_str(_merge_key_value(v, merge_key)))

    old, new = by_key(original), by_key(modified)
    changes, deletions = [], []
    i = j = 0
    while i < len(old) or j < len(new):
        a = _go_str(old[i][merge_key]) if i < len(old) else None
        b = _go_str(new[j][merge_key]) if j < len(new) else None
        if a is not None and b is not None and a == b:
            value = _diff_maps(old[i], new[j], elem, opts)
            if value:
                value[merge_key] = new[j][merge_key]
                changes.append(value)
            i, j = i + 1, j + 1
        elif a is None or (b is not None and a > b):
            if not opts.ignore_changes:
                changes.append(new[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                deletions.append({merge_key: old[i][merge_key], DIRECTIVE: "delete"})
            i += 1
    return changes, deletions


# --------------------------------------------------------------------------- JSON patch

_OPS = ("add", "remove", "replace", "move", "copy", "test")
_INDEX = re.compile(r"0|[1-9][0-9]*")


def _json_patch_op(doc: Any, op: Any, number: int) -> Any:
    if not isinstance(op, dict):
        raise ValueError(f"JSON patch operation {number} is not an object: {op!r}")
    name = op.get("op")
    if name not in _OPS:
        raise ValueError(f"JSON patch operation {number}: unknown op {name!r} (one of {', '.join(_OPS)})")
    if not isinstance(op.get("path"), str):
        raise ValueError(f'JSON patch operation {number} ({name}): missing "path"')
    path = op["path"]

    def fail(reason: str) -> ValueError:
        return ValueError(f"JSON patch operation {number} ({name} {path}): {reason}")

    def required(field: str) -> Any:
        if field not in op:
            raise fail(f'missing "{field}"')
        return op[field]

    try:
        if name == "add":
            return _pointer_add(doc, _pointer(path), copy.deepcopy(required("value")))
        if name == "remove":
            return _pointer_remove(doc, _pointer(path))
        if name == "replace":
            value = copy.deepcopy(required("value"))
            tokens = _pointer(path)
            _pointer_get(doc, tokens)  # the target must exist
            return _pointer_add(_pointer_remove(doc, tokens), tokens, value) if tokens else value
        if name == "test":
            expected, actual = required("value"), _pointer_get(doc, _pointer(path))
            if not _equal(actual, expected):  # JSON equality: 1 == 1.0, key order ignored
                raise fail(f"test failed: value is {actual!r}, not {expected!r}")
            return doc
        source = required("from")
        if not isinstance(source, str):
            raise fail('"from" must be a string')
        value = copy.deepcopy(_pointer_get(doc, _pointer(source)))
        if name == "copy":
            return _pointer_add(doc, _pointer(path), value)
        if path == source:
            return doc
        if path.startswith(source + "/"):
            raise fail(f"cannot move {source} into its own child")
        return _pointer_add(_pointer_remove(doc, _pointer(source)), _pointer(path), value)
    except _PointerError as exc:
        raise fail(str(exc)) from None


class _PointerError(Exception):
    pass


def _pointer(path: str) -> list[str]:
    """RFC 6901: "" is the whole document, "/a~1b/0" is ["a/b", "0"]."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise _PointerError(f'JSON pointer {path!r} must be empty or start with "/"')
    tokens = path[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise _PointerError(f"invalid escape in JSON pointer {path!r} (only ~0 and ~1)")
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _list_index(token: str, items: list, *, append: bool = False) -> int:
    if append and token == "-":
        return len(items)
    if not _INDEX.fullmatch(token):
        raise _PointerError(f"{token!r} is not a list index")
    index = int(token)
    if index > len(items) or (index == len(items) and not append):
        raise _PointerError(f"index {index} is out of range (list has {len(items)} items)")
    return index


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise _PointerError(f"no such key {token!r}")
        return node[token]
    if isinstance(node, list):
        return node[_list_index(token, node)]
    raise _PointerError(f"cannot descend into {_kind(node)} with {token!r}")


def _pointer_get(doc: Any, tokens: list[str]) -> Any:
    for token in tokens:
        doc = _step(doc, token)
    return doc


def _pointer_add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent, last = _pointer_get(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_list_index(last, parent, append=True), value)
    else:
        raise _PointerError(f"cannot add a member to {_kind(parent)}")
    return doc


def _pointer_remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise _PointerError("cannot remove the whole document")
    parent, last = _pointer_get(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _PointerError(f"no such key {last!r}")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_list_index(last, parent)]
    else:
        raise _PointerError(f"cannot remove a member of {_kind(parent)}")
    return doc
