"""Resource limits for a container: how `resources.limits` is enforced on this machine.

Best first:
  cgroup v2   <own cgroup>/minikctl/<pod uid>/<container>: memory.max, cpu.max
  cgroup v1   the memory (memory.limit_in_bytes) and cpu (cfs quota) hierarchies
  rlimit      a watchdog kills a container over its memory limit (runtime/memwatch.py),
              RLIMIT_DATA a backstop above it (heap and mmaps); cpu not enforced
The cgroups are made under the daemon's own cgroup, never at the root of a hierarchy,
so pods stay inside whatever limits the daemon itself runs under. The launcher joins
the cgroup before exec, so every process of the container is inside from its first
instruction. OOM kills are read back from memory.events / memory.oom_control.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

CGROUP_ROOT = "/sys/fs/cgroup"
CFS_PERIOD = 100_000  # µs


@dataclass
class LimitPlan:
    cgroup_procs: list[str] = field(default_factory=list)  # cgroup.procs files the launcher joins
    rlimits: dict[str, int] = field(default_factory=dict)
    how: str = ""  # shown to users: "cgroup v2", "cgroup v1", "rlimit (memory only)"
    warning: str = ""
    oom_check: Callable[[], bool] | None = None
    memory_watch: int = 0  # rlimit mode: the runtime's watchdog keeps this memory limit

    @property
    def needs_launcher(self) -> bool:
        return bool(self.cgroup_procs or self.rlimits)


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path in a hierarchy ("" for v2's unified line)."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if (controller and controller in controllers.split(",")) or (not controller and not controllers):
                    return path
    except OSError:
        return None
    return None


def _read_counter(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


class Limits:
    def __init__(self) -> None:
        self.mode = self._detect()

    @staticmethod
    def _detect() -> str:
        v2 = os.path.join(CGROUP_ROOT, "cgroup.controllers")
        if os.path.exists(v2):
            own = _own_cgroup("")
            base = os.path.join(CGROUP_ROOT, (own or "/").lstrip("/"))
            try:
                with open(os.path.join(base, "cgroup.subtree_control")) as f:
                    enabled = f.read().split()
            except OSError:
                enabled = []
            if "memory" in enabled and os.access(base, os.W_OK):
                return "cgroup v2"
        memory_v1 = os.path.join(CGROUP_ROOT, "memory")
        if os.path.exists(os.path.join(memory_v1, "memory.limit_in_bytes")) or \
                os.path.exists(os.path.join(memory_v1, "cgroup.procs")):
            own = _own_cgroup("memory")
            if own is not None and os.access(os.path.join(memory_v1, own.lstrip("/")), os.W_OK):
                return "cgroup v1"
        return "rlimit"

    def _dir(self, controller: str, pod_uid: str, container: str = "") -> str | None:
        if self.mode == "cgroup v2":
            own = _own_cgroup("") or "/"
            base = os.path.join(CGROUP_ROOT, own.lstrip("/"))
        else:
            own = _own_cgroup(controller)
            if own is None:
                return None
            base = os.path.join(CGROUP_ROOT, controller, own.lstrip("/"))
        parts = [base, "minikctl", pod_uid] + ([container] if container else [])
        return os.path.join(*parts)

    def plan(self, pod_uid: str, container: str, limits: dict[str, int]) -> LimitPlan:
        memory, cpu = int(limits.get("memory") or 0), int(limits.get("cpu") or 0)
        if not memory and not cpu:
            return LimitPlan()
        if self.mode.startswith("cgroup"):
            try:
                return self._cgroup_plan(pod_uid, container, memory, cpu)
            except OSError as exc:
                fallback = self._rlimit_plan(memory, cpu)
                fallback.warning = f"cgroup limits failed ({exc}); {fallback.warning or 'memory limited by RLIMIT_DATA'}"
                return fallback
        return self._rlimit_plan(memory, cpu)

    def _rlimit_plan(self, memory: int, cpu: int) -> LimitPlan:
        from minikctl.runtime import memwatch

        plan = LimitPlan(how="rlimit")
        if memory:
            plan.rlimits["RLIMIT_DATA"] = memwatch.backstop(memory)
            plan.memory_watch = memory
        if cpu:
            plan.warning = ("the cpu limit is not enforced: no writable cgroup on this machine "
                            "(run the daemon as root with cgroups mounted)")
        return plan

    def _cgroup_plan(self, pod_uid: str, container: str, memory: int, cpu: int) -> LimitPlan:
        plan = LimitPlan(how=self.mode)
        if self.mode == "cgroup v2":
            path = self._dir("", pod_uid, container)
            assert path
            for level in (os.path.dirname(os.path.dirname(path)), os.path.dirname(path)):
                os.makedirs(level, exist_ok=True)
                _write(os.path.join(level, "cgroup.subtree_control"), "+memory +cpu")
            os.makedirs(path, exist_ok=True)
            if memory:
                _write(os.path.join(path, "memory.max"), str(memory))
                if os.path.exists(os.path.join(path, "memory.swap.max")):
                    _write(os.path.join(path, "memory.swap.max"), "0")
            if cpu:
                _write(os.path.join(path, "cpu.max"), f"{max(cpu * CFS_PERIOD // 1000, 1000)} {CFS_PERIOD}")
            plan.cgroup_procs.append(os.path.join(path, "cgroup.procs"))
            events = os.path.join(path, "memory.events")
            base = _read_counter(events, "oom_kill")
            plan.oom_check = lambda: _read_counter(events, "oom_kill") > base
            return plan
        if memory:
            path = self._dir("memory", pod_uid, container)
            if path is None:
                raise OSError("no memory cgroup")
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "memory.limit_in_bytes"), str(memory))
            plan.cgroup_procs.append(os.path.join(path, "cgroup.procs"))
            control = os.path.join(path, "memory.oom_control")
            base = _read_counter(control, "oom_kill")
            plan.oom_check = lambda: _read_counter(control, "oom_kill") > base
        if cpu:
            path = self._dir("cpu", pod_uid, container)
            own = _own_cgroup("cpu")
            if path is not None and own is not None and os.access(
                    os.path.join(CGROUP_ROOT, "cpu", own.lstrip("/")), os.W_OK):
                os.makedirs(path, exist_ok=True)
                _write(os.path.join(path, "cpu.cfs_period_us"), str(CFS_PERIOD))
                _write(os.path.join(path, "cpu.cfs_quota_us"), str(max(cpu * CFS_PERIOD // 1000, 1000)))
                plan.cgroup_procs.append(os.path.join(path, "cgroup.procs"))
            else:
                plan.warning = "the cpu limit is not enforced: the cpu cgroup is not writable"
        return plan

    def oom_check(self, pod_uid: str, container: str) -> Callable[[], bool] | None:
        """For an adopted container: True once its cgroup records an OOM kill from now on."""
        if self.mode == "cgroup v2":
            path, key, name = self._dir("", pod_uid, container), "oom_kill", "memory.events"
        elif self.mode == "cgroup v1":
            path, key, name = self._dir("memory", pod_uid, container), "oom_kill", "memory.oom_control"
        else:
            return None
        if not path or not os.path.isdir(path):
            return None
        counter = os.path.join(path, name)
        base = _read_counter(counter, key)
        return lambda: _read_counter(counter, key) > base

    def remove_pod(self, pod_uid: str) -> None:
        """Remove the pod's cgroups (empty once its processes are gone)."""
        controllers = [""] if self.mode == "cgroup v2" else ["memory", "cpu"]
        if not self.mode.startswith("cgroup"):
            return
        for controller in controllers:
            path = self._dir(controller, pod_uid)
            if not path or not os.path.isdir(path):
                continue
            # cgroup directories are removed with rmdir, deepest first (rmtree would try
            # to unlink their control files).
            for root, _dirs, _files in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
                try:
                    os.rmdir(root)
                except OSError:
                    pass
            try:
                os.rmdir(os.path.dirname(path))  # minikctl/, once no pod is left
            except OSError:
                pass
