"""Who am I and what may I do: the review APIs behind `kubectl auth whoami` and
`kubectl auth can-i`.

    POST /apis/authentication.k8s.io/{v1,v1beta1,v1alpha1}/selfsubjectreviews
    POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews     (can-i VERB RESOURCE)
    POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews      (can-i --list)

There is one user, the holder of the token, and it may do everything (as a cluster's
system:masters): every access review is allowed, the rules review lists `*`. The
reviews are created, not stored; kubectl's typed client sends them as protobuf.
"""
from __future__ import annotations

from minikctl.api.kinds import Kind
from minikctl.server import decoding
from minikctl.server import status as statuses
from minikctl.server.exchange import Exchange

USERNAME = "minikctl-admin"
GROUPS = ["system:masters", "system:authenticated"]

AUTHENTICATION = "authentication.k8s.io"
AUTHORIZATION = "authorization.k8s.io"
_CREATE = ("create",)
# For discovery (server/discovery.py): kinds this module serves.
KINDS = (
    Kind(AUTHENTICATION, "v1", "SelfSubjectReview", "selfsubjectreviews", namespaced=False, verbs=_CREATE),
    Kind(AUTHORIZATION, "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", namespaced=False, verbs=_CREATE),
    Kind(AUTHORIZATION, "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", namespaced=False, verbs=_CREATE),
)
_PATHS = {f"/apis/{AUTHENTICATION}/{v}/selfsubjectreviews": (AUTHENTICATION, v, "SelfSubjectReview")
          for v in ("v1", "v1beta1", "v1alpha1")}
_PATHS[f"/apis/{AUTHORIZATION}/v1/selfsubjectaccessreviews"] = (AUTHORIZATION, "v1", "SelfSubjectAccessReview")
_PATHS[f"/apis/{AUTHORIZATION}/v1/selfsubjectrulesreviews"] = (AUTHORIZATION, "v1", "SelfSubjectRulesReview")


def serves(path: str) -> bool:
    return path in _PATHS


def serve(ex: Exchange) -> None:
    group, version, kind = _PATHS[ex.path]
    if ex.method != "POST":
        return ex.send_status(statuses.method_not_allowed(ex.method))
    body = decoding.decode(ex.body, ex.headers.get("Content-Type")).value if ex.body.strip() else {}
    if not isinstance(body, dict):
        body = {}
    api_version = f"{group}/{version}"
    if body.get("kind") not in (None, kind) or body.get("apiVersion") not in (None, api_version):
        from minikctl import errors

        raise errors.BadRequest(f"{body.get('kind')} in version \"{version}\" cannot be handled as a {kind}")
    out = {"kind": kind, "apiVersion": api_version, "metadata": {"creationTimestamp": None}}
    if kind == "SelfSubjectReview":
        out["status"] = {"userInfo": {"username": USERNAME, "groups": list(GROUPS)}}
    elif kind == "SelfSubjectAccessReview":
        out["spec"] = body.get("spec") or {}
        out["status"] = {"allowed": True, "reason": "minikctl: the token holder may do everything"}
    else:
        out["spec"] = body.get("spec") or {}
        out["status"] = {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                         "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                         "incomplete": False}
    ex.send_json(201, out)
