"""What the kubelet knows about its pods: per container, the current run (or the last
one) and the run before it, restart count, probe results and why it is waiting.

This is the kubelet's view of the runtime, kept in memory and written to
`<pod dir>/kubelet.json` on every start and exit, so a restarted daemon adopts the same
processes with the same restart counts (Kubernetes keeps this in container labels).
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field

from minikctl.runtime.interface import ContainerProcess, Exit, Sandbox

STATE_FILE = "kubelet.json"


@dataclass
class Run:
    """One start of a container: running while exit is None."""

    container_id: str
    started_at: float
    proc: ContainerProcess | None = None
    exit: Exit | None = None


@dataclass
class ContainerRecord:
    name: str
    init: bool = False
    image: str = ""
    image_id: str = ""
    restart_count: int = 0
    run: Run | None = None
    previous: Run | None = None  # lastState: the run before `run`
    waiting: tuple[str, str] | None = None  # (reason, message) while not running
    ready: bool = False
    started: bool = False  # the startup probe passed (or there is none)
    killing: bool = False  # a graceful kill is in progress
    kill_reason: str = ""  # why the kubelet is killing it (liveness, startup, delete)
    exited: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.exit is None

    @property
    def terminated(self) -> bool:
        return self.run is not None and self.run.exit is not None

    def begin(self, run: Run) -> None:
        """A new start: the current run becomes lastState, counting a restart."""
        if self.run is not None:
            self.previous = self.run
            self.restart_count += 1
        self.run = run
        self.waiting = None
        self.ready = False
        self.started = False
        self.killing = False
        self.kill_reason = ""
        self.exited = threading.Event()


@dataclass
class PodRecord:
    uid: str
    namespace: str
    name: str
    ip: str = ""
    node: str = ""  # the node whose kubelet runs it (several share one pods/ directory)
    start_time: float | None = None
    sandbox: Sandbox | None = None
    containers: dict[str, ContainerRecord] = field(default_factory=dict)
    inits: dict[str, ContainerRecord] = field(default_factory=dict)
    terminal: str = ""  # Succeeded/Failed once the pod is done for good
    terminating: bool = False
    torn_down: bool = False  # every process gone after deletion
    volume_error: str = ""
    volumes_at: float | None = None  # when volumes were last written (None: not yet)
    volume_failures: int = 0
    configs: dict[str, object] = field(default_factory=dict, repr=False)  # container -> ContainerConfig
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    last_status: dict | None = field(default=None, repr=False)
    last_pod: dict | None = field(default=None, repr=False)  # for termination after a hard delete

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def all(self) -> list[ContainerRecord]:
        return list(self.inits.values()) + list(self.containers.values())

    def container(self, name: str, init: bool) -> ContainerRecord:
        table = self.inits if init else self.containers
        if name not in table:
            table[name] = ContainerRecord(name=name, init=init)
        return table[name]


# -- persistence ---------------------------------------------------------------------

def save(rec: PodRecord) -> None:
    """Write the record next to the pod's processes (atomically: rename)."""
    if rec.sandbox is None:
        return
    data = {
        "uid": rec.uid, "namespace": rec.namespace, "name": rec.name, "ip": rec.ip, "node": rec.node,
        "startTime": rec.start_time, "terminal": rec.terminal,
        "sandbox": asdict(rec.sandbox),
        "containers": [_dump_container(c) for c in rec.all()],
    }
    path = os.path.join(rec.sandbox.directory, STATE_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def load(directory: str) -> PodRecord | None:
    try:
        with open(os.path.join(directory, STATE_FILE)) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    rec = PodRecord(uid=data["uid"], namespace=data["namespace"], name=data["name"], ip=data.get("ip", ""),
                    node=data.get("node", ""),
                    start_time=data.get("startTime"), terminal=data.get("terminal", ""),
                    sandbox=Sandbox(**data["sandbox"]))
    for c in data.get("containers") or []:
        cr = rec.container(c["name"], c.get("init", False))
        cr.image, cr.image_id, cr.restart_count = c.get("image", ""), c.get("imageID", ""), c.get("restartCount", 0)
        cr.run, cr.previous = _load_run(c.get("run")), _load_run(c.get("previous"))
        if cr.run is not None and cr.run.exit is None:
            cr.started = bool(c.get("started"))
    return rec


def _dump_container(c: ContainerRecord) -> dict:
    return {"name": c.name, "init": c.init, "image": c.image, "imageID": c.image_id,
            "restartCount": c.restart_count, "run": _dump_run(c.run), "previous": _dump_run(c.previous),
            "started": c.started}


def _dump_run(run: Run | None) -> dict | None:
    if run is None:
        return None
    return {"containerID": run.container_id, "startedAt": run.started_at,
            "proc": asdict(run.proc) if run.proc else None,
            "exit": asdict(run.exit) if run.exit else None}


def _load_run(data: dict | None) -> Run | None:
    if not data:
        return None
    return Run(container_id=data["containerID"], started_at=data["startedAt"],
               proc=_load_proc(data.get("proc")),
               exit=Exit(**data["exit"]) if data.get("exit") else None)


def _load_proc(data: dict | None) -> ContainerProcess | None:
    if not data:
        return None
    return ContainerProcess(pid=int(data["pid"]), start_ticks=int(data["start_ticks"]),
                            started_at=float(data["started_at"]), warnings=tuple(data.get("warnings") or ()))


def container_id(proc: ContainerProcess) -> str:
    """minikctl://<pid>-<start ticks>: unique even when the OS reuses the pid."""
    return f"minikctl://{proc.pid}-{proc.start_ticks}"
