"""Regenerate schemas/ from the Kubernetes 1.32 OpenAPI-derived JSON schemas.

Source: the strict ("additionalProperties: false") 1.32 schema set bundled with the
kubernetes-validate package (Apache-2.0), itself generated from Kubernetes' own OpenAPI
document. For each kind minikctl serves we write one self-contained schema: the kind's
top-level schema plus the transitive closure of the definitions it references, with
references rewritten to local `#/$defs/...`. Descriptions and the x-kubernetes-*
extensions (patch merge keys, list types) are kept: `explain` and strategic merge use them.

    pip install kubernetes-validate==1.37.0
    python tools/gen_schemas.py
"""
from __future__ import annotations

import json
import pathlib
import sys

import kubernetes_validate

VERSION_DIR = "v1.32.0-local-strict"
OUT = pathlib.Path(__file__).resolve().parent.parent / "schemas"

# file stem in the source set -> our schema file name
KINDS = {
    "namespace-v1": "v1.Namespace",
    "node-v1": "v1.Node",
    "pod-v1": "v1.Pod",
    "service-v1": "v1.Service",
    "endpoints-v1": "v1.Endpoints",
    "configmap-v1": "v1.ConfigMap",
    "secret-v1": "v1.Secret",
    "event-v1": "v1.Event",
    "persistentvolumeclaim-v1": "v1.PersistentVolumeClaim",
    "replicaset-apps-v1": "apps.v1.ReplicaSet",
    "deployment-apps-v1": "apps.v1.Deployment",
    "daemonset-apps-v1": "apps.v1.DaemonSet",
    "statefulset-apps-v1": "apps.v1.StatefulSet",
    "job-batch-v1": "batch.v1.Job",
    "cronjob-batch-v1": "batch.v1.CronJob",
    "runtimeclass-node-v1": "node.k8s.io.v1.RuntimeClass",
    "lease-coordination-v1": "coordination.k8s.io.v1.Lease",
    "poddisruptionbudget-policy-v1": "policy.v1.PodDisruptionBudget",
    "controllerrevision-apps-v1": "apps.v1.ControllerRevision",
    "serviceaccount-v1": "v1.ServiceAccount",
    "role-rbac-v1": "rbac.authorization.k8s.io.v1.Role",
    "rolebinding-rbac-v1": "rbac.authorization.k8s.io.v1.RoleBinding",
    "clusterrole-rbac-v1": "rbac.authorization.k8s.io.v1.ClusterRole",
    "clusterrolebinding-rbac-v1": "rbac.authorization.k8s.io.v1.ClusterRoleBinding",
}


def _refs(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _localise(node: object) -> object:
    if isinstance(node, dict):
        out = {k: _localise(v) for k, v in node.items()}
        if isinstance(out.get("$ref"), str):
            out["$ref"] = "#/$defs/" + out["$ref"].rsplit("/", 1)[-1]
        return out
    if isinstance(node, list):
        return [_localise(v) for v in node]
    return node


def main() -> int:
    src = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / VERSION_DIR
    defs = json.loads((src / "_definitions.json").read_text())["$defs"]
    OUT.mkdir(exist_ok=True)
    for stem, name in KINDS.items():
        top = json.loads((src / f"{stem}.json").read_text())
        needed: set[str] = set()
        _refs(top, needed)
        closure: dict[str, object] = {}
        while needed:
            ref = needed.pop()
            if ref in closure:
                continue
            closure[ref] = defs[ref]
            more: set[str] = set()
            _refs(defs[ref], more)
            needed |= more - closure.keys()
        top = _localise(top)
        top["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        top["$defs"] = {k: _localise(closure[k]) for k in sorted(closure)}
        (OUT / f"{name}.json").write_text(json.dumps(top, indent=1, sort_keys=True) + "\n")
        print(f"schemas/{name}.json: {len(closure)} definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
