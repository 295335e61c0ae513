"""A fake runtime and image store for driving the Kubelet without processes."""
from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass, field

from minikctl.kubelet.containers import Images
from minikctl.runtime.interface import ContainerProcess, Exit, Sandbox, StartError


@dataclass(frozen=True)
class Image:
    ref: str
    entrypoint: list = field(default_factory=list)
    cmd: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    workdir: str = ""
    host_base: bool = True
    digest: str = ""


def images(known=("busybox", "python")) -> Images:
    def resolve(name):
        if name.split(":")[0] not in known:
            raise StartError("ErrImagePull", f'image "{name}" is not in the local image store')
        return Image(ref=f"docker.io/library/{name}")

    def argv(image, command, args):
        return list(command or image.entrypoint) + list(args if args is not None else image.cmd)

    return Images(resolve=resolve, effective_argv=argv)


class FakeRuntime:
    """Records what the kubelet asks; tests make containers exit."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._pids = itertools.count(1000)
        self.started: list[tuple[str, str, ContainerProcess]] = []  # (pod name, container, proc)
        self.configs: dict[int, object] = {}
        self.callbacks: dict[int, list] = {}
        self.alive_pids: set[int] = set()
        self.signals: list[tuple[int, int]] = []
        self.ignore_term: set[str] = set()  # container names that ignore SIGTERM
        self.exits: dict[int, Exit] = {}
        self.lock = threading.Lock()

    def create_sandbox(self, pod, ip):
        md = pod["metadata"]
        d = os.path.join(self.root, f"{md['namespace']}_{md['name']}_{md['uid']}")
        os.makedirs(d, exist_ok=True)
        return Sandbox(md["uid"], md["namespace"], md["name"], d, ip, {})

    def remove_sandbox(self, sandbox):
        import shutil

        shutil.rmtree(sandbox.directory, ignore_errors=True)

    def start(self, sandbox, config):
        if config.argv and config.argv[0] == "missing-binary":
            raise StartError("StartError", f'exec: "{config.argv[0]}": executable file not found in $PATH')
        proc = ContainerProcess(next(self._pids), 7, time.time())
        with self.lock:
            self.started.append((sandbox.name, config.name, proc))
            self.configs[proc.pid] = config
            self.alive_pids.add(proc.pid)
        return proc

    def on_exit(self, proc, callback):
        with self.lock:
            if proc.pid not in self.alive_pids:
                gone = True
            else:
                gone = False
                self.callbacks.setdefault(proc.pid, []).append(callback)
        if gone:
            ex = self.exits.get(proc.pid) or Exit(255, "ContainerStatusUnknown", time.time())
            threading.Thread(target=callback, args=(ex,)).start()

    def exit(self, proc, code, reason=None):
        with self.lock:
            if proc.pid not in self.alive_pids:
                return
            self.alive_pids.discard(proc.pid)
            callbacks = self.callbacks.pop(proc.pid, [])
            ex = Exit(code, reason or ("Completed" if code == 0 else "Error"), time.time())
            self.exits[proc.pid] = ex
        for cb in callbacks:
            cb(ex)

    def signal(self, proc, signum):
        self.signals.append((proc.pid, signum))
        name = self.configs[proc.pid].name
        if signum == signal.SIGKILL or name not in self.ignore_term:
            threading.Thread(target=self.exit, args=(proc, 128 + signum)).start()

    def alive(self, proc):
        return proc.pid in self.alive_pids

    def adopt(self, sandbox_dir):
        with self.lock:
            return {c: p for (_pod, c, p) in self.started if p.pid in self.alive_pids
                    and self.configs[p.pid].log_path.startswith(sandbox_dir)}

    def exec(self, sandbox, config, argv, *, stdin=None, stdout=None, stderr=None, timeout=None):
        return 0

    # -- helpers for tests ------------------------------------------------------------

    def procs(self, container: str) -> list[ContainerProcess]:
        with self.lock:
            return [p for (_pod, c, p) in self.started if c == container]

    def latest(self, container: str) -> ContainerProcess:
        return self.procs(container)[-1]
