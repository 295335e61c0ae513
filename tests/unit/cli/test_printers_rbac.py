"""`kubectl get` columns for ServiceAccounts and the RBAC kinds, and the server's Table
cells built from the same columns."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from minikctl.api import kinds
from minikctl.cli.printers import print_objects
from minikctl.server import table

NOW = datetime(2024, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
CREATED = "2024-01-15T11:55:00Z"
RBAC = "rbac.authorization.k8s.io/v1"


def render(objs: list[dict], output: str | None = None) -> list[str]:
    out = io.StringIO()
    print_objects(objs, output=output, out=out, now=NOW)
    return out.getvalue().splitlines()


def md(name: str, ns: str | None = "default") -> dict:
    return {"name": name, "creationTimestamp": CREATED, **({"namespace": ns} if ns else {})}


SUBJECTS = [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"},
            {"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"},
            {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
            {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
            {"kind": "ServiceAccount", "name": "local"}]


def test_service_accounts_count_their_secrets():
    objs = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": md("default")},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": md("builder"),
             "secrets": [{"name": "a"}, {"name": "b"}]}]
    assert render(objs) == ["NAME      SECRETS   AGE",
                            "default   0         5m",
                            "builder   2         5m"]


def test_roles_print_their_creation_time_as_rfc3339():
    objs = [{"apiVersion": RBAC, "kind": "Role", "metadata": md("pod-reader"), "rules": []}]
    assert render(objs) == ["NAME         CREATED AT",
                            "pod-reader   2024-01-15T11:55:00Z"]
    cluster = [{"apiVersion": RBAC, "kind": "ClusterRole", "metadata": md("system:aggregate-to-view", None)}]
    assert render(cluster) == ["NAME                       CREATED AT",
                               "system:aggregate-to-view   2024-01-15T11:55:00Z"]


def test_bindings_print_their_role_and_with_wide_their_subjects():
    rb = {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": md("read-pods"),
          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
          "subjects": SUBJECTS}
    assert render([rb]) == ["NAME        ROLE              AGE",
                            "read-pods   Role/pod-reader   5m"]
    assert render([rb], "wide") == [
        "NAME        ROLE              AGE   USERS       GROUPS   SERVICEACCOUNTS",
        "read-pods   Role/pod-reader   5m    jane, bob   devs     ci/builder, local"]
    crb = {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": md("viewers", None),
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}}
    header, row = render([crb], "wide")
    assert header == "NAME      ROLE               AGE   USERS   GROUPS   SERVICEACCOUNTS"
    assert row.rstrip() == "viewers   ClusterRole/view   5m"  # no subjects: empty cells


def test_server_tables_use_the_same_columns():
    rb = {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": md("read-pods"),
          "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": SUBJECTS[3:4]}
    t = table.table(kinds.by_kind("RoleBinding"), [rb], resource_version="1")
    assert [(c["name"], c["priority"]) for c in t["columnDefinitions"]] == [
        ("Name", 0), ("Role", 0), ("Age", 0), ("Users", 1), ("Groups", 1), ("ServiceAccounts", 1)]
    assert t["rows"][0]["cells"][:2] == ["read-pods", "ClusterRole/view"]
    assert t["rows"][0]["cells"][3:] == ["", "", "ci/builder"]
    sa = table.table(kinds.by_kind("ServiceAccount"), [], resource_version="1")
    assert [c["name"] for c in sa["columnDefinitions"]] == ["Name", "Secrets", "Age"]
    role = table.table(kinds.by_kind("Role"), [], resource_version="1")
    assert [c["name"] for c in role["columnDefinitions"]] == ["Name", "Created At"]
