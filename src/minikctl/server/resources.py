"""Collections and objects: list, watch, create, deletecollection; get, replace, patch,
delete; and the status and binding subresources. Every read and write goes through the
api layer (`ex.api`), never the store.

    GET    .../pods                 list (Table, PartialObjectMetadataList or a PodList)
    GET    .../pods?watch=true      watch.py
    POST   .../pods                 create (dryRun=All, fieldValidation)
    DELETE .../pods                 deletecollection (selectors)
    GET    .../pods/x               get
    PUT    .../pods/x               replace (metadata.resourceVersion is a precondition: 409)
    PATCH  .../pods/x               patch.py
    DELETE .../pods/x               delete (propagationPolicy, gracePeriodSeconds, preconditions)
    .../x/status                    the status subresource: GET, PUT, PATCH
    .../x/scale, .../x/log          scale.py, logs.py
    .../pods/x/exec, attach, portforward   podexec.py, podattach.py, portforward.py (WebSocket)
    POST   .../pods/x/binding       the scheduler's binding
    POST   .../pods/x/eviction      eviction.py (PodDisruptionBudgets decide)
"""
from __future__ import annotations

import base64
import binascii
import json

from minikctl import errors
from minikctl.api.kinds import Kind
from minikctl.server import decoding, fields, table
from minikctl.server import status as statuses
from minikctl.server.exchange import JSON, Exchange
from minikctl.server.routes import Target

# Headers only minikctl's own HttpClient sends (see client/http.py).
FIELD_VALIDATION_HEADER = "X-Minikctl-Field-Validation"
FINISH_DELETE_HEADER = "X-Minikctl-Finish-Delete"


def serve(ex: Exchange, t: Target) -> None:
    handler = _handler_for(ex.method, t)
    if handler is None:
        return ex.send_status(statuses.method_not_allowed(ex.method))
    return handler(ex, t)


def _handler_for(method: str, t: Target):  # type: ignore[no-untyped-def]
    from minikctl.server import logs, patch, scale

    if t.subresource == "log":
        return {"GET": logs.serve}.get(method)
    if t.subresource == "scale":
        return scale.serve
    if t.subresource == "binding":
        return {"POST": _bind}.get(method)
    if t.subresource == "eviction":
        from minikctl.server import eviction

        return {"POST": eviction.serve}.get(method)
    if t.subresource in ("exec", "attach", "portforward"):
        from minikctl.server import podattach, podexec, portforward

        upgraded = {"exec": podexec.serve, "attach": podattach.serve, "portforward": portforward.serve}[t.subresource]
        return {"GET": upgraded, "POST": upgraded}.get(method)
    if t.subresource == "status":
        return {"GET": _get, "PUT": _replace, "PATCH": patch.serve}.get(method)
    if t.is_collection:
        if method == "GET":
            return _watch_or_list
        return {"POST": _create, "DELETE": _delete_collection}.get(method)
    return {"GET": _get, "HEAD": _get, "PUT": _replace, "PATCH": patch.serve, "DELETE": _delete}.get(method)


def _watch_or_list(ex: Exchange, t: Target) -> None:
    if ex.flag("watch"):
        from minikctl.server import watch

        return watch.serve(ex, t)
    return _list(ex, t)


def namespace_of(t: Target) -> str:
    return t.namespace or ""


def field_mode(ex: Exchange) -> str:
    if ex.headers.get(FIELD_VALIDATION_HEADER) == fields.API:
        return fields.API
    return fields.mode(ex.query.get("fieldValidation"))


# -- reads ----------------------------------------------------------------------------------


def _list(ex: Exchange, t: Target) -> None:
    from minikctl.server import watch

    label, field = ex.query.get("labelSelector") or None, ex.query.get("fieldSelector") or None
    cached = watch.cached_list(ex, t, ex.api._matcher(t.kind, label, field))  # (bad selectors: 400)
    if cached is not None:  # the usual case: the watch cache, its objects' JSON made once
        entries, rev = cached
        items = [e.object for e in entries]
    else:
        entries = None
        items, rev = ex.api.list(t.kind, t.namespace, label_selector=label, field_selector=field)
    page, list_meta = paginate(items, rev, limit=ex.int_param("limit"), token=ex.query.get("continue"))
    view = table.wanted_view(ex.accept)
    if view == table.TABLE:
        body = table.table(t.kind, page, resource_version=list_meta["resourceVersion"],
                           include=ex.query.get("includeObject") or "Metadata",
                           list_meta={k: v for k, v in list_meta.items() if k != "resourceVersion"})
    elif view is not None:
        body = table.metadata_list(page, list_meta)
    else:
        body = {"kind": f"{t.kind.kind}List", "apiVersion": t.kind.api_version, "metadata": list_meta,
                "items": page}
        if entries is not None:
            return ex.send(200, _join_items(body, entries, page), JSON)
    ex.send_json(200, body)


