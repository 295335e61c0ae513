"""client/wire.py, the HTTP/1.1 the HTTP client speaks, against a real TLS socket server
answering canned bytes: every body framing, kept-alive connections, repeated headers,
and a server that hangs up."""
from __future__ import annotations

import socket
import ssl
import threading

import pytest

from minikctl.client import wire
from minikctl.server import tls


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls.ensure(str(tmp_path_factory.mktemp("wire")), hosts=("127.0.0.1",))


class Canned:
    """Accepts one TLS connection; for each request read, sends the next canned answer
    (None: close the connection instead)."""

    def __init__(self, pki, answers: list[bytes | None]) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.context = tls.server_context(pki)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        raw, _ = self.listener.accept()
        raw.settimeout(10)
        with self.context.wrap_socket(raw, server_side=True) as conn:
            f = conn.makefile("rb")
            for answer in self.answers:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = f.readline()
                    if not line:
                        return
                    head += line
                length = [int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
                body = f.read(length[0]) if length else b""
                self.requests.append(head + body)
                if answer is None:
                    return
                conn.sendall(answer)

    def close(self) -> None:
        self.thread.join(5)
        self.listener.close()


def connect(pki, server: Canned) -> wire.Connection:
    ctx = ssl.create_default_context(cadata=pki.ca_pem().decode())
    return wire.Connection("127.0.0.1", server.port, context=ctx, timeout=10)


def test_framings_on_one_kept_alive_connection(pki):
    server = Canned(pki, [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nWarning: 299 - \"one\"\r\nwarning: 299 - \"two\"\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Folded: a\r\n  b\r\n\r\n"
        b"4;ext=1\r\n{\"a\"\r\n6\r\n:1}\n{\"\r\n5\r\nb\":2}\r\n1\r\n\n\r\n0\r\nTrailer: x\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n",
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    ])
    conn = connect(pki, server)
    try:
        conn.request("GET", "/a", headers={"Authorization": "Bearer t"})
        r = conn.getresponse()
        assert (r.status, r.read(), r.will_close) == (200, b"hello", False)
        assert r.headers.get_all("WARNING") == ['299 - "one"', '299 - "two"']
        conn.request("GET", "/watch")
        r = conn.getresponse()
        assert r.headers.get("x-folded") == "a b"
        assert [r.readline(), r.readline(), r.readline()] == [b'{"a":1}\n', b'{"b":2}\n', b""]
        conn.request("GET", "/doc", headers={"If-None-Match": '"e"'})
        r = conn.getresponse()
        assert (r.status, r.read()) == (304, b"")
        conn.request("POST", "/create", body=b'{"x":1}')
        r = conn.getresponse()
        assert (r.status, r.read()) == (201, b"{}")
        conn.request("GET", "/last")
        r = conn.getresponse()
        assert (r.read(), r.will_close) == (b"until the end", True)
    finally:
        conn.close()
        server.close()
    assert server.requests[0].startswith(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Authorization: Bearer t\r\n" in server.requests[0]
    assert server.requests[3].endswith(b'Content-Length: 7\r\n\r\n{"x":1}')


def test_a_server_hanging_up_is_remote_disconnected(pki):
    server = Canned(pki, [None])
    conn = connect(pki, server)
    try:
        conn.request("GET", "/")
        with pytest.raises(wire.RemoteDisconnected):
            conn.getresponse()
    finally:
        conn.close()
        server.close()


@pytest.mark.parametrize("answer", [
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
])
def test_a_broken_answer_is_an_oserror(pki, answer):
    server = Canned(pki, [answer])
    conn = connect(pki, server)
    try:
        conn.request("GET", "/")
        with pytest.raises(OSError):
            conn.getresponse().read()
    finally:
        conn.close()
        server.close()
