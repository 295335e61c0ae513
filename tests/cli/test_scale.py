"""`scale` through the real CLI (outputs and errors checked against kubectl 1.32)."""
from __future__ import annotations

import threading
import time

from tests.cli.test_logs import cli, client
from tests.cli.test_rollout import deployment_with_history, get, set_status


def replicas(name: str, kind_name: str = "Deployment") -> int:
    return get(name, kind_name)["spec"]["replicas"]


def test_scale_by_type_name_and_type_slash_name():
    deployment_with_history()
    r = cli("scale", "deploy/web", "--replicas=5")
    assert (r.returncode, r.stdout, r.stderr) == (0, "deployment.apps/web scaled\n", "")
    assert replicas("web") == 5
    assert cli("scale", "deployment", "web", "--replicas", "0").stdout == "deployment.apps/web scaled\n"
    assert replicas("web") == 0
    assert cli("scale", "rs/web-hash1", "--replicas=2").stdout == "replicaset.apps/web-hash1 scaled\n"
    assert replicas("web-hash1", "ReplicaSet") == 2


def test_preconditions():
    deployment_with_history()
    r = cli("scale", "deploy", "web", "--replicas=5", "--current-replicas=2")
    assert (r.returncode, r.stderr) == (1, "error: Expected replicas to be 2, was 3\n")
    assert cli("scale", "deploy/web", "--replicas=5", "--current-replicas=3").returncode == 0
    rv = get("web")["metadata"]["resourceVersion"]
    stale = cli("scale", "deploy/web", "--replicas=1", "--resource-version=1")
    assert stale.stderr == f"error: Expected resource version to be 1, was {rv}\n"
    assert cli("scale", "deploy/web", "--replicas=1", f"--resource-version={rv}").returncode == 0
    assert replicas("web") == 1


def test_many_objects_selectors_and_missing_ones():
    deployment_with_history()
    r = cli("scale", "rs,deploy", "--all", "--replicas=2")
    assert r.stdout == ("replicaset.apps/web-hash1 scaled\nreplicaset.apps/web-hash2 scaled\n"
                        "replicaset.apps/web-hash3 scaled\ndeployment.apps/web scaled\n")
    assert cli("scale", "rs", "-l", "pod-template-hash=hash2", "--replicas=7").stdout == \
        "replicaset.apps/web-hash2 scaled\n"
    assert replicas("web-hash2", "ReplicaSet") == 7
    both = cli("scale", "deploy/nope", "deploy/web", "--replicas=1")
    assert (both.returncode, both.stdout, both.stderr) == (
        1, "deployment.apps/web scaled\n", 'Error from server (NotFound): deployments.apps "nope" not found\n')
    none = cli("scale", "deploy/nope", "--replicas=1")
    assert none.stderr == 'error: no objects passed to scale deployments.apps "nope" not found\n'
    assert cli("scale", "deploy", "-l", "app=none", "--replicas=1").stderr == "error: no objects passed to scale\n"
    many = cli("scale", "rs", "--all", "--replicas=1", "--resource-version=5")
    assert many.stderr == "error: cannot use --resource-version with multiple resources\n"


def test_kinds_without_a_scale_subresource():
    c = client()
    c.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
              "spec": {"template": {"spec": {"restartPolicy": "Never",
                                             "containers": [{"name": "a", "image": "busybox"}]}}}})
    r = cli("scale", "job/j", "--replicas=2")
    assert (r.returncode, r.stderr) == (1, "Error from server (NotFound): the server could not find the requested resource\n")


def test_usage_errors():
    deployment_with_history()
    assert cli("scale", "deploy/web").stderr == 'error: required flag(s) "replicas" not set\n'
    assert cli("scale", "deploy/web", "--replicas=-1").stderr == \
        "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n"
    assert cli("scale", "deploy/web", "--replicas=1", "--current-replicas=-2").stderr == \
        "error: The --current-replicas must specify an integer of -1 or greater\n"
    assert cli("scale", "deploy", "--replicas=2").stderr == \
        "error: resource(s) were provided, but no name was specified\n"
    assert cli("scale", "--replicas=2").stderr == (
        "error: You must provide one or more resources by argument or filename.\n"
        "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
        "   '<resource> <name>'\n   '<resource>'\n")


def test_dry_runs_and_output():
    deployment_with_history()
    assert cli("scale", "deploy/web", "--replicas=1", "--dry-run=client").stdout == \
        "deployment.apps/web scaled (dry run)\n"
    assert cli("scale", "deploy/web", "--replicas=1", "--dry-run=server").stdout == \
        "deployment.apps/web scaled (server dry run)\n"
    assert replicas("web") == 3
    assert cli("scale", "deploy/web", "--replicas=4", "-o", "name").stdout == "deployment.apps/web\n"
    assert cli("scale", "deploy/web", "--replicas=6", "-o", "jsonpath={.spec.replicas}").stdout == "6"


def test_from_a_file(tmp_path):
    deployment_with_history()
    manifest = tmp_path / "web.yaml"
    manifest.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n")
    assert cli("scale", "-f", str(manifest), "--replicas=2").stdout == "deployment.apps/web scaled\n"
    assert replicas("web") == 2


def test_timeout_waits_for_the_new_size():
    deployment_with_history()
    set_status("web", {"replicas": 3})

    def controller() -> None:
        time.sleep(1.0)
        set_status("web", {"replicas": 5})

    worker = threading.Thread(target=controller)
    worker.start()
    started = time.monotonic()
    r = cli("scale", "deploy/web", "--replicas=5", "--timeout=20s")
    worker.join()
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web scaled\n")
    assert time.monotonic() - started >= 1.0
    late = cli("scale", "deploy/web", "--replicas=9", "--timeout=1s")
    assert (late.returncode, late.stderr) == (1, 'error: timed out waiting for "web" to be synced\n')
