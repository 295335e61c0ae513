"""The real /usr/bin/kubectl against the API server: each command's real output.

One server for the module, with a fresh KUBECACHEDIR (kubectl caches discovery per
host:port). Every kubectl run is bounded by a subprocess timeout.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time

import pytest

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

pytestmark = pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed")

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        command: ["sleep", "3600"]
        env:
        - {{name: MODE, value: "{mode}"}}
"""


def deployment(name: str, replicas: int = 2, mode: str = "a") -> str:
    return DEPLOYMENT.format(name=name, replicas=replicas, mode=mode)


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_version_reports_minor_32(served):
    out = served.kubectl("version", check=True).stdout
    assert "Server Version: v1.32.0-minikctl" in out
    assert "WARNING" not in out


def test_api_resources(served):
    out = served.kubectl("api-resources", check=True).stdout.splitlines()
    assert out[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {(line.split()[0], line.split()[-3]): line.split() for line in out[1:]}  # (NAME, APIVERSION)
    assert rows["pods", "v1"] == ["pods", "po", "v1", "true", "Pod"]
    assert rows["deployments", "apps/v1"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["namespaces", "v1"] == ["namespaces", "ns", "v1", "false", "Namespace"]
    # Served without a store: the metrics API (kubectl top) and the reviews (kubectl auth).
    assert rows["pods", "metrics.k8s.io/v1beta1"] == ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics"]
    assert rows["nodes", "metrics.k8s.io/v1beta1"] == ["nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics"]
    assert rows["selfsubjectaccessreviews", "authorization.k8s.io/v1"][-2:] == ["false", "SelfSubjectAccessReview"]
    assert rows["selfsubjectreviews", "authentication.k8s.io/v1"][-2:] == ["false", "SelfSubjectReview"]


def test_cluster_info(served):
    out = served.kubectl("cluster-info", check=True).stdout
    assert f"Kubernetes control plane is running at {served.server.url}" in out


def test_apply_created_unchanged_configured(served, tmp_path):
    path = write(tmp_path, "web.yaml", deployment("web"))
    assert served.kubectl("apply", "-f", path, check=True).stdout == "deployment.apps/web created\n"
    assert served.kubectl("apply", "-f", path, check=True).stdout == "deployment.apps/web unchanged\n"
    write(tmp_path, "web.yaml", deployment("web", replicas=3, mode="b"))
    assert served.kubectl("apply", "-f", path, check=True).stdout == "deployment.apps/web configured\n"
    live = json.loads(served.kubectl("get", "deploy", "web", "-o", "json", check=True).stdout)
    assert live["spec"]["replicas"] == 3
    assert live["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "b"}]
    assert live["metadata"]["generation"] == 2


def test_apply_dry_run_server_and_diff(served, tmp_path):
    path = write(tmp_path, "dry.yaml", deployment("dry"))
    out = served.kubectl("apply", "--dry-run=server", "-f", path, check=True).stdout
    assert out == "deployment.apps/dry created (server dry run)\n"
    missing = served.kubectl("get", "deploy", "dry")
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "dry" not found' in missing.stderr
    served.kubectl("apply", "-f", path, check=True)
    assert served.kubectl("diff", "-f", path).returncode == 0
    write(tmp_path, "dry.yaml", deployment("dry", replicas=5))
    diff = served.kubectl("diff", "-f", path)
    assert diff.returncode == 1, diff.stderr
    assert "-  replicas: 2" in diff.stdout and "+  replicas: 5" in diff.stdout
    live = json.loads(served.kubectl("get", "deploy", "dry", "-o", "json", check=True).stdout)
    assert live["spec"]["replicas"] == 2  # diff did not persist


def test_apply_server_side_and_conflict(served, tmp_path):
    path = write(tmp_path, "ssa.yaml", deployment("ssa"))
    assert served.kubectl("apply", "--server-side", "-f", path, check=True).stdout == \
        "deployment.apps/ssa serverside-applied\n"
    live = json.loads(served.kubectl("get", "deploy", "ssa", "-o", "json", "--show-managed-fields",
                                     check=True).stdout)
    entry = live["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == ("kubectl", "Apply", "FieldsV1")
    assert "f:replicas" in entry["fieldsV1"]["f:spec"]
    served.kubectl("scale", "deploy", "ssa", "--replicas=4", check=True)
    conflict = served.kubectl("apply", "--server-side", "-f", path)
    assert conflict.returncode == 1
    assert 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1' \
        in conflict.stderr
    assert ": .spec.replicas" in conflict.stderr
    forced = served.kubectl("apply", "--server-side", "--force-conflicts", "-f", path, check=True)
    assert forced.stdout == "deployment.apps/ssa serverside-applied\n"
    assert served.kubectl("get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}", check=True).stdout == "2"
    # A field the manager stops applying is removed.
    write(tmp_path, "ssa.yaml", deployment("ssa").replace("        env:\n        - {name: MODE, value: \"a\"}\n", ""))
    served.kubectl("apply", "--server-side", "-f", path, check=True)
    live = json.loads(served.kubectl("get", "deploy", "ssa", "-o", "json", check=True).stdout)
    assert "env" not in live["spec"]["template"]["spec"]["containers"][0]


def test_get_formats(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "fmt.yaml", deployment("fmt")), check=True)
    table = served.kubectl("get", "deploy", "fmt", check=True).stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["fmt", "0/2", "0", "0"]
    wide = served.kubectl("get", "deploy", "fmt", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES",
                               "SELECTOR"]
    assert wide[1].split()[-3:] == ["main", "busybox:1.36", "app=fmt"]
    assert served.kubectl("get", "deploy", "fmt", "-o", "name", check=True).stdout == "deployment.apps/fmt\n"
    as_yaml = served.kubectl("get", "deploy", "fmt", "-o", "yaml", check=True).stdout
    assert "kind: Deployment" in as_yaml and "name: fmt" in as_yaml
    as_json = json.loads(served.kubectl("get", "deploy", "-l", "app=fmt", "-o", "json", check=True).stdout)
    assert [i["metadata"]["name"] for i in as_json["items"]] == ["fmt"]
    path = served.kubectl("get", "deploy", "fmt", "-o", "jsonpath={.metadata.name}/{.spec.replicas}", check=True)
    assert path.stdout == "fmt/2"
    labelled = served.kubectl("get", "deploy", "-l", "app=fmt", "--show-labels", check=True).stdout
    assert "app=fmt" in labelled.splitlines()[1]


def test_get_all_namespaces_and_empty(served):
    out = served.kubectl("get", "namespaces", check=True).stdout.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "AGE"]
    assert {line.split()[0] for line in out[1:]} >= {"default", "kube-system", "kube-public"}
    allns = served.kubectl("get", "deploy", "-A", check=True).stdout.splitlines()
    assert allns[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert all(line.split()[0] == "default" for line in allns[1:])
    empty = served.kubectl("get", "pods", "-n", "kube-public", check=True)
    assert empty.stdout == "" and "No resources found in kube-public namespace." in empty.stderr


def test_get_watch_prints_changes(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "watched.yaml", deployment("watched")), check=True)
    proc = subprocess.Popen(
        [KUBECTL, "get", "deploy", "watched", "-w", "--output-watch-events"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KUBECONFIG": served.server.kubeconfig, "KUBECACHEDIR": served.cache})
    try:
        time.sleep(1.5)
        served.kubectl("scale", "deploy", "watched", "--replicas=5", check=True)
        served.kubectl("delete", "deploy", "watched", "--wait=false", check=True)
        time.sleep(1.5)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    lines = [line.split() for line in out.splitlines()]
    assert lines[0][:3] == ["EVENT", "NAME", "READY"]
    events = [(line[0], line[1], line[2]) for line in lines[1:]]
    assert events == [("ADDED", "watched", "0/2"), ("MODIFIED", "watched", "0/5"), ("DELETED", "watched", "0/5")]


def test_get_watch_ends_with_request_timeout(served):
    started = time.monotonic()
    result = served.kubectl("get", "pods", "-w", "--request-timeout=2s", timeout=20)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15


def test_describe(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "desc.yaml", deployment("desc")), check=True)
    out = served.kubectl("describe", "deploy", "desc", check=True).stdout
    assert out.startswith("Name:                   desc\nNamespace:              default\n")
    assert "Replicas:               2 desired | 0 updated | 0 total | 0 available | 0 unavailable" in out
    assert re.search(r"\n\s+MODE:\s+a\n", out)


def test_label_annotate_scale(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "lab.yaml", deployment("lab")), check=True)
    assert served.kubectl("label", "deploy", "lab", "tier=web", check=True).stdout == "deployment.apps/lab labeled\n"
    assert served.kubectl("annotate", "deploy", "lab", "note=hi", check=True).stdout == \
        "deployment.apps/lab annotated\n"
    assert served.kubectl("scale", "deploy", "lab", "--replicas=4", check=True).stdout == \
        "deployment.apps/lab scaled\n"
    live = json.loads(served.kubectl("get", "deploy", "lab", "-o", "json", check=True).stdout)
    assert live["metadata"]["labels"]["tier"] == "web"
    assert live["metadata"]["annotations"]["note"] == "hi"
    assert live["spec"]["replicas"] == 4


def test_edit_with_scripted_editor(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "ed.yaml", deployment("ed")), check=True)
    editor = write(tmp_path, "editor.sh", "#!/bin/sh\nsed -i 's/replicas: 2/replicas: 6/' \"$1\"\n")
    os.chmod(editor, 0o755)
    out = served.kubectl("edit", "deploy", "ed", env={"EDITOR": editor, "KUBE_EDITOR": editor}, check=True)
    assert out.stdout == "deployment.apps/ed edited\n"
    assert served.kubectl("get", "deploy", "ed", "-o", "jsonpath={.spec.replicas}", check=True).stdout == "6"


def test_replace_with_stale_resource_version(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "rep.yaml", deployment("rep")), check=True)
    stale = write(tmp_path, "stale.json", served.kubectl("get", "deploy", "rep", "-o", "json", check=True).stdout)
    served.kubectl("scale", "deploy", "rep", "--replicas=3", check=True)
    result = served.kubectl("replace", "-f", stale)
    assert result.returncode == 1
    assert (f'Error from server (Conflict): error when replacing "{stale}": Operation cannot be fulfilled on '
            'deployments.apps "rep": the object has been modified; please apply your changes to the latest '
            "version and try again") in result.stderr


