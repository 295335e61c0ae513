"""ProcessRuntime with real processes: exit codes, exit callbacks, process groups, env,
logs and the records other commands read."""
from __future__ import annotations

import json
import os
import signal
import statistics
import threading
import time

import pytest

from minikctl.runtime import procfs, records
from minikctl.runtime.interface import ContainerProcess, StartError
from tests.unit.runtime.helpers import PY, kill_group, read, wait_for


@pytest.mark.parametrize("argv, code, reason", [
    (["true"], 0, "Completed"),
    (["sh", "-c", "exit 3"], 3, "Error"),
    ([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"], 143, "Error"),
])
def test_exit_codes(rt, argv, code, reason):
    sb = rt.sandbox()
    result = rt.run(sb, rt.config(sb, argv))
    assert (result.exit_code, result.reason) == (code, reason)
    assert result.finished_at == pytest.approx(time.time(), abs=10)


def test_sigkill_is_137(rt):
    sb = rt.sandbox()
    proc = rt.start(sb, rt.config(sb, ["sleep", "30"]))
    assert rt.runtime.alive(proc)
    rt.runtime.signal(proc, signal.SIGKILL)
    result = rt.wait(proc)
    assert (result.exit_code, result.reason) == (137, "Error")
    assert not rt.runtime.alive(proc)


def test_on_exit_after_the_exit_still_calls_back(rt):
    sb = rt.sandbox()
    proc = rt.start(sb, rt.config(sb, ["sh", "-c", "exit 7"]))
    wait_for(lambda: not rt.runtime.alive(proc), what="exit")
    time.sleep(0.05)
    caller = threading.current_thread()
    seen = []
    done = threading.Event()
    rt.runtime.on_exit(proc, lambda e: (seen.append((e.exit_code, threading.current_thread())), done.set()))
    assert done.wait(5)
    assert seen[0][0] == 7
    assert seen[0][1] is not caller  # always from the runtime's thread


def test_exit_callback_is_immediate(rt):
    """kill -9 -> callback: measured, not polled. Median well under 50 ms."""
    sb = rt.sandbox()
    latencies = []
    for i in range(10):
        proc = rt.start(sb, rt.config(sb, ["sleep", "30"], restart=i))
        fired = threading.Event()
        stamp: list[float] = []
        rt.runtime.on_exit(proc, lambda e: (stamp.append(time.monotonic()), fired.set()))
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        assert fired.wait(5)
        latencies.append(stamp[0] - t0)
    assert statistics.median(latencies) < 0.02, latencies


def test_replacement_running_within_50ms_of_a_kill(rt):
    """The self-heal path: kill -9, the callback starts the replacement."""
    sb = rt.sandbox()
    latencies = []
    for i in range(10):
        proc = rt.start(sb, rt.config(sb, ["sleep", "30"], name="heal", restart=2 * i))
        started = threading.Event()
        stamp: list[float] = []

        def restart(_exit, i=i):
            rt.start(sb, rt.config(sb, ["sleep", "30"], name="heal", restart=2 * i + 1))
            stamp.append(time.monotonic())
            started.set()

        rt.runtime.on_exit(proc, restart)
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        assert started.wait(5)
        latencies.append(stamp[0] - t0)
    assert statistics.median(latencies) <= 0.05, latencies


def test_signal_reaches_the_whole_process_group(rt, tmp_path):
    sb = rt.sandbox()
    pidfile = tmp_path / "child.pid"
    proc = rt.start(sb, rt.config(sb, ["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"]))
    child = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="child pid"))
    rt.pids.append(child)
    child_ticks = procfs.start_ticks(child)
    assert os.getpgid(child) == proc.pid
    rt.runtime.signal(proc, signal.SIGTERM)
    assert rt.wait(proc).exit_code == 143
    wait_for(lambda: not procfs.is_running(child, child_ticks), what="the child to die")


def test_leftovers_die_with_the_main_process(rt, tmp_path):
    """As in a container: when the main process exits, what it left behind is killed."""
    sb = rt.sandbox()
    pidfile = tmp_path / "bg.pid"
    proc = rt.start(sb, rt.config(sb, ["sh", "-c", f"sleep 60 & echo $! > {pidfile}; sleep 0.2"]))
    child = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="child pid"))
    rt.pids.append(child)
    ticks = procfs.start_ticks(child)
    assert rt.wait(proc).exit_code == 0
    wait_for(lambda: not procfs.is_running(child, ticks), what="the leftover to die")


def test_env_is_exactly_what_was_given(rt, monkeypatch):
    monkeypatch.setenv("MINIKCTL_DAEMON_SECRET", "must-not-leak")
    sb = rt.sandbox()
    config = rt.config(sb, [PY, "-c", "import os, json; print(json.dumps(dict(os.environ)))"],
                       env={"PATH": "/usr/bin:/bin", "GREETING": "hello world", "EMPTY": ""})
    assert rt.run(sb, config).exit_code == 0
    env = json.loads(read(config.log_path))
    env.pop("LC_CTYPE", None)  # Python's own locale coercion, set inside the child
    assert env == {"PATH": "/usr/bin:/bin", "GREETING": "hello world", "EMPTY": ""}


