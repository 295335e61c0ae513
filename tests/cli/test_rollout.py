"""`rollout status|history|undo|restart|pause|resume` through the real CLI, on Deployments
and ReplicaSets made directly in the store (no controllers run here). Expected texts
were checked against kubectl 1.32 on the same objects."""
from __future__ import annotations

import copy
import threading
import time

from tests.cli.test_logs import cli, cli_background, client, finish, kind, read_line

REVISION = "deployment.kubernetes.io/revision"


def template(image: str) -> dict:
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": image, "command": ["sleep", "1000"]}]}}


def deployment_with_history(c=None, *, name: str = "web", revisions: int = 3, replicas: int = 3) -> dict:
    """A Deployment at revision N with one ReplicaSet per revision, as the controller leaves them."""
    c = c or client()
    dep = c.create({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "annotations": {REVISION: str(revisions)}},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                             "template": template(f"busybox:{revisions}")}})
    for rev in range(1, revisions + 1):
        t = template(f"busybox:{rev}")
        t["metadata"]["labels"]["pod-template-hash"] = f"hash{rev}"
        annotations = {REVISION: str(rev)}
        if rev == 2:
            annotations["kubernetes.io/change-cause"] = "kubectl set image deploy/web web=busybox:2"
        c.create({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": f"{name}-hash{rev}", "labels": t["metadata"]["labels"],
                               "annotations": annotations,
                               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                                    "uid": dep["metadata"]["uid"], "controller": True,
                                                    "blockOwnerDeletion": True}]},
                  "spec": {"replicas": replicas if rev == revisions else 0,
                           "selector": {"matchLabels": {"app": "web", "pod-template-hash": f"hash{rev}"}},
                           "template": t}})
    return dep


def set_status(name: str, status: dict, *, kind_name: str = "Deployment") -> dict:
    c = client()
    obj = copy.deepcopy(c.get(kind(kind_name), "default", name))
    status = dict(status)
    status.setdefault("observedGeneration", obj["metadata"].get("generation", 1))
    obj["status"] = status
    return c.update_status(obj)


def get(name: str, kind_name: str = "Deployment") -> dict:
    return client().get(kind(kind_name), "default", name)


# --- history -----------------------------------------------------------------------------


def test_history_table_and_one_revision():
    deployment_with_history()
    r = cli("rollout", "history", "deploy/web")
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n"
                                           "2         kubectl set image deploy/web web=busybox:2\n3         <none>\n\n")
    detail = cli("rollout", "history", "deployment", "web", "--revision=2")
    assert detail.stdout == (
        "deployment.apps/web with revision #2\n"
        "Pod Template:\n"
        "  Labels:\tapp=web\n"
        "\tpod-template-hash=hash2\n"
        "  Annotations:\tkubernetes.io/change-cause: kubectl set image deploy/web web=busybox:2\n"
        "  Containers:\n"
        "   web:\n"
        "    Image:\tbusybox:2\n"
        "    Port:\t<none>\n"
        "    Host Port:\t<none>\n"
        "    Command:\n"
        "      sleep\n"
        "      1000\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\t<none>\n"
        "  Node-Selectors:\t<none>\n"
        "  Tolerations:\t<none>\n"
        "\n")
    missing = cli("rollout", "history", "deploy/web", "--revision=9")
    assert (missing.returncode, missing.stderr) == (1, "error: unable to find the specified revision\n")
    as_yaml = cli("rollout", "history", "deploy/web", "--revision=1", "-o", "jsonpath={.metadata.name}")
    assert as_yaml.stdout == "web-hash1"


def test_history_errors():
    deployment_with_history()
    assert cli("rollout", "history", "rs/web-hash1").stderr == \
        'error: no history viewer has been implemented for "ReplicaSet.apps"\n'
    assert cli("rollout", "history", "deploy/nope").stderr == \
        'Error from server (NotFound): deployments.apps "nope" not found\n'
    assert cli("rollout", "history").stderr == "error: required resource not specified\n"
    assert cli("rollout", "history", "deploy/web", "--revision=-1").stderr == \
        "error: revision must be a positive integer: -1\n"
    c = client()
    c.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fresh"},
              "spec": {"selector": {"matchLabels": {"app": "fresh"}},
                       "template": {"metadata": {"labels": {"app": "fresh"}},
                                    "spec": {"containers": [{"name": "a", "image": "busybox"}]}}}})
    assert cli("rollout", "history", "deploy/fresh").stdout == "deployment.apps/fresh \nNo rollout history found.\n"


# --- undo --------------------------------------------------------------------------------


