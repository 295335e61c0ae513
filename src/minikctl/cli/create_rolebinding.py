"""`minikctl create rolebinding NAME --clusterrole=NAME|--role=NAME [--user=u] [--group=g]
[--serviceaccount=ns:name]` and `create clusterrolebinding NAME --clusterrole=NAME ...`, as
kubectl builds them: subjects users first, then groups, then service accounts, in flag
order; users and groups in the rbac group.

RBAC is stored, not enforced: minikctl has one user, an administrator (`auth can-i` says
yes to everything), so a binding changes nothing anyone may do. These commands exist so
that scripts written for a cluster run unchanged.
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from minikctl.cli import options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand

GROUP = "rbac.authorization.k8s.io"
ROLEBINDING_EXAMPLES = """
Examples:
  # Create a role binding for user1, user2, and group1 using the admin cluster role
  minikctl create rolebinding admin --clusterrole=admin --user=user1 --user=user2 --group=group1

  # Create a role binding for service account monitoring:sa-dev using the admin role
  minikctl create rolebinding admin-binding --role=admin --serviceaccount=monitoring:sa-dev
"""
CLUSTERROLEBINDING_EXAMPLES = """
Examples:
  # Create a cluster role binding for user1, user2, and group1 using the cluster-admin cluster role
  minikctl create clusterrolebinding cluster-admin --clusterrole=cluster-admin --user=user1 --user=user2 --group=group1
"""

Users = Annotated[Optional[list[str]], typer.Option("--user", help="Usernames to bind to the role. The flag can be repeated to add multiple users.")]
Groups = Annotated[Optional[list[str]], typer.Option("--group", help="Groups to bind to the role. The flag can be repeated to add multiple groups.")]
ServiceAccounts = Annotated[Optional[list[str]], typer.Option("--serviceaccount", help="Service accounts to bind to the role, in the format <namespace>:<name>. The flag can be repeated to add multiple service accounts.")]


def subjects(users: list[str], groups: list[str], accounts: list[str]) -> list[dict]:
    from minikctl import errors

    out = [{"kind": "User", "apiGroup": GROUP, "name": u} for u in users]
    out += [{"kind": "Group", "apiGroup": GROUP, "name": g} for g in groups]
    for account in accounts:
        parts = account.split(":")
        if len(parts) != 2:
            raise errors.MinikctlError("serviceaccount must be <namespace>:<name>")
        out.append({"kind": "ServiceAccount", "namespace": parts[0], "name": parts[1]})
    return out


def binding(kind: str, name: str, ref_kind: str, ref_name: str, subject_list: list[dict]) -> dict:
    obj: dict = {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": {"name": name},
                 "roleRef": {"apiGroup": GROUP, "kind": ref_kind, "name": ref_name}}
    if subject_list:
        obj["subjects"] = subject_list
    return obj


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_job import keep_layout

    @create_app.command("rolebinding", cls=GoFlagsCommand,
                        short_help="Create a role binding for a particular role or cluster role",
                        help="Create a role binding for a particular role or cluster role.\n\n"
                             + keep_layout(ROLEBINDING_EXAMPLES.strip("\n")))
    @generator()
    def rolebinding(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --clusterrole=NAME|--role=NAME [--user=username] [--group=groupname] [--serviceaccount=namespace:serviceaccountname]")] = None,
        role: Annotated[str, typer.Option("--role", help="Role this RoleBinding should reference")] = "",
        clusterrole: Annotated[str, typer.Option("--clusterrole", help="ClusterRole this RoleBinding should reference")] = "",
        user: Users = None,
        group: Groups = None,
        serviceaccount: ServiceAccounts = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl import errors
        from minikctl.cli import create, state

        verb = "create rolebinding"
        name, _, flags = create.complete(ctx, args, verb, shared)
        if bool(clusterrole) == bool(role):
            raise errors.MinikctlError("exactly one of clusterrole or role must be specified")
        found = subjects(list(user or []), list(group or []), list(serviceaccount or []))
        obj = binding("RoleBinding", name, "ClusterRole" if clusterrole else "Role", clusterrole or role, found)
        state.exit_code = create.create_generated(obj, flags, "rolebinding")

    @create_app.command("clusterrolebinding", cls=GoFlagsCommand,
                        short_help="Create a cluster role binding for a particular cluster role",
                        help="Create a cluster role binding for a particular cluster role.\n\n"
                             + keep_layout(CLUSTERROLEBINDING_EXAMPLES.strip("\n")))
    @generator(namespaced=False)
    def clusterrolebinding(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --clusterrole=NAME [--user=username] [--group=groupname] [--serviceaccount=namespace:serviceaccountname]")] = None,
        clusterrole: Annotated[Optional[str], typer.Option("--clusterrole", help="ClusterRole this ClusterRoleBinding should reference")] = None,
        user: Users = None,
        group: Groups = None,
        serviceaccount: ServiceAccounts = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl import errors
        from minikctl.cli import create, state

        verb = "create clusterrolebinding"
        if clusterrole is None:  # cobra's MarkFlagRequired: checked before anything else
            raise errors.MinikctlError('required flag(s) "clusterrole" not set')
        name, _, flags = create.complete(ctx, args, verb, shared)
        found = subjects(list(user or []), list(group or []), list(serviceaccount or []))
        obj = binding("ClusterRoleBinding", name, "ClusterRole", clusterrole, found)
        state.exit_code = create.create_generated(obj, flags, "clusterrolebinding")