def test_explain(served):
    out = served.kubectl("explain", "deployment.spec", check=True).stdout
    assert out.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: spec <DeploymentSpec>")
    assert "replicas\t<integer>" in out
    assert "template\t<PodTemplateSpec> -required-" in out
    pods = served.kubectl("explain", "pods.spec.containers.image", check=True).stdout
    assert "FIELD: image <string>" in pods


def test_unknown_field_is_rejected_strictly(served, tmp_path):
    bad = deployment("strict").replace("  replicas: 2\n", "  replicas: 2\n  replica: 3\n")
    result = served.kubectl("apply", "-f", write(tmp_path, "strict.yaml", bad))
    assert result.returncode == 1
    assert ('Error from server (BadRequest): error when creating "' in result.stderr
            and 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
                'unknown field "spec.replica"' in result.stderr)
    warned = served.kubectl("apply", "--validate=warn", "-f", write(tmp_path, "strict.yaml", bad))
    assert warned.returncode == 0, warned.stderr
    assert 'Warning: unknown field "spec.replica"' in warned.stderr


def test_invalid_object_lists_causes(served, tmp_path):
    bad = deployment("neg").replace("replicas: 2", "replicas: -1")
    result = served.kubectl("apply", "-f", write(tmp_path, "neg.yaml", bad))
    assert result.returncode == 1
    assert 'The Deployment "neg" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' \
        in result.stderr


