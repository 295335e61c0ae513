"""get, describe, delete, label, annotate, create, explain, version, api-resources
through the real CLI."""
from __future__ import annotations

import json
import re

from tests.conftest import run_cli

CMS = "".join(
    f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n  labels:\n    app: {app}\ndata:\n  k: v\n"
    for n, app in (("one", "web"), ("two", "web"), ("three", "db")))


def seed():
    r = run_cli("apply", "-f", "-", stdin=CMS)
    assert r.returncode == 0, r.stderr


def test_get_table_selector_and_names():
    seed()
    table = run_cli("get", "cm")
    lines = table.stdout.splitlines()
    assert re.match(r"^NAME\s+DATA\s+AGE$", lines[0])
    assert [l.split()[0] for l in lines[1:]] == ["one", "three", "two"]
    assert run_cli("get", "configmaps", "-l", "app=web", "-o", "name").stdout == "configmap/one\nconfigmap/two\n"
    assert run_cli("get", "cm/one", "cm/two", "-o", "name").stdout == "configmap/one\nconfigmap/two\n"
    path = run_cli("get", "cm", "-o", "jsonpath={.items[*].metadata.name}")
    assert path.stdout == "one three two"


def test_get_all_namespaces_adds_the_namespace_column():
    seed()
    out = run_cli("get", "ns").stdout
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert re.search(rf"^{ns}\s+Active\s+\d+s$", out, re.M), out
    wide = run_cli("get", "cm", "-A")
    assert wide.stdout.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]


def test_get_missing_kind_in_empty_namespace():
    r = run_cli("get", "deploy", "-n", "kube-system")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "No resources found in kube-system namespace.\n")


def test_yaml_of_one_object_and_list_of_many():
    seed()
    one = run_cli("get", "cm", "one", "-o", "json")
    assert json.loads(one.stdout)["metadata"]["name"] == "one"
    many = json.loads(run_cli("get", "cm", "-o", "json").stdout)
    assert many["kind"] == "List" and len(many["items"]) == 3


def test_delete_by_name_selector_and_all():
    seed()
    assert run_cli("delete", "cm", "one").stdout == 'configmap "one" deleted\n'
    assert run_cli("delete", "cm", "-l", "app=db").stdout == 'configmap "three" deleted\n'
    assert run_cli("delete", "cm", "--all").stdout == 'configmap "two" deleted\n'
    r = run_cli("delete", "cm", "one")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): configmaps "one" not found\n')
    assert run_cli("delete", "cm", "one", "--ignore-not-found").returncode == 0


def test_delete_by_file(tmp_path):
    f = tmp_path / "cms.yaml"
    f.write_text(CMS)
    run_cli("apply", "-f", str(f))
    out = run_cli("delete", "-f", str(f))
    assert out.stdout.splitlines() == ['configmap "one" deleted', 'configmap "two" deleted', 'configmap "three" deleted']


def test_label_and_annotate_follow_kubectl_overwrite_rules():
    seed()
    assert run_cli("label", "cm", "one", "tier=fe").stdout == "configmap/one labeled\n"
    clash = run_cli("label", "cm", "one", "tier=be")
    assert (clash.returncode, clash.stderr) == (1, "error: 'tier' already has a value (fe), and --overwrite is false\n")
    assert run_cli("label", "cm", "one", "tier=be", "--overwrite").stdout == "configmap/one labeled\n"
    assert run_cli("label", "cm", "one", "tier-").stdout == "configmap/one unlabeled\n"
    bad = run_cli("label", "cm", "one", "tier=no spaces")
    assert bad.returncode == 1 and "metadata.labels" in bad.stderr
    assert run_cli("annotate", "cm", "one", "note=hello").stdout == "configmap/one annotated\n"
    obj = json.loads(run_cli("get", "cm", "one", "-o", "json").stdout)
    assert obj["metadata"]["annotations"]["note"] == "hello"
    assert obj["metadata"]["labels"] == {"app": "web"}


def test_create_namespace_and_create_twice():
    assert run_cli("create", "namespace", "team").stdout == "namespace/team created\n"
    again = run_cli("create", "namespace", "team")
    assert again.returncode == 1 and 'namespaces "team" already exists' in again.stderr
    assert run_cli("apply", "-f", "-", "-n", "team", stdin=CMS).returncode == 0
    assert run_cli("get", "cm", "-n", "team", "-o", "name").stdout.count("configmap/") == 3


def test_describe_shows_sections_and_events_line():
    seed()
    out = run_cli("describe", "cm", "one")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^Name:\s+one$", out.stdout, re.M)
    assert re.search(r"^Namespace:\s+default$", out.stdout, re.M)
    assert re.search(r"^Events:\s+<none>$", out.stdout, re.M)


def test_explain_a_field():
    out = run_cli("explain", "deployment.spec.strategy")
    assert out.returncode == 0, out.stderr
    assert "FIELD: strategy <DeploymentStrategy>" in out.stdout
    assert "rollingUpdate" in out.stdout
    bad = run_cli("explain", "deployment.spec.bogus")
    assert bad.returncode == 1 and 'field "bogus" does not exist' in bad.stderr


def test_version_and_api_resources():
    v = run_cli("version")
    assert v.stdout.startswith("Client Version: v") and "Kubernetes Version: v1.32" in v.stdout
    res = run_cli("api-resources").stdout.splitlines()
    assert res[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    deploy = next(l for l in res if l.startswith("deployments"))
    assert deploy.split() == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
