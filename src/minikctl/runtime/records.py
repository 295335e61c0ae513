"""The runtime's files on disk, so that `minikctl exec`/`logs` and a restarted daemon
find what a previous one started:

    $MINIKCTL_HOME/pods/<namespace>_<name>_<uid>/
        sandbox.json                   the Sandbox (uid, namespace, name, ip, volumes)
        volumes/<volume name>/         one directory per pod volume (hostPath: its path)
        <container>/config.json        the ContainerConfig it was last started with
        <container>/state.json         {pid, start_ticks, started_at, restart_log}
        <container>/<restartCount>.log stdout and stderr of each start

Every write is atomic (temporary file + rename): a reader never sees half a record, and
a daemon killed mid-write leaves the previous record intact.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile

from minikctl.runtime.interface import ContainerConfig, ContainerProcess, Mount, Sandbox

SANDBOX_FILE = "sandbox.json"
CONFIG_FILE = "config.json"
STATE_FILE = "state.json"


def write_json(path: str, data: object, mode: int = 0o600) -> None:
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json(path: str) -> dict | None:
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def pod_dir_name(namespace: str, name: str, uid: str) -> str:
    return f"{namespace}_{name}_{uid}"


def container_dir(config: ContainerConfig) -> str:
    """The container's directory: the kubelet puts its logs at <pod dir>/<container>/<n>.log."""
    return os.path.dirname(os.path.abspath(config.log_path))


# -- Sandbox -----------------------------------------------------------------------------

def save_sandbox(sandbox: Sandbox, **extra: object) -> None:
    write_json(os.path.join(sandbox.directory, SANDBOX_FILE), {**dataclasses.asdict(sandbox), **extra})


def load_sandbox(directory: str) -> Sandbox | None:
    data = read_json(os.path.join(directory, SANDBOX_FILE))
    if data is None:
        return None
    return Sandbox(
        pod_uid=data.get("pod_uid", ""), namespace=data.get("namespace", ""), name=data.get("name", ""),
        directory=os.path.abspath(directory), ip=data.get("ip", ""), volumes=dict(data.get("volumes") or {}),
    )


def list_sandboxes(pods_dir: str) -> list[Sandbox]:
    out = []
    try:
        entries = sorted(os.scandir(pods_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return out
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            sandbox = load_sandbox(entry.path)
            if sandbox is not None:
                out.append(sandbox)
    return out


# -- ContainerConfig ---------------------------------------------------------------------

def save_config(config: ContainerConfig) -> None:
    write_json(os.path.join(container_dir(config), CONFIG_FILE), dataclasses.asdict(config))


def config_from_dict(data: dict) -> ContainerConfig:
    mounts = [Mount(**m) for m in data.get("mounts") or []]
    fields = {f.name for f in dataclasses.fields(ContainerConfig)}
    kwargs = {k: v for k, v in data.items() if k in fields and k != "mounts"}
    return ContainerConfig(mounts=mounts, **kwargs)


def load_config(directory: str) -> ContainerConfig | None:
    """The ContainerConfig recorded in a container directory (<pod dir>/<container>)."""
    data = read_json(os.path.join(directory, CONFIG_FILE))
    return config_from_dict(data) if data is not None else None


# -- state -------------------------------------------------------------------------------

def save_state(directory: str, proc: ContainerProcess, **extra: object) -> None:
    write_json(os.path.join(directory, STATE_FILE), {
        "pid": proc.pid, "start_ticks": proc.start_ticks, "started_at": proc.started_at,
        "warnings": list(proc.warnings), **extra,
    })


def load_state(directory: str) -> tuple[ContainerProcess, dict] | None:
    """The process a container directory last recorded (alive or not) and the raw record."""
    data = read_json(os.path.join(directory, STATE_FILE))
    if data is None:
        return None
    try:
        proc = ContainerProcess(
            pid=int(data["pid"]), start_ticks=int(data["start_ticks"]), started_at=float(data["started_at"]),
            warnings=tuple(data.get("warnings") or ()),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return proc, data
