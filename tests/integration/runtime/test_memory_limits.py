"""A container over its memory limit ends OOMKilled (137) however the limit is enforced:
the kernel's OOM killer in a cgroup, or the runtime's watchdog where there is no cgroup
(rlimit mode) — and still after a new runtime adopted it."""
from __future__ import annotations

import os
import threading

import pytest

from minikctl.runtime.limits import Limits
from minikctl.runtime.process import ProcessRuntime
from tests.unit.runtime.helpers import PY

# Grows by 8 MiB at a time once the file named by argv[1] exists (so adoption can come first).
HOG = ("import os, sys, time\n"
       "while not os.path.exists(sys.argv[1]): time.sleep(0.02)\n"
       "x = []\n"
       "while True:\n"
       "    x.append(bytearray(8 << 20)); time.sleep(0.01)\n")


def wait_exit(runtime, proc, timeout=20):
    done = threading.Event()
    box = []
    runtime.on_exit(proc, lambda e: (box.append(e), done.set()))
    assert done.wait(timeout), "the container did not exit"
    return box[0]


def force_rlimit(runtime: ProcessRuntime) -> None:
    limits = Limits()
    limits.mode = "rlimit"
    runtime._limits = limits


@pytest.mark.parametrize("mode", ["rlimit", "detected"])
def test_a_growing_hog_is_oom_killed(rt, tmp_path, mode):
    if mode == "rlimit":
        force_rlimit(rt.runtime)
    sb = rt.sandbox()
    go = tmp_path / "go"
    go.touch()
    config = rt.config(sb, [PY, "-c", HOG, str(go)], limits={"memory": 64 << 20})
    result = rt.run(sb, config)
    assert (result.exit_code, result.reason) == (137, "OOMKilled")


@pytest.mark.parametrize("mode", ["rlimit", "detected"])
def test_an_adopted_hog_is_still_reported_oom_killed(rt, tmp_path, mode):
    if mode == "rlimit":
        force_rlimit(rt.runtime)
    elif rt.runtime.limits_mode() == "rlimit":
        pytest.skip("no cgroups here: the rlimit case covers it")
    sb = rt.sandbox()
    go = tmp_path / "go"
    config = rt.config(sb, [PY, "-c", HOG, str(go)], limits={"memory": 64 << 20})
    rt.start(sb, config)
    rt.runtime.close()  # the daemon goes away; the container stays
    second = ProcessRuntime(rt.home)
    if mode == "rlimit":
        force_rlimit(second)
    try:
        adopted = second.adopt(sb.directory)["c"]
        go.touch()
        result = wait_exit(second, adopted)
        assert (result.exit_code, result.reason) == (137, "OOMKilled")
    finally:
        second.close()


def test_the_watchdog_leaves_a_container_within_its_limit_alone(rt, tmp_path):
    force_rlimit(rt.runtime)
    sb = rt.sandbox()
    config = rt.config(sb, [PY, "-c", "b = bytearray(16 << 20); import time; time.sleep(0.5)"],
                       limits={"memory": 64 << 20})
    result = rt.run(sb, config)
    assert (result.exit_code, result.reason) == (0, "Completed")
    assert os.path.exists(config.log_path)
