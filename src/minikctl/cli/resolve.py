"""The objects a command names, found the way kubectl's resource builder finds them:
`TYPE NAME...`, `TYPE/NAME...`, `-f FILE` (each object read back from the store),
`TYPE -l SELECTOR`, or `TYPE` alone when the command allows an empty selector (`--all`
for `scale` and `wait`; always for `rollout`). Missing objects do not stop the others
(ContinueOnError): they come back as errors for the command to report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minikctl import errors
from minikctl.api.kinds import Kind

NO_RESOURCES = ("You must provide one or more resources by argument or filename.\n"
                "Example resource specifications include:\n"
                "   '-f rsrc.yaml'\n"
                "   '--filename=rsrc.json'\n"
                "   '<resource> <name>'\n"
                "   '<resource>'")


@dataclass
class Found:
    kind: Kind
    obj: dict


@dataclass
class Result:
    found: list[Found] = field(default_factory=list)
    missing: list[errors.StatusError] = field(default_factory=list)


@dataclass
class Request:
    args: list[str]
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    field_selector: str | None = None
    allow_empty_selector: bool = False
    filenames: list[str] | None = None
    recursive: bool = False

    def check(self) -> None:
        """Errors kubectl's builder reports before asking the server anything."""
        if not self.args and not self.filenames:
            raise errors.MinikctlError(NO_RESOURCES)
        if self.args and self.filenames:
            raise errors.MinikctlError("when paths, URLs, or stdin is provided as input, you may not specify "
                                       "resource arguments as well")
        if self.args and "/" not in self.args[0] and len(self.args) == 1 and not self.selector \
                and not self.field_selector and not self.allow_empty_selector:
            raise errors.MinikctlError("resource(s) were provided, but no name was specified")
        names = self.args[1:] if self.args and "/" not in self.args[0] else self.args
        if names and (self.selector or self.field_selector) and self.args and "/" not in self.args[0]:
            raise errors.MinikctlError("name cannot be provided when a selector is specified")

    def find(self, client: Any, command: str) -> Result:
        from minikctl.cli import targets

        self.check()
        result = Result()
        if self.filenames:
            self._from_files(client, result)
            return result
        for t in targets.parse(self.args, command):
            ns = targets.namespace_for(t.kind, self.namespace, self.all_namespaces and not t.name)
            if t.name:
                try:
                    result.found.append(Found(t.kind, client.get(t.kind, ns or "", t.name)))
                except errors.NotFound as exc:
                    result.missing.append(exc)
                continue
            items, _ = client.list(t.kind, ns, label_selector=self.selector, field_selector=self.field_selector)
            result.found.extend(Found(t.kind, o) for o in items)
        return result

    def _from_files(self, client: Any, result: Result) -> None:
        from minikctl.api import validation
        from minikctl.cli import manifests

        for doc in manifests.read(self.filenames or [], self.recursive):
            kind = validation.kind_of(doc.obj)
            md = doc.obj.get("metadata") or {}  # type: ignore[union-attr]
            ns = (md.get("namespace") or self.namespace or "default") if kind.namespaced else ""
            try:
                result.found.append(Found(kind, client.get(kind, ns, md.get("name", ""))))
            except errors.NotFound as exc:
                result.missing.append(exc)
