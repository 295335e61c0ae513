"""The runtime interface the kubelet drives. Everything here is plain data, so the
kubelet can be tested against a fake runtime and a later isolated runtime (namespaces,
cgroups) is a new module, not a rewrite."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Mount:
    host_path: str  # a directory or file on the host (a volume's directory)
    container_path: str  # the mountPath the container sees
    read_only: bool = False
    sub_path: str = ""


@dataclass
class Sandbox:
    """A pod's share of the machine: its directory, IP and volume directories."""

    pod_uid: str
    namespace: str
    name: str
    directory: str  # $MINIKCTL_HOME/pods/<namespace>_<name>_<uid>
    ip: str  # from the node's pod CIDR on the loopback range, e.g. 127.16.0.5
    volumes: dict[str, str] = field(default_factory=dict)  # volume name -> host directory


@dataclass
class ContainerConfig:
    """A container ready to start: everything resolved (image, env, $(VAR) expansion)."""

    name: str
    argv: list[str]  # the process to exec, never through a shell unless argv says so
    env: dict[str, str]
    working_dir: str  # a host directory
    log_path: str  # where stdout and stderr go (kubelet layout: <pod dir>/<container>/<restart>.log)
    mounts: list[Mount] = field(default_factory=list)
    pod_ip: str = ""
    limits: dict[str, int] = field(default_factory=dict)  # "cpu" in millicores, "memory" in bytes
    log_max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class ContainerProcess:
    """A running container. (pid, start_ticks) identifies it: a reused pid has other ticks."""

    pid: int
    start_ticks: int  # field 22 of /proc/<pid>/stat
    started_at: float = field(compare=False)  # epoch seconds; not identity (records round it)
    # Things the user should know about this container that did not stop it from starting
    # (no bind shim: it shares the host's ports; a static binary ignores LD_PRELOAD; how
    # limits are enforced). The kubelet can turn them into Warning events. Not identity.
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Exit:
    exit_code: int  # 128+N when killed by signal N, as Kubernetes reports it
    reason: str  # Completed, Error, OOMKilled, ContainerStatusUnknown
    finished_at: float
    message: str = ""


class StartError(Exception):
    """The container could not start; reason is Kubernetes' (ErrImagePull,
    CreateContainerConfigError, RunContainerError, StartError...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ExecError(StartError):
    """`exec` could not run the command (container not running, no such executable)."""


class Runtime(Protocol):
    def create_sandbox(self, pod: dict, ip: str) -> Sandbox: ...
    def remove_sandbox(self, sandbox: Sandbox) -> None: ...
    def start(self, sandbox: Sandbox, config: ContainerConfig) -> ContainerProcess: ...
    def on_exit(self, proc: ContainerProcess, callback: Callable[[Exit], None]) -> None:
        """Call back (from a runtime thread) as soon as the process exits: pidfd, not polling."""
    def signal(self, proc: ContainerProcess, signum: int) -> None:
        """Send a signal to the container's whole process group."""
    def alive(self, proc: ContainerProcess) -> bool: ...
    def exec(self, sandbox: Sandbox, config: ContainerConfig, argv: list[str]) -> int:
        """Run argv inside the container's environment (env, cwd, mounts); exit code."""
