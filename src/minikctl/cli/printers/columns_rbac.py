"""`kubectl get` columns for ServiceAccounts and the RBAC kinds (see columns.py), as
kubectl 1.32's printers show them:

    serviceaccounts                          NAME  SECRETS  AGE
    roles, clusterroles                      NAME  CREATED AT            (RFC 3339, UTC)
    rolebindings, clusterrolebindings        NAME  ROLE  AGE             (ROLE: Role/pod-reader)
      -o wide adds                           USERS  GROUPS  SERVICEACCOUNTS   (ns/name)
"""
from __future__ import annotations

from minikctl.cli.printers.columns import AGE, NAME, Column, Context, meta


def _created_at(obj: dict, ctx: Context) -> str:
    # The stored timestamp is already RFC 3339 in UTC, second precision: kubectl's form.
    return meta(obj).get("creationTimestamp") or ""


def _role_ref(binding: dict, ctx: Context) -> str:
    ref = binding.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def subjects_strings(binding: dict) -> tuple[list[str], list[str], list[str]]:
    """rbac.SubjectsStrings: users, groups, service accounts (`ns/name`, or the name alone)."""
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for subject in binding.get("subjects") or []:
        kind, name, ns = subject.get("kind"), subject.get("name", ""), subject.get("namespace", "")
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{ns}/{name}" if ns else name)
    return users, groups, accounts


def _subjects(which: int):  # type: ignore[no-untyped-def]
    return lambda o, c: ", ".join(subjects_strings(o)[which])


SERVICEACCOUNT = (NAME, Column("Secrets", 0, lambda o, c: str(len(o.get("secrets") or []))), AGE)
ROLE = (NAME, Column("Created At", 0, _created_at))
ROLEBINDING = (NAME, Column("Role", 0, _role_ref), AGE, Column("Users", 1, _subjects(0)),
               Column("Groups", 1, _subjects(1)), Column("ServiceAccounts", 1, _subjects(2)))

BY_KIND: dict[str, tuple[Column, ...]] = {
    "ServiceAccount": SERVICEACCOUNT,
    "Role": ROLE,
    "ClusterRole": ROLE,
    "RoleBinding": ROLEBINDING,
    "ClusterRoleBinding": ROLEBINDING,
}