def test_events_by_involved_object(served):
    served.kubectl("run", "evented", "--image=busybox", "--", "sleep", "3600", check=True)
    pod = json.loads(served.kubectl("get", "pod", "evented", "-o", "json", check=True).stdout)
    served.local.create({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "evented.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "evented",
                           "uid": pod["metadata"]["uid"], "apiVersion": "v1"},
        "reason": "Scheduled", "message": "Successfully assigned default/evented to node-1", "type": "Normal",
        "source": {"component": "default-scheduler"}, "count": 1,
        "firstTimestamp": pod["metadata"]["creationTimestamp"], "lastTimestamp": pod["metadata"]["creationTimestamp"]})
    events = served.kubectl("get", "events", check=True).stdout.splitlines()
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "Normal   Scheduled   pod/evented   Successfully assigned default/evented to node-1" in events[1]
    described = served.kubectl("describe", "pod", "evented", check=True).stdout
    assert re.search(r"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned", described)


def test_logs(served):
    served.kubectl("run", "logger", "--image=busybox", "--", "sleep", "3600", check=True)
    pod = json.loads(served.kubectl("get", "pod", "logger", "-o", "json", check=True).stdout)
    directory = os.path.join(served.home, "pods", f"default_logger_{pod['metadata']['uid']}", "logger")
    os.makedirs(directory)
    with open(os.path.join(directory, "0.log"), "w") as f:
        f.write("one\ntwo\nthree\n")
    assert served.kubectl("logs", "logger", check=True).stdout == "one\ntwo\nthree\n"
    assert served.kubectl("logs", "logger", "--tail=2", check=True).stdout == "two\nthree\n"
    previous = served.kubectl("logs", "logger", "--previous")
    assert previous.returncode == 1
    assert 'previous terminated container "logger" in pod "logger" not found' in previous.stderr
    wrong = served.kubectl("logs", "logger", "-c", "nope")
    assert "container nope is not valid for pod logger" in wrong.stderr


def test_logs_follow_streams_appended_output(served):
    served.kubectl("run", "follower", "--image=busybox", "--", "sleep", "3600", check=True)
    pod = json.loads(served.kubectl("get", "pod", "follower", "-o", "json", check=True).stdout)
    directory = os.path.join(served.home, "pods", f"default_follower_{pod['metadata']['uid']}", "follower")
    os.makedirs(directory)
    log = os.path.join(directory, "0.log")
    with open(log, "w") as f:
        f.write("first\n")
    proc = subprocess.Popen([KUBECTL, "logs", "-f", "follower"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "KUBECONFIG": served.server.kubeconfig,
                                            "KUBECACHEDIR": served.cache})
    try:
        time.sleep(1.0)
        with open(log, "a") as f:
            f.write("second\n")
        time.sleep(1.0)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert out == "first\nsecond\n"


