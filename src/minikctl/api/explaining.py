"""`kubectl explain`: a kind's schema, rendered exactly as kubectl 1.32 prints it.

kubectl renders OpenAPI v3 through a Go template (k8s.io/kubectl/pkg/explain/v2/
templates/plaintext.tmpl); the functions here follow its sub-templates one for one:
`_output` ("output"), `_field_list` ("fieldList"), `_field_detail` ("fieldDetail"),
`_description`, `_type_guess` ("typeGuess") and `_enum` ("extractEnum"), with `_wrap`
porting github.com/mitchellh/go-wordwrap, which the template's `wrap` calls.

Our schemas/ hold the same OpenAPI in JSON Schema form, so `_v3` translates each node on
the way: a property that refers to a definition is `{"$ref", "description"}` here where
OpenAPI v3 says `{"allOf": [{"$ref"}], "description"}` (which is why kubectl prints the
field's description followed by its type's), and a type is `["string", "null"]` here
where OpenAPI says "string". The generated schemas pin apiVersion and kind with a
one-value enum that OpenAPI does not have; it is not shown.
"""
from __future__ import annotations

from typing import Any

from minikctl import errors
from minikctl.api import kinds, schemas


def explain(path: str, *, recursive: bool = False, api_version: str | None = None) -> str:
    """`kubectl explain PATH [--recursive] [--api-version V]` output, ending in newlines as kubectl's."""
    kind, fields = _split(path)
    if api_version is not None and api_version != kind.api_version:
        raise errors.MinikctlError(_no_such_version(api_version, kind))
    body = _Explainer(schemas.load(kind), recursive).output(fields)
    if not body:
        raise errors.MinikctlError(f'field "{fields[-1]}" does not exist')
    header = f"GROUP:      {kind.group}\n" if kind.group else ""
    header += f"KIND:       {kind.kind}\nVERSION:    {kind.version}\n\n"
    return header + body + "\n"


def _split(path: str) -> tuple[kinds.Kind, list[str]]:
    """`deployments.apps.spec.replicas` -> (Deployment, ["spec", "replicas"]).

    The longest prefix naming a resource wins, so `deploy`, `deployments.apps` and
    `deployments.v1.apps` all work before the field path.
    """
    parts = path.split(".")
    for size in range(min(3, len(parts)), 0, -1):
        try:
            return kinds.resolve(".".join(parts[:size])), parts[size:]
        except errors.UnknownResourceType:
            continue
    raise errors.UnknownResourceType(parts[0])


def _no_such_version(api_version: str, kind: kinds.Kind) -> str:
    group, _, version = api_version.rpartition("/")
    gvr = f"{group}/{version}, Resource={kind.plural}"
    if any(k.api_version == api_version for k in kinds.KINDS):
        # kubectl: the group/version is served but has no such resource
        return f"GVR ({gvr}) not found in OpenAPI schema"
    return f'couldn\'t find resource for "{gvr}"'


# --------------------------------------------------------------------------- schema view


def _v3(node: Any) -> Any:
    """One schema node as OpenAPI v3 spells it (see the module docstring)."""
    if not isinstance(node, dict):
        return node
    out = dict(node)
    if isinstance(out.get("type"), list):
        types = [t for t in out["type"] if t != "null"]
        if types:
            out["type"] = types[0]
        else:
            del out["type"]
    if "$ref" in out and len(out) > 1:
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    return out


def _props(node: dict) -> dict:
    props = node.get("properties")
    return {k: _v3(v) for k, v in props.items()} if isinstance(props, dict) else {}


def _sub(node: dict, key: str) -> dict | None:
    """`items` / `additionalProperties` when it is a non-empty schema (not `false`)."""
    value = node.get(key)
    return _v3(value) if isinstance(value, dict) and value else None


def _all_of(node: dict) -> list[dict]:
    return [_v3(n) for n in node.get("allOf") or [] if isinstance(n, dict)]


