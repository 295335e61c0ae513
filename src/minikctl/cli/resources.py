"""What verbs share: validating a set of documents before any write (so a bad
document leaves no partial state), naming objects as kubectl does, and rendering errors
with file and line."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from minikctl import errors
from minikctl.api.kinds import Kind
from minikctl.cli.manifests import Document


@dataclass
class Checked:
    doc: Document
    kind: Kind
    obj: dict


def ref(kind: Kind, obj: dict) -> str:
    """`deployment.apps/web`, as kubectl prints an object it acted on."""
    return f"{kind.type_name()}/{(obj.get('metadata') or {}).get('name', '')}"


def resolve_namespace(kind: Kind, obj: dict, namespace: str | None, command: str) -> None:
    """Put the object in its namespace; a clash between the file and -n is an error,
    as in kubectl."""
    md = obj.setdefault("metadata", {}) if isinstance(obj.get("metadata"), dict) or "metadata" not in obj else obj["metadata"]
    if not kind.namespaced or not isinstance(md, dict):
        return
    given = md.get("namespace")
    if given and namespace and given != namespace:
        raise errors.UsageError(
            f'the namespace from the provided object "{given}" does not match the namespace "{namespace}". '
            f"You must pass '--namespace={given}' to perform this operation.")
    md["namespace"] = given or namespace or "default"


def check_all(docs: list[Document], namespace: str | None, command: str) -> list[Checked]:
    """Validate every document; report every problem in every document, then fail
    before anything is written."""
    from minikctl.api import validation

    checked, failures = [], []
    for doc in docs:
        try:
            kind, causes, _ = validation.validate(doc.obj)
            resolve_namespace(kind, doc.obj, namespace, command)  # type: ignore[arg-type]
            if causes:
                name = ((doc.obj.get("metadata") or {}).get("name")) or ""  # type: ignore[union-attr]
                raise errors.Invalid(kind.kind, name, causes, kind.group)
            checked.append(Checked(doc, kind, doc.obj))  # type: ignore[arg-type]
        except errors.MinikctlError as exc:
            failures.append((doc, exc))
    for doc, exc in failures:
        print(render(exc, doc), file=sys.stderr)
    if failures:
        raise SystemExit(1)
    return checked


def _line(where: str) -> int:
    tail = where.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def render(exc: BaseException, doc: Document, action: str = "") -> str:
    """An error about one document, with its file and, for invalid fields, their lines."""
    from minikctl.cli.errors import message_for

    if isinstance(exc, errors.Invalid):
        located = sorted(((doc.where(c.field), c) for c in exc.causes), key=lambda lc: _line(lc[0]))
        lines = [f"* {c.render()}  ({where})" for where, c in located]
        name = f'{exc.kind}.{exc.group}' if exc.group else exc.kind
        return f'error: {doc.source}: {name} "{exc.name}" is invalid:\n' + "\n".join(lines)
    if isinstance(exc, errors.NoKindMatch):
        name = (doc.obj.get("metadata") or {}).get("name", "") if isinstance(doc.obj, dict) else ""
        ns = (doc.obj.get("metadata") or {}).get("namespace", "") if isinstance(doc.obj, dict) else ""
        return (f'error: resource mapping not found for name: "{name}" namespace: "{ns}" from "{doc.source}": '
                f"{exc}\nensure CRDs are installed first")
    if isinstance(exc, errors.BadRequest) and not action:
        return f'error: error validating "{doc.source}": {exc.message}'
    return message_for(exc, source=doc.source, action=action)
