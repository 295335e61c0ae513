"""Loading the JSON schemas in schemas/ (one self-contained file per kind).

They are generated from Kubernetes 1.32's OpenAPI (tools/gen_schemas.py) and are the
source of truth for validation, `explain` and, later, the API server's /openapi/v3.
"""
from __future__ import annotations

import functools
import json
import pathlib

from minikctl.api.kinds import Kind

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent.parent / "schemas"


@functools.lru_cache(maxsize=None)
def load(kind: Kind) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind.schema_name}.json").read_text())


def resolve_ref(schema: dict, node: dict) -> dict:
    """Follow a local `$ref` (and the oneOf of IntOrString/Quantity stays as is)."""
    while "$ref" in node:
        target = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **extra} if extra else target
    return node
