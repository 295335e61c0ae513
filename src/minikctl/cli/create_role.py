"""`minikctl create role NAME --verb=verb --resource=resource.group/subresource
[--resource-name=name]` and `create clusterrole NAME ... [--non-resource-url=/path]
[--aggregation-rule=key=value]`, as kubectl builds them (cmd/create/create_role.go and
create_clusterrole.go): verbs and resource names de-duplicated (`*` swallows every other
verb), each resource resolved to its plural and group as the server names it (`po` is
`pods` in "", `deploy` is `deployments` in apps), one rule per group, groups sorted.

RBAC is stored, not enforced: minikctl has one user, an administrator (`auth can-i` says
yes to everything), so a role grants nothing new. These commands exist so that scripts
written for a cluster run unchanged.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl.cli import options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand

RBAC = "rbac.authorization.k8s.io"
VALID_RESOURCE_VERBS = ("*", "get", "delete", "list", "create", "update", "patch", "watch", "proxy",
                        "deletecollection", "use", "bind", "escalate", "impersonate")
VALID_NON_RESOURCE_VERBS = ("*", "get", "post", "put", "delete", "patch", "head", "options")
# Verbs that only make sense on some resources (kubectl's specialVerbs).
SPECIAL_VERBS: dict[str, tuple[tuple[str, str], ...]] = {
    "use": (("policy", "podsecuritypolicies"),),
    "bind": ((RBAC, "roles"), (RBAC, "clusterroles")),
    "escalate": ((RBAC, "roles"), (RBAC, "clusterroles")),
    "impersonate": (("", "users"), ("", "serviceaccounts"), ("", "groups"), ("authentication.k8s.io", "userextras")),
}
ROLE_EXAMPLES = """
Examples:
  # Create a role named "pod-reader" that allows user to perform "get", "watch" and "list" on pods
  minikctl create role pod-reader --verb=get --verb=list --verb=watch --resource=pods

  # Create a role named "pod-reader" with ResourceName specified
  minikctl create role pod-reader --verb=get --resource=pods --resource-name=readablepod --resource-name=anotherpod

  # Create a role named "foo" with API Group specified
  minikctl create role foo --verb=get,list,watch --resource=rs.apps

  # Create a role named "foo" with SubResource specified
  minikctl create role foo --verb=get,list,watch --resource=pods,pods/status
