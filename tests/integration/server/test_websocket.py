"""server/websocket.py: the handshake key, masked frames in (fragmented, large, pings
answered, close echoed), frames out; and exec's refusals before any upgrade."""
from __future__ import annotations

import io
import json
import os
import struct

import pytest

from minikctl.server import websocket

from .wire import request


def masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536
                                                else bytes([0x80 | 127]) + struct.pack(">Q", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_accept_key_is_rfc6455s():
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_frames_in_and_out():
    big = os.urandom(70_000)
    incoming = (masked(websocket.BINARY, b"\x00hello") + masked(websocket.PING, b"p")
                + masked(websocket.TEXT, b"frag", fin=False) + masked(websocket.CONTINUATION, b"mented")
                + masked(websocket.BINARY, big) + masked(websocket.CLOSE, struct.pack(">H", 1000) + b"bye"))
    out = io.BytesIO()
    ws = websocket.WebSocket(io.BytesIO(incoming), out)
    assert ws.receive() == (websocket.BINARY, b"\x00hello")
    assert ws.receive() == (websocket.TEXT, b"fragmented")
    assert ws.receive() == (websocket.BINARY, big)
    assert ws.receive() is None and ws.closed
    # A pong for the ping, then our close echoing the code; server frames are not masked.
    assert out.getvalue() == bytes([0x8A, 1]) + b"p" + bytes([0x88, 2]) + struct.pack(">H", 1000)
    with pytest.raises(BrokenPipeError):
        ws.send_binary(b"late")


def test_long_frames_out():
    out = io.BytesIO()
    websocket.WebSocket(io.BytesIO(), out).send_binary(b"\x01" + b"y" * 300)
    assert out.getvalue()[:4] == bytes([0x82, 126]) + struct.pack(">H", 301)


def test_unmasked_or_reserved_frames_are_refused():
    with pytest.raises(websocket.ProtocolError):
        websocket.WebSocket(io.BytesIO(bytes([0x82, 1]) + b"x"), io.BytesIO()).receive()
    with pytest.raises(websocket.ProtocolError):
        websocket.WebSocket(io.BytesIO(bytes([0xC2]) + masked(2, b"x")[1:]), io.BytesIO()).receive()


def test_exec_refusals_are_statuses(served):
    served.local.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wsx"},
                         "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "busybox"}]}})
    base = "/api/v1/namespaces/default/pods/wsx/exec"
    code, _, data = request(served, "GET", f"{base}?command=true&stdout=true&container=nope")
    assert (code, json.loads(data)["message"]) == (400, "container nope is not valid for pod wsx")
    code, _, data = request(served, "GET", f"{base}?command=true&stdout=true")
    assert (code, json.loads(data)["message"]) == (400, 'unable to upgrade connection: container not found ("c")')
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/pods/nosuch/exec?command=true")
    assert (code, json.loads(data)["reason"]) == (404, "NotFound")
    code, _, _ = request(served, "DELETE", f"{base}?command=true")
    assert code == 405


def test_attach_refusals_are_statuses(served):
    served.local.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wsa"},
                         "spec": {"nodeName": "elsewhere", "containers": [
                             {"name": "c", "image": "busybox", "stdin": True}]}})
    base = "/api/v1/namespaces/default/pods/wsa/attach"
    code, _, data = request(served, "GET", f"{base}?stdout=true&container=nope")
    assert (code, json.loads(data)["message"]) == (400, "container nope is not valid for pod wsa")
    code, _, data = request(served, "GET", f"{base}?stdout=true&stdin=true")
    assert code == 400 and "does not keep open" in json.loads(data)["message"]
    code, _, data = request(served, "GET", f"{base}?stdout=true")
    assert (code, json.loads(data)["message"]) == (400, "container c is not running in pod wsa")
