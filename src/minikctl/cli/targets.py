"""Turning kubectl-style arguments into (kind, name) targets:
`pods`, `pods web api`, `deploy,svc`, `pod/web svc/web`, `all`, or -f files."""
from __future__ import annotations

from dataclasses import dataclass

from minikctl import errors
from minikctl.api import kinds
from minikctl.api.kinds import Kind


@dataclass
class Target:
    kind: Kind
    name: str | None  # None: every object of the kind


def parse(args: list[str], command: str) -> list[Target]:
    if not args:
        raise errors.UsageError(
            "You must specify the type of resource to get. Use \"minikctl api-resources\" for a complete list of "
            "supported resources.", command)
    if "/" in args[0]:
        out = []
        for arg in args:
            if "/" not in arg:
                raise errors.UsageError(
                    f"there is no need to specify a resource type as a separate argument when passing arguments "
                    f"in resource/name form (e.g. 'minikctl {command} resource/<resource_name>' instead of "
                    f"'minikctl {command} resource resource/<resource_name>'", command)
            type_name, _, name = arg.partition("/")
            if not name:
                raise errors.UsageError(f"arguments in resource/name form must have a single resource and name", command)
            out.append(Target(kinds.resolve(type_name), name))
        return out
    found = kinds.resolve_many(args[0])
    names = args[1:]
    for n in names:
        if "/" in n:
            raise errors.UsageError(
                f"there is no need to specify a resource type as a separate argument when passing arguments in "
                f"resource/name form (e.g. 'minikctl {command} resource/<resource_name>' instead of "
                f"'minikctl {command} resource resource/<resource_name>'", command)
    if not names:
        return [Target(k, None) for k in found]
    return [Target(k, n) for k in found for n in names]


def namespace_for(kind: Kind, namespace: str | None, all_namespaces: bool) -> str | None:
    if not kind.namespaced:
        return None
    return None if all_namespaces else (namespace or "default")


def no_resources_message(namespace: str | None, all_namespaces: bool, cluster_scoped: bool) -> str:
    if all_namespaces or cluster_scoped:
        return "No resources found"
    return f"No resources found in {namespace or 'default'} namespace."
