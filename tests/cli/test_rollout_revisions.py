"""`rollout history|undo` of DaemonSets and StatefulSets through the real CLI, on objects
and ControllerRevisions made directly in the store as the controllers leave them (no
controllers run here). Texts follow kubectl 1.32 (polymorphichelpers/history.go,
rollback.go)."""
from __future__ import annotations

import copy
import json

import pytest

from minikctl.api import defaults
from minikctl.controllers import history
from tests.conftest import run_cli
from tests.cli.test_logs import client, kind


def template(image: str, app: str) -> dict:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "app", "image": image, "command": ["sleep", "1000"]}]}}


def with_history(kind_name: str, revisions: int = 3) -> dict:
    """An object at its last revision, with one ControllerRevision per revision."""
    c = client()
    app = kind_name.lower()
    body: dict = {"selector": {"matchLabels": {"app": app}}, "template": template(f"busybox:{revisions}", app)}
    if kind_name == "StatefulSet":
        body["serviceName"] = app
    obj = c.create({"apiVersion": "apps/v1", "kind": kind_name, "metadata": {"name": app}, "spec": body})
    for rev in range(1, revisions + 1):
        at = {**obj, "spec": {**obj["spec"], "template": template(f"busybox:{rev}", app)}}
        if rev == 2:
            at = {**at, "metadata": {**at["metadata"], "annotations": {"kubernetes.io/change-cause": "v2 please"}}}
        at = copy.deepcopy(at)
        defaults.apply_defaults(kind(kind_name), at)  # the controller snapshots the stored, defaulted template
        c.create(history.new_revision(at, history.template_patch(at), rev, 0))
    return obj


def image_of(kind_name: str) -> str:
    obj = client().get(kind(kind_name), "default", kind_name.lower())
    return obj["spec"]["template"]["spec"]["containers"][0]["image"]


@pytest.mark.parametrize("kind_name, ref", [("DaemonSet", "daemonset.apps/daemonset"),
                                            ("StatefulSet", "statefulset.apps/statefulset")])
def test_history_lists_revisions_with_their_change_cause(kind_name: str, ref: str):
    with_history(kind_name)
    out = run_cli("rollout", "history", ref)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (f"{ref} \nREVISION  CHANGE-CAUSE\n1         <none>\n2         v2 please\n"
                          "3         <none>\n\n")
    one = run_cli("rollout", "history", ref, "--revision=1")
    assert one.stdout.startswith(f"{ref} with revision #1\nPod Template:\n")
    assert "Image:\tbusybox:1" in one.stdout
    missing = run_cli("rollout", "history", ref, "--revision=9")
    assert missing.returncode == 1 and missing.stderr == "error: unable to find the specified revision\n"
    as_json = run_cli("rollout", "history", ref, "--revision=2", "-o", "json")
    obj = json.loads(as_json.stdout)
    assert obj["kind"] == kind_name and obj["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:2"


@pytest.mark.parametrize("kind_name", ["DaemonSet", "StatefulSet"])
def test_undo_restores_the_previous_or_a_named_revision(kind_name: str):
    with_history(kind_name)
    ref = f"{kind_name.lower()}/{kind_name.lower()}"
    dry = run_cli("rollout", "undo", ref, "--dry-run=client")
    assert dry.returncode == 0 and "Image:\tbusybox:2" in dry.stdout
    assert image_of(kind_name) == "busybox:3"
    out = run_cli("rollout", "undo", ref)
    assert out.stdout == f"{kind_name.lower()}.apps/{kind_name.lower()} rolled back\n", out.stderr
    assert image_of(kind_name) == "busybox:2"
    out = run_cli("rollout", "undo", ref, "--to-revision=1")
    assert out.returncode == 0 and image_of(kind_name) == "busybox:1"
    same = run_cli("rollout", "undo", ref, "--to-revision=1")
    assert same.stdout == (f"{kind_name.lower()}.apps/{kind_name.lower()} skipped rollback (current template "
                           "already matches revision 1)\n")
    bad = run_cli("rollout", "undo", ref, "--to-revision=7")
    assert bad.returncode == 1 and bad.stderr == "error: unable to find specified revision 7 in history\n"


def test_undo_without_an_earlier_revision(tmp_path):
    with_history("DaemonSet", revisions=1)
    out = run_cli("rollout", "undo", "ds/daemonset")
    assert out.returncode == 1 and out.stderr == "error: no last revision to roll back to\n"
    empty = client().create({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "bare"},
                             "spec": {"selector": {"matchLabels": {"app": "bare"}}, "template": template("x", "bare")}})
    assert empty
    out = run_cli("rollout", "history", "ds/bare")
    assert out.stdout == "daemonset.apps/bare \nNo rollout history found.\n"
