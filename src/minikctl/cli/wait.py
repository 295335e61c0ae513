"""`minikctl wait`: block until objects meet a condition, as `kubectl wait` does.

    --for=condition=Ready[=true]   a status condition (names and values compare
                                   case-insensitively; a condition older than the
                                   object's generation does not count)
    --for=jsonpath='{.status.phase}'=Running   a field's value (or, without `=VALUE`,
                                   that the field exists)
    --for=delete                   the object is gone (already gone counts)
    --for=create                   the object exists

Each object is judged as it is now, then on every change the store's watch reports,
until it meets the condition or --timeout (default 30s; 0 checks once; negative waits
a week) runs out, shared by all the objects: `error: timed out waiting for the
condition on pods/web`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Optional

import typer

from minikctl import errors
from minikctl.cli import goflags, options

HELP = """Experimental: Wait for a specific condition on one or many resources.

The command takes multiple resources and waits until the specified condition is seen in the Status field of every
given resource.

Alternatively, the command can wait for the given set of resources to be created or deleted by providing the "create"
or "delete" keyword as the value to the --for flag.

A successful message will be printed to stdout indicating when the specified condition has been met. You can use -o
option to change to output destination.
"""
EXAMPLES = """
Examples:
  # Wait for the pod "busybox1" to contain the status condition of type "Ready"
  minikctl wait --for=condition=Ready pod/busybox1

  # The default value of status condition is true; you can wait for other targets after an equal delimiter
  minikctl wait --for=condition=Ready=false pod/busybox1

  # Wait for the pod "busybox1" to contain the status phase to be "Running"
  minikctl wait --for=jsonpath='{.status.phase}'=Running pod/busybox1

  # Wait for the deployment "web" to be available, for at most a minute
  minikctl wait --for=condition=Available deployment/web --timeout=60s

  # Wait for the pod "busybox1" to be deleted, with a timeout of 60s, after having issued the "delete" command
  minikctl delete pod/busybox1
  minikctl wait --for=delete pod/busybox1 --timeout=60s
