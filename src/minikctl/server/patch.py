"""PATCH: the four patch types on objects and their status subresource.

    application/json-patch+json             RFC 6902 (kubectl rollout undo)
    application/merge-patch+json            RFC 7386 (kubectl label, annotate, scale)
    application/strategic-merge-patch+json  Kubernetes' own (kubectl apply, edit, set image)
    application/apply-patch+yaml            server-side apply: apply.py

The patch is applied to the live object and the result written with the live
resourceVersion as a precondition; a concurrent write makes the server re-read and
re-apply (as kube-apiserver does), unless the patch itself names a resourceVersion,
which is then a precondition the client asked for (409 when stale).
"""
from __future__ import annotations

from typing import Any

from minikctl import errors
from minikctl.api import schemas, strategicpatch
from minikctl.api.kinds import Kind
from minikctl.server import decoding, fields, managed
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

_RETRIES = 10


def serve(ex: Exchange, t: Target) -> None:
    content_type = ex.headers.get("Content-Type")
    media = decoding.media_type(content_type)
    decoded = decoding.decode(ex.body, content_type, patch=True)
    if media == decoding.APPLY_PATCH:
        from minikctl.server import apply

        return apply.serve(ex, t, decoded.value)
    manager = managed.manager_name(ex)
    how = _mode(ex)
    dry_run = ex.dry_run()

    def change(current: dict) -> dict:
        patched = apply_to(t.kind, media, current, decoded.value)
        _check_identity(current, patched, t)
        patched = fields.enforce(t.kind, patched, how, ex.warn)
        managed.prepare_update(t.kind, current, patched, manager, t.subresource or "")
        return patched

    ex.send_json(200, write_with_retry(ex, t, change, dry_run=dry_run))


def _mode(ex: Exchange) -> str:
    from minikctl.server import resources

    return resources.field_mode(ex)


def apply_to(kind: Kind | None, media: str, doc: dict, patch: Any) -> dict:
    """`doc` with `patch` applied; BadRequest for a malformed patch."""
    try:
        if media == decoding.JSON_PATCH:
            result = strategicpatch.apply_json_patch(doc, patch)
        elif media == decoding.MERGE_PATCH:
            _require_object(patch)
            result = strategicpatch.apply_merge_patch(doc, patch)
        elif media == decoding.STRATEGIC_PATCH:
            _require_object(patch)
            result = strategicpatch.apply_patch(doc, patch, schemas.load(kind) if kind else None)
        else:
            raise decoding.UnsupportedMediaType(media)
    except ValueError as exc:
        raise errors.BadRequest(str(exc)) from None
    if not isinstance(result, dict):
        raise errors.BadRequest("the patch turns the object into something that is not an object")
    return result


def _require_object(patch: Any) -> None:
    if not isinstance(patch, dict):
        raise errors.BadRequest("the patch must be a JSON object")


def _check_identity(current: dict, patched: dict, t: Target) -> None:
    for field in ("apiVersion", "kind"):
        if patched.get(field) != current.get(field):
            raise errors.BadRequest(f"{field} cannot be changed by a patch")
    md = patched.get("metadata")
    if not isinstance(md, dict) or md.get("name") != (current.get("metadata") or {}).get("name"):
        raise errors.BadRequest(f"the name of the object does not match the name on the URL ({t.name})")
    if (md.get("namespace") or "") != ((current.get("metadata") or {}).get("namespace") or ""):
        raise errors.BadRequest("the namespace of the object does not match the namespace on the URL")


def write_with_retry(ex: Exchange, t: Target, change, *, dry_run: bool) -> dict:  # type: ignore[no-untyped-def]
    """Read, change, write with the read's resourceVersion; again on a conflict the
    change did not ask for."""
    ns, name = t.namespace or "", t.name or ""
    for _ in range(_RETRIES):
        current = ex.api.get(t.kind, ns, name)
        live_rv = current["metadata"].get("resourceVersion")
        wanted = change(current)
        asked_rv = (wanted.get("metadata") or {}).get("resourceVersion")
        if asked_rv and asked_rv != live_rv:
            raise errors.Conflict(t.kind.plural, name, t.kind.group)
        wanted["metadata"]["resourceVersion"] = live_rv
        try:
            if t.subresource == "status":
                return ex.api.update_status(wanted, namespace=t.namespace, dry_run=dry_run)
            return ex.api.update(wanted, namespace=t.namespace, dry_run=dry_run)
        except errors.Conflict:
            continue
    raise errors.Conflict(t.kind.plural, name, t.kind.group)