def test_undo_to_the_previous_revision_and_to_one():
    deployment_with_history()
    r = cli("rollout", "undo", "deploy/web")
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web rolled back\n")
    dep = get("web")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:2"
    assert dep["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    assert dep["metadata"]["annotations"] == {REVISION: "3",
                                              "kubernetes.io/change-cause": "kubectl set image deploy/web web=busybox:2"}
    back = cli("rollout", "undo", "deploy/web", "--to-revision=1")
    assert back.stdout == "deployment.apps/web rolled back\n"
    assert get("web")["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1"
    same = cli("rollout", "undo", "deploy/web", "--to-revision=1")
    assert same.stdout == "deployment.apps/web skipped rollback (current template already matches revision 1)\n"


def test_undo_errors_and_dry_runs():
    deployment_with_history()
    r = cli("rollout", "undo", "deploy/web", "--to-revision=9")
    assert (r.returncode, r.stderr) == (1, "error: unable to find specified revision 9 in history\n")
    dry = cli("rollout", "undo", "deploy/web", "--dry-run=client")
    assert dry.stdout.startswith("deployment.apps/web Pod Template:\n  Labels:\tapp=web\n\tpod-template-hash=hash2\n")
    assert dry.stdout.endswith("  Tolerations:\t<none>\n (dry run)\n")
    server = cli("rollout", "undo", "deploy/web", "--dry-run=server")
    assert server.stdout == "deployment.apps/web rolled back (server dry run)\n"
    assert get("web")["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:3"
    assert cli("rollout", "pause", "deploy/web").returncode == 0
    paused = cli("rollout", "undo", "deploy/web")
    assert paused.stderr == ("error: you cannot rollback a paused deployment; resume it first with "
                             "'minikctl rollout resume' and try again\n")
    assert cli("rollout", "undo", "rs/web-hash1").stderr == \
        'error: no rollbacker has been implemented for "ReplicaSet.apps"\n'


def test_undo_without_history():
    deployment_with_history(revisions=1)
    assert cli("rollout", "undo", "deploy/web").stderr == 'error: no rollout history found for deployment "web"\n'


# --- restart, pause, resume ---------------------------------------------------------------


def test_restart_stamps_the_template():
    deployment_with_history()
    r = cli("rollout", "restart", "deployment/web")
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web restarted\n")
    stamp = get("web")["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert len(stamp) in (20, 25) and stamp[10] == "T"
    assert get("web")["metadata"]["generation"] == 2
    bad = cli("rollout", "restart", "rs/web-hash1", "deploy/nope")
    assert bad.returncode == 1
    assert bad.stderr == ('Error from server (NotFound): deployments.apps "nope" not found\n'
                          'error: replicasets.apps "web-hash1" restarting is not supported\n')


def test_pause_and_resume():
    deployment_with_history()
    assert cli("rollout", "pause", "deploy/web").stdout == "deployment.apps/web paused\n"
    assert get("web")["spec"]["paused"] is True
    again = cli("rollout", "pause", "deploy/web")
    assert (again.returncode, again.stderr) == (1, 'error: deployments.apps "web" is already paused\n')
    restart = cli("rollout", "restart", "deploy/web")
    assert restart.stderr == \
        "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n"
    assert cli("rollout", "resume", "deploy/web").stdout == "deployment.apps/web resumed\n"
    assert get("web")["spec"]["paused"] is False
    assert cli("rollout", "resume", "deploy/web").stderr == 'error: deployments.apps "web" is not paused\n'
    assert cli("rollout", "pause", "rs/web-hash1").stderr == \
        'error: replicasets.apps "web-hash1" pausing is not supported\n'


def test_restart_every_deployment_of_a_selector():
    deployment_with_history(name="a")
    deployment_with_history(name="b")
    r = cli("rollout", "restart", "deployment")
    assert r.stdout == "deployment.apps/a restarted\ndeployment.apps/b restarted\n"


# --- status ------------------------------------------------------------------------------


def test_status_messages_without_watching():
    deployment_with_history()
    r = cli("rollout", "status", "deploy/web", "--watch=false")
    assert (r.returncode, r.stdout) == (0, "Waiting for deployment spec update to be observed...\n")
    cases = [
        ({"replicas": 3, "updatedReplicas": 1}, "1 out of 3 new replicas have been updated..."),
        ({"replicas": 4, "updatedReplicas": 3}, "1 old replicas are pending termination..."),
        ({"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}, "2 of 3 updated replicas are available..."),
    ]
    for status, message in cases:
        set_status("web", status)
        r = cli("rollout", "status", "deploy/web", "-w=false")
        assert r.stdout == f'Waiting for deployment "web" rollout to finish: {message}\n'
    set_status("web", {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3})
    assert cli("rollout", "status", "deploy/web").stdout == 'deployment "web" successfully rolled out\n'


def test_status_follows_the_rollout_live():
    deployment_with_history()
    set_status("web", {"replicas": 3, "updatedReplicas": 1})
    proc = cli_background("rollout", "status", "deploy/web", "--timeout=30s")
    first = read_line(proc)  # the CLI is watching now
    steps = [{"replicas": 4, "updatedReplicas": 3, "availableReplicas": 2},
             {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2},
             {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}]

    def roll() -> None:
        for step in steps:
            set_status("web", step)
            time.sleep(0.3)

    worker = threading.Thread(target=roll)
    worker.start()
    code, out, err = finish(proc)
    worker.join()
    assert (code, err) == (0, "")
    assert first + out == ('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n'
                   'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n'
                   'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...\n'
                   'deployment "web" successfully rolled out\n')


def test_status_fails_past_the_progress_deadline():
    deployment_with_history()
    set_status("web", {"replicas": 3, "updatedReplicas": 1})
    proc = cli_background("rollout", "status", "deploy/web")
    first = read_line(proc)
    set_status("web", {"replicas": 3, "updatedReplicas": 1, "conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": 'ReplicaSet "web-hash3" has timed out progressing.'}]})
    code, out, err = finish(proc)
    assert (code, err) == (1, 'error: deployment "web" exceeded its progress deadline\n')
    assert first + out == 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n'


def test_status_timeout_deletion_and_pinned_revision():
    deployment_with_history()
    r = cli("rollout", "status", "deploy/web", "--timeout=1s")
    assert (r.returncode, r.stderr) == (1, "error: timed out waiting for the condition\n")
    pinned = cli("rollout", "status", "deploy/web", "--revision=2")
    assert pinned.stderr == "error: desired revision (2) is different from the running revision (3)\n"
    proc = cli_background("rollout", "status", "deploy/web")
    read_line(proc)
    client().delete(kind("Deployment"), "default", "web")
    code, _, err = finish(proc)
    assert (code, err) == (1, "error: object has been deleted\n")


def test_status_warns_about_stuck_pods():
    deployment_with_history()
    set_status("web", {"replicas": 3, "updatedReplicas": 1})
    c = client()
    pod = c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-x", "labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "busybox"}]}})
    pod = copy.deepcopy(pod)
    pod["status"] = {"phase": "Pending", "containerStatuses": [
        {"name": "web", "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
         "state": {"waiting": {"reason": "ErrImagePull", "message": 'image "busybox" not found'}}}]}
    c.update_status(pod)
    r = cli("rollout", "status", "deploy/web", "--watch=false")
    assert r.stdout == ('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated... '
                        '(Warning: ErrImagePull - image "busybox" not found)\n')