"""
A_WEEK = 168 * 3600.0
CREATE_POLL_SECONDS = 0.2

Check = Callable[[dict], bool]


class NotMet(errors.MinikctlError):
    """The condition was not met in time."""


# --- conditions ----------------------------------------------------------------------------------

def condition_check(name: str, value: str) -> Check:
    """status.conditions[type=name].status == value, ignoring a stale observedGeneration."""

    def check(obj: dict) -> bool:
        for c in (obj.get("status") or {}).get("conditions") or []:
            if not isinstance(c, dict) or str(c.get("type", "")).casefold() != name.casefold():
                continue
            if "status" not in c:
                continue
            generation = (obj.get("metadata") or {}).get("generation")
            if isinstance(generation, int):
                observed = c.get("observedGeneration", (obj.get("status") or {}).get("observedGeneration"))
                if isinstance(observed, int) and observed < generation:
                    return False
            return str(c.get("status")).casefold() == value.casefold()
        return False

    return check


def split_jsonpath_input(text: str) -> list[str]:
    """Split on single `=` only: `==` stays inside the expression."""
    parts, cur, i = [], [], 0
    while i < len(text):
        if text[i] == "=":
            if i + 1 < len(text) and text[i + 1] == "=":
                cur.append("==")
                i += 2
                continue
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(text[i])
        i += 1
    parts.append("".join(cur))
    return parts


def jsonpath_check(text: str) -> Check:
    from minikctl.cli.printers import jsonpath
    from minikctl.cli.printers.output import relaxed_jsonpath
    from minikctl.cli.printers.values import go_sprint

    parts = split_jsonpath_input(text)
    if len(parts) not in (1, 2):
        raise errors.MinikctlError("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or "
                                   "--for=jsonpath='{.status.readyReplicas}'")
    expression = relaxed_jsonpath(parts[0])
    wanted = parts[1].strip("'\"") if len(parts) == 2 else None
    if wanted == "":
        raise errors.MinikctlError("jsonpath wait has to have a value after equal sign, like "
                                   "--for=jsonpath='{.status.readyReplicas}'=3")
    if not expression:
        raise errors.MinikctlError("jsonpath expression cannot be empty")
    try:
        parser = jsonpath.JSONPath(expression)
    except jsonpath.JSONPathError as exc:
        raise errors.MinikctlError(str(exc)) from None

    def check(obj: dict) -> bool:
        try:
            results = parser.find_results(obj)
        except jsonpath.JSONPathError as exc:
            raise errors.MinikctlError(str(exc)) from None
        if not results or not results[0]:
            return False
        if len(results) > 1:
            raise errors.MinikctlError("given jsonpath expression matches more than one list")
        if len(results[0]) > 1:
            raise errors.MinikctlError("given jsonpath expression matches more than one value")
        if wanted is None:
            return True
        found = results[0][0]
        if isinstance(found, (dict, list)):
            raise errors.MinikctlError("jsonpath leads to a nested object or list which is not supported")
        return go_sprint(found).strip() == wanted.strip()

    return check


def parse_for(text: str) -> tuple[str, Check | None]:
    """(mode, check): mode is delete, create or condition (with its check)."""
    if text.lower() == "delete":
        return "delete", None
    if text.lower() == "create":
        return "create", None
    if text.startswith("condition="):
        name, _, value = text[len("condition="):].partition("=")
        return "condition", condition_check(name, value if "=" in text[len("condition="):] else "true")
    if text.startswith("jsonpath="):
        return "condition", jsonpath_check(text[len("jsonpath="):])
    raise errors.MinikctlError(f'unrecognized condition: "{text}"')


# --- waiting -----------------------------------------------------------------------------------

@dataclass
class WaitOptions:
    args: list[str]
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    field_selector: str | None = None
    all: bool = False
    filenames: list[str] | None = None
    recursive: bool = True
    condition: str = ""
    timeout: str = "30s"
    output: str | None = None
    mode: str = ""
    check: Check | None = None
    seconds: float = 30.0
    deadline: float = 0.0

    def validate(self) -> None:
        from minikctl.cli import durations, printers

        if self.output not in (None, "name"):
            printers.validate_output(self.output)
        self.seconds = durations.parse(self.timeout, "--timeout", "wait")
        if self.seconds < 0:
            self.seconds = A_WEEK
        self.mode, self.check = parse_for(self.condition)

    def run(self) -> int:
        from minikctl.cli import resolve, state

        client = state.client()
        request = resolve.Request(self.args, self.namespace, self.all_namespaces, self.selector, self.field_selector,
                                  self.all, self.filenames, self.recursive)
        if self.mode == "create":
            return self._wait_created(client, request)
        result = request.find(client, "wait")
        if result.missing and self.mode != "delete":
            raise result.missing[0]
        if not result.found and self.mode != "delete":
            raise errors.MinikctlError("no matching resources found")
        self.deadline = time.monotonic() + self.seconds
        for found in result.found:
            obj = self._wait_one(client, found)
            self._print(found, obj)
        return 0

    def _wait_one(self, client: Any, found: Any) -> dict:
        md = found.obj["metadata"]
        ns, name = md.get("namespace"), md["name"]
        where = f"{found.kind.plural}/{name}"
        items, revision = client.list(found.kind, ns, field_selector=f"metadata.name={name}")
        current = items[0] if items else None
        if self.mode == "delete":
            if current is None or current["metadata"].get("uid") != md.get("uid"):
                return found.obj
        elif current is None:
            raise errors.NotFound(found.kind.resource, name)
        elif self.check is not None and self.check(current):
            return current
        if self.seconds == 0:
            raise NotMet(f"condition not met for {where}")
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise NotMet(f"timed out waiting for the condition on {where}")
        for event_type, obj in client.watch(found.kind, ns, revision, field_selector=f"metadata.name={name}",
                                            timeout=remaining):
            if self.mode == "delete":
                if event_type == "DELETED":
                    return obj
            elif event_type != "DELETED" and self.check is not None and self.check(obj):
                return obj
        raise NotMet(f"timed out waiting for the condition on {where}")

    def _wait_created(self, client: Any, request: Any) -> int:
        """--for=create: every named object exists (polling: it may not exist to watch yet)."""
        request.check()
        deadline = time.monotonic() + self.seconds
        while True:
            result = request.find(client, "wait")
            if not result.missing and result.found:
                for found in result.found:
                    self._print(found, found.obj)
                return 0
            if time.monotonic() >= deadline:
                if result.missing:
                    raise NotMet("timed out waiting for the condition")
                raise errors.MinikctlError("no matching resources found")
            time.sleep(CREATE_POLL_SECONDS)

    def _print(self, found: Any, obj: dict) -> None:
        from minikctl.cli import printers, resources

        if self.output and self.output != "name":
            printers.print_objects([obj], output=self.output, out=sys.stdout, single=True)
            return
        ref = resources.ref(found.kind, obj)
        print(ref if self.output == "name" else f"{ref} condition met")
        sys.stdout.flush()


def register(app: typer.Typer) -> None:
    @app.command("wait", cls=goflags.GoFlagsCommand, help=HELP + EXAMPLES)
    def wait(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)])")] = None,
        for_: Annotated[str, typer.Option("--for", help="The condition to wait on: [create|delete|condition=condition-name[=condition-value]|jsonpath='{JSONPath expression}'=[JSONPath value]]. The default condition-value is true. Condition values are compared after Unicode simple case folding, which is a more general form of case-insensitivity.")] = "",
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        field_selector: options.FieldSelector = None,
        all: Annotated[bool, typer.Option("--all", help="Select all resources in the namespace of the specified resource types")] = False,
        filename: Annotated[Optional[list[str]], typer.Option("--filename", "-f", help="identifying the resource.")] = None,
        recursive: Annotated[bool, typer.Option("--recursive/--no-recursive", "-R", help="Process the directory used in -f, --filename recursively. Useful when you want to manage related manifests organized within the same directory.")] = True,
        timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up. Zero means check once and don't wait, negative means wait for a week.")] = "30s",
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output format. One of: (json, yaml, name, jsonpath, jsonpath-as-json, jsonpath-file).")] = None,
    ) -> None:
        from minikctl.cli import state

        opts = WaitOptions(list(args or []), namespace, all_namespaces, selector, field_selector, all,
                           list(filename or []), recursive, for_, timeout, output)
        opts.validate()
        try:
            state.exit_code = opts.run()
        except KeyboardInterrupt:
            state.exit_code = 1
