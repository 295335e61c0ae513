"""Discovery: which groups, versions and resources this server serves.

kubectl asks `/api` and `/apis` with an Accept that prefers the aggregated form
(APIGroupDiscoveryList, apidiscovery.k8s.io/v2): one answer each describes everything,
and kubectl recognises it by the response Content-Type alone. Clients that ask plainly
get the legacy documents (APIVersions, APIGroupList) and then fetch `/api/v1` and
`/apis/{group}/{version}` (APIResourceList) one by one; both are served.
"""
from __future__ import annotations

import functools

from minikctl.api import kinds
from minikctl.api.kinds import Kind
from minikctl.server import routes

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

_SUB_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"], "log": ["get"],
              "binding": ["create"], "exec": ["create", "get"], "attach": ["create", "get"],
              "portforward": ["create", "get"], "eviction": ["create"]}


def aggregated_version(accept: str) -> str | None:
    """'v2' or 'v2beta1' when the Accept header asks for aggregated discovery, else None."""
    for media in accept.split(","):
        params = dict(_param(p) for p in media.split(";")[1:])
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList":
            if params.get("v") in ("v2", "v2beta1"):
                return params["v"]
    return None


def _param(text: str) -> tuple[str, str]:
    key, _, value = text.strip().partition("=")
    return key.strip(), value.strip()


# -- aggregated ---------------------------------------------------------------------------


def aggregated(legacy_core: bool, version: str = "v2") -> dict:
    """The APIGroupDiscoveryList for `/api` (legacy_core) or `/apis`."""
    items = [_group_discovery(group, kind_list) for group, kind_list in _groups().items()
             if (group == "") == legacy_core]
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}


def _group_discovery(group: str, kind_list: list[Kind]) -> dict:
    return {"metadata": {"name": group},
            "versions": [{"version": kind_list[0].version, "freshness": "Current",
                          "resources": [_resource_discovery(k) for k in kind_list]}]}


def _resource_discovery(kind: Kind) -> dict:
    entry: dict = {
        "resource": kind.plural,
        "singularResource": kind.singular,
        "scope": "Namespaced" if kind.namespaced else "Cluster",
        "responseKind": {"group": kind.group, "version": kind.version, "kind": kind.kind},
        "verbs": sorted(kind.verbs),
    }
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    subs = [{"subresource": sub, "responseKind": _sub_kind(kind, sub), "verbs": _SUB_VERBS[sub]}
            for sub in routes.subresources(kind)]
    if subs:
        entry["subresources"] = subs
    return entry


def _sub_kind(kind: Kind, sub: str) -> dict:
    if sub == "scale":
        return {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    if sub == "binding":
        return {"group": "", "version": "v1", "kind": "Binding"}
    if sub == "eviction":
        return {"group": "policy", "version": "v1", "kind": "Eviction"}
    if sub in ("exec", "attach", "portforward"):
        options = {"exec": "PodExecOptions", "attach": "PodAttachOptions", "portforward": "PodPortForwardOptions"}
        return {"group": "", "version": "v1", "kind": options[sub]}
    return {"group": kind.group, "version": kind.version, "kind": kind.kind}


# -- legacy ---------------------------------------------------------------------------------


def api_versions(server_address: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_api_group(g, ks) for g, ks in _groups().items() if g]}


def api_group(group: str) -> dict | None:
    found = _groups().get(group)
    if not group or found is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group, found)}


def _api_group(group: str, kind_list: list[Kind]) -> dict:
    gv = {"groupVersion": kind_list[0].api_version, "version": kind_list[0].version}
    return {"name": group, "versions": [gv], "preferredVersion": gv}


def resource_list(api_version: str) -> dict | None:
    found = [k for k in _served_kinds() if k.api_version == api_version] or None
    if found is None:
        return None
    resources: list[dict] = []
    for kind in found:
        resources.append(_api_resource(kind))
        for sub in routes.subresources(kind):
            resources.append(_api_subresource(kind, sub))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version, "resources": resources}


def _api_resource(kind: Kind) -> dict:
    entry: dict = {"name": kind.plural, "singularName": kind.singular, "namespaced": kind.namespaced,
                   "kind": kind.kind, "verbs": sorted(kind.verbs)}
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    return entry


def _api_subresource(kind: Kind, sub: str) -> dict:
    entry: dict = {"name": f"{kind.plural}/{sub}", "singularName": "", "namespaced": kind.namespaced,
                   "kind": _sub_kind(kind, sub)["kind"], "verbs": _SUB_VERBS[sub]}
    if sub == "scale":
        entry.update(group="autoscaling", version="v1")
    if sub == "eviction":
        entry.update(group="policy", version="v1")  # kubectl drain looks for exactly this entry
    return entry


def _served_kinds() -> tuple[Kind, ...]:
    """The stored kinds, then those served without a store: the review APIs behind
    `kubectl auth`, and the metrics API behind `kubectl top`."""
    from minikctl.server import metrics, reviews

    return (*kinds.KINDS, *reviews.KINDS, *metrics.KINDS)


@functools.lru_cache(maxsize=1)
def _groups() -> dict[str, list[Kind]]:
    out: dict[str, list[Kind]] = {}
    for kind in _served_kinds():
        out.setdefault(kind.group, []).append(kind)
    return out
