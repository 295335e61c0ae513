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


# kubectl create role|clusterrole resolve resources through discovery, so they need a
# server even for a client dry run: these are the objects and messages real kubectl 1.32
# produced against the minikctl API server.
CORE, APPS, RBAC = [""], ["apps"], ["rbac.authorization.k8s.io"]
ROLES = [
    ("role r --verb=frob --resource=po,deploy,rs.apps,Pods",
     [{"verbs": ["frob"], "apiGroups": CORE, "resources": ["pods"]},
      {"verbs": ["frob"], "apiGroups": APPS, "resources": ["deployments", "replicasets"]}]),
    ("role r --verb=get,*,list --resource=*", [{"verbs": ["*"], "apiGroups": CORE, "resources": ["*"]}]),
    ("role r --verb=get,list --resource=pods,*", [{"verbs": ["get", "list"], "apiGroups": CORE, "resources": ["*"]}]),
    ("role r --verb=get --resource=pods/log,services/proxy --resource-name=a --resource-name=a",
     [{"verbs": ["get"], "apiGroups": CORE, "resources": ["pods/log", "services/proxy"], "resourceNames": ["a"]}]),
    ("role r --verb=bind --resource=roles", [{"verbs": ["bind"], "apiGroups": RBAC, "resources": ["roles"]}]),
    ("role r --verb=impersonate --resource=users", [{"verbs": ["impersonate"], "apiGroups": CORE,
                                                     "resources": ["users"]}]),
    ("role r --verb=get --resource=deployments/scale", [{"verbs": ["get"], "apiGroups": APPS,
                                                         "resources": ["deployments/scale"]}]),
    ("clusterrole c --verb=get --non-resource-url=/logs/*", [{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]),
    ("clusterrole c --verb=get --non-resource-url=/x --resource-name=n", [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]),
    ("clusterrole c --verb=get --resource=pods --non-resource-url=/x --resource-name=n",
     [{"verbs": ["get"], "apiGroups": CORE, "resources": ["pods"], "resourceNames": ["n"]},
      {"verbs": ["get"], "nonResourceURLs": ["/x"]}]),
]


@pytest.mark.parametrize("args,rules", ROLES, ids=[a for a, _ in ROLES])
def test_roles_are_what_kubectl_builds(minikctl_home, args, rules):
    r = run_cli("create", *shlex.split(args), "--dry-run=client", "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rules"] == rules
    assert r.stderr == ("Warning: 'frob' is not a standard resource verb\n" if "frob" in args else "")


def test_aggregated_cluster_role(minikctl_home):
    r = run_cli("create", "clusterrole", "monitoring", "--aggregation-rule=a=b,c=d")
    assert (r.returncode, r.stdout) == (0, "clusterrole.rbac.authorization.k8s.io/monitoring created\n")
    got = json.loads(run_cli("get", "clusterrole", "monitoring", "-o", "json").stdout)
    assert got["aggregationRule"] == {"clusterRoleSelectors": [{"matchLabels": {"a": "b", "c": "d"}}]}
    assert "rules" not in got


@pytest.mark.parametrize("args,message", [
    ("role r --verb=get --resource=foo", 'the server doesn\'t have a resource type "foo"'),
    ("role r --verb=get --resource=pods.apps", 'the server doesn\'t have a resource type "pods" in group "apps"'),
    ("role r --verb=use --resource=pods", "error: can not perform 'use' on 'pods' in group ''"),
    ("role r --verb=get --resource=.apps", "error: resource must be specified if apiGroup/subresource specified"),
    ("role r --resource=pods", "error: at least one verb must be specified"),
    ("role r --verb=get", "error: at least one resource must be specified"),
    ("clusterrole c --verb=list --non-resource-url=/x", "error: invalid verb: 'list' for nonResourceURL"),
    ("clusterrole c --verb=get --non-resource-url=x", "error: nonResourceURL should start with /"),
    ("clusterrole c --verb=get --non-resource-url=/a*b",
     "error: nonResourceURL only supports wildcard matches when '*' is at the end"),
    ("clusterrole c --verb=get", "error: one of resource or nonResourceURL must be specified"),
    ("clusterrole c --aggregation-rule=a=b --verb=get",
     "error: aggregation rule must be specified without nonResourceURLs, verbs, resources or resourceNames"),
    ("clusterrole c --aggregation-rule=abc", 'error: invalid argument "abc" for "--aggregation-rule" flag: '
                                             "malformed pair, expect string=string\n"
                                             "See 'minikctl create clusterrole -h' for help and examples"),
])
def test_role_flag_errors(minikctl_home, args, message):
    r = run_cli("create", *shlex.split(args))
    assert (r.returncode, r.stderr) == (1, message + "\n")
    assert run_cli("get", "roles,clusterroles", "-A").stdout == ""


def test_role_created_then_refused_as_the_server_says(minikctl_home):
    r = run_cli("create", "role", "reader", "--verb=get", "--resource=pods")
    assert (r.returncode, r.stdout) == (0, "role.rbac.authorization.k8s.io/reader created\n")
    again = run_cli("create", "role", "reader", "--verb=get", "--resource=pods")
    assert (again.returncode, again.stderr) == (
        1, 'Error from server (AlreadyExists): roles.rbac.authorization.k8s.io "reader" already exists\n')
