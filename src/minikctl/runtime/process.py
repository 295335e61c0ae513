"""The `process` runtime: every container is a local process group.

    ProcessRuntime(home)
      create_sandbox(pod, ip)   $MINIKCTL_HOME/pods/<ns>_<name>_<uid>/ with volumes/<name>/
      start(sandbox, config)    a process group; stdout+stderr appended to config.log_path
      on_exit(proc, callback)   from the reaper thread, the moment the process exits
      signal / alive / exec     by (pid, start ticks): a reused pid is never mistaken
      adopt(sandbox_dir)        what a previous daemon started and is still running

A container without volumes or limits is exec'd directly (fork+exec, ~2 ms). One with
volumeMounts or resource limits goes through the launcher (launcher.py: private mount
namespace, bind mounts, cgroup) which then exec's the program in the same process.
Each pod's IP is given to its servers by the bind shim (shim.py). Logs are capped by
the watchdog in logcap.py; exits are seen by the reaper (reaper.py).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import select
import shutil
import signal as signals
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from minikctl.runtime import procfs, records
from minikctl.runtime.interface import (
    ContainerConfig, ContainerProcess, ExecError, Exit, Sandbox, StartError,
)
from minikctl.runtime.limits import LimitPlan, Limits
from minikctl.runtime.logcap import LogWatchdog, open_log
from minikctl.runtime.memwatch import MemoryWatchdog
from minikctl.runtime.reaper import Reaper
from minikctl.runtime.shim import BindShim, find_executable, is_static_executable, preload_env

log = logging.getLogger(__name__)

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher.py")
LAUNCH_TIMEOUT = 30.0


class ProcessRuntime:
    """Runs containers as local processes. Thread-safe; one per daemon."""

    def __init__(self, home: str, *, kill_group_on_exit: bool = True) -> None:
        self.home = os.path.abspath(home)
        self.pods_dir = os.path.join(self.home, "pods")
        self._reaper = Reaper(kill_group_on_exit=kill_group_on_exit)
        self._logs = LogWatchdog()
        self._shim = BindShim(self.home)
        self._limits: Limits | None = None
        self._memwatch: MemoryWatchdog | None = None  # memory limits where there are no cgroups
        self._lock = threading.Lock()
        # Popen objects of running children: dropped, subprocess would reap them behind
        # our back (subprocess._cleanup) and the real exit code would be lost.
        self._popens: dict[int, subprocess.Popen] = {}

    # -- lifecycle of the runtime itself --------------------------------------------------

    def prepare(self) -> None:
        """Build the bind shim now rather than at the first pod (daemon start-up)."""
        self._shim.path()

    def network_warning(self) -> str | None:
        """Why pods do not get their own IP on this machine (no C compiler...), or None.
        The kubelet can put it on every pod as a Warning event."""
        return self._shim.error

    def limits_mode(self) -> str:
        """How resource limits are enforced here: "cgroup v2", "cgroup v1" or "rlimit"."""
        return self._get_limits().mode

    def close(self) -> None:
        """Stop the runtime's threads. Containers keep running (pods outlive the daemon)."""
        self._reaper.close()
        self._logs.close()
        if self._memwatch is not None:
            self._memwatch.close()

    def _memory_watchdog(self) -> MemoryWatchdog:
        with self._lock:
            if self._memwatch is None:
                self._memwatch = MemoryWatchdog()
            return self._memwatch

    def _get_limits(self) -> Limits:
        if self._limits is None:
            self._limits = Limits()
        return self._limits

    # -- sandboxes -----------------------------------------------------------------------

    def create_sandbox(self, pod: dict, ip: str) -> Sandbox:
        meta = pod.get("metadata") or {}
        namespace, name, uid = meta.get("namespace") or "default", meta.get("name") or "", meta.get("uid") or ""
        directory = os.path.join(self.pods_dir, records.pod_dir_name(namespace, name, uid))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        volumes: dict[str, str] = {}
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            vname = volume.get("name") or ""
            if not vname:
                continue
            host_path = volume.get("hostPath")
            if host_path is not None:
                path = host_path.get("path") or ""
                kind = host_path.get("type") or ""
                if kind == "DirectoryOrCreate":
                    os.makedirs(path, mode=0o755, exist_ok=True)
                elif kind == "FileOrCreate" and not os.path.exists(path):
                    os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
                    open(path, "a").close()
                volumes[vname] = path
            else:
                path = os.path.join(directory, "volumes", vname)
                os.makedirs(path, mode=0o755, exist_ok=True)
                volumes[vname] = path
        sandbox = Sandbox(pod_uid=uid, namespace=namespace, name=name, directory=directory, ip=ip, volumes=volumes)
        records.save_sandbox(sandbox, created_at=time.time())
        return sandbox

    def remove_sandbox(self, sandbox: Sandbox) -> None:
        """Remove the pod's directory (logs, volumes). Anything still running in it is
        killed first: the kubelet stops containers gracefully before this."""
        for name, proc in self._recorded(sandbox.directory).items():
            if self.alive(proc):
                self.signal(proc, signals.SIGKILL)
        for entry in _subdirs(sandbox.directory):
            for log_file in _files(entry):
                self._logs.unwatch(log_file)
        self._get_limits().remove_pod(sandbox.pod_uid)
        shutil.rmtree(sandbox.directory, ignore_errors=True)

    def sandboxes(self) -> list[Sandbox]:
        """Every sandbox recorded under $MINIKCTL_HOME/pods (for adoption at start-up)."""
        return records.list_sandboxes(self.pods_dir)

    # -- containers ------------------------------------------------------------------------

    def start(self, sandbox: Sandbox, config: ContainerConfig) -> ContainerProcess:
        if not config.argv:
            raise StartError("CreateContainerError", f'container "{config.name}": no command specified '
                             "(the image has no entrypoint or cmd: set command in the pod spec)")
        cdir = records.container_dir(config)
        os.makedirs(cdir, mode=0o700, exist_ok=True)
        pod_ip = config.pod_ip or sandbox.ip
        shim = self._shim.path() if pod_ip else None
        env = preload_env(config.env, shim, pod_ip)
        cwd = config.working_dir or sandbox.directory
        warnings: list[str] = []
        if pod_ip and not shim and self._shim.error:
            warnings.append(self._shim.error)
        plan = self._get_limits().plan(sandbox.pod_uid, config.name, config.limits) if config.limits else LimitPlan()
        if plan.warning:
            warnings.append(plan.warning)
        records.save_config(config)
        log_fd = open_log(config.log_path)
        try:
            if config.mounts or plan.needs_launcher:
                popen = self._launch(sandbox, config, env, cwd, plan, log_fd)
            else:
                popen = self._spawn(config, env, cwd, log_fd, warnings, shim)
        finally:
            os.close(log_fd)
        ticks = procfs.start_ticks(popen.pid) or 0
        if plan.memory_watch:
            plan.oom_check = self._memory_watchdog().watch(popen.pid, ticks, plan.memory_watch).is_set
        proc = ContainerProcess(pid=popen.pid, start_ticks=ticks, started_at=time.time(), warnings=tuple(warnings))
        with self._lock:
            self._popens[popen.pid] = popen
        records.save_state(cdir, proc, log_path=config.log_path, limits=plan.how,
                           mount_namespace=bool(config.mounts))
        self._logs.watch(config.log_path, config.log_max_bytes)
        self._reaper.watch(popen.pid, ticks, child=True, oom_check=plan.oom_check,
                           on_reaped=lambda result, pid=popen.pid, path=config.log_path: self._reaped(pid, path, result))
        return proc

    def _spawn(self, config: ContainerConfig, env: dict[str, str], cwd: str, log_fd: int,
               warnings: list[str], shim: str | None) -> subprocess.Popen:
        if not os.path.isdir(cwd):
            raise StartError("StartError", f'workingDir "{cwd}" does not exist on this machine: '
                             "set workingDir to an existing directory")
        exe = find_executable(config.argv[0], env, cwd)
        if exe is None:
            where = " in $PATH" if "/" not in config.argv[0] else ""
            raise StartError("StartError", f'exec: "{config.argv[0]}": executable file not found{where}')
        if shim and is_static_executable(exe):
            warnings.append(_static_warning(config.name, exe))
        try:
            return subprocess.Popen(
                config.argv, executable=exe, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=log_fd, stderr=log_fd, start_new_session=True, close_fds=True,
            )
        except PermissionError as exc:
            raise StartError("StartError", f'exec: "{config.argv[0]}": permission denied') from exc
        except OSError as exc:
            raise StartError("StartError", f'exec: "{config.argv[0]}": {exc.strerror or exc}') from exc
        except ValueError as exc:  # NUL bytes or '=' in env names
            raise StartError("CreateContainerConfigError", f'container "{config.name}": {exc}') from exc

    def _launch(self, sandbox: Sandbox, config: ContainerConfig, env: dict[str, str], cwd: str,
                plan: LimitPlan, log_fd: int) -> subprocess.Popen:
        scratch = os.path.join(records.container_dir(config), ".ns")
        os.makedirs(scratch, mode=0o700, exist_ok=True)
        spec = {
            "mode": "start", "argv": config.argv, "env": env, "cwd": cwd,
            "mounts": [dataclasses.asdict(m) for m in config.mounts], "scratch": scratch,
            "cgroup_procs": plan.cgroup_procs, "rlimits": plan.rlimits,
        }
        popen, error = self._run_launcher(spec, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=log_fd,
                                          new_session=True)
        if error is not None:
            raise StartError(error.get("reason") or "StartError", error.get("message") or "the launcher failed")
        return popen

    def _run_launcher(self, spec: dict, *, stdin, stdout, stderr, new_session: bool  # type: ignore[no-untyped-def]
                      ) -> tuple[subprocess.Popen, dict | None]:
        """Start the launcher and wait until it has exec'd the program (EOF on the error
        pipe) or reported why it could not (JSON on the error pipe)."""
        spec_r, spec_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-S", LAUNCHER, str(spec_r), str(err_w)],
                env={}, cwd="/", stdin=stdin, stdout=stdout, stderr=stderr,
                start_new_session=new_session, close_fds=True, pass_fds=(spec_r, err_w),
            )
        finally:
            os.close(spec_r)
            os.close(err_w)
        try:
            with os.fdopen(spec_w, "wb") as f:
                f.write(json.dumps(spec).encode())
        except BrokenPipeError:
            pass
        chunks = []
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([err_r], [], [], left)[0]:
                    _kill_group(popen.pid)
                    popen.wait()
                    return popen, {"reason": "CreateContainerError",
                                   "message": f"preparing the container took longer than {LAUNCH_TIMEOUT:.0f} s"}
                chunk = os.read(err_r, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(err_r)
        if not chunks:
            return popen, None
        popen.wait(timeout=10)
        try:
            error = json.loads(b"".join(chunks))
        except ValueError:
            error = {"reason": "StartError", "message": b"".join(chunks).decode(errors="replace")}
        return popen, error

    def _reaped(self, pid: int, log_path: str, result: Exit) -> None:
        self._logs.unwatch(log_path)
        with self._lock:
            popen = self._popens.pop(pid, None)
        if popen is not None:
            popen.returncode = result.exit_code  # reaped by us: subprocess must not try

    def on_exit(self, proc: ContainerProcess, callback: Callable[[Exit], None]) -> None:
        self._reaper.on_exit(proc.pid, proc.start_ticks, callback)

    def signal(self, proc: ContainerProcess, signum: int) -> None:
        stat = procfs.read_stat(proc.pid)
        if stat is not None and stat[1] != proc.start_ticks:
            return  # the pid belongs to another process now: our group is gone
        if signum == signals.SIGKILL:
            self._reaper.note_kill(proc.pid, proc.start_ticks)
        try:
            # With the leader gone, a group id cannot be taken by anyone else while a
            # member lives, so this still reaches the container's leftovers.
            os.killpg(proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def alive(self, proc: ContainerProcess) -> bool:
        return procfs.is_running(proc.pid, proc.start_ticks)

    def adopt(self, sandbox_dir: str) -> dict[str, ContainerProcess]:
        """The containers of a sandbox that are still running, by container name, taken
        over by this runtime: their exits are watched and their logs capped. A recorded
        pid that is now another process (other start ticks) is not adopted."""
        out: dict[str, ContainerProcess] = {}
        for name, proc in self._recorded(sandbox_dir).items():
            if not self.alive(proc):
                continue
            config = records.load_config(os.path.join(sandbox_dir, name))
            log_path = config.log_path if config else ""
            with self._lock:
                ours = proc.pid in self._popens
            on_reaped = (lambda result, pid=proc.pid, path=log_path: self._reaped(pid, path, result))
            oom_check = self._adopted_oom_check(sandbox_dir, name, proc, config)
            if not self._reaper.watch(proc.pid, proc.start_ticks, child=ours, on_reaped=on_reaped,
                                      oom_check=oom_check):
                continue
            if config is not None:
                self._logs.watch(config.log_path, config.log_max_bytes)
            out[config.name if config else name] = proc
        return out

    def _adopted_oom_check(self, sandbox_dir: str, name: str, proc: ContainerProcess,
                           config: ContainerConfig | None) -> Callable[[], bool] | None:
        """OOM detection for a container a previous daemon started with a memory limit:
        its cgroup's OOM counter from now on, or the watchdog again (rlimit mode)."""
        memory = int(((config.limits if config else None) or {}).get("memory") or 0)
        state = records.load_state(os.path.join(sandbox_dir, name))
        how = state[1].get("limits") if state else ""
        if not memory or not how:
            return None
        if how == "rlimit":
            return self._memory_watchdog().watch(proc.pid, proc.start_ticks, memory).is_set
        sandbox = records.load_sandbox(sandbox_dir)
        return self._get_limits().oom_check(sandbox.pod_uid, name) if sandbox else None

    def _recorded(self, sandbox_dir: str) -> dict[str, ContainerProcess]:
        out = {}
        for entry in _subdirs(sandbox_dir):
            state = records.load_state(entry)
            if state is not None:
                out[os.path.basename(entry)] = state[0]
        return out

    # -- exec --------------------------------------------------------------------------------

    def exec(self, sandbox: Sandbox, config: ContainerConfig, argv: list[str], *,
             stdin=None, stdout=None, stderr=None, timeout: float | None = None) -> int:  # type: ignore[no-untyped-def]
        """Run argv in the container's environment: its env (with the bind shim), working
        directory and, when it has one, its mount namespace. stdin/stdout/stderr default
        to ours (passthrough). With a timeout (exec probes) the command runs in its own
        process group, killed whole when time is up (TimeoutError)."""
        if not argv:
            raise ExecError("StartError", "exec: no command given")
        state = records.load_state(records.container_dir(config))
        if state is None or not self.alive(state[0]):
            raise ExecError("ContainerNotRunning", f'container "{config.name}" is not running '
                            f'in pod "{sandbox.namespace}/{sandbox.name}"')
        proc = state[0]
        pod_ip = config.pod_ip or sandbox.ip
        env = preload_env(config.env, self._shim.path() if pod_ip else None, pod_ip)
        cwd = config.working_dir or sandbox.directory
        new_session = timeout is not None
        if procfs.mount_namespace(proc.pid) != procfs.mount_namespace():
            spec = {"mode": "exec", "argv": argv, "env": env, "cwd": cwd,
                    "join_pid": proc.pid, "join_ticks": proc.start_ticks}
            popen, error = self._run_launcher(spec, stdin=stdin, stdout=stdout, stderr=stderr,
                                              new_session=new_session)
            if error is not None:
                raise ExecError(error.get("reason") or "StartError", error.get("message") or "exec failed")
        else:
            exe = find_executable(argv[0], env, cwd) if os.path.isdir(cwd) else None
            if exe is None:
                if not os.path.isdir(cwd):
                    raise ExecError("StartError", f'exec: workingDir "{cwd}" does not exist')
                where = " in $PATH" if "/" not in argv[0] else ""
                raise ExecError("StartError", f'exec: "{argv[0]}": executable file not found{where}')
            try:
                popen = subprocess.Popen(argv, executable=exe, env=env, cwd=cwd, stdin=stdin, stdout=stdout,
                                         stderr=stderr, start_new_session=new_session, close_fds=True)
            except OSError as exc:
                raise ExecError("StartError", f'exec: "{argv[0]}": {exc.strerror or exc}') from exc
        try:
            code = popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(popen.pid)
            popen.wait()
            raise TimeoutError(f"command timed out after {timeout:g}s") from None
        except BaseException:
            if new_session:
                _kill_group(popen.pid)
            else:
                popen.kill()
            popen.wait()
            raise
        return 128 - code if code < 0 else code

    # -- observation ------------------------------------------------------------------------

    def stats(self, proc: ContainerProcess) -> dict[str, float]:
        """CPU seconds, resident memory and process count of the container's process
        group and tree (for `top pods`; the same reader `top` samples). Zeros when it is gone."""
        from minikctl.runtime import procstat

        procs = procstat.members(procstat.scan(), proc.pid) if self.alive(proc) else []
        return {"cpu_seconds": sum(procstat.cpu_ns(p) for p in procs) / 1e9,
                "memory_bytes": sum(p.rss_bytes for p in procs), "processes": len(procs)}


def _static_warning(container: str, exe: str) -> str:
    return (f'container "{container}": {exe} is statically linked, so the bind shim cannot give its '
            "sockets the pod's IP: a server it starts on 0.0.0.0 takes the host's port (make it listen "
            "on $(POD_IP) explicitly)")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signals.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signals.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _subdirs(directory: str) -> list[str]:
    try:
        return [e.path for e in os.scandir(directory) if e.is_dir(follow_symlinks=False) and e.name != "volumes"]
    except OSError:
        return []


def _files(directory: str) -> list[str]:
    try:
        return [e.path for e in os.scandir(directory) if e.is_file(follow_symlinks=False)]
    except OSError:
        return []
