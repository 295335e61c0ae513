"""`kubectl describe`: one page per object, laid out as kubectl 1.32 lays it out.

kubectl writes `Label:\\tvalue` lines at indentation levels through a Go tabwriter
(padding 2), so values line up within each run of tabbed lines; `PrefixWriter` does
the same here. Each kind has a describer (describe_workloads.py, describe_core.py);
any other kind gets kubectl's generic describer, which walks the object and prints
every field with a readable label (`holderIdentity` -> `Holder Identity`).

`events` are the Events whose involvedObject is this object (the caller lists them);
pass None to leave the Events section out, as `--show-events=false` does. `related`
carries what kubectl would fetch besides the object: `replicasets` (a Deployment's
NewReplicaSet/OldReplicaSets), `pods` (Pods Status counts, a Node's pods),
`endpoints` (a Service's Endpoints) and `lease` (a Node's Lease). Without them those
lines print as they would for an object nothing has acted on yet.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, TextIO

from minikctl.cli.printers import age, tabwriter
from minikctl.cli.printers.values import go_sprint

NONE = "<none>"
# kubectl never shows this annotation: it repeats the whole object.
_SKIPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
_MAX_ANNOTATION = 140


class PrefixWriter:
    """kubectl's PrefixWriter: text at 2-space indentation levels, through a tabwriter."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._done: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._pending.append("  " * level + text)

    def line(self, text: str) -> None:
        """WriteLine: a value that ends the current line, with no indentation."""
        self._pending.append(text + "\n")

    def flush(self) -> None:
        # Columns never align across a flush (kubectl flushes before the events table).
        if self._pending:
            text = tabwriter.escape_terminal("".join(self._pending))
            self._done.append(tabwriter.format_text(text))
            self._pending = []

    def getvalue(self) -> str:
        self.flush()
        return "".join(self._done)


class Context:
    """The clock, the object's events (None: leave them out) and the related objects."""

    def __init__(self, now: datetime, events: list[dict] | None, related: dict | None = None) -> None:
        self.now, self.events, self.related = now, events, related or {}

    def since(self, value: Any) -> str:
        return age.since(value, self.now)


Describer = Callable[[PrefixWriter, dict, Context], None]


def describe(obj: dict, events: list[dict] | None, out: TextIO, *, now: datetime | None = None,
             related: dict | None = None) -> None:
    """Write what `kubectl describe KIND NAME` prints for obj."""
    ctx = Context(now=now or age.utcnow(), events=events, related=related or {})
    w = PrefixWriter()
    describer_for(obj.get("kind", ""))(w, obj, ctx)
    out.write(w.getvalue())


def describer_for(kind: str) -> Describer:
    from minikctl.cli.printers import describe_core, describe_policy, describe_rbac, describe_workloads

    table: dict[str, Describer] = {**describe_workloads.DESCRIBERS, **describe_core.DESCRIBERS,
                                   **describe_rbac.DESCRIBERS, **describe_policy.DESCRIBERS}
    return table.get(kind, describe_generic)


# --- pieces shared by the describers ----------------------------------------------------------

def meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def status(obj: dict) -> dict:
    return obj.get("status") or {}


def labels_multiline(w: PrefixWriter, title: str, labels: dict | None, *, indent: str = "",
                     inner: str = "\t") -> None:
    """`Labels:  app=web` then one `key=value` per line, aligned under the first."""
    w.write(0, f"{indent}{title}:{inner}")
    if not labels:
        w.line(NONE)
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, indent + inner)
        w.write(0, f"{key}={labels[key]}\n")


