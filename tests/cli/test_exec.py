"""`exec` through the real CLI, into real container processes (see test_logs.py's helpers)."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.cli.test_logs import cli, client, pods, wait_until  # noqa: F401 - pods is a fixture

SLEEPER = "import time\ntime.sleep(60)"


def test_command_runs_with_the_containers_env_and_working_dir(pods, tmp_path):
    workdir = tmp_path / "app"
    workdir.mkdir()
    pods("web", {"web": SLEEPER}, env={"GREETING": "hello from web"}, working_dir=str(workdir)).run()
    r = cli("exec", "web", "--", "sh", "-c", 'echo "$GREETING"; pwd')
    assert (r.returncode, r.stdout, r.stderr) == (0, f"hello from web\n{workdir}\n", "")


def test_exit_code_and_stdin(pods):
    pods("web", {"web": SLEEPER}).run()
    r = cli("exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\ncommand terminated with exit code 3\n")
    piped = cli("exec", "-i", "web", "--", "cat", stdin="through stdin\n")
    assert (piped.returncode, piped.stdout) == (0, "through stdin\n")
    closed = cli("exec", "web", "--", "cat", stdin="ignored without -i\n")
    assert (closed.returncode, closed.stdout) == (0, "")
    tty = cli("exec", "-it", "web", "--", "true", stdin="")
    assert (tty.returncode, tty.stderr) == (0, "Unable to use a TTY - input is not a terminal or the right kind of file\n")


def test_container_choice_and_workloads(pods):
    c = client()
    c.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                       "template": {"metadata": {"labels": {"app": "api"}},
                                    "spec": {"containers": [{"name": "a", "image": "python"}]}}}})
    pods("api-1", {"a": SLEEPER, "b": SLEEPER}, labels={"app": "api"}, env={"WHO": "me"}).run()
    r = cli("exec", "deploy/api", "--", "sh", "-c", "echo $WHO")
    assert (r.returncode, r.stdout, r.stderr) == (0, "me\n", 'Defaulted container "a" out of: a, b\n')
    assert cli("exec", "api-1", "-c", "b", "--", "true").stderr == ""
    assert cli("exec", "-q", "api-1", "--", "true").stderr == ""
    bad = cli("exec", "api-1", "-c", "nope", "--", "true")
    assert (bad.returncode, bad.stderr) == (1, "Error from server (BadRequest): container nope is not valid for pod api-1\n")


def test_not_running_completed_and_missing(pods):
    pod = pods("web", {"web": SLEEPER}).run()
    pod.kill("web")
    r = cli("exec", "web", "--", "true")
    assert (r.returncode, r.stderr) == (1, 'error: unable to upgrade connection: container not found ("web")\n')
    pod.set_status("Succeeded", ready=False)
    r = cli("exec", "web", "--", "true")
    assert r.stderr == "error: cannot exec into a container in a completed pod; current phase is Succeeded\n"
    assert cli("exec", "nope", "--", "true").stderr == 'Error from server (NotFound): pods "nope" not found\n'
    pods("pending", {"web": SLEEPER}, bind=False)
    assert cli("exec", "pending", "--", "true").stderr == \
        "Error from server (BadRequest): pod pending does not have a host assigned\n"


def test_usage_errors_and_unknown_command(pods):
    assert cli("exec", "web").stderr == "error: you must specify at least one command for the container\n"
    assert cli("exec", "--", "date").stderr == "error: pod, type/name or --filename must be specified\n"
    pods("web", {"web": SLEEPER}).run()
    old = cli("exec", "web", "true")
    assert (old.returncode, old.stderr) == (0, "minikctl exec [POD] [COMMAND] is DEPRECATED and will be removed in "
                                               "a future version. Use minikctl exec [POD] -- [COMMAND] instead.\n")
    missing = cli("exec", "web", "--", "no-such-command-here")
    assert (missing.returncode, missing.stderr) == (
        1, 'error: Internal error occurred: error executing command in container: exec: "no-such-command-here": '
           'executable file not found in $PATH\n')


def _can_unshare() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None


@pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare(1) to give a process its own mount namespace")
def test_exec_enters_the_containers_mount_namespace(pods, tmp_path):
    volume = tmp_path / "volume"
    volume.mkdir()
    pod = pods("ns", {"web": SLEEPER})
    script = f"mount -t tmpfs none {volume} && echo only inside > {volume}/file && exec sleep 60"
    pod.start("web", argv=["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    pod.set_status("Running")
    wait_until(lambda: os.readlink(f"/proc/{pod.procs['web'].pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt"),
               what="the container's own mount namespace")
    time.sleep(0.3)
    assert not (volume / "file").exists()
    r = cli("exec", "ns", "--", "cat", str(volume / "file"))
    assert (r.returncode, r.stdout, r.stderr) == (0, "only inside\n", "")


@pytest.mark.skipif(not _can_unshare(), reason="needs unshare(1) and user namespaces")
def test_exec_enters_a_user_namespace_too(pods, tmp_path):
    volume = tmp_path / "volume"
    volume.mkdir()
    pod = pods("userns", {"web": SLEEPER})
    script = f"mount -t tmpfs none {volume} && echo mapped > {volume}/file && exec sleep 60"
    pod.start("web", argv=["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script])
    pod.set_status("Running")
    wait_until(lambda: os.readlink(f"/proc/{pod.procs['web'].pid}/ns/user") != os.readlink("/proc/self/ns/user"),
               what="the container's own user namespace")
    time.sleep(0.3)
    r = cli("exec", "userns", "--", "cat", str(volume / "file"))
    assert (r.returncode, r.stdout, r.stderr) == (0, "mapped\n", "")
