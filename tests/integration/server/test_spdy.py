"""server/spdy.py: the SPDY/3 header dictionary, frames as a client writes them (split
anywhere across messages), the server's replies as a client reads them."""
from __future__ import annotations

import struct
import zlib

import pytest

from minikctl.server import spdy


def header_block(pairs: dict[str, str]) -> bytes:
    return struct.pack(">I", len(pairs)) + b"".join(
        struct.pack(">I", len(k)) + k.encode() + struct.pack(">I", len(v)) + v.encode() for k, v in pairs.items())


class Client:
    """The client's end of a session, as kubectl's SPDY library writes and reads it."""

    def __init__(self) -> None:
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, spdy.DICTIONARY)
        self.inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)

    def syn_stream(self, stream_id: int, headers: dict[str, str]) -> bytes:
        block = self.deflate.compress(header_block(headers)) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        body = struct.pack(">IIH", stream_id, 0, 0) + block
        return struct.pack(">HHB", 0x8003, spdy.SYN_STREAM, 0) + len(body).to_bytes(3, "big") + body

    @staticmethod
    def data(stream_id: int, payload: bytes, fin: bool = False) -> bytes:
        return struct.pack(">IB", stream_id, 1 if fin else 0) + len(payload).to_bytes(3, "big") + payload


def test_the_dictionary_is_the_specifications():
    assert len(spdy.DICTIONARY) == 1423
    assert zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2  # the DICTID SPDY/3 zlib streams carry
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert b"\x00\x00\x00\x06200 OK" in spdy.DICTIONARY and spdy.DICTIONARY.endswith(b",*,enq=0.")


def test_frames_in_split_anywhere_and_replies_out():
    client = Client()
    wire = (client.syn_stream(1, {"streamtype": "error", "port": "8080", "requestid": "0"})
            + client.syn_stream(3, {"streamtype": "data", "port": "8080", "requestid": "0"})
            + client.data(3, b"GET / HTTP/1.0\r\n\r\n") + client.data(1, b"", fin=True)
            + struct.pack(">HHB", 0x8003, spdy.PING, 0) + (4).to_bytes(3, "big") + struct.pack(">I", 7)
            + struct.pack(">HHB", 0x8003, spdy.WINDOW_UPDATE, 0) + (8).to_bytes(3, "big") + struct.pack(">II", 3, 100))
    sent: list[bytes] = []
    session = spdy.Session(sent.append)
    frames = []
    for i in range(0, len(wire), 5):  # WebSocket messages cut the stream anywhere
        frames += session.feed(wire[i:i + 5])
    assert [(f.type, f.stream_id) for f in frames] == [(1, 1), (1, 3), (0, 3), (0, 1), (6, 0)]
    assert frames[1].headers == {"streamtype": "data", "port": "8080", "requestid": "0"}
    assert frames[2].data == b"GET / HTTP/1.0\r\n\r\n" and frames[3].fin and frames[4].ping_id == 7

    session.syn_reply(1)
    session.syn_reply(3)
    session.data(3, b"x" * 10, fin=True)
    session.ping(7)
    reply = sent[0]
    assert struct.unpack(">HHB", reply[:5]) == (0x8003, spdy.SYN_REPLY, 0)
    assert int.from_bytes(reply[8:12], "big") == 1
    assert client.inflate.decompress(reply[12:]) == b"\x00\x00\x00\x00"
    assert client.inflate.decompress(sent[1][12:]) == b"\x00\x00\x00\x00"  # one zlib stream for both
    assert sent[2] == struct.pack(">IB", 3, 1) + (10).to_bytes(3, "big") + b"x" * 10
    assert sent[3] == struct.pack(">HHB", 0x8003, spdy.PING, 0) + (4).to_bytes(3, "big") + struct.pack(">I", 7)


def test_a_bad_session_is_an_error():
    with pytest.raises(spdy.SpdyError):
        spdy.Session(lambda b: None).feed(struct.pack(">HHB", 0x8002, spdy.SYN_STREAM, 0) + (0).to_bytes(3, "big"))
    bad = struct.pack(">HHB", 0x8003, spdy.SYN_STREAM, 0) + (14).to_bytes(3, "big") + b"\0" * 10 + b"junk"
    with pytest.raises(spdy.SpdyError):
        spdy.Session(lambda b: None).feed(bad)