def annotations_multiline(w: PrefixWriter, title: str, annotations: dict | None) -> None:
    """`Annotations:  key: value`; long or multi-line values go on their own lines."""
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k not in _SKIPPED_ANNOTATIONS)
    if not keys:
        w.line(NONE)
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str(annotations[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > _MAX_ANNOTATION or "\n" in value:
            w.write(0, f"{key}:\n")
            for part in value.split("\n"):
                if len(part) > _MAX_ANNOTATION - 2:
                    part = part[:_MAX_ANNOTATION - 2] + "..."
                w.write(0, f"\t  {part}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def name_and_namespace(w: PrefixWriter, obj: dict) -> None:
    w.write(0, f"Name:\t{meta(obj).get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta(obj).get('namespace', '')}\n")


def controller_of(obj: dict) -> str:
    """`ReplicaSet/web-5d4f7c8b9` for the owner reference marked as controller."""
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind', '')}/{ref.get('name', '')}"
    return ""


def write_controller(w: PrefixWriter, obj: dict) -> None:
    owner = controller_of(obj)
    if owner:
        w.write(0, f"Controlled By:\t{owner}\n")


def conditions_table(w: PrefixWriter, conditions: list[dict]) -> None:
    """The `Type Status Reason` conditions of Deployments and ReplicaSets."""
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
    w.write(1, "----\t------\t------\n")
    for c in conditions:
        w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def tolerations_multiline(w: PrefixWriter, title: str, tolerations: list[dict] | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.line(NONE)
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, "\t")
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        # operator Exists with no value tolerates everything that matches the key
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if t.get("key") or t.get("effect") else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def pod_status_counts(obj: dict, ctx: Context) -> str:
    """`1 Running / 0 Waiting / 0 Succeeded / 0 Failed` over the pods this object controls."""
    uid = meta(obj).get("uid")
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in ctx.related.get("pods") or []:
        refs = [r for r in meta(pod).get("ownerReferences") or [] if r.get("controller")]
        if not refs or refs[0].get("uid") != uid:
            continue  # orphans and pods of other controllers do not count
        phase = status(pod).get("phase") or "Pending"
        if phase in counts:
            counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / "
            f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed")


def describe_events(w: PrefixWriter, ctx: Context) -> None:
    """The `Events:` table, oldest first, or `Events:  <none>`."""
    if ctx.events is None:
        return
    if not ctx.events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    epoch = datetime.min.replace(tzinfo=ctx.now.tzinfo)
    events = sorted(ctx.events, key=lambda e: age.parse_time(e.get("lastTimestamp")) or epoch)
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in events:
        first = ctx.since(e.get("eventTime")) if e.get("eventTime") else ctx.since(e.get("firstTimestamp"))
        series = e.get("series")
        if series:
            interval = f"{ctx.since(series.get('lastObservedTime'))} (x{series.get('count', 0)} over {first})"
        elif (e.get("count") or 0) > 1:
            interval = f"{ctx.since(e.get('lastTimestamp'))} (x{e['count']} over {first})"
        else:
            interval = first
        source = (e.get("source") or {}).get("component") or e.get("reportingController") or ""
        message = (e.get("message") or "").strip()
        field_path = (e.get("involvedObject") or {}).get("fieldPath")
        if field_path:
            message = f"{field_path}: {message}"
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t{message}\n")


# --- kubectl's generic describer ------------------------------------------------------------

_ACRONYMS = frozenset({"API", "URL", "UID", "OSB", "GUID"})
_GENERIC_SKIP = frozenset({".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                           ".metadata.labels", ".metadata.annotations"})


def camel_split(text: str) -> list[str]:
    """github.com/fatih/camelcase.Split: `podIPs` -> pod, I, Ps; `HTTPServer` -> HTTP, Server."""
    runs: list[list[str]] = []
    last = 0
    for ch in text:
        kind = 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
        if kind == last:
            runs[-1].append(ch)
        else:
            runs.append([ch])
        last = kind
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def smart_label(field_name: str) -> str:
    """`creationTimestamp` -> `Creation Timestamp`, `uid` -> `UID`; other names unchanged."""
    if any(not (ch.isalpha() or ch == "-") for ch in field_name):
        return field_name
    parts = []
    for part in camel_split(field_name):
        if part == "_":
            continue
        parts.append(part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:])
    return " ".join(parts)


def _unstructured(w: PrefixWriter, level: int, content: dict, prefix: str) -> None:
    for key in sorted(content):
        value = content[key]
        path = f"{prefix}.{key}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(key)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(key)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{go_sprint(child)}\n")
        else:
            w.write(level, f"{smart_label(key)}:\t{go_sprint(value)}\n")


def describe_generic(w: PrefixWriter, obj: dict, ctx: Context) -> None:
    name_and_namespace(w, obj)
    labels_multiline(w, "Labels", meta(obj).get("labels"))
    annotations_multiline(w, "Annotations", meta(obj).get("annotations"))
    _unstructured(w, 0, obj, "")
    describe_events(w, ctx)
