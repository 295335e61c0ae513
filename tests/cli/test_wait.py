"""`wait` through the real CLI: conditions met now or later (written from a thread while
the CLI watches), deletion, jsonpath, selectors, timeouts (checked against kubectl 1.32)."""
from __future__ import annotations

import copy
import threading
import time

from tests.cli.test_logs import cli, cli_background, client, finish, kind
from tests.cli.test_rollout import deployment_with_history, set_status


def make_pod(name: str, *, labels: dict | None = None, bind: bool = False) -> dict:
    c = client()
    pod = c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {"app": "w"}},
                    "spec": {"containers": [{"name": "a", "image": "busybox"}]}})
    return c.bind("default", name, "node1") if bind else pod


def set_pod(name: str, phase: str, ready: str) -> None:
    c = client()
    pod = copy.deepcopy(c.get(kind("Pod"), "default", name))
    pod["status"] = {"phase": phase, "conditions": [{"type": "Ready", "status": ready}]}
    c.update_status(pod)


def later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_condition_already_met_and_met_later():
    make_pod("web")
    set_pod("web", "Running", "True")
    r = cli("wait", "--for=condition=Ready", "pod/web")
    assert (r.returncode, r.stdout, r.stderr) == (0, "pod/web condition met\n", "")
    assert cli("wait", "--for=condition=ready=TRUE", "pod/web").stdout == "pod/web condition met\n"
    set_pod("web", "Pending", "False")
    worker = later(1.0, lambda: set_pod("web", "Running", "True"))
    started = time.monotonic()
    r = cli("wait", "--for=condition=Ready", "pod/web", "--timeout=20s")
    worker.join()
    assert (r.returncode, r.stdout) == (0, "pod/web condition met\n")
    assert time.monotonic() - started >= 1.0


def test_timeouts_and_check_once():
    make_pod("web")
    set_pod("web", "Running", "True")
    r = cli("wait", "--for=condition=Ready=false", "pod/web", "--timeout=1s")
    assert (r.returncode, r.stderr) == (1, "error: timed out waiting for the condition on pods/web\n")
    once = cli("wait", "--for=condition=Ready=false", "pod/web", "--timeout=0")
    assert (once.returncode, once.stderr) == (1, "error: condition not met for pods/web\n")
    assert cli("wait", "--for=condition=Ready", "pod/web", "--timeout=0").stdout == "pod/web condition met\n"


def test_generation_not_yet_observed_does_not_count():
    deployment_with_history()
    set_status("web", {"observedGeneration": 0, "conditions": [{"type": "Available", "status": "True"}]})
    r = cli("wait", "--for=condition=Available", "deploy/web", "--timeout=1s")
    assert r.stderr == "error: timed out waiting for the condition on deployments/web\n"
    set_status("web", {"conditions": [{"type": "Available", "status": "True"}]})
    assert cli("wait", "--for=condition=Available=true", "deployment/web").stdout == \
        "deployment.apps/web condition met\n"


def test_jsonpath():
    make_pod("web")
    set_pod("web", "Running", "True")
    assert cli("wait", "--for=jsonpath={.status.phase}=Running", "pod/web").stdout == "pod/web condition met\n"
    assert cli("wait", "--for=jsonpath={.status.phase}", "pod/web").stdout == "pod/web condition met\n"
    ready = "--for=jsonpath={.status.conditions[?(@.type==\"Ready\")].status}=True"
    assert cli("wait", ready, "pod/web").stdout == "pod/web condition met\n"
    assert cli("wait", "--for=jsonpath={.status.phase}=", "pod/web").stderr == (
        "error: jsonpath wait has to have a value after equal sign, like "
        "--for=jsonpath='{.status.readyReplicas}'=3\n")
    assert cli("wait", "--for=jsonpath={.status}=x", "pod/web", "--timeout=0").stderr == \
        "error: jsonpath leads to a nested object or list which is not supported\n"


def test_delete():
    make_pod("gone")  # not bound to a node: deleting it removes it at once
    proc = cli_background("wait", "--for=delete", "pod/gone", "--timeout=20s")
    time.sleep(2.0)  # nothing to read until it is met: give the CLI time to start watching
    client().delete(kind("Pod"), "default", "gone")
    code, out, err = finish(proc)
    assert (code, out, err) == (0, "pod/gone condition met\n", "")
    already = cli("wait", "--for=delete", "pod/gone")
    assert (already.returncode, already.stdout, already.stderr) == (0, "", "")
    make_pod("stays")
    r = cli("wait", "--for=delete", "pod/stays", "--timeout=1s")
    assert r.stderr == "error: timed out waiting for the condition on pods/stays\n"


def test_selectors_all_and_no_match():
    make_pod("a")
    make_pod("b")
    for name in ("a", "b"):
        set_pod(name, "Running", "True")
    assert cli("wait", "--for=condition=Ready", "pods", "-l", "app=w").stdout == \
        "pod/a condition met\npod/b condition met\n"
    assert cli("wait", "--for=condition=Ready", "pods", "--all", "-o", "name").stdout == "pod/a\npod/b\n"
    none = cli("wait", "--for=condition=Ready", "pods", "-l", "app=none")
    assert (none.returncode, none.stderr) == (1, "error: no matching resources found\n")


def test_create():
    worker = later(1.0, lambda: make_pod("new"))
    r = cli("wait", "--for=create", "pod/new", "--timeout=20s")
    worker.join()
    assert (r.returncode, r.stdout) == (0, "pod/new condition met\n")
    late = cli("wait", "--for=create", "pod/never", "--timeout=1s")
    assert late.stderr == "error: timed out waiting for the condition\n"


def test_errors():
    make_pod("web")
    assert cli("wait", "pod/web").stderr == 'error: unrecognized condition: ""\n'
    assert cli("wait", "--for=bogus", "pod/web").stderr == 'error: unrecognized condition: "bogus"\n'
    assert cli("wait", "--for=condition=Ready", "pods").stderr == \
        "error: resource(s) were provided, but no name was specified\n"
    assert cli("wait", "--for=condition=Ready", "pod/nope", "--timeout=1s").stderr == \
        'Error from server (NotFound): pods "nope" not found\n'
    assert cli("wait", "--for=condition=Ready", "pod/web", "--timeout=5x").stderr.startswith(
        'error: invalid argument "5x" for "--timeout" flag: time: unknown unit "x" in duration "5x"\n')
