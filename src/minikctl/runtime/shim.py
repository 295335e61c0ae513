"""The bind shim (preload/bindshim.c): built on first use into
$MINIKCTL_HOME/lib/bindshim-<sha of the source>.so and preloaded into every container,
so that a server binding 0.0.0.0 or :: listens on its pod's own IP.

Built with the host's C compiler (a few hundred ms, once per source version). The
result is renamed into place atomically, so daemons building at the same time each
produce a whole file and one of them wins. No compiler: one warning, and containers run
without it — their servers then share the host's ports (see `network_warning`).
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading

log = logging.getLogger(__name__)

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "preload", "bindshim.c")
POD_IP_ENV = "MINIKCTL_POD_IP"


class BindShim:
    def __init__(self, home: str) -> None:
        self._libdir = os.path.join(home, "lib")
        self._lock = threading.Lock()
        self._path: str | None = None
        self._error: str | None = None
        self._done = False

    def path(self) -> str | None:
        """The shared object to preload, built if needed; None when it cannot be built."""
        if self._done:
            return self._path
        with self._lock:
            if not self._done:
                self._path, self._error = self._build()
                self._done = True
                if self._error:
                    log.warning("%s", self._error)
        return self._path

    @property
    def error(self) -> str | None:
        self.path()
        return self._error

    def _build(self) -> tuple[str | None, str | None]:
        try:
            with open(SOURCE, "rb") as f:
                source = f.read()
        except OSError as exc:
            return None, f"the bind shim's source is missing ({exc}): pods share the host's ports"
        target = os.path.join(self._libdir, f"bindshim-{hashlib.sha256(source).hexdigest()[:16]}.so")
        if os.path.exists(target):
            return target, None
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc:
            return None, ("no C compiler (cc) on this machine to build the bind shim, so pods cannot "
                          "have their own IP: servers listening on 0.0.0.0 share the host's ports "
                          "(install gcc, or make each server bind $(POD_IP))")
        os.makedirs(self._libdir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".bindshim-", suffix=".so", dir=self._libdir)
        os.close(fd)
        try:
            result = subprocess.run(
                [cc, "-shared", "-fPIC", "-O2", "-o", tmp, SOURCE, "-ldl"],
                capture_output=True, text=True, timeout=120,
            )
            if result.returncode != 0:
                return None, (f"building the bind shim with {cc} failed, so pods share the host's "
                              f"ports: {result.stderr.strip()[:500]}")
            os.chmod(tmp, 0o755)
            os.replace(tmp, target)
            tmp = ""
            return target, None
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"building the bind shim failed ({exc}), so pods share the host's ports"
        finally:
            if tmp:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def preload_env(env: dict[str, str], shim: str | None, pod_ip: str) -> dict[str, str]:
    """The container's env plus what the shim needs: LD_PRELOAD appended to any the
    container already has, and the pod IP."""
    if not shim or not pod_ip:
        return dict(env)
    out = dict(env)
    existing = out.get("LD_PRELOAD", "").strip()
    out["LD_PRELOAD"] = f"{existing}:{shim}" if existing else shim
    out[POD_IP_ENV] = pod_ip
    return out


def is_static_executable(path: str) -> bool:
    """An ELF executable without an interpreter (PT_INTERP) is statically linked: the
    dynamic loader never runs, so LD_PRELOAD is ignored."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
            if len(header) < 64 or header[:4] != b"\x7fELF":
                return False
            is64 = header[4] == 2
            order = "little" if header[5] == 1 else "big"
            if is64:
                phoff = int.from_bytes(header[32:40], order)
                phentsize = int.from_bytes(header[54:56], order)
                phnum = int.from_bytes(header[56:58], order)
            else:
                phoff = int.from_bytes(header[28:32], order)
                phentsize = int.from_bytes(header[42:44], order)
                phnum = int.from_bytes(header[44:46], order)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    for i in range(phnum):
        if int.from_bytes(table[i * phentsize:i * phentsize + 4], order) == 3:  # PT_INTERP
            return False
    return True


def find_executable(name: str, env: dict[str, str], cwd: str) -> str | None:
    """Where exec would find argv[0] (PATH from the container's env, as execvpe does)."""
    if "/" in name:
        path = name if os.path.isabs(name) else os.path.join(cwd, name)
        return path if os.path.exists(path) else None
    return shutil.which(name, path=env.get("PATH", os.defpath))