"""
CLUSTERROLE_EXAMPLES = """
Examples:
  # Create a cluster role named "pod-reader" that allows user to perform "get", "watch" and "list" on pods
  minikctl create clusterrole pod-reader --verb=get,list,watch --resource=pods

  # Create a cluster role named "foo" with NonResourceURL specified
  minikctl create clusterrole "foo" --verb=get --non-resource-url=/logs/*

  # Create a cluster role name "monitoring" with AggregationRule specified
  minikctl create clusterrole monitoring --aggregation-rule="rbac.example.com/aggregate-to-monitoring=true"
"""

Verbs = Annotated[Optional[list[str]], typer.Option("--verb", help="Verb that applies to the resources contained in the rule")]
Resources = Annotated[Optional[list[str]], typer.Option("--resource", help="Resource that the rule applies to")]
ResourceNames = Annotated[Optional[list[str]], typer.Option("--resource-name", help="Resource in the white list that the rule applies to, repeat this flag for multiple items")]


class NoResourceMatch(Exception):
    """kubectl prints a RESTMapper miss bare (no `error: ` prefix)."""


@dataclass
class Resource:
    resource: str
    group: str = ""
    subresource: str = ""


def parse_resources(values: list[str]) -> list[Resource]:
    """`resource.group/subresource` each; a bare `*` stands for every resource."""
    out: list[Resource] = []
    for value in values:
        base, slash, sub = value.partition("/")
        name, dot, group = base.partition(".")
        r = Resource(name, group if dot else "", sub if slash else "")
        if r.resource == "*" and not dot and not slash:
            return [r]
        out.append(r)
    return out


def unique(values: list[str], *, star: bool = False) -> list[str]:
    out: list[str] = []
    for v in values:
        if star and v == "*":
            return ["*"]
        if v not in out:
            out.append(v)
    return out


def resolve(r: Resource) -> tuple[str, str] | None:
    """(group, plural) as discovery names the resource, or None when the server has no such type."""
    from minikctl import errors
    from minikctl.api import kinds

    try:
        kind = kinds.resolve(f"{r.resource}.{r.group}" if r.group else r.resource)
    except errors.UnknownResourceType:
        return None
    return kind.group, kind.plural


def validate_resources(resources: list[Resource], verbs: list[str]) -> None:
    """kubectl's validateResource: every resource exists (or a special verb names it)."""
    from minikctl import errors

    for r in resources:
        if not r.resource:
            raise errors.MinikctlError("resource must be specified if apiGroup/subresource specified")
        if r.resource == "*":
            return
        found = resolve(r)
        group, plural = found or (r.group, r.resource)
        for verb in verbs:
            if verb in SPECIAL_VERBS:
                if (group, plural) not in SPECIAL_VERBS[verb]:
                    raise errors.MinikctlError(f"can not perform '{verb}' on '{plural}' in group '{group}'")
                found = found or (group, plural)
        if found is None:
            where = f' in group "{r.group}"' if r.group else ""
            raise NoResourceMatch(f'the server doesn\'t have a resource type "{r.resource}"{where}')


def resource_rules(verbs: list[str], resources: list[Resource], names: list[str]) -> list[dict]:
    """generateResourcePolicyRules: one rule per API group, groups sorted."""
    by_group: dict[str, list[str]] = {}
    for r in resources:
        group, plural = resolve(r) or (r.group, r.resource)
        if r.subresource:
            plural = f"{plural}/{r.subresource}"
        listed = by_group.setdefault(group, [])
        if plural not in listed:
            listed.append(plural)
    rules = []
    for group in sorted(by_group):
        rule: dict = {"verbs": list(verbs), "apiGroups": [group], "resources": by_group[group]}
        if names:
            rule["resourceNames"] = list(names)
        rules.append(rule)
    return rules


def warn_nonstandard(verbs: list[str]) -> None:
    for verb in verbs:
        if verb not in VALID_RESOURCE_VERBS:
            print(f"Warning: '{verb}' is not a standard resource verb", file=sys.stderr)


@dataclass
class CreateRoleOptions:
    name: str
    verbs: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    resource_names: list[str] = field(default_factory=list)

    def validate(self) -> None:
        from minikctl import errors

        if not self.verbs:
            raise errors.MinikctlError("at least one verb must be specified")
        warn_nonstandard(self.verbs)
        if not self.resources:
            raise errors.MinikctlError("at least one resource must be specified")
        validate_resources(self.resources, self.verbs)

    def role(self) -> dict:
        return {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": {"name": self.name},
                "rules": resource_rules(self.verbs, self.resources, self.resource_names)}


@dataclass
class CreateClusterRoleOptions(CreateRoleOptions):
    non_resource_urls: list[str] = field(default_factory=list)
    aggregation: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        from minikctl import errors

        if self.aggregation:
            if self.non_resource_urls or self.verbs or self.resources or self.resource_names:
                raise errors.MinikctlError("aggregation rule must be specified without nonResourceURLs, verbs, "
                                           "resources or resourceNames")
            return
        if not self.verbs:
            raise errors.MinikctlError("at least one verb must be specified")
        if not self.resources and not self.non_resource_urls:
            raise errors.MinikctlError("one of resource or nonResourceURL must be specified")
        if self.resources:
            warn_nonstandard(self.verbs)
            validate_resources(self.resources, self.verbs)
        if self.non_resource_urls:
            for verb in self.verbs:
                if verb not in VALID_NON_RESOURCE_VERBS:
                    raise errors.MinikctlError(f"invalid verb: '{verb}' for nonResourceURL")
            for url in self.non_resource_urls:
                if url == "*":
                    continue
                if not url.startswith("/"):
                    raise errors.MinikctlError("nonResourceURL should start with /")
                if "*" in url[:-1]:
                    raise errors.MinikctlError("nonResourceURL only supports wildcard matches when '*' is at the end")

    def cluster_role(self) -> dict:
        obj: dict = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": self.name}}
        if self.aggregation:
            obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": dict(self.aggregation)}]}
            return obj
        rules = resource_rules(self.verbs, self.resources, self.resource_names) if self.resources else []
        if self.non_resource_urls:
            rules.append({"verbs": list(self.verbs), "nonResourceURLs": list(self.non_resource_urls)})
        obj["rules"] = rules
        return obj


def parse_map(values: list[str], flag: str, verb: str) -> dict[str, str]:
    """pflag's StringToString: `k=v,k2=v2` (each occurrence adds)."""
    from minikctl import errors
    from minikctl.cli.create_configmap import split_slice

    out: dict[str, str] = {}
    for value in values:
        for pair in split_slice([value]):
            key, eq, item = pair.partition("=")
            if not eq:
                raise errors.UsageError(f'invalid argument "{value}" for "{flag}" flag: malformed pair, '
                                        "expect string=string", verb)
            out[key] = item
    return out


def _run(obj_builder, flags, what: str) -> int:  # type: ignore[no-untyped-def]
    from minikctl.cli import create

    try:
        obj = obj_builder()
    except NoResourceMatch as exc:
        print(exc, file=sys.stderr)
        return 1
    # kubectl create role|clusterrole return the server's error as it is (no "failed to create").
    return create.create_generated(obj, flags, what, wrap_errors=False)


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_configmap import split_slice
    from minikctl.cli.create_job import keep_layout

    @create_app.command("role", cls=GoFlagsCommand, short_help="Create a role with single rule",
                        help="Create a role with single rule.\n\n" + keep_layout(ROLE_EXAMPLES.strip("\n")))
    @generator()
    def role(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --verb=verb --resource=resource.group/subresource [--resource-name=resourcename]")] = None,
        verb: Verbs = None,
        resource: Resources = None,
        resource_name: ResourceNames = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl.cli import create, state

        name, _, flags = create.complete(ctx, args, "create role", shared)
        opts = CreateRoleOptions(name, unique(split_slice(verb), star=True), parse_resources(split_slice(resource)),
                                 unique(list(resource_name or [])))

        def build() -> dict:
            opts.validate()
            return opts.role()

        state.exit_code = _run(build, flags, "role")

    @create_app.command("clusterrole", cls=GoFlagsCommand, short_help="Create a cluster role",
                        help="Create a cluster role.\n\n" + keep_layout(CLUSTERROLE_EXAMPLES.strip("\n")))
    @generator(namespaced=False)
    def clusterrole(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --verb=verb --resource=resource.group [--resource-name=resourcename]")] = None,
        verb: Verbs = None,
        resource: Resources = None,
        resource_name: ResourceNames = None,
        non_resource_url: Annotated[Optional[list[str]], typer.Option("--non-resource-url", help="A partial url that user should have access to.")] = None,
        aggregation_rule: Annotated[Optional[list[str]], typer.Option("--aggregation-rule", help="An aggregation label selector for combining ClusterRoles.")] = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl.cli import create, state

        name, _, flags = create.complete(ctx, args, "create clusterrole", shared)
        opts = CreateClusterRoleOptions(name, unique(split_slice(verb), star=True),
                                        parse_resources(split_slice(resource)), unique(list(resource_name or [])),
                                        split_slice(non_resource_url),
                                        parse_map(list(aggregation_rule or []), "--aggregation-rule",
                                                  "create clusterrole"))

        def build() -> dict:
            opts.validate()
            return opts.cluster_role()

        state.exit_code = _run(build, flags, "clusterrole")
