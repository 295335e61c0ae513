"""StatefulSets end to end: a real daemon, real pod processes writing into their
claims' directories, driven through the CLI. Stable names and storage across pod
deletion, OrderedReady creation, scale-down from the top keeping claims, DNS names
under the headless Service, rollout status/history/undo, scale to 0 and back, and an
orphaning delete."""
from __future__ import annotations

import glob
import json
import os

import pytest

from minikctl.api import meta
from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

TIMEOUT = 60.0
# Appends its hostname to the claim's file and prints the file, then waits.
WRITER = ("import os, time; p = '/data/names'; open(p, 'a').write(os.environ['HOSTNAME'] + '\\n');"
          "print(open(p).read(), flush=True); time.sleep(3600)")
RESOLVER = ("import socket; print('ADDR', socket.gethostbyname('web-0.web.default.svc.cluster.local'), flush=True)")

# With a volume, as tests/e2e/test_services.py's client: the pod's /etc/resolv.conf is
# mounted in the private mount namespace a pod with volumes gets.
RESOLVER_POD = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dns"}, "spec": {
    "restartPolicy": "Never", "volumes": [{"name": "scratch", "emptyDir": {}}],
    "containers": [{"name": "c", "image": "python:3.11", "command": ["python3", "-c", RESOLVER],
                    "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]}})


def statefulset(version: str = "v1", replicas: int = 3) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "containers": [{
                         "name": "app", "image": "python:3.11", "command": ["python3", "-c", WRITER],
                         "env": [{"name": "VERSION", "value": version}],
                         "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                         # Ready a second after start: the next ordinal must wait for it.
                         "readinessProbe": {"exec": {"command": ["test", "-f", "/data/names"]},
                                            "initialDelaySeconds": 1, "periodSeconds": 1}}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})


HEADLESS = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                       "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}})


def cli(*args: str, stdin: str | None = None) -> str:
    out = run_cli(*args, stdin=stdin, timeout=90)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout


def get_json(*args: str) -> dict:
    return json.loads(cli("get", *args, "-o", "json"))


def live_pods() -> dict[str, dict]:
    return {p["metadata"]["name"]: p for p in get_json("pods")["items"] if not p["metadata"].get("deletionTimestamp")}


def ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in (pod.get("status") or {}).get("conditions") or [])


def ready_names() -> list[str]:
    return sorted(name for name, p in live_pods().items() if ready(p))


def wait_ready(names: list[str]) -> None:
    wait_for(lambda: ready_names() == names, timeout=TIMEOUT, what=f"exactly {names} ready")


def claim_dirs(home: str, claim: str) -> list[str]:
    """A claim's volume: volumes/pvc-<uid>_<namespace>_<claim>, as local-path names it."""
    return glob.glob(os.path.join(home, "volumes", f"pvc-*_default_{claim}"))


def claim_file(home: str, claim: str) -> str:
    (path,) = claim_dirs(home, claim)
    with open(os.path.join(path, "names")) as f:
        return f.read()


def ready_time(pod: dict) -> str:
    return next(c["lastTransitionTime"] for c in pod["status"]["conditions"] if c["type"] == "Ready")


