"""--dry-run given bare means client (pflag's NoOptDefVal), and a client dry run writes
nothing: not even `delete`, which only looks the object up."""
from __future__ import annotations

from tests.cli.test_get_sort import apply_configmaps
from tests.conftest import run_cli


def test_a_bare_dry_run_means_client_in_every_command_that_has_it(minikctl_home, tmp_path):
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    out = run_cli("apply", "-f", str(manifest), "--dry-run", "-o", "name")  # not "-o" as its value
    assert (out.returncode, out.stdout) == (0, "configmap/a\n"), out.stderr
    assert run_cli("get", "cm", "-o", "name").stdout == ""  # nothing written
    for create in (["create", "-f", str(manifest)], ["create", "namespace", "staging"]):
        out = run_cli(*create, "--dry-run", "-o", "name")
        assert out.returncode == 0 and out.stdout in ("configmap/a\n", "namespace/staging\n"), (create, out.stderr)
    assert run_cli("get", "cm", "-o", "name").stdout == ""
    assert run_cli("get", "ns", "staging").returncode == 1
    apply_configmaps("b")
    for verb in (["label", "cm", "b", "x=y"], ["delete", "cm", "b"], ["scale", "cm", "b", "--replicas=1"]):
        out = run_cli(*verb, "--dry-run")
        assert "invalid argument" not in out.stderr and "unknown" not in out.stderr, (verb, out.stderr)
    assert run_cli("get", "cm", "b", "-o", "name").stdout == "configmap/b\n"
