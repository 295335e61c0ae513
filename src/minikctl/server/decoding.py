"""Request bodies: media types, size limits and parsing to plain objects.

JSON is the common case (kubectl sends it for every write it makes through the dynamic
client); YAML is accepted where Kubernetes accepts it (application/yaml, and the
apply-patch+yaml of server-side apply, which kubectl fills with JSON anyway).
Protobuf, which kubectl's typed clients send (`create namespace|deployment|configmap|
secret`), is decoded by `protobuf.py` when that module can; otherwise 415.
"""
from __future__ import annotations

import json

from minikctl import errors

# Kubernetes' limit for a request body (and etcd's object limit is lower still).
MAX_BODY = 3 * 1024 * 1024

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)


class UnsupportedMediaType(Exception):
    def __init__(self, content_type: str) -> None:
        super().__init__(content_type)
        self.content_type = content_type


class Decoded:
    """A parsed body and the duplicate keys seen while parsing it (strict decoding reports them)."""

    __slots__ = ("value", "duplicates")

    def __init__(self, value: object, duplicates: list[str]) -> None:
        self.value, self.duplicates = value, duplicates


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode(body: bytes, content_type: str | None, *, patch: bool = False) -> Decoded:
    media = media_type(content_type)
    if media == PROTOBUF:
        from minikctl.server import protobuf

        value = protobuf.decode(body)
        if value is None:
            raise UnsupportedMediaType(content_type or "")
        return Decoded(value, [])
    allowed = PATCH_TYPES if patch else (JSON, YAML, "")
    if media not in allowed and not (not patch and media.endswith("+json")):
        raise UnsupportedMediaType(content_type or "")
    if not body.strip():
        raise errors.BadRequest("the request body is empty")
    if media in (YAML, APPLY_PATCH) and not body.lstrip().startswith((b"{", b"[")):
        return Decoded(_yaml(body), [])
    return _json(body)


def _json(body: bytes) -> Decoded:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        out: dict = {}
        for key, value in items:
            if key in out and key not in duplicates:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        return Decoded(json.loads(body, object_pairs_hook=pairs), duplicates)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest(f"the request body is not valid JSON: {exc}") from None


def _yaml(body: bytes) -> object:
    import yaml

    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise errors.BadRequest(f"the request body is not valid YAML: {exc}") from None
