"""Server-side printing: Table responses (meta.k8s.io/v1) and metadata-only views.

`kubectl get` in its human formats asks `Accept: application/json;as=Table;v=v1;
g=meta.k8s.io,...` and prints the cells verbatim: the server renders AGE, READY and
`<none>`. Each row carries the object as PartialObjectMetadata (kubectl reads the
NAMESPACE column of -A, --show-labels and -L from it). The name column is
format "name" so kubectl can prefix it with `deployment.apps/` for several kinds.
"""
from __future__ import annotations

import datetime as _dt

from minikctl.api.kinds import Kind

TABLE = "Table"
METADATA = "PartialObjectMetadata"
METADATA_LIST = "PartialObjectMetadataList"
_META_API = "meta.k8s.io/v1"


def wanted_view(accept: str) -> str | None:
    """Table, PartialObjectMetadata(List) or None, from the first Accept media range that
    asks for a meta.k8s.io view (v1 or v1beta1): kubectl lists them before plain JSON."""
    for media in accept.split(","):
        params = dict(p.strip().partition("=")[::2] for p in media.split(";")[1:])
        if params.get("g") == "meta.k8s.io" and params.get("as") in (TABLE, METADATA, METADATA_LIST):
            return params["as"]
    return None


def column_definitions(kind: Kind) -> list[dict]:
    from minikctl.cli.printers import tablecells

    return [{"name": c.name, "type": "string", "format": "name" if c.is_name else "",
             "description": _DESCRIPTIONS.get(c.name, c.name), "priority": c.priority}
            for c in tablecells.column_infos(kind.kind)]


def table(kind: Kind, objs: list[dict], *, resource_version: str, include: str = "Metadata",
          with_columns: bool = True, list_meta: dict | None = None) -> dict:
    """A Table of `objs` (a list, or one object as one row)."""
    from minikctl.cli.printers import tablecells

    now = _dt.datetime.now(_dt.timezone.utc)
    rows = [{"cells": tablecells.cells(kind.kind, obj, now), **_row_object(obj, include)} for obj in objs]
    meta = {"resourceVersion": resource_version, **(list_meta or {})}
    return {"kind": TABLE, "apiVersion": _META_API, "metadata": meta,
            "columnDefinitions": column_definitions(kind) if with_columns else [], "rows": rows}


def _row_object(obj: dict, include: str) -> dict:
    if include == "None":
        return {}
    if include == "Object":
        return {"object": obj}
    return {"object": partial(obj)}


def partial(obj: dict) -> dict:
    return {"kind": METADATA, "apiVersion": _META_API, "metadata": obj.get("metadata") or {}}


def metadata_list(objs: list[dict], list_meta: dict) -> dict:
    return {"kind": METADATA_LIST, "apiVersion": _META_API, "metadata": list_meta,
            "items": [partial(o) for o in objs]}


# Upstream's column descriptions (shown by `kubectl explain`-like tooling, not by get).
_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, although some "
            "resources may allow a client to request the generation of an appropriate name automatically.",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object was created.",
}
