"""ConfigMaps and Secrets: data keys (they become file names), base64 payloads decoded
as Go's encoding/base64 decodes them, the 1 MiB size limit, and the keys each Secret
type requires.
"""
from __future__ import annotations

from minikctl.api.rules.common import as_dict, as_str, as_text, invalid, key, required, too_long
from minikctl.api.rules.names import config_key_errors
from minikctl.errors import Cause

MAX_SECRET_SIZE = 1024 * 1024
_BASE64 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def base64_error(value: str) -> str:
    """encoding/base64 (StdEncoding, as JSON []byte decoding uses it): the error for a
    malformed value, or "". Like Go, it skips '\\r' and '\\n' anywhere."""
    src = value.encode()
    n, si = len(src), 0
    while True:
        j = 0
        while j < 4:
            if si == n:
                return "" if j == 0 else f"illegal base64 data at input byte {si - j}"
            ch = src[si]
            si += 1
            if ch in _BASE64:
                j += 1
            elif ch in b"\r\n":
                continue
            elif ch != ord("=") or j < 2:
                return f"illegal base64 data at input byte {si - 1}"
            else:
                return _base64_padding_error(src, si, j)


def _base64_padding_error(src: bytes, si: int, j: int) -> str:
    n = len(src)
    if j == 2:  # "==" expected: the second "=" must follow (newlines aside)
        while si < n and src[si] in b"\r\n":
            si += 1
        if si == n:
            return f"illegal base64 data at input byte {n}"
        if src[si] != ord("="):
            return f"illegal base64 data at input byte {si - 1}"
        si += 1
    while si < n and src[si] in b"\r\n":
        si += 1
    return f"illegal base64 data at input byte {si}" if si < n else ""


def _base64_value(value: object, path: str) -> list[Cause]:
    """A []byte field's value: a string Kubernetes can decode."""
    error = base64_error(value) if isinstance(value, str) else ""
    return [invalid(path, value, error)] if error else []


def validate_config_map(obj: dict) -> list[Cause]:
    data, binary = as_dict(obj.get("data")), as_dict(obj.get("binaryData"))
    causes, size = [], 0
    for k in sorted(data, key=str):
        causes += [invalid(key("data", k), k, m) for m in config_key_errors(str(k))]
        if k in binary:
            causes.append(invalid(key("data", k), k, "duplicate of key present in binaryData"))
        size += len(as_text(data[k]).encode())
    for k in sorted(binary, key=str):
        causes += [invalid(key("binaryData", k), k, m) for m in config_key_errors(str(k))]
        value = binary[k]
        causes += _base64_value(value, key("binaryData", k))
        if isinstance(value, str):
            size += len(value) * 3 // 4
    if size > MAX_SECRET_SIZE:
        causes.append(too_long("", MAX_SECRET_SIZE))
    return causes


def validate_secret(obj: dict) -> list[Cause]:
    data, string_data = as_dict(obj.get("data")), as_dict(obj.get("stringData"))
    causes, size, keys = [], 0, set()
    for k in sorted(data, key=str):
        value = data[k]
        causes += _base64_value(value, key("data", k))  # Kubernetes cannot even decode such a body
        if isinstance(value, str):
            size += len(value.replace("\n", "").replace("\r", "")) * 3 // 4
        keys.add(str(k))
    for k in string_data:
        size += len(as_text(string_data[k]).encode())
        keys.add(str(k))  # stringData is merged into data before validation
    for k in sorted(keys):
        causes += [invalid(key("data", k), k, m) for m in config_key_errors(k)]
    if size > MAX_SECRET_SIZE:
        causes.append(too_long("data", MAX_SECRET_SIZE))
    return causes + _secret_type(obj, keys)


def _secret_type(obj: dict, keys: set[str]) -> list[Cause]:
    kind = as_str(obj.get("type"))
    required_keys = {
        "kubernetes.io/dockercfg": (".dockercfg",),
        "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
        "kubernetes.io/tls": ("tls.crt", "tls.key"),
        "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    }.get(kind, ())
    causes = [required(key("data", k)) for k in required_keys if k not in keys]
    if kind == "kubernetes.io/basic-auth" and not keys & {"username", "password"}:
        causes += [required(key("data", "username")), required(key("data", "password"))]
    if kind == "kubernetes.io/service-account-token":
        annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
        if not as_str(annotations.get("kubernetes.io/service-account.name")):
            causes.append(required(key("metadata.annotations", "kubernetes.io/service-account.name")))
    return causes
