"""ServiceAccount admission for pods (plugin/pkg/admission/serviceaccount), on create:

    spec.serviceAccountName ""      -> "default" (spec.serviceAccount, the deprecated
                                       alias, is read when the name is empty and always
                                       mirrors it afterwards, as the v1 conversion does)
    a ServiceAccount that is absent -> 403: pods "web" is forbidden: error looking up
                                       service account NS/SA: serviceaccount "SA" not found

The `default` ServiceAccount is the exception, and here minikctl differs from a cluster
on purpose. A cluster's serviceaccount controller creates it moments after a namespace
appears, and the admission plugin retries for about a second before refusing. minikctl
also runs without a daemon (the CLI writes the store itself, and no controller runs), and
`minikctl apply -f` of a fresh Namespace plus a Deployment must work either way. So when
a pod names `default` and it does not exist yet, this admission creates it, in the same
shape the controller would (controllers/serviceaccount.py; a race with the controller is
an AlreadyExists, ignored). A dry run creates nothing and accepts the pod.

No token is issued or mounted (minikctl has no token issuer, and its one user is an
administrator): automountServiceAccountToken stays among the fields the API accepts
without acting on (api/defaults.py).

Only the stdlib and the api layer: the CLI's in-process path runs this on create.
"""
from __future__ import annotations

from minikctl import errors

DEFAULT = "default"
RESOURCE = "serviceaccounts"  # the store's name for the kind (Kind.resource)
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"  # mirror pods are exempt, as in Kubernetes


def default_service_account(namespace: str) -> dict:
    """The `default` ServiceAccount of a namespace, as the controller creates it."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": DEFAULT, "namespace": namespace}}


def admit_pod(api, pod: dict, *, dry_run: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Default a pod's service account and refuse a pod whose service account is missing.
    `api` is the api.handler.Api the pod is being created through."""
    spec = pod.setdefault("spec", {})
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or DEFAULT
    spec["serviceAccountName"] = spec["serviceAccount"] = name
    md = pod.get("metadata") or {}
    if MIRROR_ANNOTATION in (md.get("annotations") or {}):
        return
    namespace = md.get("namespace") or "default"
    try:
        api.store.get(RESOURCE, namespace, name)
        return
    except errors.NotFound:
        if name != DEFAULT:
            pod_name = md.get("name") or ""
            raise errors.Forbidden(f'pods "{pod_name}" is forbidden: error looking up service account '
                                   f'{namespace}/{name}: serviceaccount "{name}" not found',
                                   kind="pods", name=pod_name) from None
    if dry_run:
        return
    try:
        api.create(default_service_account(namespace))
    except errors.AlreadyExists:
        pass  # the controller (or a concurrent pod) was first
