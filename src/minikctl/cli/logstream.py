"""Reading container log files the way the kubelet serves them to `kubectl logs`.

Two file formats are understood, told apart by a file's first line:

* raw bytes, as the process runtime has the container write them (runtime/logcap.py:
  straight into the file, so pods outlive the daemon). Lines carry no time, so a line
  already in the file is dated by the file's last write (mtime) and a line that
  arrives while following by the moment it is read: `--since` keeps or drops a whole
  file by its mtime, and `--timestamps` is approximate.
* the CRI log format Kubernetes' kubelet writes, for a runtime that records times:
  `2024-01-15T10:00:00.123456789Z stdout F hello` — timestamp (RFC 3339, nanoseconds),
  stream, `F` for a full line or `P` for a partial one continued on the next line, then
  the text. `--timestamps`, `--since` and `--since-time` are exact.

Options apply in the kubelet's order: `--tail` picks the last lines, `--since` drops
older ones, `--limit-bytes` cuts the output; `--timestamps` prefixes each line with
its time as `2006-01-02T15:04:05.000000000Z`. A line is written only once complete
(kubectl reads up to each newline), except the unterminated end of a finished log.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO, Callable

_CRI = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP]) ?")
POLL_SECONDS = 0.1
_READ_CHUNK = 1 << 20


@dataclass
class Options:
    timestamps: bool = False
    tail: int = -1  # -1: every line
    since: float | None = None  # epoch seconds; older lines are dropped
    limit_bytes: int = 0  # 0: no limit


@dataclass
class Entry:
    time: float  # epoch seconds
    stamp: bytes  # the same time as kubectl prints it
    data: bytes  # the line, with its newline unless it is an unterminated end


def format_time(epoch: float, nanos: int | None = None) -> bytes:
    """RFC3339NanoFixed in UTC: `2024-01-15T10:00:00.123456789Z`."""
    whole = int(epoch)
    if nanos is None:
        nanos = int(round((epoch - whole) * 1e9))
        if nanos >= 1_000_000_000:
            whole, nanos = whole + 1, nanos - 1_000_000_000
    base = datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos:09d}Z".encode()


def parse_cri_time(text: bytes) -> tuple[float, int]:
    """(epoch seconds, nanoseconds within the second) of a CRI timestamp."""
    s = text.decode()
    frac = "0"
    m = re.match(r"^(.*?\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", s)
    if m is None:
        raise ValueError(s)
    head, frac, zone = m.group(1), m.group(2) or "0", m.group(3)
    parsed = datetime.fromisoformat(head + ("+00:00" if zone == "Z" else zone))
    nanos = int((frac + "000000000")[:9])
    epoch = int(parsed.timestamp())
    return epoch + nanos / 1e9, nanos


class FileReader:
    """Reads one log file incrementally: complete entries since the last call.

    The runtime keeps a log under its size cap by cutting its head in place (the rest
    moves down, a marker line takes the place of what was cut). A reader notices that
    the bytes just before its offset are no longer the ones it read last, finds them
    again and carries on after them; when they were cut too (it had fallen behind), it
    starts over at the top, marker first. A replaced file is read from its beginning."""

    ANCHOR = 256  # how many of the last bytes read identify the reader's place

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.inode: int | None = None
        self.anchor = b""  # the last bytes read
        self.pending = b""  # bytes after the last newline
        self.partial = b""  # CRI `P` fragments waiting for their `F`
        self.cri: bool | None = None

    def read_entries(self, *, live: bool) -> list[Entry]:
        """New complete lines. `live`: date raw lines now, else by the file's mtime."""
        data, mtime = self._read_new()
        if not data:
            return []
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        stamp_time = time.time() if live else mtime
        return [e for e in (self._entry(line + b"\n", stamp_time) for line in lines) if e is not None]

    def drain(self, *, live: bool) -> list[Entry]:
        """Everything left, including an unterminated last line (the log is finished)."""
        entries = self.read_entries(live=live)
        rest, self.pending = self.pending, b""
        if rest or self.partial:
            entry = self._entry(rest, time.time() if live else self._mtime(), final=True)
            if entry is not None:
                entries.append(entry)
        return entries

    def _mtime(self) -> float:
        try:
            return os.stat(self.path).st_mtime
        except OSError:
            return time.time()

    def _read_new(self) -> tuple[bytes, float]:
        try:
            fh = open(self.path, "rb")
        except OSError:
            return b"", 0.0
        with fh:
            st = os.fstat(fh.fileno())
            if self.inode is not None and st.st_ino != self.inode:
                self._start_over()
            elif self.offset and not self._in_place(fh, st.st_size):
                self._find_place(fh)
            self.inode = st.st_ino
            fh.seek(self.offset)
            data = _read_all(fh)
            self.offset += len(data)
            if data:
                self.anchor = (self.anchor + data)[-self.ANCHOR:]
            return data, st.st_mtime

    def _start_over(self) -> None:
        self.offset, self.anchor, self.pending, self.partial = 0, b"", b"", b""

    def _in_place(self, fh: BinaryIO, size: int) -> bool:
        if size < self.offset:
            return False
        fh.seek(self.offset - len(self.anchor))
        return fh.read(len(self.anchor)) == self.anchor

    def _find_place(self, fh: BinaryIO) -> None:
        fh.seek(0)
        found = _read_all(fh).rfind(self.anchor) if self.anchor else -1
        if found < 0:
            self._start_over()
        else:
            self.offset = found + len(self.anchor)

    def _entry(self, line: bytes, stamp_time: float, *, final: bool = False) -> Entry | None:
        if self.cri is None and line:
            self.cri = _CRI.match(line) is not None
        if not self.cri:
            return Entry(stamp_time, format_time(stamp_time), line) if line else None
        m = _CRI.match(line)
        if m is None:  # not a CRI line after all: pass it through as text
            return Entry(stamp_time, format_time(stamp_time), line) if line else None
        content = line[m.end():]
        if m.group(3) == b"P" and not final:
            self.partial += content.rstrip(b"\n")
            return None
        text, self.partial = self.partial + content, b""
        epoch, nanos = parse_cri_time(m.group(1))
        return Entry(epoch, format_time(epoch, nanos), text)


def _read_all(fh: BinaryIO) -> bytes:
    chunks = []
    while True:
        chunk = fh.read(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def select(entries: list[Entry], opts: Options) -> list[Entry]:
    """--tail, then --since, as the kubelet applies them to a log's existing lines."""
    if opts.tail >= 0:
        entries = entries[len(entries) - opts.tail:] if opts.tail else []
    if opts.since is not None:
        entries = [e for e in entries if e.time >= opts.since]
    return entries


@dataclass
class Sink:
    """Where lines go: one shared output, whole lines at a time, per-stream prefix and limit."""

    out: BinaryIO
    lock: threading.Lock = field(default_factory=threading.Lock)

    def writer(self, prefix: bytes, opts: Options) -> Callable[[list[Entry]], bool]:
        left = [opts.limit_bytes or -1]

        def write(entries: list[Entry]) -> bool:
            """Write entries; False once --limit-bytes is used up."""
            if not entries or left[0] == 0:
                return left[0] != 0
            parts = []
            for e in entries:
                text = (e.stamp + b" " + e.data) if opts.timestamps else e.data
                if left[0] >= 0:
                    text = text[:left[0]]
                    left[0] -= len(text)
                parts.append(prefix + text)
                if left[0] == 0:
                    break
            with self.lock:
                self.out.write(b"".join(parts))
                self.out.flush()
            return left[0] != 0

        return write
