"""ServiceAccounts with a running daemon and the real kubectl: the serviceaccount
controller gives every namespace its `default` account (and brings it back), and an
operator-style manifest (Namespace, ServiceAccount, Role, RoleBinding, Deployment naming
the account) applies and its pods are created under that account."""
from __future__ import annotations

import os
import pathlib

import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.test_kubectl_daemon import KUBECTL, kubectl  # noqa: F401 - the fixture

MANIFEST = pathlib.Path(__file__).resolve().parents[1] / "cli" / "rbac_app.yaml"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed"),
    pytest.mark.timeout(60),
]


def accounts(kubectl, *args: str) -> set[tuple[str, str]]:
    items = kubectl.json("get", "sa", *args)["items"]
    return {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items}


def test_every_namespace_gets_a_default_account_and_keeps_it(kubectl):
    system = {(ns, "default") for ns in ("default", "kube-system", "kube-public", "kube-node-lease")}
    wait_for(lambda: system <= accounts(kubectl, "-A"), timeout=20, what="default accounts at start")
    kubectl("create", "namespace", "fresh")
    wait_for(lambda: ("fresh", "default") in accounts(kubectl, "-n", "fresh"), timeout=20, what="fresh/default")
    uid = kubectl.json("get", "sa", "default", "-n", "fresh")["metadata"]["uid"]
    assert kubectl("delete", "sa", "default", "-n", "fresh").stdout == 'serviceaccount "default" deleted\n'

    def recreated() -> bool:
        got = kubectl("get", "sa", "default", "-n", "fresh", "-o", "jsonpath={.metadata.uid}", check=False)
        return got.returncode == 0 and got.stdout not in ("", uid)

    wait_for(recreated, timeout=20, what="the default account recreated")
    assert kubectl("create", "serviceaccount", "robot", "-n", "fresh").stdout == "serviceaccount/robot created\n"
    rows = [line.split() for line in kubectl("get", "sa", "-n", "fresh").stdout.splitlines()]
    assert rows[0] == ["NAME", "SECRETS", "AGE"] and [r[0] for r in rows[1:]] == ["default", "robot"]


def test_apply_a_manifest_whose_deployment_names_its_account(kubectl):
    out = kubectl("apply", "-f", str(MANIFEST)).stdout
    assert "serviceaccount/builder created" in out and "deployment.apps/web created" in out
    rows = [line.split() for line in kubectl("get", "sa,role,rolebinding", "-n", "shop").stdout.splitlines()]
    names = [r[0] for r in rows if r and r[0] != "NAME"]
    assert {"serviceaccount/builder", "serviceaccount/default", "role.rbac.authorization.k8s.io/pod-reader",
            "rolebinding.rbac.authorization.k8s.io/read-pods"} <= set(names)

    def pods() -> list[dict]:
        return kubectl.json("get", "pods", "-n", "shop", "-l", "app=web")["items"]

    wait_for(lambda: len(pods()) == 1, timeout=30, what="the deployment's pod")
    spec = pods()[0]["spec"]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("builder", "builder")
    assert "Service Account:  builder" in kubectl("describe", "pod", "-n", "shop", "-l", "app=web").stdout
