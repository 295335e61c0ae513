"""The scale subresource: an autoscaling/v1 Scale view of a Deployment, ReplicaSet or
StatefulSet's replicas (`kubectl scale` PATCHes it with a merge patch).

GET answers the Scale; PUT and PATCH change spec.replicas of the object underneath, with
the Scale's resourceVersion (the object's) as a precondition when the client gives one.
"""
from __future__ import annotations

from minikctl import errors
from minikctl.server import decoding, managed, patch
from minikctl.server import status as statuses
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target


def scale_of(obj: dict) -> dict:
    md = obj.get("metadata") or {}
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    replicas = spec.get("replicas")
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md},
        "spec": {"replicas": 1 if replicas is None else replicas},
        "status": {"replicas": int(st.get("replicas") or 0), "selector": selector_string(spec.get("selector"))},
    }


def selector_string(selector: dict | None) -> str:
    """A LabelSelector as its string form, as metav1.LabelSelectorAsSelector prints it."""
    if not selector:
        return ""
    parts: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        parts.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), sorted(expr.get("values") or [])
        text = {"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op, "")
        parts.append((key, text))
    return ",".join(text for _, text in sorted(parts))


def serve(ex: Exchange, t: Target) -> None:
    if ex.method == "GET":
        return ex.send_json(200, scale_of(ex.api.get(t.kind, t.namespace or "", t.name or "")))
    if ex.method not in ("PUT", "PATCH"):
        return ex.send_status(statuses.method_not_allowed(ex.method))
    content_type = ex.headers.get("Content-Type")
    media = decoding.media_type(content_type)
    body = decoding.decode(ex.body, content_type, patch=ex.method == "PATCH").value
    manager = managed.manager_name(ex)
    main = Target(t.kind, t.namespace, t.name)

    def change(current: dict) -> dict:
        scale = scale_of(current)
        wanted = body if ex.method == "PUT" else patch.apply_to(None, media, scale, body)
        replicas = _replicas(wanted, t.name or "")
        new = {**current, "spec": {**(current.get("spec") or {}), "replicas": replicas}}
        new["metadata"] = dict(current["metadata"])
        asked = (wanted.get("metadata") or {}).get("resourceVersion")
        if asked:
            new["metadata"]["resourceVersion"] = asked
        managed.prepare_update(t.kind, current, new, manager, "scale")
        return new

    result = patch.write_with_retry(ex, main, change, dry_run=ex.dry_run())
    ex.send_json(200, scale_of(result))


def _replicas(scale: object, name: str) -> int:
    replicas = ((scale or {}).get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.Invalid("Scale", name, [errors.Cause("spec.replicas", "FieldValueInvalid",
                                                          f"Invalid value: {replicas}: must be greater than or "
                                                          "equal to 0")], "autoscaling")
    return replicas
