"""`minikctl apply` through the real CLI subprocess on a real SQLite store."""
from __future__ import annotations

import json
import textwrap

from tests.conftest import REPO, run_cli

DEPLOY = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 2
      selector:
        matchLabels:
          app: web
      template:
        metadata:
          labels:
            app: web
        spec:
          containers:
          - name: web
            image: nginx:1.25
    """)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_apply_creates_then_is_unchanged_then_configured(tmp_path):
    f = write(tmp_path, "web.yaml", DEPLOY)
    first = run_cli("apply", "-f", f)
    assert (first.returncode, first.stdout, first.stderr) == (0, "deployment.apps/web created\n", "")
    again = run_cli("apply", "-f", f)
    assert (again.returncode, again.stdout) == (0, "deployment.apps/web unchanged\n")
    write(tmp_path, "web.yaml", DEPLOY.replace("replicas: 2", "replicas: 5"))
    changed = run_cli("apply", "-f", f)
    assert (changed.returncode, changed.stdout) == (0, "deployment.apps/web configured\n")
    obj = json.loads(run_cli("get", "deploy", "web", "-o", "json").stdout)
    assert obj["spec"]["replicas"] == 5
    assert obj["metadata"]["generation"] == 2
    # Defaults applied as Kubernetes applies them.
    assert obj["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert "kubectl.kubernetes.io/last-applied-configuration" in obj["metadata"]["annotations"]


def test_removing_a_field_from_the_manifest_removes_it_from_the_object(tmp_path):
    with_label = DEPLOY.replace("  name: web\n", "  name: web\n  labels:\n    tier: fe\n", 1)
    f = write(tmp_path, "web.yaml", with_label)
    assert run_cli("apply", "-f", f).returncode == 0
    write(tmp_path, "web.yaml", DEPLOY)
    assert run_cli("apply", "-f", f).stdout == "deployment.apps/web configured\n"
    obj = json.loads(run_cli("get", "deploy", "web", "-o", "json").stdout)
    assert "labels" not in obj["metadata"]


def test_a_label_added_by_someone_else_survives_apply(tmp_path):
    f = write(tmp_path, "web.yaml", DEPLOY)
    run_cli("apply", "-f", f)
    assert run_cli("label", "deploy", "web", "owner=ops").stdout == "deployment.apps/web labeled\n"
    write(tmp_path, "web.yaml", DEPLOY.replace("replicas: 2", "replicas: 3"))
    assert run_cli("apply", "-f", f).stdout == "deployment.apps/web configured\n"
    obj = json.loads(run_cli("get", "deploy", "web", "-o", "json").stdout)
    assert obj["metadata"]["labels"] == {"owner": "ops"}


def test_apply_directory_multi_document_and_stdin(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    (d / "a.yaml").write_text(DEPLOY + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: v\n")
    (d / "notes.txt").write_text("not a manifest")
    (d / "b.json").write_text(json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                          "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))
    sub = d / "sub"
    sub.mkdir()
    (sub / "c.yml").write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  p: q\n")
    out = run_cli("apply", "-f", str(d))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "deployment.apps/web created\nconfigmap/cfg created\nservice/web created\n"
    rec = run_cli("apply", "-R", "-f", str(d))
    assert rec.stdout.splitlines()[-1] == "secret/s created"
    piped = run_cli("apply", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n")
    assert piped.stdout == "namespace/team created\n"


def test_dry_run_writes_nothing(tmp_path):
    f = write(tmp_path, "web.yaml", DEPLOY)
    assert run_cli("apply", "-f", f, "--dry-run=client").stdout == "deployment.apps/web created (dry run)\n"
    assert run_cli("apply", "-f", f, "--dry-run=server").stdout == "deployment.apps/web created (server dry run)\n"
    gone = run_cli("get", "deploy", "web")
    assert gone.returncode == 1
    assert gone.stderr == 'Error from server (NotFound): deployments.apps "web" not found\n'


def test_sample_manifests_apply_cleanly():
    out = run_cli("apply", "-f", str(REPO / "sample-manifests"))
    assert out.returncode == 0, out.stderr
    assert "deployment.apps/web created" in out.stdout
    assert "statefulset.apps/store created" in out.stdout
    assert out.stderr == ""
