"""Pods outlive the daemon: a new runtime adopts what an old one started, never a process
that merely reuses a recorded pid; and limits (cgroup or rlimit) with OOM detection."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading

import pytest

from minikctl.runtime import procfs, records
from minikctl.runtime.process import ProcessRuntime
from minikctl.runtime.reaper import UNKNOWN_EXIT_CODE
from tests.unit.runtime.helpers import PY, kill_group, read, wait_for


def wait_exit(runtime, proc, timeout=10):
    done = threading.Event()
    box = []
    runtime.on_exit(proc, lambda e: (box.append(e), done.set()))
    assert done.wait(timeout)
    return box[0]


def test_a_new_runtime_adopts_running_containers(rt):
    sb = rt.sandbox()
    config = rt.config(sb, ["sleep", "30"], name="app", log_max_bytes=4096)
    proc = rt.start(sb, config)
    finished = rt.start(sb, rt.config(sb, ["true"], name="done"))
    rt.wait(finished)
    rt.runtime.close()  # the old daemon goes away; its processes stay

    second = ProcessRuntime(rt.home)
    try:
        adopted = second.adopt(sb.directory)
        assert adopted == {"app": proc}  # the exited one is not there
        assert second.alive(adopted["app"])
        # its log is capped again by the new runtime
        with open(config.log_path, "ab") as f:
            f.write(b"z" * 20000 + b"\n")
        wait_for(lambda: os.path.getsize(config.log_path) <= 4096, what="the adopted log trimmed")
        # not our child: the exit code is unknown, and we say so
        os.kill(proc.pid, signal.SIGTERM)
        result = wait_exit(second, adopted["app"])
        assert (result.exit_code, result.reason) == (UNKNOWN_EXIT_CODE, "ContainerStatusUnknown")
        assert "unknown" in result.message
    finally:
        second.close()


def test_sigkill_after_adoption_reports_137(rt):
    sb = rt.sandbox()
    proc = rt.start(sb, rt.config(sb, ["sleep", "30"]))
    rt.runtime.close()
    second = ProcessRuntime(rt.home)
    try:
        adopted = second.adopt(sb.directory)["c"]
        second.signal(adopted, signal.SIGKILL)
        result = wait_exit(second, adopted)
        assert (result.exit_code, result.reason) == (137, "Error")
    finally:
        second.close()
    assert proc == adopted


def test_a_reused_pid_is_not_adopted(rt):
    """state.json names a live pid (a process that is not the container): wrong start
    ticks, so it is not adopted and never signalled."""
    sb = rt.sandbox()
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        cdir = os.path.join(sb.directory, "app")
        os.makedirs(cdir)
        ticks = procfs.start_ticks(stranger.pid)
        records.write_json(os.path.join(cdir, "state.json"),
                           {"pid": stranger.pid, "start_ticks": ticks - 1, "started_at": 1.0})
        runtime = ProcessRuntime(rt.home)
        try:
            assert runtime.adopt(sb.directory) == {}
            runtime.remove_sandbox(sb)  # kills what it recorded: must spare the stranger
            assert stranger.poll() is None
        finally:
            runtime.close()
    finally:
        kill_group(stranger.pid)
        stranger.wait()


def test_adopting_twice_and_own_children_keep_real_exit_codes(rt):
    sb = rt.sandbox()
    proc = rt.start(sb, rt.config(sb, ["sh", "-c", "sleep 0.3; exit 5"]))
    assert rt.runtime.adopt(sb.directory) == {"c": proc}  # a kubelet resync: still our child
    assert rt.wait(proc).exit_code == 5


def test_memory_limit(rt):
    runtime = rt.runtime
    sb = rt.sandbox()
    hog = f"{PY} -c \"b = bytearray(400 << 20); print('allocated', flush=True)\""
    config = rt.config(sb, ["sh", "-c", f"echo start; {hog}"], limits={"memory": 100 << 20})
    mode = runtime.limits_mode()
    proc = rt.start(sb, config)
    state = json.loads(read(os.path.join(sb.directory, "c", "state.json")))
    assert state["limits"] == mode
    result = rt.wait(proc)
    assert "allocated" not in read(config.log_path)
    if mode.startswith("cgroup"):
        # the kernel's OOM killer took the python child; the shell reports its death
        assert result.exit_code != 0
    else:
        assert "MemoryError" in read(config.log_path)


def test_oom_killed_main_process(rt):
    if not rt.runtime.limits_mode().startswith("cgroup"):
        pytest.skip("OOMKilled is known only with cgroups")
    sb = rt.sandbox()
    config = rt.config(sb, [PY, "-c", "b = bytearray(400 << 20)"], limits={"memory": 64 << 20})
    result = rt.run(sb, config)
    assert (result.exit_code, result.reason) == (137, "OOMKilled")