def _join_items(body: dict, entries: list, page: list[dict]) -> bytes:
    """The list's JSON, byte for byte what dumps(body) gives, from the items' cached JSON."""
    from minikctl.server.exchange import dumps

    by_id = {id(e.object): e for e in entries}
    head = dumps({**body, "items": []})  # ...,"items":[]}
    return head[:-2] + b",".join(by_id[id(o)].json for o in page) + b"]}"


def paginate(items: list[dict], rev: int, *, limit: int | None, token: str | None) -> tuple[list[dict], dict]:
    """One page of a list sorted by (namespace, name), and its ListMeta. The continue token
    remembers the list's resourceVersion and the last key served."""
    rv = str(rev)
    if token:
        rv, after = _decode_continue(token)
        items = [i for i in items if _key(i) > after]
    meta: dict = {"resourceVersion": rv}
    if limit and limit > 0 and len(items) > limit:
        page = items[:limit]
        meta["continue"] = _encode_continue(rv, _key(page[-1]))
        meta["remainingItemCount"] = len(items) - limit
        return page, meta
    return items, meta


def _key(obj: dict) -> tuple[str, str]:
    md = obj.get("metadata") or {}
    return md.get("namespace") or "", md.get("name") or ""


def _encode_continue(rv: str, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[str, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        ns, name = data["start"]
        return str(data["rv"]), (str(ns), str(name))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.BadRequest("continue key is not valid: incorrect encoded start resourceVersion "
                                "(version meta.k8s.io/v1)") from None


def _get(ex: Exchange, t: Target) -> None:
    obj = ex.api.get(t.kind, namespace_of(t), t.name or "")
    view = table.wanted_view(ex.accept)
    if view == table.TABLE:
        body = table.table(t.kind, [obj], resource_version=(obj.get("metadata") or {}).get("resourceVersion", ""),
                           include=ex.query.get("includeObject") or "Metadata")
        return ex.send_json(200, body)
    if view is not None:
        return ex.send_json(200, table.partial(obj))
    ex.send_json(200, obj)


# -- writes ---------------------------------------------------------------------------------


def read_object(ex: Exchange, t: Target, *, what: str = "") -> dict:
    """The request body as an object of the target's kind, unknown fields handled per
    fieldValidation."""
    decoded = decoding.decode(ex.body, ex.headers.get("Content-Type"))
    obj = decoded.value
    if not isinstance(obj, dict):
        raise errors.BadRequest(f"the body must be a JSON object, not {type(obj).__name__}")
    check_type(obj, t.kind)
    md = obj.get("metadata")
    if md is not None and not isinstance(md, dict):
        raise errors.BadRequest("metadata must be an object")
    md = md or {}
    if t.namespace and md.get("namespace") and md["namespace"] != t.namespace:
        raise errors.BadRequest("the namespace of the provided object does not match the namespace sent on the request")
    if t.name and md.get("name") != t.name:
        raise errors.BadRequest(f"the name of the object ({md.get('name') or ''}) does not match the name on "
                                f"the URL ({t.name})")
    return fields.enforce(t.kind, obj, field_mode(ex), ex.warn, decoded.duplicates)


def check_type(obj: dict, kind: Kind) -> None:
    """Fill apiVersion and kind from the URL when absent, refuse a body of another kind."""
    obj.setdefault("apiVersion", kind.api_version)
    obj.setdefault("kind", kind.kind)
    if obj["apiVersion"] != kind.api_version or obj["kind"] != kind.kind:
        raise errors.BadRequest(f'the API version in the data ({obj["apiVersion"]}) does not match the expected '
                                f'API version ({kind.api_version})' if obj["apiVersion"] != kind.api_version
                                else f'{obj["kind"]} in version "{kind.version}" cannot be handled as a '
                                     f'{kind.kind}: the kind in the body does not match the URL')


def _create(ex: Exchange, t: Target) -> None:
    from minikctl.server import managed

    obj = read_object(ex, t)
    manager = managed.manager_name(ex)
    managed.prepare_create(t.kind, obj, manager)
    created = ex.api.create(obj, namespace=t.namespace, dry_run=ex.dry_run())
    ex.send_json(201, created)


def _replace(ex: Exchange, t: Target) -> None:
    from minikctl.server import managed

    obj = read_object(ex, t)
    dry_run = ex.dry_run()
    if t.subresource == "status":
        return ex.send_json(200, ex.api.update_status(obj, namespace=t.namespace, dry_run=dry_run))
    current = ex.api.get(t.kind, namespace_of(t), t.name or "")
    managed.prepare_update(t.kind, current, obj, managed.manager_name(ex))
    ex.send_json(200, ex.api.update(obj, namespace=t.namespace, dry_run=dry_run))


def _bind(ex: Exchange, t: Target) -> None:
    decoded = decoding.decode(ex.body, ex.headers.get("Content-Type"))
    body = decoded.value if isinstance(decoded.value, dict) else {}
    node = (body.get("target") or {}).get("name")
    if not node:
        raise errors.Invalid("Binding", t.name or "", [errors.Cause("target.name", "FieldValueRequired",
                                                                     "Required value")])
    ex.api.bind(namespace_of(t), t.name or "", node)
    ex.send_json(201, statuses.success())


# -- deletes --------------------------------------------------------------------------------


def delete_options(ex: Exchange) -> dict:
    """DeleteOptions from the body (kubectl sends one) and the query (curl, older clients)."""
    opts: dict = {}
    if ex.body.strip() and decoding.media_type(ex.headers.get("Content-Type")) != decoding.PROTOBUF:
        value = decoding.decode(ex.body, ex.headers.get("Content-Type")).value
        if isinstance(value, dict):
            opts = value
    if "propagationPolicy" in ex.query:
        opts["propagationPolicy"] = ex.query["propagationPolicy"]
    if ex.query.get("gracePeriodSeconds"):
        opts["gracePeriodSeconds"] = ex.int_param("gracePeriodSeconds")
    if ex.flag("orphanDependents") or opts.get("orphanDependents") is True:
        opts.setdefault("propagationPolicy", "Orphan")
    if ex.query.get("dryRun"):
        opts["dryRun"] = [ex.query["dryRun"]]
    policy = opts.get("propagationPolicy")
    if policy not in (None, "Orphan", "Background", "Foreground"):
        raise errors.BadRequest(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                                '"Foreground", "Background", "Orphan"')
    return opts


def _delete(ex: Exchange, t: Target) -> None:
    opts = delete_options(ex)
    ns, name = namespace_of(t), t.name or ""
    pre = opts.get("preconditions") or {}
    if pre.get("uid"):
        _check_uid(ex.api.get(t.kind, ns, name), t.kind, pre["uid"])
    if ex.headers.get(FINISH_DELETE_HEADER) == "true":
        return ex.send_json(200, ex.api.finish_delete(t.kind, ns, name, uid=pre.get("uid")))
    result = ex.api.delete(t.kind, ns, name, dry_run=opts.get("dryRun") == ["All"] or ex.dry_run(),
                           propagation=opts.get("propagationPolicy"), grace_period=opts.get("gracePeriodSeconds"),
                           expect_rv=pre.get("resourceVersion"))
    ex.send_json(200, result)


def _check_uid(obj: dict, kind: Kind, uid: str) -> None:
    have = (obj.get("metadata") or {}).get("uid")
    if have != uid:
        raise errors.Conflict(kind.plural, (obj.get("metadata") or {}).get("name", ""), kind.group,
                              detail=f"Precondition failed: UID in precondition: {uid}, UID in object meta: {have}")


def _delete_collection(ex: Exchange, t: Target) -> None:
    opts = delete_options(ex)
    items, rev = ex.api.list(t.kind, t.namespace, label_selector=ex.query.get("labelSelector") or None,
                             field_selector=ex.query.get("fieldSelector") or None)
    deleted = []
    for item in items:
        md = item.get("metadata") or {}
        try:
            deleted.append(ex.api.delete(t.kind, md.get("namespace") or "", md.get("name") or "",
                                         dry_run=opts.get("dryRun") == ["All"],
                                         propagation=opts.get("propagationPolicy"),
                                         grace_period=opts.get("gracePeriodSeconds")))
        except errors.NotFound:
            continue  # deleted meanwhile: that is what was asked
    ex.send_json(200, {"kind": f"{t.kind.kind}List", "apiVersion": t.kind.api_version,
                       "metadata": {"resourceVersion": str(rev)}, "items": deleted})
