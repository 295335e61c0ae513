"""`get --sort-by` through the real CLI, on the lean path and through typer alike."""
from __future__ import annotations

import json

from tests.cli.test_events import record
from tests.conftest import run_cli


def apply_configmaps(*names: str) -> None:
    docs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}, "data": {"n": str(len(n))}}
            for n in names]
    out = run_cli("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    assert out.returncode == 0, out.stderr


def names(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines()[1:]]


def test_names_sort_in_natural_order_with_any_jsonpath_spelling(minikctl_home):
    apply_configmaps("b-10", "b-2", "a-1")
    for spelling in (".metadata.name", "{.metadata.name}", "metadata.name"):
        out = run_cli("get", "cm", "--sort-by", spelling)
        assert out.returncode == 0, out.stderr
        assert names(out.stdout) == ["a-1", "b-2", "b-10"]
    # -o name through typer (an -o=name spelling the lean parser leaves to typer)
    out = run_cli("get", "cm", "-o=name", "--sort-by=.metadata.name")
    assert out.stdout.splitlines() == ["configmap/a-1", "configmap/b-2", "configmap/b-10"]


def test_events_sort_by_last_timestamp(minikctl_home):
    record("zz", "Started", ("Pod", "a"), "old", age=300)
    record("aa", "Killing", ("Pod", "a"), "new", age=5)
    record("mm", "Pulled", ("Pod", "a"), "middle", age=60)
    out = run_cli("get", "events", "--sort-by=.lastTimestamp")
    assert out.returncode == 0, out.stderr
    assert [line.split()[2] for line in out.stdout.splitlines()[1:]] == ["Started", "Pulled", "Killing"]


def test_a_field_no_object_has_is_an_error_in_kubectls_words(minikctl_home):
    apply_configmaps("a")
    out = run_cli("get", "cm", "--sort-by=.spec.replicas")
    assert out.returncode == 1
    assert out.stderr == 'error: couldn\'t find any field with path "{.spec.replicas}" in the list of objects\n'
    assert out.stdout == ""

