"""The log cap's trim (collapse range, and the copy fallback) and the bind shim's helpers."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from minikctl.runtime import logcap
from minikctl.runtime.shim import BindShim, is_static_executable, preload_env


def fill(path, lines: int) -> None:
    with open(path, "wb") as f:
        for i in range(lines):
            f.write(b"line %07d %s\n" % (i, b"x" * 60))


@pytest.mark.parametrize("collapse", [True, False])
def test_trim_keeps_the_newest_half(tmp_path, monkeypatch, collapse):
    if not collapse:
        monkeypatch.setattr(logcap, "_collapse", lambda fd, length: False)
    path = tmp_path / "0.log"
    fill(path, 40000)  # ~2.9 MB
    fd = os.open(path, os.O_RDWR)
    try:
        assert logcap.trim(fd, 1 << 20)
        assert not logcap.trim(fd, 1 << 20)  # already under the cap
    finally:
        os.close(fd)
    data = path.read_bytes()
    assert 400_000 < len(data) <= 1 << 20
    assert data.endswith(b"line 0039999 " + b"x" * 60 + b"\n")
    first, rest = data.split(b"\n", 1)
    assert first.strip() == b"" or first.startswith(b"[minikctl] earlier output was dropped")
    assert rest.startswith(b"line ")  # whole lines after the marker


def test_appends_continue_after_a_collapse(tmp_path):
    path = tmp_path / "0.log"
    writer = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    for i in range(30000):
        os.write(writer, b"%d\n" % i)
    fd = os.open(path, os.O_RDWR)
    logcap.trim(fd, 64 * 1024)
    os.write(writer, b"after\n")
    os.close(writer)
    os.close(fd)
    assert path.read_bytes().endswith(b"29999\nafter\n")


def test_preload_env_appends():
    assert preload_env({"A": "1"}, "/s.so", "127.16.0.2") == {"A": "1", "LD_PRELOAD": "/s.so", "MINIKCTL_POD_IP": "127.16.0.2"}
    assert preload_env({"LD_PRELOAD": "/mine.so"}, "/s.so", "127.16.0.2")["LD_PRELOAD"] == "/mine.so:/s.so"
    assert preload_env({"A": "1"}, None, "127.16.0.2") == {"A": "1"}
    assert preload_env({"A": "1"}, "/s.so", "") == {"A": "1"}


def test_shim_is_built_once_into_home(tmp_path):
    shim = BindShim(str(tmp_path))
    path = shim.path()
    assert path and os.path.dirname(path) == str(tmp_path / "lib") and os.path.basename(path).startswith("bindshim-")
    assert BindShim(str(tmp_path)).path() == path  # a second daemon finds it built
    assert [n for n in os.listdir(tmp_path / "lib")] == [os.path.basename(path)]  # no temp files left


def test_no_compiler_means_one_clear_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CC", "")
    monkeypatch.setattr(shutil, "which", lambda name, **kw: None)
    shim = BindShim(str(tmp_path))
    assert shim.path() is None and shim.path() is None
    assert "no C compiler" in shim.error and "share the host's ports" in shim.error
    assert sum("no C compiler" in r.message for r in caplog.records) == 1


def test_static_executables_are_detected(tmp_path):
    assert not is_static_executable("/bin/sh")
    assert not is_static_executable(__file__)
    src = tmp_path / "s.c"
    src.write_text("int main(void) { return 0; }\n")
    out = tmp_path / "s"
    built = subprocess.run(["cc", "-static", "-o", str(out), str(src)], capture_output=True)
    if built.returncode != 0:
        pytest.skip("no static libc to link a static test binary")
    assert is_static_executable(str(out))
