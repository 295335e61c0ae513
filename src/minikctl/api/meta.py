"""Object metadata helpers: names, keys, timestamps, owner references."""
from __future__ import annotations

import datetime as _dt


def now_rfc3339() -> str:
    """Kubernetes' timestamp form: second precision, UTC, 'Z'."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def name_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def namespace_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def labels_of(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def controller_of(obj: dict) -> dict | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None