@pytest.mark.timeout(300)  # many steps, each waiting on real processes
def test_statefulset_identity_storage_order_and_rollout(daemon) -> None:
    home, _ = daemon
    cli("apply", "-f", "-", stdin=HEADLESS)
    cli("apply", "-f", "-", stdin=statefulset())
    wait_ready(["web-0", "web-1", "web-2"])
    pods = live_pods()
    # OrderedReady: each pod was created only once the one before it was Ready.
    for k in (1, 2):
        before, this = pods[f"web-{k - 1}"], pods[f"web-{k}"]
        assert meta.parse_time(this["metadata"]["creationTimestamp"]) >= meta.parse_time(ready_time(before))
        assert this["metadata"]["creationTimestamp"] > before["metadata"]["creationTimestamp"]
    assert pods["web-1"]["spec"]["hostname"] == "web-1" and pods["web-1"]["spec"]["subdomain"] == "web"
    # Each claim is Bound and holds what its own pod wrote.
    claims = {c["metadata"]["name"]: c for c in get_json("pvc")["items"]}
    assert sorted(claims) == ["data-web-0", "data-web-1", "data-web-2"]
    assert all(c["status"]["phase"] == "Bound" for c in claims.values())
    assert "Bound" in cli("get", "pvc", "data-web-0")
    for i in range(3):
        assert claim_file(home, f"data-web-{i}") == f"web-{i}\n"
    events = cli("get", "events", "--field-selector", "involvedObject.kind=StatefulSet")
    assert "create Pod web-2 in StatefulSet web successful" in events
    assert cli("get", "sts").split("\n")[1].split()[:2] == ["web", "3/3"]

    # web-0 has its DNS name under the headless Service (the fixture's daemon has a
    # cluster DNS address of its own).
    assert "cluster DNS not started" not in open(os.path.join(home, "daemon.log")).read()
    cli("apply", "-f", "-", stdin=RESOLVER_POD)
    wait_for(lambda: get_json("pod", "dns")["status"].get("phase") in ("Succeeded", "Failed"), timeout=TIMEOUT,
             what="the resolver pod to finish")
    logs = run_cli("logs", "dns")
    assert f"ADDR {live_pods()['web-0']['status']['podIP']}" in logs.stdout, logs
    cli("delete", "pod", "dns")

    # A deleted pod comes back under its name, with its data.
    old_uid = pods["web-1"]["metadata"]["uid"]
    cli("delete", "pod", "web-1")
    wait_for(lambda: ready_names() == ["web-0", "web-1", "web-2"]
             and live_pods()["web-1"]["metadata"]["uid"] != old_uid, timeout=TIMEOUT, what="web-1 back")
    assert claim_file(home, "data-web-1") == "web-1\nweb-1\n"
    wait_for(lambda: "web-1\nweb-1" in run_cli("logs", "web-1").stdout, timeout=TIMEOUT, what="web-1 reading its data")

    # A rolling update, followed to the end by rollout status, then undone.
    cli("apply", "-f", "-", stdin=statefulset("v2"))
    out = cli("rollout", "status", "sts/web", "--timeout=90s")
    assert out.rstrip().endswith("partitioned roll out complete: 3 new pods have been updated..."), out
    assert all(p["spec"]["containers"][0]["env"][0]["value"] == "v2" for p in live_pods().values())
    history = cli("rollout", "history", "statefulset/web")
    assert history.split("\n")[1:4] == ["REVISION  CHANGE-CAUSE", "1         <none>", "2         <none>"], history
    assert "VERSION:\tv1" in cli("rollout", "history", "sts/web", "--revision=1")
    assert cli("rollout", "undo", "sts/web").strip() == "statefulset.apps/web rolled back"
    cli("rollout", "status", "sts/web", "--timeout=90s")
    assert all(p["spec"]["containers"][0]["env"][0]["value"] == "v1" for p in live_pods().values())
    assert "3         <none>" in cli("rollout", "history", "sts/web")  # revision 1 renumbered 3
    revisions = cli("get", "controllerrevisions")
    assert "statefulset.apps/web" in revisions

    # Scale down: web-2 goes first, its claim stays.
    cli("scale", "sts/web", "--replicas=2")
    wait_ready(["web-0", "web-1"])
    assert "data-web-2" in cli("get", "pvc")
    # Its claim deleted (no pod uses it now), its volume goes with it.
    (old_volume,) = claim_dirs(home, "data-web-2")
    assert cli("delete", "pvc", "data-web-2") == 'persistentvolumeclaim "data-web-2" deleted\n'
    wait_for(lambda: not os.path.exists(old_volume), timeout=TIMEOUT, what="the claim's volume deleted")
    # Scale to zero and back: the same names, the same data (web-2 on a new, empty claim).
    cli("scale", "sts/web", "--replicas=0")
    wait_for(lambda: not get_json("pods")["items"], timeout=TIMEOUT, what="no pods")
    cli("scale", "sts/web", "--replicas=3")
    wait_ready(["web-0", "web-1", "web-2"])
    assert claim_file(home, "data-web-2") == "web-2\n"
    assert claim_file(home, "data-web-0").count("web-0") >= 3

    # Deleting with --cascade=orphan leaves the pods running, without an owner.
    cli("delete", "sts", "web", "--cascade=orphan")
    wait_for(lambda: not get_json("sts")["items"], timeout=TIMEOUT, what="the StatefulSet gone")
    pods = live_pods()
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    wait_for(lambda: all(not p["metadata"].get("ownerReferences") for p in live_pods().values()),
             timeout=TIMEOUT, what="the pods orphaned")
    assert len(get_json("pvc")["items"]) == 3
