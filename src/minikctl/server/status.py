"""Status objects: every error the server answers, as Kubernetes words and codes it.

`status_for(exc)` turns any exception into (code, Status): the api layer's StatusErrors
keep their code, reason, message and details; other minikctl errors get the Status a
Kubernetes API server would give for the same mistake; anything unexpected is a 500
whose message names the error but never carries a traceback.
"""
from __future__ import annotations

import logging

from minikctl import errors

log = logging.getLogger("minikctl.server")


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def success(details: dict | None = None) -> dict:
    body: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body


def not_found_path() -> dict:
    return status(404, "NotFound", "the server could not find the requested resource", {})


def unauthorized() -> dict:
    return status(401, "Unauthorized", "Unauthorized")


def method_not_allowed(method: str) -> dict:
    return status(405, "MethodNotAllowed",
                  f"the server does not allow this method on the requested resource ({method})")


def unsupported_media_type(content_type: str) -> dict:
    return status(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media '
                                               f'types include: application/json, application/yaml '
                                               f'(got "{content_type}")')


def too_large(limit: int) -> dict:
    return status(413, "RequestEntityTooLarge", f"the request entity is too large: limit is {limit} bytes")


def bad_request(message: str) -> dict:
    return status(400, "BadRequest", message)


def status_for(exc: BaseException) -> tuple[int, dict]:
    """The HTTP code and Status body for an exception raised while serving a request."""
    from minikctl.server import decoding

    if isinstance(exc, decoding.UnsupportedMediaType):
        return 415, unsupported_media_type(exc.content_type)
    if isinstance(exc, errors.StatusError):
        body = exc.to_status()
        if type(exc) is errors.StatusError and exc.message.startswith("Request entity too large"):
            body.update(code=413, reason="RequestEntityTooLarge")  # the api layer's size check
        return body["code"], body
    if isinstance(exc, errors.NoKindMatch):
        return 400, bad_request(str(exc))
    if isinstance(exc, errors.UnknownResourceType):
        return 404, not_found_path()
    if isinstance(exc, (errors.ManifestError, errors.UsageError)):
        return 400, bad_request(str(exc))
    if isinstance(exc, errors.MinikctlError):
        return 500, status(500, "InternalError", f"Internal error occurred: {exc}")
    log.exception("unexpected error while serving a request")
    return 500, status(500, "InternalError", f"Internal error occurred: {type(exc).__name__}: {exc}")
