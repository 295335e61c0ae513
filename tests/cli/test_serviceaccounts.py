"""ServiceAccounts and RBAC objects through the real CLI, without a daemon (the in-process
client): a multi-document manifest as operators ship it applies, each kind prints
kubectl's columns, a pod naming a missing account is refused with nothing written, and
`create serviceaccount` builds what kubectl builds."""
from __future__ import annotations

import json
import os
import pathlib
import re

import pytest

from tests.cli.test_create_generators import kubectl, pruned
from tests.conftest import run_cli

MANIFEST = pathlib.Path(__file__).with_name("rbac_app.yaml")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def ok(*args: str, stdin: str | None = None) -> str:
    r = run_cli(*args, stdin=stdin)
    assert r.returncode == 0, r.stderr
    return r.stdout


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_apply_a_manifest_with_accounts_and_rbac_then_get_each(minikctl_home):
    assert ok("apply", "-f", str(MANIFEST)).splitlines() == [
        "namespace/shop created",
        "serviceaccount/builder created",
        "role.rbac.authorization.k8s.io/pod-reader created",
        "rolebinding.rbac.authorization.k8s.io/read-pods created",
        "clusterrole.rbac.authorization.k8s.io/system:aggregate-to-shop created",
        "clusterrolebinding.rbac.authorization.k8s.io/shop-view created",
        "deployment.apps/web created",
    ]
    assert ok("apply", "-f", str(MANIFEST)).splitlines()[1] == "serviceaccount/builder unchanged"
    sa = rows(ok("get", "sa", "-n", "shop"))
    assert sa[0] == ["NAME", "SECRETS", "AGE"] and sa[1][:2] == ["builder", "1"]
    role = rows(ok("get", "roles", "-n", "shop"))
    assert role[0] == ["NAME", "CREATED", "AT"] and role[1][0] == "pod-reader" and RFC3339.match(role[1][1])
    rb = rows(ok("get", "rolebinding", "read-pods", "-n", "shop", "-o", "wide"))
    assert rb[0] == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert rb[1][:2] == ["read-pods", "Role/pod-reader"] and rb[1][3:] == ["jane", "shop/builder"]
    crb = rows(ok("get", "clusterrolebindings.rbac.authorization.k8s.io", "shop-view"))
    assert crb[0] == ["NAME", "ROLE", "AGE"] and crb[1][:2] == ["shop-view", "ClusterRole/view"]
    assert rows(ok("get", "clusterrole", "system:aggregate-to-shop"))[1][0] == "system:aggregate-to-shop"
    # The defaulted subject group is stored, as the API server stores it.
    stored = json.loads(ok("get", "rolebinding", "read-pods", "-n", "shop", "-o", "json"))
    assert stored["subjects"][1] == {"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}


def test_a_pod_naming_a_missing_account_is_refused_and_nothing_is_written(minikctl_home):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"serviceAccountName": "ghost", "containers": [{"name": "c", "image": "busybox"}]}}
    bad = run_cli("apply", "-f", "-", stdin=json.dumps(pod))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert ('pods "web" is forbidden: error looking up service account default/ghost: '
            'serviceaccount "ghost" not found') in bad.stderr
    assert run_cli("get", "pod", "web").returncode == 1
    ok("create", "serviceaccount", "ghost")
    ok("apply", "-f", "-", stdin=json.dumps(pod))
    assert ok("get", "pod", "web", "-o", "jsonpath={.spec.serviceAccountName}/{.spec.serviceAccount}") == "ghost/ghost"


def test_a_fresh_namespace_and_deployment_pod_get_the_default_account(minikctl_home):
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "fresh"},
             "spec": {"containers": [{"name": "c", "image": "busybox"}]}}]
    out = run_cli("apply", "-f", "-", stdin="\n---\n".join(json.dumps(d) for d in docs))
    assert out.returncode == 0, out.stderr
    assert "serviceAccountName" not in out.stderr  # no 'does not act on' warning any more
    assert rows(ok("get", "sa", "-n", "fresh"))[1][:2] == ["default", "0"]


def test_create_serviceaccount(minikctl_home):
    assert ok("create", "serviceaccount", "robot") == "serviceaccount/robot created\n"
    assert ok("create", "sa", "dry", "--dry-run=server") == "serviceaccount/dry created (server dry run)\n"
    assert ok("create", "sa", "named", "-o", "name") == "serviceaccount/named\n"
    assert [r[0] for r in rows(ok("get", "sa"))[1:]] == ["default", "named", "robot"]  # default: the new store's
    again = run_cli("create", "serviceaccount", "robot")
    assert (again.returncode, again.stderr) == (
        1, 'error: failed to create serviceaccount: serviceaccounts "robot" already exists\n')
    missing = run_cli("create", "serviceaccount")
    assert missing.returncode == 1 and missing.stderr.startswith("error: exactly one NAME is required, got 0")
    bad = run_cli("create", "sa", "Bad_Name")
    assert bad.returncode == 1 and 'ServiceAccount "Bad_Name" is invalid' in bad.stderr


@pytest.mark.skipif(not os.path.exists("/usr/bin/kubectl"), reason="/usr/bin/kubectl is not installed")
def test_create_serviceaccount_builds_what_kubectl_builds(minikctl_home, tmp_path):
    args = ("create", "serviceaccount", "robot", "-n", "team", "--dry-run=client", "-o", "json")
    theirs = kubectl(tmp_path, *args)
    assert theirs.returncode == 0, theirs.stderr
    assert json.loads(ok(*args)) == pruned(json.loads(theirs.stdout))
