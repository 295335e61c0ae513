"""`get --sort-by`: order a list by a JSONPath field, as kubectl's RuntimeSort does.

The field is a relaxed JSONPath (`.metadata.name`, `{.status.startTime}`); the first
value it finds in each object is compared: numbers as numbers, strings in natural order
(`pod-2` before `pod-10`, sortorder.NaturalLess). Objects without the field come first;
a field no object has is an error, in kubectl's words.
"""
from __future__ import annotations

import re
from typing import Any

from minikctl import errors
from minikctl.cli.printers.jsonpath import JSONPath
from minikctl.cli.printers.output import relaxed_jsonpath

_CHUNKS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple:
    """A sort key: digit runs compare by value (then by length, so 01 sorts before 1)."""
    return tuple((1, int(part), len(part)) if part.isdigit() else (0, part, 0)
                 for part in _CHUNKS.split(text) if part)


def _key(value: Any) -> tuple:
    if isinstance(value, bool) or value is None:
        return (1, str(value).lower(), ())
    if isinstance(value, (int, float)):
        return (0, value, ())
    if isinstance(value, str):
        return (1, "", _natural(value))
    return (2, str(value), ())


def sort_objects(objs: list[dict], field: str) -> list[dict]:
    path = relaxed_jsonpath(field)
    finder = JSONPath(path)
    found: list[tuple[bool, Any]] = []
    for obj in objs:
        try:
            results = finder.find_results(obj)
        except errors.MinikctlError:
            results = []
        first = results[0] if results and results[0] else None
        found.append((first is not None, first[0] if first else None))
    if objs and not any(has for has, _ in found):
        raise errors.MinikctlError(f'couldn\'t find any field with path "{path}" in the list of objects')
    order = sorted(range(len(objs)), key=lambda i: (found[i][0], _key(found[i][1]) if found[i][0] else ()))
    return [objs[i] for i in order]
