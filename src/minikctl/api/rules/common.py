"""What every rule module uses: causes worded as apimachinery's field.Error renders them,
values rendered as Go prints them, Kubernetes-style field paths, and getters that
tolerate the shapes the schema rejects (a string where a list belongs reads as empty:
the schema reports it, the rules skip it).
"""
from __future__ import annotations

import json
from typing import Any

from minikctl.errors import Cause

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
NOT_FOUND = "FieldValueNotFound"
TOO_LONG = "FieldValueTooLong"

IMMUTABLE = "field is immutable"
NEGATIVE = "must be greater than or equal to 0"
MAX_INT32 = 2**31 - 1


# --- Go's renderings of values ------------------------------------------------------------

class Go(str):
    """A value already rendered as Go's %#v shows it (maps, structs, selectors)."""


def go_quote(s: str) -> str:
    """strconv.Quote: printable characters as they are, the rest escaped."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def render(value: Any) -> str:
    """A bad value as field.Error prints it: strings quoted, numbers bare, nil as null."""
    if isinstance(value, Go):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        return go_string_map(value)
    if isinstance(value, (list, tuple)):
        return go_string_slice(value)
    return go_quote(str(value))


def go_string_map(m: dict | None) -> Go:
    """%#v of a map[string]string: keys sorted, `map[string]string(nil)` for nil."""
    if m is None:
        return Go("map[string]string(nil)")
    items = ", ".join(f"{go_quote(str(k))}:{go_quote(as_text(m[k]))}" for k in sorted(m, key=str))
    return Go("map[string]string{" + items + "}")


def go_string_slice(values: Any) -> Go:
    if values is None:
        return Go("[]string(nil)")
    return Go("[]string{" + ", ".join(go_quote(as_text(v)) for v in values) + "}")


def go_label_selector(sel: Any) -> Go:
    """%#v of a metav1.LabelSelector, as in `spec.selector: Invalid value: v1.LabelSelector{...}`."""
    sel = as_dict(sel)
    labels = sel.get("matchLabels")
    exprs = sel.get("matchExpressions")
    if exprs is None:
        shown = "[]v1.LabelSelectorRequirement(nil)"
    else:
        shown = "[]v1.LabelSelectorRequirement{" + ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{go_quote(as_text(as_dict(e).get('key')))}, "
            f"Operator:{go_quote(as_text(as_dict(e).get('operator')))}, "
            f"Values:{go_string_slice(as_dict(e).get('values'))}}}"
            for e in as_list(exprs)) + "}"
    return Go(f"v1.LabelSelector{{MatchLabels:{go_string_map(labels if isinstance(labels, dict) else None)}, "
              f"MatchExpressions:{shown}}}")


def go_struct(name: str, value: Any) -> Go:
    """A struct value we show as compact JSON (Go would print every field with %#v)."""
    return Go(f"{name}{json.dumps(value, separators=(',', ':'), sort_keys=True, default=str)}")


# --- Causes ------------------------------------------------------------------------------

def invalid(path: str, value: Any, detail: str = "") -> Cause:
    return Cause(path, INVALID, f"Invalid value: {render(value)}" + (f": {detail}" if detail else ""))


def required(path: str, detail: str = "") -> Cause:
    return Cause(path, REQUIRED, "Required value" + (f": {detail}" if detail else ""))


def forbidden(path: str, detail: str) -> Cause:
    return Cause(path, FORBIDDEN, "Forbidden" + (f": {detail}" if detail else ""))


def not_supported(path: str, value: Any, supported: list[str] | tuple[str, ...]) -> Cause:
    detail = ("supported values: " + ", ".join(go_quote(s) for s in supported)) if supported else ""
    return Cause(path, NOT_SUPPORTED, f"Unsupported value: {render(value)}" + (f": {detail}" if detail else ""))


def duplicate(path: str, value: Any) -> Cause:
    return Cause(path, DUPLICATE, f"Duplicate value: {render(value)}")


def not_found(path: str, value: Any) -> Cause:
    return Cause(path, NOT_FOUND, f"Not found: {render(value)}")


def too_long(path: str, max_bytes: int) -> Cause:
    return Cause(path, TOO_LONG, f"Too long: must have at most {max_bytes} bytes")


def inclusive_range(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


# --- Paths and shape-tolerant getters -------------------------------------------------------

def at(path: str, *names: str) -> str:
    return ".".join([path, *names]) if path else ".".join(names)


def idx(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: Any) -> str:
    return f"{path}[{k}]"


def as_dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def as_list(v: Any) -> list:
    return v if isinstance(v, list) else []


def as_str(v: Any) -> str:
    """A string field's value; "" (Go's unset) for anything else."""
    return v if isinstance(v, str) else ""


def as_int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def as_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def dict_items(v: Any) -> list[tuple[int, dict]]:
    """The (index, item) pairs of a list's object items."""
    return [(i, item) for i, item in enumerate(as_list(v)) if isinstance(item, dict)]


def template_part(spec: dict, part: str) -> dict:
    """`spec.template.<part>` ("metadata" or "spec") of a controller spec, {} when absent."""
    return as_dict(as_dict(spec.get("template")).get(part))


# --- Checks of single values -------------------------------------------------------------

def nonnegative(value: Any, path: str) -> list[Cause]:
    v = as_int(value)
    return [invalid(path, v, NEGATIVE)] if v is not None and v < 0 else []


def int_in_range(value: Any, path: str, lo: int, hi: int) -> list[Cause]:
    v = as_int(value)
    return [invalid(path, v, inclusive_range(lo, hi))] if v is not None and not lo <= v <= hi else []


def one_of(value: Any, path: str, supported: tuple[str, ...]) -> list[Cause]:
    """A string field limited to `supported`: any other string, "" included, is unsupported."""
    return [not_supported(path, value, supported)] if isinstance(value, str) and value not in supported else []


def enum(value: Any, path: str, supported: tuple[str, ...], *, allow_empty: bool = True) -> list[Cause]:
    """An enumerated string field; "" counts as unset (the default applies) unless not allowed."""
    if value == "" and "" not in supported:
        return [] if allow_empty else [required(path)]
    return one_of(value, path, supported)
