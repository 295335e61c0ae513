"""`describe` of a ServiceAccount, a ClusterRole and a RoleBinding: the expected pages are
what real kubectl 1.32 printed for these same objects served by minikctl's API server."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from minikctl.cli.printers import describe

NOW = datetime(2024, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
RBAC = "rbac.authorization.k8s.io"

SA = {"apiVersion": "v1", "kind": "ServiceAccount",
      "metadata": {"name": "robot", "namespace": "default", "labels": {"a": "b"}},
      "secrets": [{"name": "gone"}, {"name": "pull"}], "imagePullSecrets": [{"name": "pull"}]}
ROLE = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": "mix"}, "rules": [
    {"apiGroups": ["", "apps"], "resources": ["pods", "deployments/scale"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["watch"]},
    {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a", "b"], "verbs": ["get"]},
    {"nonResourceURLs": ["/healthz", "/api/*"], "verbs": ["get", "post"]}]}
BINDING = {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "default"},
           "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "mix"},
           "subjects": [{"kind": "User", "name": "jane", "apiGroup": RBAC},
                        {"kind": "ServiceAccount", "name": "robot", "namespace": "default"}]}


def page(obj: dict, events: list | None = None, related: dict | None = None) -> str:
    out = io.StringIO()
    describe(obj, events, out, now=NOW, related=related)
    return out.getvalue()


def test_service_account():
    secrets = [{"metadata": {"name": "pull"}, "type": "Opaque"},
               {"metadata": {"name": "robot-token", "annotations": {"kubernetes.io/service-account.name": "robot"}},
                "type": "kubernetes.io/service-account-token"}]
    assert page(SA, [], {"secrets": secrets[:1]}) == (
        "Name:                robot\n"
        "Namespace:           default\n"
        "Labels:              a=b\n"
        "Annotations:         <none>\n"
        "Image pull secrets:  pull\n"
        "Mountable secrets:   gone (not found)\n"
        "                     pull\n"
        "Tokens:              <none>\n"
        "Events:              <none>\n")
    with_token = page(SA, None, {"secrets": secrets})
    assert "Tokens:              robot-token\n" in with_token and "Events" not in with_token


def test_cluster_role_rules_are_broken_down_compacted_and_sorted_as_kubectl_does():
    assert page(ROLE, []) == (
        "Name:         mix\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "PolicyRule:\n"
        "  Resources               Non-Resource URLs  Resource Names  Verbs\n"
        "  ---------               -----------------  --------------  -----\n"
        "  pods                    []                 []              [get list watch]\n"
        "  deployments/scale       []                 []              [get list]\n"
        "  deployments.apps/scale  []                 []              [get list]\n"
        "  pods.apps               []                 []              [get list]\n"
        "                          [/api/*]           []              [get]\n"
        "                          [/healthz]         []              [get]\n"
        "  secrets                 []                 [a]             [get]\n"
        "  secrets                 []                 [b]             [get]\n"
        "                          [/api/*]           []              [post]\n"
        "                          [/healthz]         []              [post]\n")


def test_role_binding():
    assert page(BINDING, []) == (
        "Name:         rb\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "Role:\n"
        "  Kind:  ClusterRole\n"
        "  Name:  mix\n"
        "Subjects:\n"
        "  Kind            Name   Namespace\n"
        "  ----            ----   ---------\n"
        "  User            jane   \n"
        "  ServiceAccount  robot  default\n")
