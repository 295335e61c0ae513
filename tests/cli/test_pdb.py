"""PodDisruptionBudgets through the real CLI, in process (no daemon): apply, get with
kubectl's columns, and the API server's validation messages."""
from __future__ import annotations

import re

from tests.conftest import run_cli

PDBS = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec:
  maxUnavailable: 50%
  selector: {matchLabels: {app: api}}
"""


def test_apply_and_get_pdb_with_kubectl_columns():
    r = run_cli("apply", "-f", "-", stdin=PDBS)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["poddisruptionbudget.policy/web created", "poddisruptionbudget.policy/api created"]
    r = run_cli("get", "pdb")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    assert re.split(r"\s{2,}", lines[1])[:4] == ["api", "N/A", "50%", "0"]
    assert re.split(r"\s{2,}", lines[2])[:4] == ["web", "2", "N/A", "0"]
    r = run_cli("get", "poddisruptionbudgets.policy", "web", "-o", "jsonpath={.metadata.generation} {.spec.minAvailable}")
    assert (r.returncode, r.stdout) == (0, "1 2")


def test_invalid_pdb_is_refused_in_kubernetes_words_and_nothing_stored():
    bad = PDBS.split("---")[0].replace("minAvailable: 2", "minAvailable: 2\n  maxUnavailable: 120%")
    r = run_cli("apply", "-f", "-", stdin=bad)
    assert r.returncode == 1
    assert 'PodDisruptionBudget.policy "web" is invalid' in r.stderr
    assert "minAvailable and maxUnavailable cannot be both set" in r.stderr
    assert "spec.maxUnavailable: Invalid value: 120%: must not be greater than 100%" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli("apply", "-f", "-", stdin=PDBS.split("---")[0].replace("minAvailable: 2", "minAvailable: -1"))
    assert r.returncode == 1
    assert "spec.minAvailable: Invalid value: -1: must be greater than or equal to 0" in r.stderr
    r = run_cli("get", "pdb")
    assert r.returncode == 0 and "web" not in r.stdout


def test_describe_pdb_as_kubectl_lays_it_out():
    assert run_cli("apply", "-f", "-", stdin=PDBS).returncode == 0
    r = run_cli("describe", "pdb", "api")
    assert r.returncode == 0, r.stderr
    # No controller runs without a daemon: the status is still empty.
    assert r.stdout == ("Name:             api\n"
                        "Namespace:        default\n"
                        "Max unavailable:  50%\n"
                        "Selector:         app=api\n"
                        "Status:\n"
                        "    Allowed disruptions:  0\n"
                        "    Current:              0\n"
                        "    Desired:              0\n"
                        "    Total:                0\n"
                        "Events:                   <none>\n")
