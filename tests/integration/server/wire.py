"""Raw HTTPS requests to a test server, for checks below the client libraries."""
from __future__ import annotations

import http.client
import json
import ssl


def request(served, method: str, path: str, *, body: bytes | None = None, token: str | None = "good",
            headers: dict | None = None, timeout: float = 10) -> tuple[int, dict, bytes]:
    ctx = ssl.create_default_context(cafile=served.server.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", served.server.port, context=ctx, timeout=timeout)
    all_headers = dict(headers or {})
    if token == "good":
        all_headers["Authorization"] = f"Bearer {served.server.token}"
    elif token:
        all_headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=all_headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.headers), resp.read()
    finally:
        conn.close()


def status_of(data: bytes) -> dict:
    body = json.loads(data)
    assert body["kind"] == "Status", body
    assert b"Traceback" not in data
    return body
