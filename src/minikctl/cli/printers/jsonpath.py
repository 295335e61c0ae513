"""kubectl's JSONPath templates (client-go util/jsonpath), for `-o jsonpath=...`.

A template is plain text with actions in braces: `{.items[*].metadata.name}`,
`{range .items[*]}{.metadata.name}{"\\n"}{end}`, filters `[?(@.type=="Ready")]`,
recursive descent `..name`, wildcards, slices `[1:3]`, unions `[0,2]`, quoted text,
and `\\.` to keep a dot inside a key (`.metadata.labels.app\\.kubernetes\\.io/name`).
Missing keys produce nothing (kubectl's default `--allow-missing-template-keys`).

This is a port of kubectl's own parser and evaluator rather than a general JSONPath
library, because kubectl's dialect (templates, range/end, its filter grammar, the way
results are printed) is what users' scripts depend on. Error messages are kubectl's.
"""
from __future__ import annotations

from typing import Any

from minikctl.cli.printers.jsonpath_parse import (
    Array,
    Bool,
    Filter,
    Identifier,
    JSONPathError,
    ListNode,
    Number,
    Recursive,
    Text,
    Union,
    Wildcard,
    parse,
)
from minikctl.cli.printers.jsonpath_parse import Field as FieldNode
from minikctl.cli.printers.values import go_float, go_sprint, go_type_name, json_compact, json_indent

__all__ = ["JSONPath", "JSONPathError", "parse"]


# --- Evaluation ---------------------------------------------------------------------------

def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise JSONPathError("invalid type for comparison")


def _less(left: Any, right: Any) -> bool:
    kl, kr = _kind(left), _kind(right)
    if kl == "bool":
        raise JSONPathError("invalid type for comparison")
    if kl != kr:
        raise JSONPathError("incompatible types for comparison")
    return left < right


def _equal(left: Any, right: Any) -> bool:
    if _kind(left) != _kind(right):
        raise JSONPathError("incompatible types for comparison")
    return left == right


def _compare(op: str, left: Any, right: Any) -> bool:
    # Go's text/template comparison functions, with their errors.
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op == "<":
        return _less(left, right)
    if op == "<=":
        return _less(left, right) or _equal(left, right)
    if op == ">":
        return not (_less(left, right) or _equal(left, right))
    if op == ">=":
        return not _less(left, right)
    raise JSONPathError(f"unrecognized filter operator {op}")


def _children(value: Any) -> list:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode())  # Go indexes a string byte by byte
    return []


def _to_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return go_float(value)
    return go_sprint(value)


class JSONPath:
    """A parsed template: `JSONPath("{.metadata.name}").execute(obj)` -> "web"."""

    def __init__(self, template: str, *, output_json: bool = False) -> None:
        self.template = template
        self.output_json = output_json
        self.root = parse(template)
        self._reset()

    def _reset(self) -> None:
        self.begin_range = self.in_range = self.end_range = 0
        self.last_end: int | None = None

    def execute(self, data: Any) -> str:
        return "".join(self.print_results(group) for group in self.find_results(data))

    def find_results(self, data: Any) -> list[list[Any]]:
        self._reset()
        return self._find(data, 0)

    def print_results(self, results: list[Any]) -> str:
        if self.output_json:
            return json_indent(results) + "\n"
        return " ".join(json_compact(r) if isinstance(r, (dict, list)) else _to_text(r) for r in results)

    def _find(self, data: Any, start: int) -> list[list[Any]]:
        nodes = self.root.nodes
        cur = [data]
        full: list[list[Any]] = []
        i = start
        while i < len(nodes):
            results = self._walk(cur, nodes[i])
            if 0 < self.end_range <= self.in_range:
                # an {end}: this pass over the range body is done
                self.end_range -= 1
                self.last_end = i
                break
            if self.begin_range > 0:
                self.begin_range -= 1
                self.in_range += 1
                for value in results:
                    full.extend(self._find(value, i + 1))
                if not results:
                    self._find(None, i + 1)  # walk to the matching {end}
                self.in_range -= 1
                if self.last_end is not None and self.last_end > i:
                    i = self.last_end
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def _walk(self, values: list, node: Any) -> list:
        kind = type(node)
        if kind is ListNode:
            for child in node.nodes:
                values = self._walk(values, child)
            return values
        if kind is Text:
            return [node.text]
        if kind is FieldNode:
            return [v[node.name] for v in values if isinstance(v, dict) and node.name in v]
        if kind is Array:
            return self._array(values, node)
        if kind is Filter:
            return self._filter(values, node)
        if kind in (Number, Bool):
            return [node.value] * len(values)
        if kind is Wildcard:
            return [child for v in values if v is not None for child in _children(v)]
        if kind is Recursive:
            return self._recursive(values)
        if kind is Union:
            return [r for lst in node.lists for r in self._walk(values, lst)]
        return self._identifier(values, node)

    def _identifier(self, values: list, node: Identifier) -> list:
        if node.name == "range":
            self.begin_range += 1
            return values
        if node.name == "end":
            if self.in_range > 0:
                self.end_range += 1
                return []
            raise JSONPathError("not in range, nothing to end")
        raise JSONPathError(f"unrecognized identifier {node.name}")

    def _array(self, values: list, node: Array) -> list:
        out: list = []
        first, second, step_param = node.params
        for value in values:
            if value is None:
                continue
            if not isinstance(value, list):
                raise JSONPathError(f"{go_type_name(value)} is not array or slice")
            n = len(value)
            start = first.value if first.known else 0
            if start < 0:
                start += n
            end = second.value if second.known else n
            if end < 0 or (end == 0 and second.derived):
                end += n
            if end == start:
                return out  # zero elements asked for: kubectl stops here
            if start >= n or start < 0:
                raise JSONPathError(f"array index out of bounds: index {start}, length {n}")
            if end > n or end < 0:
                raise JSONPathError(f"array index out of bounds: index {end - 1}, length {n}")
            if start > end:
                raise JSONPathError(f"starting index {start} is greater than ending index {end}")
            step = 1
            if step_param.known:
                if step_param.value <= 0:
                    raise JSONPathError("step must be > 0")
                step = step_param.value
            out.extend(value[start:end:step])
        return out

    def _filter(self, values: list, node: Filter) -> list:
        out: list = []
        for value in values:
            if not isinstance(value, list):
                raise JSONPathError(f"{go_sprint(value)} is not array or slice and cannot be filtered")
            for item in value:
                if node.op == "exists":
                    try:
                        found = self._walk([item], node.left)
                    except JSONPathError:
                        found = []
                    if found:
                        out.append(item)
                    continue
                lefts = self._walk([item], node.left)
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise JSONPathError("can only compare one element at a time")
                rights = self._walk([item], node.right)
                if not rights:
                    continue
                if len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                if _compare(node.op, lefts[0], rights[0]):
                    out.append(item)
        return out

    def _recursive(self, values: list) -> list:
        out: list = []
        for value in values:
            if value is None:
                continue
            children = _children(value)
            if children:
                out.append(value)
                out.extend(self._recursive(children))
        return out