def test_pod_ip_adds_the_bind_shim_to_the_env(rt):
    sb = rt.sandbox(ip="127.16.0.9")
    config = rt.config(sb, [PY, "-c", "import os; print(os.environ['LD_PRELOAD']); print(os.environ['MINIKCTL_POD_IP'])"],
                       env={"PATH": "/usr/bin:/bin", "LD_PRELOAD": "libmine.so"})
    assert rt.run(sb, config).exit_code == 0
    # (ld.so says on stderr that libmine.so does not exist: skip that line)
    first, second = [ln for ln in read(config.log_path).splitlines() if "ld.so" not in ln][:2]
    assert first.startswith("libmine.so:") and first.endswith(".so") and "bindshim-" in first
    assert second == "127.16.0.9"


def test_working_dir_stdin_and_both_streams(rt, tmp_path):
    sb = rt.sandbox()
    config = rt.config(sb, ["sh", "-c", "pwd; echo to-stderr >&2; cat; echo done"], working_dir=str(tmp_path))
    assert rt.run(sb, config).exit_code == 0
    assert read(config.log_path).split("\n")[:3] == [str(tmp_path), "to-stderr", "done"]


def test_log_is_appended_and_parent_dirs_created(rt):
    sb = rt.sandbox()
    config = rt.config(sb, ["echo", "one"])
    config.log_path = os.path.join(sb.directory, "deep", "er", "0.log")
    rt.run(sb, config)
    rt.run(sb, config)
    assert read(config.log_path) == "one\none\n"


def test_records_for_exec_and_logs(rt):
    sb = rt.sandbox(name="web", ip="127.16.0.4")
    config = rt.config(sb, ["sleep", "30"], name="app", env={"A": "1"})
    proc = rt.start(sb, config)
    cdir = os.path.join(sb.directory, "app")
    assert os.path.basename(sb.directory) == f"default_web_{sb.pod_uid}"
    state = json.loads(read(os.path.join(cdir, "state.json")))
    assert (state["pid"], state["start_ticks"]) == (proc.pid, proc.start_ticks)
    assert records.load_config(cdir) == config
    assert records.load_sandbox(sb.directory) == sb
    loaded = records.load_state(cdir)
    assert loaded and loaded[0] == proc
    rt.runtime.signal(proc, signal.SIGKILL)
    rt.wait(proc)


def test_start_errors_say_what_to_do(rt):
    sb = rt.sandbox()
    with pytest.raises(StartError) as err:
        rt.start(sb, rt.config(sb, ["no-such-program-xyz"]))
    assert err.value.reason == "StartError"
    assert 'exec: "no-such-program-xyz": executable file not found in $PATH' in err.value.message
    with pytest.raises(StartError) as err:
        rt.start(sb, rt.config(sb, ["true"], working_dir="/no/such/dir"))
    assert "workingDir" in err.value.message
    with pytest.raises(StartError) as err:
        rt.start(sb, rt.config(sb, []))
    assert err.value.reason == "CreateContainerError"


def test_a_reused_pid_is_never_signalled_nor_alive(rt):
    sb = rt.sandbox()
    victim = rt.start(sb, rt.config(sb, ["sleep", "30"]))
    impostor = ContainerProcess(pid=victim.pid, start_ticks=victim.start_ticks + 1, started_at=0)
    assert not rt.runtime.alive(impostor)
    rt.runtime.signal(impostor, signal.SIGKILL)
    time.sleep(0.05)
    assert rt.runtime.alive(victim)
    kill_group(victim.pid)
    rt.wait(victim)


def test_remove_sandbox_kills_and_deletes(rt):
    sb = rt.sandbox(volumes=[{"name": "data", "emptyDir": {}}])
    assert os.path.isdir(sb.volumes["data"]) and sb.volumes["data"].startswith(sb.directory)
    proc = rt.start(sb, rt.config(sb, ["sleep", "30"]))
    rt.runtime.remove_sandbox(sb)
    assert not os.path.exists(sb.directory)
    assert rt.wait(proc).exit_code == 137


def test_host_path_volume_is_the_host_path(rt, tmp_path):
    target = tmp_path / "made"
    sb = rt.sandbox(volumes=[{"name": "h", "hostPath": {"path": str(target), "type": "DirectoryOrCreate"}}])
    assert sb.volumes["h"] == str(target) and target.is_dir()


def test_stats_of_the_process_tree(rt):
    sb = rt.sandbox()
    proc = rt.start(sb, rt.config(sb, ["sh", "-c", "sleep 30 & sleep 30 & wait"]))
    stats = wait_for(lambda: (s := rt.runtime.stats(proc)) and s["processes"] == 3 and s, what="3 processes")
    assert stats["memory_bytes"] > 0
    rt.runtime.signal(proc, signal.SIGKILL)
    rt.wait(proc)
    assert rt.runtime.stats(proc)["processes"] == 0