class _Explainer:
    def __init__(self, schema: dict, recursive: bool) -> None:
        self.defs = schema.get("$defs") or {}
        self.recursive = recursive
        self.root = _v3(schema)
        props = dict(self.root.get("properties") or {})
        for name in ("apiVersion", "kind"):
            if isinstance(props.get(name), dict):
                props[name] = {k: v for k, v in props[name].items() if k != "enum"}
        self.root["properties"] = props

    def resolve(self, ref: Any) -> dict | None:
        if not isinstance(ref, str) or not ref:
            return None
        target = self.defs.get(ref.rsplit("/", 1)[-1])
        return _v3(target) if isinstance(target, dict) else None

    # ------------------------------------------------------------------ "output"

    def output(self, path: list[str]) -> str:
        return self._output(self.root, path, frozenset())

    def _output(self, node: dict, path: list[str], history: frozenset) -> str:
        """Follow the field path; at its end, DESCRIPTION and FIELDS. "" when a field is missing."""
        ref = node.get("$ref") or ""
        resolved = self.resolve(ref) or node
        if not path:
            text = "DESCRIPTION:\n" + _indent(4, _wrap(76, self._description(resolved) or "<empty>")) + "\n"
            fields = self._field_list(resolved, 1, frozenset())
            return text + ("FIELDS:\n" + fields if fields else "")
        if ref and ref in history:
            return ""  # a cycle
        history = history | {ref}
        field = _props(resolved).get(path[0])
        if field:
            head = ""
            if len(path) == 1:
                head = f"FIELD: {path[0]} <{self._type_guess(field)}>\n{self._enum(field, long=True)}\n\n"
            return head + self._output(field, path[1:], frozenset())
        for key in ("items", "additionalProperties"):
            sub = _sub(resolved, key)
            if sub:
                return self._output(sub, path, history)
        for sub in _all_of(resolved):
            found = self._output(sub, path, history)
            if found:
                return found
        return ""

    # ------------------------------------------------------------------ "fieldList"

    def _field_list(self, node: dict, level: int, history: frozenset) -> str:
        ref = node.get("$ref") or ""
        if ref and ref in history:
            return ""  # a cycle
        history = history | {ref}
        resolved = self.resolve(ref) or node
        required = resolved.get("required") or []
        out = []
        for name, field in sorted(_props(resolved).items()):
            out.append(self._field_detail(name, field, name in required, level))
            if self.recursive:
                out.append(self._field_list(field, level + 1, history))
        for sub in _all_of(resolved):
            out.append(self._field_list(sub, level, history))
        for key in ("items", "additionalProperties"):
            sub = _sub(resolved, key)
            if sub:
                out.append(self._field_list(sub, level, history))
        return "".join(out)

    def _field_detail(self, name: str, field: dict, required: bool, level: int) -> str:
        """`  name\t<type> -required-`, an enum line, then (not recursive) the description."""
        indent = level * 2
        line = f"{_indent(indent, name)}\t<{self._type_guess(field)}>"
        if required:
            line += " -required-"
        line += self._enum(field, long=False, limit=4, indent=indent) + "\n"
        if self.recursive:
            return line
        description = field.get("description") or "<no description>"
        return line + _indent(indent + 2, _wrap(78 - indent, description)) + "\n\n"

    # ------------------------------------------------------------------ small templates

    def _description(self, node: dict) -> str:
        """The node's description, then those of what it refers to (allOf, items, map values)."""
        resolved = self.resolve(node.get("$ref")) or node
        text = resolved["description"] + "\n" if resolved.get("description") else ""
        for sub in _all_of(resolved):
            text += self._description(sub)
        for key in ("items", "additionalProperties"):
            sub = _sub(resolved, key)
            if sub:
                text += self._description(sub)
        return text

    def _type_guess(self, node: dict) -> str:
        """<string>, <[]Container>, <map[string]string>, <ObjectMeta>, <IntOrString>, <Object>."""
        items, values = _sub(node, "items"), _sub(node, "additionalProperties")
        if items:
            return "[]" + self._type_guess(items)
        if values:
            return "map[string]" + self._type_guess(values)
        all_of = node.get("allOf")
        if all_of and not node.get("properties") and len(all_of) == 1:
            return self._type_guess(_v3(all_of[0]))
        ref = node.get("$ref")
        if ref:
            target = self.resolve(ref)
            # A reference names its type unless that is a primitive (Time is a string).
            if not target or not target.get("type") or target["type"] == "object":
                return ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1] or "Object"
            return str(target["type"])
        kind = node.get("type")
        return "Object" if not kind or kind == "object" else str(kind)

    def _enum(self, node: dict, *, long: bool, limit: int = -1, indent: int = 0) -> str:
        """"\\n  enum: A, B, C, D, ...." in field lists; "ENUM:\\n    A\\n    B" after FIELD:."""
        values = node.get("enum")
        if not values:
            return ""
        text = "ENUM:" if long else "\n" + " " * indent + "enum: "
        for index, value in enumerate(values):
            if limit > -1 and index >= limit:
                text += ", ...."
                break
            text += "\n    " if long else (", " if index else "")
            text += '""' if value == "" else _go_value(value)
        return text


# --------------------------------------------------------------------------- text helpers


def _go_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "<nil>" if value is None else str(value)


def _indent(amount: int, text: str) -> str:
    """The template's `indent`: pad the first line and every line after a newline."""
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


def _is_space(ch: str) -> bool:
    # Go's unicode.IsSpace, less the no-break space go-wordwrap refuses to break on.
    return ch.isspace() and ch not in "\x1c\x1d\x1e\x1f\u00a0"


def _wrap(limit: int, text: str) -> str:
    """go-wordwrap 1.0.1 WrapString: break at spaces before `limit` runes; keep newlines.

    A word longer than the limit gets a line of its own and overflows it (URLs do).
    """
    out: list[str] = []
    word: list[str] = []
    space: list[str] = []
    current = 0
    for ch in text:
        if ch == "\n":
            if not word:
                if current + len(space) <= limit:
                    out += space
            else:
                out += space + word
                word = []
            space = []
            out.append(ch)
            current = 0
        elif _is_space(ch):
            if not space or word:
                current += len(space) + len(word)
                out += space + word
                space, word = [], []
            space.append(ch)
        else:
            word.append(ch)
            if current + len(space) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                space = []
    if not word:
        if current + len(space) <= limit:
            out += space
    else:
        out += space + word
    return "".join(out)
