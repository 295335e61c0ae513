"""Exceptions to Status bodies, and Warning header encoding."""
from __future__ import annotations

from minikctl import errors
from minikctl.client.http import _WARNING, error_from_status
from minikctl.server import decoding, exchange
from minikctl.server import status as statuses


def test_status_for_api_errors_keeps_code_and_details():
    code, body = statuses.status_for(errors.NotFound("deployments", "web", "apps"))
    assert code == 404
    assert body["message"] == 'deployments.apps "web" not found'
    assert body["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


def test_status_for_other_errors():
    assert statuses.status_for(errors.NoKindMatch("Deployment", "extensions/v1beta1"))[0] == 400
    assert statuses.status_for(decoding.UnsupportedMediaType("application/x"))[0] == 415
    code, body = statuses.status_for(RuntimeError("boom"))
    assert code == 500 and body["reason"] == "InternalError" and "Traceback" not in body["message"]
    code, body = statuses.status_for(errors.StatusError("Request entity too large: limit is 3145728"))
    assert (code, body["reason"]) == (413, "RequestEntityTooLarge")


def test_round_trip_through_the_http_client():
    original = errors.Invalid("Deployment", "bad", [errors.Cause("spec.replicas", "FieldValueInvalid",
                                                                 "Invalid value: -1: must be >= 0")], "apps")
    code, body = statuses.status_for(original)
    back = error_from_status(code, body)
    assert type(back) is errors.Invalid
    assert str(back) == str(original) and back.causes == original.causes and back.kind == "Deployment"
    gone = error_from_status(410, statuses.status(410, "Expired", "too old resource version: 5 (9)"))
    assert isinstance(gone, errors.Gone) and (gone.revision, gone.compacted) == (5, 9)
    other = error_from_status(401, statuses.unauthorized())
    assert (other.code, other.reason) == (401, "Unauthorized")


def test_warning_header_escapes_and_parses():
    header = exchange.warning_header('unknown field "spec.x"\nnext \\ line')
    assert header == '299 - "unknown field \\"spec.x\\" next \\\\ line"'
    m = _WARNING.match(header)
    import re

    assert re.sub(r"\\(.)", r"\1", m.group(1)) == 'unknown field "spec.x" next \\ line'
