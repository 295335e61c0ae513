"""Validation: the JSON schema of the kind (strict: unknown fields are errors), then the
semantic rules the Kubernetes API server enforces (api/rules/). Every problem in a
document is reported at once, each as a Cause naming its field path.
"""
from __future__ import annotations

import functools
import json
from typing import Any

from minikctl import errors
from minikctl.api import kinds, schemas
from minikctl.api.kinds import Kind

UNKNOWN_FIELD = "FieldValueUnknown"


def kind_of(obj: Any) -> Kind:
    """The Kind a document declares, or the error kubectl gives for it."""
    if not isinstance(obj, dict):
        raise errors.BadRequest(f"the object must be a mapping, not {type(obj).__name__}")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    missing = [f for f, v in (("apiVersion", api_version), ("kind", kind)) if not v]
    if missing:
        raise errors.BadRequest("error validating data: [" + ", ".join(f"{m} not set" for m in missing) + "]")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise errors.BadRequest("error validating data: apiVersion and kind must be strings")
    return kinds.for_object(api_version, kind)


@functools.lru_cache(maxsize=None)
def _validator(kind: Kind):  # type: ignore[no-untyped-def]
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schemas.load(kind))


def field_path(parts: Any) -> str:
    """deque(['spec', 'containers', 0, 'name']) -> 'spec.containers[0].name'."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))[:80]
    return json.dumps(value)


def _schema_type(types: Any) -> str:
    if isinstance(types, list):
        types = [t for t in types if t != "null"]
        return types[0] if len(types) == 1 else " or ".join(types)
    return str(types)


def _causes_for(error: Any) -> list[errors.Cause]:
    path = field_path(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1]
        return [errors.Cause(f"{path}.{missing}" if path else missing, "FieldValueRequired", "Required value")]
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [
            errors.Cause(f"{path}.{e}" if path else e, UNKNOWN_FIELD, f'unknown field "{path + "." if path else ""}{e}"')
            for e in extra
        ]
    if v == "type":
        return [errors.Cause(path, "FieldValueTypeInvalid",
                             f"Invalid value: {_show(error.instance)}: must be of type {_schema_type(error.validator_value)}")]
    if v == "enum":
        allowed = ", ".join(_show(a) for a in error.validator_value)
        return [errors.Cause(path, "FieldValueNotSupported",
                             f"Unsupported value: {_show(error.instance)}: supported values: {allowed}")]
    if v == "oneOf":  # IntOrString and Quantity
        return [errors.Cause(path, "FieldValueTypeInvalid",
                             f"Invalid value: {_show(error.instance)}: must be an integer or a string")]
    return [errors.Cause(path, "FieldValueInvalid", f"Invalid value: {_show(error.instance)}: {error.message}")]


def schema_causes(kind: Kind, obj: dict) -> list[errors.Cause]:
    causes: list[errors.Cause] = []
    for error in sorted(_validator(kind).iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
        for cause in _causes_for(error):
            if cause not in causes:
                causes.append(cause)
    return causes


def validate(obj: Any, old: dict | None = None) -> tuple[Kind, list[errors.Cause], list[str]]:
    """Kind, every cause (schema then semantic rules), and warnings for fields minikctl
    accepts without acting on. Raises NoKindMatch / BadRequest for documents that are
    not objects of a served kind."""
    from minikctl.api import defaults, rules

    kind = kind_of(obj)
    causes = schema_causes(kind, obj)
    # Semantic rules assume the shapes the schema guarantees; skip them on a
    # document the schema already rejected, except the ones on names and labels
    # that users most want to hear about together.
    for cause in rules.check(kind, obj, old) if not causes else _safe_rules(kind, obj, old):
        if cause not in causes:
            causes.append(cause)
    warnings = [] if causes else [
        *rules.warnings(kind, obj),
        *(f"{p}: minikctl does not act on this field" for p in defaults.unacted_fields(kind, obj)),
    ]
    return kind, causes, warnings


def _safe_rules(kind: Kind, obj: dict, old: dict | None) -> list[errors.Cause]:
    from minikctl.api import rules

    try:
        return rules.check(kind, obj, old)
    except Exception:  # noqa: BLE001 - a malformed shape the schema already reported
        return []
