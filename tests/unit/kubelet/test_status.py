"""Pod status as Kubernetes' kubelet computes it: pure functions over records."""
from __future__ import annotations

import pytest

from minikctl.kubelet import status
from minikctl.kubelet.records import ContainerRecord, PodRecord, Run
from minikctl.runtime.interface import ContainerProcess, Exit, Sandbox

T0 = 1_700_000_000.0


def pod(containers=("app",), inits=(), policy="Always", old_status=None, **spec):
    return {
        "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
        "spec": {"restartPolicy": policy, "containers": [{"name": n, "image": f"img-{n}"} for n in containers],
                 **({"initContainers": [{"name": n, "image": f"img-{n}"} for n in inits]} if inits else {}), **spec},
        "status": old_status or {"phase": "Pending", "qosClass": "BestEffort",
                                 "conditions": [{"type": "PodScheduled", "status": "True",
                                                 "lastTransitionTime": "2023-01-01T00:00:00Z"}]},
    }


def record(**containers: ContainerRecord) -> PodRecord:
    rec = PodRecord(uid="u1", namespace="default", name="web", ip="127.16.0.2", start_time=T0,
                    sandbox=Sandbox("u1", "default", "web", "/tmp/x", "127.16.0.2"))
    for name, c in containers.items():
        c.name = name
        (rec.inits if c.init else rec.containers)[name] = c
    return rec


def running(ready=True, restarts=0, init=False) -> ContainerRecord:
    proc = ContainerProcess(100, 5, T0)
    return ContainerRecord(name="", init=init, run=Run("minikctl://100-5", T0, proc), ready=ready, started=True,
                           restart_count=restarts, image_id="host://x")


def exited(code, init=False, reason=None, restarts=0, waiting=None) -> ContainerRecord:
    ex = Exit(code, reason or ("Completed" if code == 0 else "Error"), T0 + 5)
    return ContainerRecord(name="", init=init, run=Run("minikctl://100-5", T0, exit=ex), restart_count=restarts,
                           waiting=waiting)


