"""`minikctl events`: the events of a namespace (or all, or one object's), oldest first,
as kubectl 1.32's `events` command prints them:

    LAST SEEN   TYPE      REASON      OBJECT           MESSAGE
    2m          Normal    Scheduled   Pod/web-abc      Successfully assigned default/web-abc to node1
    5s (x3 over 40s)  Warning  BackOff  Pod/web-abc   Back-off restarting failed container

`--for TYPE/NAME` keeps one object's events, `--types` some types, `-w` keeps printing
new events as they are recorded; `-o json|yaml|name|jsonpath=...` prints the objects.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Optional

import typer

from minikctl.cli import goflags, options

HELP = """Display events.

Prints a table of the most important information about events. You can request events for a namespace, for all
namespace, or filtered to only those pertaining to a specified resource.
"""
EXAMPLES = """
Examples:
  # List recent events in the default namespace
  minikctl events

  # List recent events in all namespaces
  minikctl events --all-namespaces

  # List recent events for the specified pod, then wait for more events and list them as they arrive
  minikctl events --for pod/web-pod-13je7 --watch

  # List recent events in YAML format
  minikctl events -oyaml

  # List recent only events of type 'Warning' or 'Normal'
  minikctl events --types=Warning,Normal
"""
ALLOWED_FORMATS = ("go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,"
                   "templatefile,yaml")
HEADERS = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]


def event_time(ev: dict) -> datetime:
    """When the event last happened, for sorting (series, else lastTimestamp, else eventTime)."""
    from minikctl.cli.printers.age import parse_time

    zero = datetime.min.replace(tzinfo=timezone.utc)
    series = ev.get("series") or {}
    if series:
        return parse_time(series.get("lastObservedTime")) or zero
    return parse_time(ev.get("lastTimestamp")) or parse_time(ev.get("eventTime")) or zero


def interval(ev: dict, now: datetime) -> str:
    """LAST SEEN: `45s`, or `5s (x3 over 2m)` for a repeated event."""
    from minikctl.cli.printers import age

    first = age.since(ev.get("eventTime") or ev.get("firstTimestamp"), now)
    series = ev.get("series")
    if series:
        return f"{age.since(series.get('lastObservedTime'), now)} (x{int(series.get('count') or 0)} over {first})"
    count = ev.get("count")
    if isinstance(count, int) and count > 1:
        return f"{age.since(ev.get('lastTimestamp'), now)} (x{count} over {first})"
    return first


def row(ev: dict, now: datetime, all_namespaces: bool) -> list[str]:
    involved = ev.get("involvedObject") or {}
    cells = [interval(ev, now), ev.get("type") or "", ev.get("reason") or "",
             f"{involved.get('kind', '')}/{involved.get('name', '')}", (ev.get("message") or "").strip()]
    return ([(ev.get("metadata") or {}).get("namespace", "")] if all_namespaces else []) + cells


@dataclass
class EventsOptions:
    namespace: str | None = None
    all_namespaces: bool = False
    for_object: str | None = None
    types: list[str] | None = None
    watch: bool = False
    output: str | None = None
    no_headers: bool = False
    field_selector: str | None = None

    def validate(self) -> None:
        from minikctl import errors
        from minikctl.api import kinds
        from minikctl.cli import printers

        if self.output:
            if self.output == "wide":
                raise errors.MinikctlError(f'unable to match a printer suitable for the output format "wide", '
                                           f"allowed formats are: {ALLOWED_FORMATS}")
            printers.validate_output(self.output)
        if self.for_object:
            if "/" not in self.for_object:
                raise errors.MinikctlError("--for must be in resource/name form")
            parts = self.for_object.split("/")
            if len(parts) != 2:
                raise errors.MinikctlError("arguments in resource/name form may not have more than one slash")
            kind = kinds.resolve(parts[0])
            self.field_selector = f"involvedObject.kind={kind.kind},involvedObject.name={parts[1]}"
        self.types = sorted({t for item in self.types or [] for t in item.split(",") if t})
        for t in self.types:
            if t.casefold() not in ("normal", "warning"):
                raise errors.MinikctlError("valid --types are Normal or Warning")

    def wanted(self, ev: dict) -> bool:
        return not self.types or any(t.casefold() == str(ev.get("type", "")).casefold() for t in self.types)

    def run(self) -> int:
        from minikctl.api import kinds
        from minikctl.cli import state

        client = state.client()
        ns = None if self.all_namespaces else (self.namespace or "default")
        items, revision = client.list(kinds.by_kind("Event"), ns, field_selector=self.field_selector)
        events = sorted((e for e in items if self.wanted(e)), key=event_time)
        if self.watch:
            self._watch(client, ns, events, revision)
            return 0
        if not events:
            print("No events found." if self.all_namespaces else f"No events found in {ns} namespace.",
                  file=sys.stderr)
            return 0
        self._print(events, headers=not self.no_headers)
        return 0

    def _print(self, events: list[dict], *, headers: bool) -> None:
        from minikctl.cli.printers import age, table, yamljson
        from minikctl.cli.printers.output import jsonpath_printer, split_format

        if self.output:
            fmt, value = split_format(self.output)
            document = {"apiVersion": "v1", "items": events, "kind": "EventList", "metadata": {}}
            if fmt == "name":
                sys.stdout.write("".join(f"event/{e['metadata']['name']}\n" for e in events))
            elif fmt.lower() == "json":
                sys.stdout.write(yamljson.to_json(document))
            elif fmt.lower() == "yaml":
                sys.stdout.write(yamljson.to_yaml(document))
            else:
                sys.stdout.write(jsonpath_printer(fmt, value)(document))
        else:
            now = age.utcnow()
            heads = (["NAMESPACE"] if self.all_namespaces else []) + HEADERS
            rows = [row(e, now, self.all_namespaces) for e in events]
            sys.stdout.write(table.render(heads, rows, no_headers=not headers))
        sys.stdout.flush()

    def _watch(self, client: Any, ns: str | None, events: list[dict], revision: int) -> None:
        """Each event on its own, as kubectl flushes its table after every watched event."""
        from minikctl.api import kinds

        headers = not self.no_headers
        for ev in events:
            self._print([ev], headers=headers)
            headers = False
        for event_type, ev in client.watch(kinds.by_kind("Event"), ns, revision, field_selector=self.field_selector):
            if event_type == "DELETED" or not self.wanted(ev):
                continue  # events expire after an hour; that is not news
            self._print([ev], headers=headers)
            headers = False


def register(app: typer.Typer) -> None:
    @app.command("events", cls=goflags.GoFlagsCommand, help=HELP + EXAMPLES)
    def events(
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        for_object: Annotated[Optional[str], typer.Option("--for", help="Filter events to only those pertaining to the specified resource.")] = None,
        types: Annotated[Optional[list[str]], typer.Option("--types", help="Output only events of given types.")] = None,
        watch: Annotated[bool, typer.Option("--watch", "-w", help="After listing the requested events, watch for more events.")] = False,
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output format. One of: (json, yaml, name, jsonpath, jsonpath-as-json, jsonpath-file).")] = None,
        no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default output format, don't print headers.")] = False,
        chunk_size: Annotated[int, typer.Option("--chunk-size", help="Return large lists in chunks rather than all at once. Pass 0 to disable.")] = 500,
    ) -> None:
        from minikctl.cli import state

        opts = EventsOptions(namespace, all_namespaces, for_object, list(types or []), watch, output, no_headers)
        opts.validate()
        try:
            state.exit_code = opts.run()
        except KeyboardInterrupt:
            state.exit_code = 0
