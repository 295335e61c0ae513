"""Request bodies: media types, JSON/YAML, protobuf refusal, duplicates."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.server import decoding


def test_json_and_yaml():
    assert decoding.decode(b'{"a": 1}', "application/json").value == {"a": 1}
    assert decoding.decode(b'{"a": 1}', None).value == {"a": 1}
    assert decoding.decode(b"a: 1\n", "application/yaml").value == {"a": 1}
    assert decoding.decode(b"a: 1\n", "application/apply-patch+yaml", patch=True).value == {"a": 1}


def test_duplicates_are_collected():
    assert decoding.decode(b'{"a": 1, "a": 2}', "application/json").duplicates == ["a"]


@pytest.mark.parametrize(("body", "ctype", "patch"), [
    (b"k8s\x00...", "application/vnd.kubernetes.protobuf", False),
    (b"{}", "text/plain", False),
    (b"{}", "application/json", True),
])
def test_unsupported(body, ctype, patch):
    with pytest.raises(decoding.UnsupportedMediaType):
        decoding.decode(body, ctype, patch=patch)


def test_bad_json_and_empty():
    with pytest.raises(errors.BadRequest):
        decoding.decode(b"{nope", "application/json")
    with pytest.raises(errors.BadRequest):
        decoding.decode(b"  ", "application/json")
