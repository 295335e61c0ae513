"""One error hierarchy for all of minikctl, rendered once by the CLI (cli/errors.py).

    MinikctlError
    ├── UsageError            the command line itself is wrong (flags, arguments)
    ├── ManifestError         a file cannot be read or parsed (names file, line, column)
    ├── UnknownResourceType   `get deploymnt`: no such resource type
    ├── NoKindMatch           apiVersion/kind not served (extensions/v1beta1 ...)
    ├── StoreUnavailable      the state directory or database cannot be opened
    └── StatusError           what the API server would answer with a Status object
        ├── NotFound          404
        ├── AlreadyExists     409
        ├── Conflict          409 (stale resourceVersion)
        ├── Gone              410 (watch from a compacted revision)
        ├── Invalid           422, with one Cause per bad field
        ├── BadRequest        400
        └── Forbidden         403 (e.g. a namespace being terminated)

Messages are worded as kubectl and the Kubernetes API server word them, so a user who
knows one knows the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class MinikctlError(Exception):
    """Any error minikctl reports to a user."""


class UsageError(MinikctlError):
    """The command line is wrong; the message names the flag or argument."""

    def __init__(self, message: str, command: str = "") -> None:
        super().__init__(message)
        self.command = command


class ManifestError(MinikctlError):
    """A manifest file cannot be read or parsed."""


class UnknownResourceType(MinikctlError):
    def __init__(self, name: str) -> None:
        super().__init__(f'the server doesn\'t have a resource type "{name}"')
        self.name = name


class NoKindMatch(MinikctlError):
    def __init__(self, kind: str, api_version: str) -> None:
        super().__init__(f'no matches for kind "{kind}" in version "{api_version}"')
        self.kind = kind
        self.api_version = api_version


class StoreUnavailable(MinikctlError):
    """The store cannot be opened (bad path, permissions, corrupt file)."""


@dataclass(frozen=True)
class Cause:
    """One invalid field, as in a Kubernetes Status' details.causes."""

    field: str
    reason: str  # FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, ...
    message: str

    def render(self) -> str:
        if not self.field or self.reason == "FieldValueUnknown":
            return self.message
        return f"{self.field}: {self.message}"


class StatusError(MinikctlError):
    """An error the API answers with a Status: code, reason, message, details."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, kind: str = "", name: str = "", group: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name
        self.group = group

    def to_status(self) -> dict:
        details: dict = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            status["details"] = details
        return status


def _resource(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


class NotFound(StatusError):
    code = 404
    reason = "NotFound"

    def __init__(self, plural: str, name: str, group: str = "") -> None:
        super().__init__(f'{_resource(plural, group)} "{name}" not found', kind=plural, name=name, group=group)


class AlreadyExists(StatusError):
    code = 409
    reason = "AlreadyExists"

    def __init__(self, plural: str, name: str, group: str = "") -> None:
        super().__init__(f'{_resource(plural, group)} "{name}" already exists', kind=plural, name=name, group=group)


class Conflict(StatusError):
    code = 409
    reason = "Conflict"

    def __init__(self, plural: str, name: str, group: str = "", detail: str = "") -> None:
        detail = detail or "the object has been modified; please apply your changes to the latest version and try again"
        super().__init__(
            f'Operation cannot be fulfilled on {_resource(plural, group)} "{name}": {detail}',
            kind=plural, name=name, group=group,
        )


class Gone(StatusError):
    code = 410
    reason = "Expired"

    def __init__(self, revision: int, compacted: int) -> None:
        super().__init__(f"too old resource version: {revision} ({compacted})")
        self.revision = revision
        self.compacted = compacted


class BadRequest(StatusError):
    code = 400
    reason = "BadRequest"


class Forbidden(StatusError):
    code = 403
    reason = "Forbidden"


class Invalid(StatusError):
    """A document failed validation; every bad field is listed at once."""

    code = 422
    reason = "Invalid"

    def __init__(self, kind: str, name: str, causes: list[Cause], group: str = "") -> None:
        self.causes = list(causes)
        shown = f"{kind}.{group}" if group else kind
        joined = ", ".join(c.render() for c in self.causes)
        if len(self.causes) > 1:
            joined = "[" + joined + "]"
        super().__init__(f'{shown} "{name}" is invalid: {joined}', kind=kind, name=name, group=group)

    def to_status(self) -> dict:
        status = super().to_status()
        status["details"]["causes"] = [
            {"reason": c.reason, "message": c.message, "field": c.field} for c in self.causes
        ]
        return status


@dataclass
class Warnings:
    """Warnings collected while handling a request (accepted-but-ignored fields)."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)
