"""`minikctl describe`: a detailed, human view of objects with their events, in
kubectl's layout (printers/describe.py)."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Optional

import typer

from minikctl.cli import options

EXAMPLES = """
Examples:
  # Describe a deployment, and every pod whose name starts with "web-"
  minikctl describe deployment web
  minikctl describe pods web-

  # Describe everything defined in a file
  minikctl describe -f web.yaml
"""


@dataclass
class DescribeOptions:
    args: list[str]
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    show_events: bool = True
    filenames: list[str] | None = None
    recursive: bool = False

    def run(self) -> int:
        from minikctl import errors
        from minikctl.cli import get, printers, state, targets
        from minikctl.cli.errors import report

        finder = get.GetOptions(self.args, self.namespace, filenames=self.filenames, recursive=self.recursive)
        wanted = finder.targets()
        self.namespace = finder.namespace
        client = state.client()
        objs: list[dict] = []
        failed = False
        for t in wanted:
            ns = targets.namespace_for(t.kind, self.namespace, self.all_namespaces)
            try:
                if t.name is None:
                    objs.extend(client.list(t.kind, ns, label_selector=self.selector)[0])
                    continue
                try:
                    objs.append(client.get(t.kind, ns or "", t.name))
                except errors.NotFound:
                    # kubectl describes every object whose name starts with the argument.
                    prefixed = [o for o in client.list(t.kind, ns)[0] if o["metadata"]["name"].startswith(t.name)]
                    if not prefixed:
                        raise
                    objs.extend(prefixed)
            except errors.NotFound as exc:
                report(exc)
                failed = True
        if not objs and not failed:
            print(targets.no_resources_message(self.namespace, self.all_namespaces,
                                               all(not t.kind.namespaced for t in wanted)), file=sys.stderr)
        for i, obj in enumerate(objs):
            if i:
                sys.stdout.write("\n\n")
            events = self._events(client, obj) if self.show_events else None
            printers.describe(obj, events, sys.stdout, related=self._related(client, obj))
        return 1 if failed else 0

    def _events(self, client, obj: dict) -> list[dict]:  # type: ignore[no-untyped-def]
        from minikctl.api import kinds

        md = obj["metadata"]
        selector = f"involvedObject.name={md['name']},involvedObject.kind={obj.get('kind')}"
        items, _ = client.list(kinds.by_kind("Event"), md.get("namespace") or "default", field_selector=selector)
        # As kubectl: a Node's events carry its uid (controllers) or its name (the kubelet),
        # looked up in that order (which decides the order of events of the same second).
        uids = (None, "", md.get("uid")) + ((md["name"],) if obj.get("kind") == "Node" else ())
        found = [e for e in items if (e.get("involvedObject") or {}).get("uid") in uids]
        return sorted(found, key=lambda e: (e.get("involvedObject") or {}).get("uid") == md["name"])

    def _related(self, client, obj: dict) -> dict:  # type: ignore[no-untyped-def]
        """Objects a describer mentions: a Deployment's ReplicaSets, a controller's pods."""
        from minikctl.api import kinds

        from minikctl import errors

        md = obj["metadata"]
        if obj.get("kind") == "Service":
            try:
                return {"endpoints": client.get(kinds.by_kind("Endpoints"), md.get("namespace", ""), md["name"])}
            except errors.NotFound:
                return {}
        if obj.get("kind") == "Node":
            related: dict = {"pods": client.list(kinds.by_kind("Pod"), None,
                                                 field_selector=f"spec.nodeName={md['name']}")[0]}
            try:
                related["lease"] = client.get(kinds.by_kind("Lease"), "kube-node-lease", md["name"])
            except errors.NotFound:
                pass
            return related
        if obj.get("kind") == "ServiceAccount":  # its secrets: missing ones are marked, tokens listed
            return {"secrets": client.list(kinds.by_kind("Secret"), md.get("namespace") or "default")[0]}
        owned_kinds = {"Deployment": "ReplicaSet", "ReplicaSet": "Pod", "DaemonSet": "Pod",
                       "StatefulSet": "Pod", "Job": "Pod", "CronJob": "Job"}
        child = owned_kinds.get(obj.get("kind", ""))
        if not child:
            return {}
        uid = obj["metadata"].get("uid")
        items, _ = client.list(kinds.by_kind(child), obj["metadata"].get("namespace"))
        owned = [i for i in items if any(r.get("uid") == uid for r in i["metadata"].get("ownerReferences") or [])]
        return {kinds.by_kind(child).plural: owned}


def register(app: typer.Typer) -> None:
    @app.command("describe", help="Show details of a specific resource or group of resources." + EXAMPLES)
    def describe(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="(TYPE[.VERSION][.GROUP] [NAME_PREFIX | -l label] | TYPE/NAME)")] = None,
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        show_events: Annotated[bool, typer.Option("--show-events", help="If true, display events related to the described object.")] = True,
        filename: options.Filenames = None,
        recursive: options.Recursive = False,
    ) -> None:
        from minikctl.cli import state

        opts = DescribeOptions(list(args or []), namespace, all_namespaces, selector, show_events,
                               list(filename or []), recursive)
        state.exit_code = opts.run()