def _mark_available(served, name: str) -> None:
    """What the Deployment controller would write (no controllers run in this module)."""
    from minikctl.api import kinds

    deploy = served.local.get(kinds.by_kind("Deployment"), "default", name)
    n = deploy["spec"]["replicas"]
    deploy["status"] = {"observedGeneration": deploy["metadata"]["generation"], "replicas": n,
                        "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
                        "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                        "message": "ok", "lastUpdateTime": "2026-01-01T00:00:00Z",
                                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    served.local.update_status(deploy)


def test_rollout_status_wait_and_restart(served, tmp_path):
    served.kubectl("apply", "-f", write(tmp_path, "ro.yaml", deployment("ro")), check=True)
    _mark_available(served, "ro")
    status = served.kubectl("rollout", "status", "deploy/ro", "--timeout=20s", check=True, timeout=30)
    assert status.stdout == 'deployment "ro" successfully rolled out\n'
    waited = served.kubectl("wait", "--for=condition=Available", "deploy/ro", "--timeout=20s", check=True, timeout=30)
    assert waited.stdout == "deployment.apps/ro condition met\n"
    restarted = served.kubectl("rollout", "restart", "deploy/ro", check=True)
    assert restarted.stdout == "deployment.apps/ro restarted\n"
    live = json.loads(served.kubectl("get", "deploy", "ro", "-o", "json", check=True).stdout)
    assert "kubectl.kubernetes.io/restartedAt" in live["spec"]["template"]["metadata"]["annotations"]
    assert live["metadata"]["generation"] == 2


def test_delete_and_wait(served, tmp_path):
    path = write(tmp_path, "del.yaml", deployment("del"))
    served.kubectl("apply", "-f", path, check=True)
    assert served.kubectl("delete", "-f", path, check=True, timeout=60).stdout == 'deployment.apps "del" deleted\n'
    missing = served.kubectl("delete", "deploy", "del")
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "del" not found' in missing.stderr


def test_typed_creates_send_protobuf(served):
    """`kubectl create namespace|deployment|configmap|secret|service|job|cronjob` send
    protobuf bodies only; each object comes out as kubectl's own JSON would make it."""
    assert served.kubectl("create", "namespace", "demo", check=True).stdout == "namespace/demo created\n"
    again = served.kubectl("create", "namespace", "demo")
    assert again.returncode == 1
    assert 'Error from server (AlreadyExists): namespaces "demo" already exists' in again.stderr
    commands = [
        (["create", "deployment", "pb", "--image=nginx:1.27", "--replicas=0", "--port=8080"], "deployment.apps/pb"),
        (["create", "configmap", "pbcm", "--from-literal=a=b"], "configmap/pbcm"),
        (["create", "secret", "generic", "pbs", "--from-literal=k=v"], "secret/pbs"),
        (["create", "service", "clusterip", "pbsvc", "--tcp=80:8080"], "service/pbsvc"),
        (["create", "job", "pbjob", "--image=busybox", "--", "echo", "hi"], "job.batch/pbjob"),
        (["create", "cronjob", "pbcj", "--image=busybox", "--schedule=*/5 * * * *", "--", "echo", "hi"],
         "cronjob.batch/pbcj"),
    ]
    for args, ref in commands:
        assert served.kubectl("-n", "demo", *args, check=True).stdout == f"{ref} created\n"
    get = lambda *a: json.loads(served.kubectl("get", *a, "-n", "demo", "-o", "json", check=True).stdout)  # noqa: E731
    deploy = get("deploy", "pb")
    assert deploy["spec"]["replicas"] == 0  # a zero that is on the wire on purpose
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["ports"]) == ("nginx:1.27", [{"containerPort": 8080, "protocol": "TCP"}])
    assert get("configmap", "pbcm")["data"] == {"a": "b"}
    secret = get("secret", "pbs")
    assert (secret["data"], secret["type"]) == ({"k": "dg=="}, "Opaque")
    assert get("service", "pbsvc")["spec"]["ports"][0]["targetPort"] == 8080
    assert get("cronjob", "pbcj")["spec"]["schedule"] == "*/5 * * * *"


def test_bad_token_is_unauthorized(served, tmp_path):
    cache = str(tmp_path / "cache-bad-token")
    result = served.kubectl("--token=not-the-token", "get", "pods", env={"KUBECACHEDIR": cache})
    assert result.returncode == 1
    assert "error: You must be logged in to the server" in result.stderr
