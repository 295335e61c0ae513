"""POST .../pods/NAME/eviction: a policy/v1 Eviction (JSON, or protobuf from kubectl's
typed client), answered by the api layer's eviction (api/eviction.py): 201 and a
Status Success; 429 when a PodDisruptionBudget refuses; 500 for a pod under two budgets.
"""
from __future__ import annotations

from minikctl import errors
from minikctl.server import decoding
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

KINDS = ("Eviction",)
API_VERSIONS = ("policy/v1", "policy/v1beta1", "v1")


def serve(ex: Exchange, t: Target) -> None:
    from minikctl.api import eviction

    body = decoding.decode(ex.body, ex.headers.get("Content-Type")).value
    if not isinstance(body, dict) or body.get("kind") not in KINDS or body.get("apiVersion") not in API_VERSIONS:
        raise errors.BadRequest(f"not a valid Eviction: kind {body.get('kind') if isinstance(body, dict) else None!r}")
    name = ((body.get("metadata") or {}).get("name")) or ""
    if name and name != t.name:
        raise errors.BadRequest("name in URL does not match name in Eviction object")
    options = body.get("deleteOptions") or {}
    dry_run = options.get("dryRun") or []
    if dry_run not in ([], ["All"]):
        raise errors.BadRequest(f'dryRun: Unsupported value: "{dry_run[0]}": supported values: "All"')
    grace = options.get("gracePeriodSeconds")
    result = eviction.evict(ex.api, t.namespace or "", t.name or "", grace_period=None if grace is None else int(grace),
                            dry_run=dry_run == ["All"] or ex.dry_run())
    ex.send_json(201, result)
