"""`create rolebinding|clusterrolebinding|role|clusterrole` through the real CLI (no
daemon), compared with what kubectl 1.32 builds (`--dry-run=client -o json`, which never
contacts a server for bindings) when /usr/bin/kubectl is installed; errors as kubectl
words them."""
from __future__ import annotations

import json
import os
import shlex

import pytest

from tests.cli.test_create_generators import kubectl, pruned
from tests.conftest import run_cli

needs_kubectl = pytest.mark.skipif(not os.path.exists("/usr/bin/kubectl"), reason="/usr/bin/kubectl is not installed")

SAME_AS_KUBECTL = [
    "rolebinding rb --role=r --serviceaccount=ns1:robot --user=jane --user=bob --group=devs",
    "rolebinding rb --clusterrole=view --group=a,b",
    "rolebinding rb --role=r",
    "clusterrolebinding crb --clusterrole=view --serviceaccount=a:b --serviceaccount=c:d --user=u",
]


@needs_kubectl
@pytest.mark.parametrize("args", SAME_AS_KUBECTL)
def test_bindings_are_what_kubectl_builds(minikctl_home, tmp_path, args):
    namespace = ["-n", "team"] if args.startswith("rolebinding") else []
    full = ["create", *shlex.split(args), *namespace, "--dry-run=client", "-o", "json"]
    theirs = kubectl(tmp_path, *full)
    assert theirs.returncode == 0, theirs.stderr
    ours = run_cli(*full)
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == pruned(json.loads(theirs.stdout))


@pytest.mark.parametrize("args,message", [
    ("rolebinding rb", "error: exactly one of clusterrole or role must be specified"),
    ("rolebinding rb --role=a --clusterrole=b", "error: exactly one of clusterrole or role must be specified"),
    ("rolebinding rb --role=a --serviceaccount=nocolon", "error: serviceaccount must be <namespace>:<name>"),
    ("rolebinding rb --role=a --serviceaccount=a:b:c", "error: serviceaccount must be <namespace>:<name>"),
    ("clusterrolebinding crb", 'error: required flag(s) "clusterrole" not set'),
    ("rolebinding --role=x", "error: exactly one NAME is required, got 0\n"
                             "See 'minikctl create rolebinding -h' for help and examples"),
])
def test_binding_flag_errors(minikctl_home, args, message):
    r = run_cli("create", *shlex.split(args))
    assert (r.returncode, r.stderr) == (1, message + "\n")
    assert run_cli("get", "rolebindings,clusterrolebindings", "-A").stdout == ""


def test_bindings_are_created_and_listed(minikctl_home):
    r = run_cli("create", "rolebinding", "read", "--role=reader", "--serviceaccount=default:robot", "--user=jane")
    assert (r.returncode, r.stdout) == (0, "rolebinding.rbac.authorization.k8s.io/read created\n")
    again = run_cli("create", "rolebinding", "read", "--role=reader")
    assert (again.returncode, again.stderr) == (
        1, 'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "read" already exists\n')
    r = run_cli("create", "clusterrolebinding", "viewers", "--clusterrole=view", "--group=devs", "-o", "name")
    assert (r.returncode, r.stdout) == (0, "clusterrolebinding.rbac.authorization.k8s.io/viewers\n")
    wide = [line.split() for line in run_cli("get", "rolebinding", "read", "-o", "wide").stdout.splitlines()]
    assert wide[1][:2] == ["read", "Role/reader"] and wide[1][3:] == ["jane", "default/robot"]
