"""Unknown fields in a request body, and what `fieldValidation` makes of them.

Kubernetes decodes a body into its Go types: fields the type lacks are dropped, and
`fieldValidation` decides what the client hears: Strict (kubectl's default) fails the
request with 400 "strict decoding error: unknown field ...", Warn (the server default)
accepts it with one `Warning:` header per field, Ignore says nothing. The paths are
found by walking the kind's schema next to the object.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

from minikctl import errors
from minikctl.api import schemas
from minikctl.api.kinds import Kind

STRICT, WARN, IGNORE = "Strict", "Warn", "Ignore"
# Our own clients ask for the api layer's answer instead (422 Invalid naming every bad
# field, unknown ones included), so the CLI prints the same thing over HTTP and in-process.
API = "Api"
MODES = (STRICT, WARN, IGNORE)


def mode(value: str | None) -> str:
    if not value:
        return WARN
    if value not in MODES:
        raise errors.BadRequest(f'fieldValidation: Unsupported value: "{value}": supported values: '
                                '"Ignore", "Strict", "Warn"')
    return value


def strip_unknown(kind: Kind, obj: dict) -> tuple[dict, list[str]]:
    """A copy of obj without the fields its kind's schema lacks, and their paths."""
    root = schemas.load(kind)
    found: list[str] = []
    clean = copy.deepcopy(obj)
    _walk(root, root, clean, "", found)
    return clean, found


def enforce(kind: Kind, obj: dict, how: str, warn: Callable[[str], None],
            duplicates: list[str] | None = None) -> dict:
    """Apply a fieldValidation mode to a decoded body: the object to hand on, or BadRequest."""
    if how == API:
        return obj
    clean, unknown = strip_unknown(kind, obj)
    problems = [f'unknown field "{p}"' for p in unknown] + [f'duplicate field "{d}"' for d in duplicates or []]
    if not problems:
        return clean
    if how == STRICT:
        raise errors.BadRequest(f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                                f"strict decoding error: {', '.join(problems)}")
    if how == WARN:
        for p in problems:
            warn(p)
    return clean


def _walk(root: dict, node: dict, value: object, path: str, found: list[str]) -> None:
    node = schemas.resolve_ref(root, node)
    if node.get("x-kubernetes-preserve-unknown-fields") or "oneOf" in node:
        return
    if isinstance(value, dict):
        props = node.get("properties")
        extra = node.get("additionalProperties")
        if isinstance(props, dict):
            for key in list(value):
                sub = props.get(key)
                where = f"{path}.{key}" if path else key
                if isinstance(sub, dict):
                    _walk(root, sub, value[key], where, found)
                elif isinstance(extra, dict):
                    _walk(root, extra, value[key], where, found)
                elif extra is not True:
                    found.append(where)
                    del value[key]
        elif isinstance(extra, dict):
            for key, sub_value in value.items():
                _walk(root, extra, sub_value, f"{path}.{key}" if path else key, found)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            _walk(root, node["items"], item, f"{path}[{i}]", found)
