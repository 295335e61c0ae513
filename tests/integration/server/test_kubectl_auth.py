"""`kubectl auth whoami` and `kubectl auth can-i` against the server (reviews.py): the
real /usr/bin/kubectl, its protobuf request bodies, its exact output."""
from __future__ import annotations

import json

from .conftest import needs_kubectl
from .wire import request

pytestmark = needs_kubectl()


def test_whoami(served):
    out = served.kubectl("auth", "whoami", check=True).stdout.splitlines()
    assert [line.split(None, 1) for line in out] == [
        ["ATTRIBUTE", "VALUE"], ["Username", "minikctl-admin"], ["Groups", "[system:masters system:authenticated]"]]
    got = json.loads(served.kubectl("auth", "whoami", "-o", "json", check=True).stdout)
    assert got["kind"] == "SelfSubjectReview" and got["apiVersion"] == "authentication.k8s.io/v1"
    assert got["status"]["userInfo"]["username"] == "minikctl-admin"


def test_can_i(served):
    for args in (("create", "pods"), ("delete", "deployments.apps", "-n", "kube-system"), ("get", "secrets", "-A"),
                 ("scale", "deployment/web"), ("get", "/healthz")):
        result = served.kubectl("auth", "can-i", *args)
        assert (result.returncode, result.stdout) == (0, "yes\n"), (args, result.stderr)


def test_can_i_list(served):
    out = served.kubectl("auth", "can-i", "--list", check=True).stdout.splitlines()
    assert out[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert [line.split() for line in out[1:]] == [["*.*", "[]", "[]", "[*]"], ["[*]", "[]", "[*]"]]


def test_reviews_answer_json_and_refuse_other_kinds(served):
    body = json.dumps({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                       "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}}).encode()
    code, _, data = request(served, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=body,
                            headers={"Content-Type": "application/json"})
    review = json.loads(data)
    assert code == 201 and review["status"]["allowed"] is True
    assert review["spec"] == {"resourceAttributes": {"verb": "get", "resource": "pods"}}
    code, _, data = request(served, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                            body=b'{"kind":"Pod","apiVersion":"v1"}', headers={"Content-Type": "application/json"})
    assert code == 400 and json.loads(data)["reason"] == "BadRequest"
    code, _, data = request(served, "GET", "/apis/authentication.k8s.io/v1/selfsubjectreviews")
    assert code == 405
    code, _, _ = request(served, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token="wrong")
    assert code == 401