def test_status_of_daemonsets_statefulsets_and_others():
    c = client()
    spec = {"selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "a", "image": "b"}]}}}
    c.create({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"}, "spec": copy.deepcopy(spec)})
    c.create({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "sts"},
              "spec": {**copy.deepcopy(spec), "replicas": 2, "serviceName": "sts"}})
    set_status("ds", {"desiredNumberScheduled": 1, "updatedNumberScheduled": 0}, kind_name="DaemonSet")
    assert cli("rollout", "status", "ds/ds", "--watch=false").stdout == \
        'Waiting for daemon set "ds" rollout to finish: 0 out of 1 new pods have been updated...\n'
    set_status("ds", {"desiredNumberScheduled": 1, "updatedNumberScheduled": 1, "numberAvailable": 1},
               kind_name="DaemonSet")
    assert cli("rollout", "status", "daemonset", "ds").stdout == 'daemon set "ds" successfully rolled out\n'
    set_status("sts", {"replicas": 2, "readyReplicas": 1}, kind_name="StatefulSet")
    assert cli("rollout", "status", "sts/sts", "--watch=false").stdout == "Waiting for 1 pods to be ready...\n"
    set_status("sts", {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "currentReplicas": 2,
                       "currentRevision": "sts-abc", "updateRevision": "sts-abc"}, kind_name="StatefulSet")
    done = cli("rollout", "status", "sts/sts")
    assert done.stdout in ("statefulset rolling update complete 2 pods at revision sts-abc...\n",
                           "partitioned roll out complete: 2 new pods have been updated...\n")
    deployment_with_history()
    assert cli("rollout", "status", "rs/web-hash1").stderr == \
        "error: no status viewer has been implemented for ReplicaSet.apps\n"
    deployment_with_history(name="other")
    several = cli("rollout", "status", "deployment")
    assert several.stderr == ("error: rollout status is only supported on individual resources and resource "
                              "collections - 2 resources were found\n")