def test_running_and_ready():
    st = status.pod_status(pod(), record(app=running()), host_ip="127.0.0.1", now=T0 + 10)
    assert st["phase"] == "Running"
    assert st["podIP"] == "127.16.0.2" and st["podIPs"] == [{"ip": "127.16.0.2"}]
    assert st["hostIP"] == "127.0.0.1" and st["startTime"] == "2023-11-14T22:13:20Z"
    assert st["qosClass"] == "BestEffort"
    assert [c["type"] for c in st["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert all(c["status"] == "True" for c in st["conditions"])
    assert st["conditions"][-1]["lastTransitionTime"] == "2023-01-01T00:00:00Z"  # kept as it was
    cs = st["containerStatuses"][0]
    assert cs == {"name": "app", "state": {"running": {"startedAt": "2023-11-14T22:13:20Z"}}, "lastState": {},
                  "ready": True, "restartCount": 0, "image": "img-app", "imageID": "host://x",
                  "containerID": "minikctl://100-5", "started": True}


def test_not_ready_messages():
    st = status.pod_status(pod(containers=("a", "b")), record(a=running(ready=False), b=running(ready=False)),
                           host_ip="h", now=T0)
    ready = next(c for c in st["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [a b]"


def test_creating_before_anything_runs():
    st = status.pod_status(pod(), record(), host_ip="h", now=T0)
    assert st["phase"] == "Pending"
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert st["containerStatuses"][0]["ready"] is False and st["containerStatuses"][0]["started"] is False


def test_pod_initializing():
    rec = record(init1=running(init=True))
    st = status.pod_status(pod(inits=("init1", "init2")), rec, host_ip="h", now=T0)
    assert st["phase"] == "Pending"
    init = {c["type"]: c for c in st["conditions"]}["Initialized"]
    assert init["status"] == "False" and init["reason"] == "ContainersNotInitialized"
    assert init["message"] == "containers with incomplete status: [init1 init2]"
    assert st["initContainerStatuses"][1]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}


def test_crash_loop_back_off_keeps_last_state():
    msg = "back-off 20s restarting failed container=app pod=web_default(u1)"
    c = exited(1, restarts=2, waiting=("CrashLoopBackOff", msg))
    st = status.pod_status(pod(), record(app=c), host_ip="h", now=T0)
    cs = st["containerStatuses"][0]
    assert cs["state"] == {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["restartCount"] == 2
    assert st["phase"] == "Running"  # Always: on its way back


@pytest.mark.parametrize("policy,code,phase", [
    ("Never", 0, "Succeeded"), ("Never", 1, "Failed"), ("OnFailure", 0, "Succeeded"),
    ("OnFailure", 1, "Running"), ("Always", 0, "Running"), ("Always", 1, "Running"),
])
def test_phase_when_all_exited(policy, code, phase):
    st = status.pod_status(pod(policy=policy), record(app=exited(code)), host_ip="h", now=T0)
    assert st["phase"] == phase
    if phase == "Succeeded":
        cr = {c["type"]: c for c in st["conditions"]}
        assert cr["Ready"]["reason"] == "PodCompleted" and cr["Initialized"]["reason"] == "PodCompleted"
        assert st["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"


def test_phase_one_running_one_failed_with_never_is_running():
    st = status.pod_status(pod(containers=("a", "b"), policy="Never"), record(a=running(), b=exited(1)),
                           host_ip="h", now=T0)
    assert st["phase"] == "Running"


def test_init_failure_with_never_fails_the_pod():
    st = status.pod_status(pod(inits=("i",), policy="Never"), record(i=exited(1, init=True)), host_ip="h", now=T0)
    assert st["phase"] == "Failed"
    ready = {c["type"]: c for c in st["conditions"]}["ContainersReady"]
    assert ready["reason"] == "PodFailed"


def test_terminal_phase_never_goes_back():
    old = {"phase": "Succeeded", "conditions": []}
    st = status.pod_status(pod(old_status=old), record(app=running()), host_ip="h", now=T0)
    assert st["phase"] == "Succeeded"


def test_last_transition_time_kept_while_unchanged():
    first = status.pod_status(pod(), record(app=running()), host_ip="h", now=T0)
    again = status.pod_status(pod(old_status=first), record(app=running()), host_ip="h", now=T0 + 100)
    assert again == first
    flipped = status.pod_status(pod(old_status=first), record(app=running(ready=False)), host_ip="h", now=T0 + 100)
    ready = {c["type"]: c for c in flipped["conditions"]}["Ready"]
    assert ready["lastTransitionTime"] == "2023-11-14T22:15:00Z"
    init = {c["type"]: c for c in flipped["conditions"]}["Initialized"]
    assert init["lastTransitionTime"] == "2023-11-14T22:13:20Z"


def test_start_error_reported_as_containerd_does():
    c = ContainerRecord(name="app", run=Run("", T0, exit=Exit(128, "StartError", T0,
                                                               'exec: "nope": executable file not found in $PATH')),
                        waiting=("RunContainerError", 'exec: "nope": executable file not found in $PATH'))
    st = status.pod_status(pod(), record(app=c), host_ip="h", now=T0)
    cs = st["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "RunContainerError"
    assert cs["lastState"]["terminated"]["exitCode"] == 128
    assert cs["lastState"]["terminated"]["reason"] == "StartError"


def test_readiness_gates():
    p = pod(readinessGates=[{"conditionType": "example.com/ok"}])
    st = status.pod_status(p, record(app=running()), host_ip="h", now=T0)
    ready = {c["type"]: c for c in st["conditions"]}["Ready"]
    assert ready["status"] == "False" and ready["reason"] == "ReadinessGatesNotReady"
    assert {c["type"]: c for c in st["conditions"]}["ContainersReady"]["status"] == "True"


def test_volume_error_shown_on_waiting_containers():
    rec = record()
    rec.volume_error = 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found'
    st = status.pod_status(pod(), rec, host_ip="h", now=T0)
    assert st["containerStatuses"][0]["state"]["waiting"] == {"reason": "ContainerCreating",
                                                              "message": rec.volume_error}


def test_restart_keeps_previous_run_as_last_state():
    c = running(restarts=0)
    c.run.exit = Exit(137, "Error", T0 + 1)
    c.begin(Run("minikctl://200-9", T0 + 2, ContainerProcess(200, 9, T0 + 2)))
    st = status.pod_status(pod(), record(app=c), host_ip="h", now=T0)
    cs = st["containerStatuses"][0]
    assert cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["containerID"] == "minikctl://200-9"
