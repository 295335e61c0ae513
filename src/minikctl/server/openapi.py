"""/openapi/v3: the OpenAPI documents kubectl validates, applies and explains with.

Generated from schemas/ (Kubernetes 1.32's own schemas, JSON Schema flavoured) into the
shape kube-openapi serves: a root listing one document per group-version, each document
with `components.schemas` named as Kubernetes names them (io.k8s.api.apps.v1.Deployment,
carrying x-kubernetes-group-version-kind) and a `paths` entry per operation. kubectl
needs the PATCH operation of a kind to declare the `fieldValidation` query parameter;
then it skips client-side validation and sends `fieldValidation=Strict`.

Strategic merge patch is deliberately not advertised in the PATCH requestBody: kubectl
would then compute client-side-apply patches from these schemas; without it, it uses
its compiled-in types for built-in kinds (KUBECTL-WIRE.md §7, the trap).

Documents are immutable per content: the root links each by `?hash=`, and both carry an
ETag so a warm kubectl cache revalidates the root with one 304 and nothing else.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

from minikctl.api import kinds, schemas
from minikctl.api.kinds import Kind

_REF_PREFIX = "#/components/schemas/"
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str


def schema_name(kind: Kind) -> str:
    """io.k8s.api.apps.v1.Deployment; core kinds are io.k8s.api.core.v1.Pod."""
    package = kind.group.split(".")[0] if kind.group else "core"
    return f"io.k8s.api.{package}.{kind.version}.{kind.kind}"


def gv_path(api_version: str) -> str:
    """'api/v1' or 'apis/apps/v1': the document's name in the root and in its URL."""
    return f"apis/{api_version}" if "/" in api_version else f"api/{api_version}"


@functools.lru_cache(maxsize=1)
def documents() -> dict[str, Document]:
    """Every group-version document by gv_path, built once."""
    out: dict[str, Document] = {}
    for api_version, kind_list in kinds.groups().items():
        body = json.dumps(_gv_document(api_version, kind_list), separators=(",", ":")).encode()
        out[gv_path(api_version)] = Document(body, _etag(body))
    return out


@functools.lru_cache(maxsize=1)
def root() -> Document:
    paths = {name: {"serverRelativeURL": f"/openapi/v3/{name}?hash={doc.etag}"}
             for name, doc in documents().items()}
    body = json.dumps({"paths": paths}, separators=(",", ":")).encode()
    return Document(body, _etag(body))


def _etag(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest().upper()


# -- one group-version ---------------------------------------------------------------------


def _gv_document(api_version: str, kind_list: list[Kind]) -> dict:
    components: dict[str, dict] = {}
    paths: dict[str, dict] = {}
    for kind in kind_list:
        raw = schemas.load(kind)
        for name, node in raw.get("$defs", {}).items():
            components.setdefault(name, convert(node))
        top = convert({k: v for k, v in raw.items() if k not in ("$defs", "$id", "$schema")})
        components[schema_name(kind)] = top
        paths.update(_paths(kind))
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": dict(sorted(components.items()))}}


def convert(node: object) -> object:
    """A JSON Schema node (as in schemas/) to its OpenAPI 3.0 form, as kube-openapi writes it."""
    if not isinstance(node, dict):
        return node
    if "oneOf" in node and _is_int_or_string(node["oneOf"]):
        return {**_plain(node, "oneOf"), "type": "string", "format": "int-or-string",
                "x-kubernetes-int-or-string": True}
    if "oneOf" in node and _is_quantity(node["oneOf"]):
        return {**_plain(node, "oneOf"), "type": "string"}
    if "$ref" in node:
        ref = {"$ref": _REF_PREFIX + str(node["$ref"]).rsplit("/", 1)[-1]}
        rest = _plain(node, "$ref")
        # A $ref with siblings must be wrapped in allOf for OpenAPI 3.0 readers.
        return {"allOf": [ref], **rest} if rest else ref
    return _plain(node)


def _plain(node: dict, *skip: str) -> dict:
    out: dict = {}
    for key, value in node.items():
        if key in skip:
            continue
        if key == "type":
            out["type"] = _single_type(value)
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: convert(sub) for name, sub in value.items()}
        elif key in ("items", "not"):
            out[key] = convert(value)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out[key] = convert(value)
            # `false` (strict schemas) has no OpenAPI counterpart in Kubernetes' documents.
        elif key in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
            out[key] = [convert(v) for v in value]
        else:
            out[key] = value
    return out


def _single_type(value: object) -> object:
    if isinstance(value, list):
        real = [t for t in value if t != "null"]
        return real[0] if len(real) == 1 else real
    return value


def _types(options: list) -> set:
    return {str(_single_type(o.get("type"))) for o in options if isinstance(o, dict)}


def _is_int_or_string(options: list) -> bool:
    return _types(options) == {"string", "integer"}


def _is_quantity(options: list) -> bool:
    return _types(options) == {"string", "number"}


# -- paths -----------------------------------------------------------------------------------


def _paths(kind: Kind) -> dict:
    base = f"/{gv_path(kind.api_version)}"
    collection = f"{base}/namespaces/{{namespace}}/{kind.plural}" if kind.namespaced else f"{base}/{kind.plural}"
    gvk = {"group": kind.group, "version": kind.version, "kind": kind.kind}
    ref = {"$ref": _REF_PREFIX + schema_name(kind)}
    ok = {"description": "OK", "content": {"application/json": {"schema": ref}}}
    body = {"content": {"application/json": {"schema": ref}}, "required": True}
    validation = [_query("dryRun"), _query("fieldManager"), _query("fieldValidation")]
    patch_body = {"content": {t: {"schema": {"type": "object"}} for t in _PATCH_TYPES}, "required": True}

    def op(action: str, op_id: str, **extra: object) -> dict:
        return {"operationId": op_id + kind.kind, "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk, "responses": {"200": ok}, **extra}

    return {
        collection: {
            "get": op("list", "list"),
            "post": op("post", "create", parameters=validation, requestBody=body),
        },
        f"{collection}/{{name}}": {
            "get": op("get", "read"),
            "put": op("put", "replace", parameters=validation, requestBody=body),
            "patch": op("patch", "patch", parameters=[*validation, _query("force", "boolean")],
                        requestBody=patch_body),
            "delete": op("delete", "delete"),
        },
    }


def _query(name: str, type_: str = "string") -> dict:
    return {"name": name, "in": "query", "schema": {"type": type_, "uniqueItems": True}}
