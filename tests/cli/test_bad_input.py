"""Bad input: one clear message, exit 1, no traceback, and nothing written."""
from __future__ import annotations

import textwrap

from tests.conftest import run_cli

GOOD_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\ndata:\n  a: b\n"


def assert_clean_failure(result, *needles):
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    for n in needles:
        assert n in result.stderr, result.stderr


def nothing_written():
    out = run_cli("get", "configmaps")
    return out.stdout == "" and "No resources found" in out.stderr


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: [\n")
    assert_clean_failure(run_cli("apply", "-f", str(f)), f"error parsing {f}: line 5")


def test_missing_file():
    assert_clean_failure(run_cli("apply", "-f", "nope.yaml"), 'error: the path "nope.yaml" does not exist')


def test_invalid_document_lists_every_field_with_lines_and_writes_nothing(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(GOOD_CM + "---\n" + textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: Web
        spec:
          replicas: "three"
          replicass: 2
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - image: nginx
        """))
    r = run_cli("apply", "-f", str(f))
    assert_clean_failure(r, 'Deployment.apps "Web" is invalid', "spec.replicas: Invalid value",
                         'unknown field "spec.replicass"', "spec.template.spec.containers[0].name: Required value",
                         f"{f}:13", f"{f}:11")
    assert nothing_written()


def test_unknown_resource_type():
    assert_clean_failure(run_cli("get", "deploymnt"), 'error: the server doesn\'t have a resource type "deploymnt"')


def test_not_found():
    r = run_cli("get", "pods", "x")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): pods "x" not found\n')


def test_removed_api_version(tmp_path):
    f = tmp_path / "old.yaml"
    f.write_text("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: old\nspec: {}\n")
    assert_clean_failure(run_cli("apply", "-f", str(f)),
                         'no matches for kind "Deployment" in version "extensions/v1beta1"')


def test_namespace_must_exist(tmp_path):
    r = run_cli("apply", "-f", "-", "-n", "nowhere", stdin=GOOD_CM)
    assert_clean_failure(r, 'namespaces "nowhere" not found')


def test_directory_reads_only_manifests(tmp_path):
    (tmp_path / "README.md").write_text("# not yaml: [")
    (tmp_path / "cm.yaml").write_text(GOOD_CM)
    r = run_cli("apply", "-f", str(tmp_path))
    assert (r.returncode, r.stdout) == (0, "configmap/fine created\n")


def test_huge_file_is_refused_quickly(tmp_path):
    f = tmp_path / "huge.yaml"
    with open(f, "w") as out:
        line = "# " + "x" * 1022 + "\n"
        for _ in range(50 * 1024):
            out.write(line)
        out.write(GOOD_CM)
    assert_clean_failure(run_cli("apply", "-f", str(f), timeout=20), "50.0 MiB", "refused")
    assert nothing_written()


def test_unknown_flag_and_output_format():
    assert_clean_failure(run_cli("get", "pods", "--bogus"), "unknown flag: --bogus", "minikctl get -h")
    assert_clean_failure(run_cli("get", "pods", "-o", "xml"), 'unable to match a printer suitable for the output format "xml"')


def test_verbose_shows_the_transport():
    r = run_cli("get", "pods", "-v")
    assert "in-process transport" in r.stderr
