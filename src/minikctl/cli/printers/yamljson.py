"""`-o yaml` and `-o json` exactly as kubectl writes them.

kubectl marshals objects with Go's encoding/json (keys sorted, 4-space indent, `<`, `>`
and `&` escaped) and converts that JSON to YAML with go-yaml v2 (sigs.k8s.io/yaml).
go-yaml sorts keys its own "natural" way (`a2` before `a10`, `_` before letters),
double-quotes any string that would read back as something else (`"1"`, `"true"`,
timestamps), writes multi-line strings as `|` blocks, does not indent lists under
their key, and folds long plain strings at 80 columns. go-yaml's emitter is a port of
libyaml's, so minikctl decides quoting and key order as go-yaml does and hands the
events to libyaml (through PyYAML) to lay them out.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from minikctl.cli.printers.values import go_float, json_indent

_BOOL_NULL_FLOAT = {
    **dict.fromkeys(["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
                     "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"], "bool"),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"], "null"),
    **dict.fromkeys([".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                     "-.inf", "-.Inf", "-.INF"], "float"),
    "<<": "merge",
}
_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?))?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


@functools.lru_cache(maxsize=4096)
def go_resolve(text: str) -> str:
    """The tag go-yaml v2 would give `text` written unquoted: str, int, float, bool, null..."""
    known = _BOOL_NULL_FLOAT.get(text)
    if known:
        return known
    first = text[0]
    if first == ".":
        return "float" if _DOT_FLOAT.match(text) else "str"
    if first in "+-0123456789":
        if _TIMESTAMP.match(text):
            return "timestamp"
        plain = text.replace("_", "")
        if _INT.match(plain):
            return "int"
        if _FLOAT.match(plain):
            return "float"
        if plain.startswith(("0b", "-0b")) and re.fullmatch(r"-?0b[01]+", plain):
            return "int"
    return "str"


def _needs_quotes(text: str) -> bool:
    return go_resolve(text) != "str" or bool(_BASE60.match(text))


def _natural_less(a: str, b: str) -> bool:
    """go-yaml v2's keyList.Less: digit runs compare as numbers, letters after symbols."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return ca < cb
        if la or lb:
            return lb
        an = bn = 0
        if ca == "0" or cb == "0":
            # zeros inside a longer number still count as digits of that number
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai, bi = i, i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _key_cmp(a: str, b: str) -> int:
    if _natural_less(a, b):
        return -1
    return 1 if _natural_less(b, a) else 0


_NATURAL = functools.cmp_to_key(_key_cmp)


def sorted_keys(mapping: dict) -> list:
    # Keys made of letters only (nearly all of them) sort the same both ways; skip the slow path.
    keys = list(mapping)
    if all(isinstance(k, str) and k.isalpha() for k in keys):
        return sorted(keys)
    return sorted(keys, key=lambda k: _NATURAL(str(k)))


def _scalar_events(value: Any, out: list, yaml: Any) -> None:
    # implicit=(True, ...) lets the emitter write the value plain where plain is allowed.
    if isinstance(value, str):
        if "\n" in value:
            out.append(yaml.ScalarEvent(None, None, (True, True), value, style="|"))
        elif _needs_quotes(value):
            out.append(yaml.ScalarEvent(None, None, (False, True), value, style='"'))
        else:
            out.append(yaml.ScalarEvent(None, None, (True, True), value))
        return
    if value is None:
        text = "null"
    elif value is True or value is False:
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = go_float(value)
        text = {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)
    else:
        text = str(value)
    out.append(yaml.ScalarEvent(None, None, (True, False), text))


def _node_events(value: Any, out: list, yaml: Any) -> None:
    if isinstance(value, dict):
        out.append(yaml.MappingStartEvent(None, None, True, flow_style=False))
        for key in sorted_keys(value):
            _scalar_events(str(key), out, yaml)
            _node_events(value[key], out, yaml)
        out.append(yaml.MappingEndEvent())
    elif isinstance(value, (list, tuple)):
        out.append(yaml.SequenceStartEvent(None, None, True, flow_style=False))
        for item in value:
            _node_events(item, out, yaml)
        out.append(yaml.SequenceEndEvent())
    else:
        _scalar_events(value, out, yaml)


def to_yaml(obj: Any) -> str:
    """The YAML kubectl prints for obj.

    The events go straight to libyaml's emitter (PyYAML's port when the C extension is
    missing): the same emitter go-yaml uses, so quoting, folding and indentation agree.
    """
    import io

    import yaml

    events: list = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False)]
    _node_events(obj, events, yaml)
    events += [yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent()]
    stream = io.StringIO()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    yaml.emit(events, stream, Dumper=dumper, allow_unicode=True, width=80, indent=2)
    return stream.getvalue()


def to_json(obj: Any) -> str:
    return json_indent(obj) + "\n"
