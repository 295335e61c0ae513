"""The real /usr/bin/kubectl against the API server with ServiceAccounts and the RBAC
kinds: discovery as a cluster has it, apply of an operator-style manifest, kubectl's
columns from the server's Tables, kubectl's own `create` generators (protobuf bodies),
and ServiceAccount admission's refusal as kubectl prints it."""
from __future__ import annotations

import json
import os
import pathlib
import shutil

import pytest

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
MANIFEST = pathlib.Path(__file__).resolve().parents[2] / "cli" / "rbac_app.yaml"
RBAC = "rbac.authorization.k8s.io/v1"

pytestmark = pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed")


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def test_api_resources_lists_them_as_a_cluster_does(served):
    out = served.kubectl("api-resources", check=True).stdout
    found = {r[0]: r for r in rows(out)[1:]}
    assert found["serviceaccounts"] == ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"]
    rbac = rows(served.kubectl("api-resources", "--api-group=rbac.authorization.k8s.io", check=True).stdout)
    assert rbac == [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
                    ["clusterrolebindings", RBAC, "false", "ClusterRoleBinding"],
                    ["clusterroles", RBAC, "false", "ClusterRole"],
                    ["rolebindings", RBAC, "true", "RoleBinding"],
                    ["roles", RBAC, "true", "Role"]]
    assert "rules" in served.kubectl("explain", "role.rules", check=True).stdout


def test_apply_then_get_with_kubectl(served):
    applied = served.kubectl("apply", "-f", str(MANIFEST), check=True).stdout.splitlines()
    assert applied == ["namespace/shop created", "serviceaccount/builder created",
                       "role.rbac.authorization.k8s.io/pod-reader created",
                       "rolebinding.rbac.authorization.k8s.io/read-pods created",
                       "clusterrole.rbac.authorization.k8s.io/system:aggregate-to-shop created",
                       "clusterrolebinding.rbac.authorization.k8s.io/shop-view created",
                       "deployment.apps/web created"]
    before = json.loads(served.kubectl("get", "rolebinding", "read-pods", "-n", "shop", "-o", "json",
                                       check=True).stdout)
    again = served.kubectl("apply", "-f", str(MANIFEST), check=True).stdout.splitlines()
    assert again[1:3] == ["serviceaccount/builder unchanged", "role.rbac.authorization.k8s.io/pod-reader unchanged"]
    # The User subject has no apiGroup in the file and a defaulted one live, so kubectl
    # sends the (atomic) subjects list again, as against a cluster; nothing changes. (Not
    # compared: resourceVersion, which moves when the managedFields time does.)
    after = json.loads(served.kubectl("get", "rolebinding", "read-pods", "-n", "shop", "-o", "json",
                                      check=True).stdout)
    assert {k: v for k, v in after.items() if k != "metadata"} == {k: v for k, v in before.items() if k != "metadata"}
    out = rows(served.kubectl("get", "sa,role,rolebinding", "-n", "shop", check=True).stdout)
    assert out[0] == ["NAME", "SECRETS", "AGE"] and out[1][:2] == ["serviceaccount/builder", "1"]
    assert out[2] == ["NAME", "CREATED", "AT"] and out[3][0] == "role.rbac.authorization.k8s.io/pod-reader"
    assert out[4] == ["NAME", "ROLE", "AGE"]
    assert out[5][:2] == ["rolebinding.rbac.authorization.k8s.io/read-pods", "Role/pod-reader"]
    wide = rows(served.kubectl("get", "clusterrolebinding", "shop-view", "-o", "wide", check=True).stdout)
    assert wide[0] == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert wide[1][:2] == ["shop-view", "ClusterRole/view"] and wide[1][3:] == ["devs", "shop/builder"]
    # roleRef cannot change: kubectl reports the API server's refusal.
    changed = MANIFEST.read_text().replace("name: pod-reader\n  apiGroup", "name: other\n  apiGroup")
    refused = served.kubectl("apply", "-f", "-", stdin=changed)
    assert refused.returncode == 1
    assert ('roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", '
            'Name:"other"}: cannot change roleRef') in refused.stderr


def test_kubectl_create_generators(served):
    assert served.kubectl("create", "serviceaccount", "robot", check=True).stdout == "serviceaccount/robot created\n"
    dup = served.kubectl("create", "sa", "robot")
    assert (dup.returncode, dup.stderr) == (
        1, 'error: failed to create serviceaccount: serviceaccounts "robot" already exists\n')
    served.kubectl("create", "role", "reader", "--verb=get,list", "--resource=pods,deployments.apps", check=True)
    role = json.loads(served.kubectl("get", "role", "reader", "-o", "json", check=True).stdout)
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                             {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}]
    served.kubectl("create", "rolebinding", "read", "--role=reader", "--serviceaccount=default:robot",
                   "--user=jane", check=True)
    served.kubectl("create", "clusterrolebinding", "robots-view", "--clusterrole=view",
                   "--serviceaccount=default:robot", check=True)
    rb = json.loads(served.kubectl("get", "rolebinding", "read", "-o", "json", check=True).stdout)
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
    assert rb["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "jane"},
                              {"kind": "ServiceAccount", "name": "robot", "namespace": "default"}]
    crb = rows(served.kubectl("get", "clusterrolebinding", "robots-view", "-o", "wide", check=True).stdout)
    assert crb[1][:2] == ["robots-view", "ClusterRole/view"] and crb[1][-1] == "default/robot"


def test_a_pod_naming_a_missing_account_is_forbidden(served):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "lost"},
           "spec": {"serviceAccountName": "ghost", "containers": [{"name": "c", "image": "busybox"}]}}
    refused = served.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    assert refused.returncode == 1
    assert refused.stderr == ('Error from server (Forbidden): error when creating "STDIN": pods "lost" is forbidden: '
                              "error looking up service account default/ghost: serviceaccount \"ghost\" not found\n")
    assert served.kubectl("get", "pod", "lost").returncode == 1
    # Without an account named, the pod gets `default`, created on the way if missing.
    served.kubectl("run", "plain", "--image=busybox", check=True)
    got = json.loads(served.kubectl("get", "pod", "plain", "-o", "json", check=True).stdout)
    assert (got["spec"]["serviceAccountName"], got["spec"]["serviceAccount"]) == ("default", "default")
    assert served.kubectl("get", "sa", "default", check=True).returncode == 0


def test_describe_pages_match_kubectl(served, tmp_path):
    """kubectl's own describers (client side) against minikctl's, on the same objects."""
    from tests.conftest import run_cli

    served.kubectl("apply", "-f", str(MANIFEST), check=True)  # the shop namespace and its Role
    served.kubectl("apply", "-f", str(pathlib.Path(__file__).with_name("rbac_describe.yaml")), check=True)
    env = {"MINIKCTL_HOME": served.home}
    for args in (("sa", "robot"), ("clusterrole", "mix"), ("rolebinding", "rb"), ("role", "pod-reader", "-n", "shop")):
        theirs = served.kubectl("describe", *args, check=True).stdout
        ours = run_cli("describe", *args, env=env)
        assert (ours.returncode, ours.stdout) == (0, theirs), args
