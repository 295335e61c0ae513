"""The Kubelet's sync loop against a fake runtime on a real (temporary) store."""
from __future__ import annotations

import signal
import time

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.kubelet import Kubelet

from .fakes import FakeRuntime, images

POD = kinds.by_kind("Pod")
NODE = "n1"


@pytest.fixture
def client(minikctl_home):
    minikctl_home.mkdir(parents=True, exist_ok=True)
    c = LocalClient.open(path=str(minikctl_home))
    yield c
    c.close()


@pytest.fixture
def runtime(tmp_path):
    return FakeRuntime(str(tmp_path / "home" / "pods"))


@pytest.fixture
def kubelet(client, runtime, tmp_path):
    k = Kubelet(client, runtime, node_name=NODE, home=str(tmp_path / "home"), images=images(),
                backoff_initial=0.3, backoff_max=1.0, min_grace=0.05)
    k.syncer.settings.config_retry = 0.1
    k.start()
    yield k
    k.stop()


def wait_for(fn, timeout=5.0, interval=0.01):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")


def make_pod(client, name="web", containers=None, inits=None, policy="Always", grace=None, **spec):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": policy,
                     "containers": containers or [{"name": "app", "image": "busybox", "command": ["sleep", "1000"]}],
                     **({"initContainers": inits} if inits else {}), **spec}}
    if grace is not None:
        body["spec"]["terminationGracePeriodSeconds"] = grace
    client.create(body)
    client.bind("default", name, NODE)


def delete(client, name, **kw):
    """Delete, retrying on Conflict: Api.delete compares the resourceVersion it read with
    the store's, and the kubelet may write the pod's status in between."""
    for _ in range(20):
        try:
            return client.delete(POD, "default", name, **kw)
        except errors.Conflict:
            time.sleep(0.01)
    raise AssertionError("delete kept conflicting")


def status(client, name="web"):
    return client.get(POD, "default", name).get("status") or {}


def cstatus(client, container="app", name="web", init=False):
    key = "initContainerStatuses" if init else "containerStatuses"
    for cs in status(client, name).get(key) or []:
        if cs["name"] == container:
            return cs
    return {}


def state_of(client, container="app", **kw):
    st = cstatus(client, container, **kw).get("state") or {}
    return next(iter(st), None), next(iter(st.values()), {})


def test_runs_a_pod_with_ip_env_and_expanded_command(client, runtime, kubelet):
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["echo", "$(GREETING) $(POD_IP)"],
                                  "env": [{"name": "GREETING", "value": "hi"},
                                          {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]}])
    wait_for(lambda: status(client).get("phase") == "Running")
    st = status(client)
    assert st["podIP"] == "127.16.0.2"
    config = runtime.configs[runtime.latest("app").pid]
    assert config.argv == ["echo", "hi 127.16.0.2"]
    assert config.env["POD_IP"] == "127.16.0.2" and config.env["HOSTNAME"] == "web"
    assert config.log_path.endswith("/app/0.log")
    assert cstatus(client)["ready"] is True
    assert {c["type"]: c["status"] for c in st["conditions"]}["Ready"] == "True"


def test_pods_of_other_nodes_are_ignored(client, runtime, kubelet):
    client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other"},
                   "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["true"]}]}})
    client.bind("default", "other", "n2")
    time.sleep(0.3)
    assert runtime.started == []


def test_exit_restarts_at_once_then_crash_loop_back_off(client, runtime, kubelet):
    make_pod(client)
    wait_for(lambda: runtime.procs("app"))
    runtime.exit(runtime.latest("app"), 1)
    wait_for(lambda: len(runtime.procs("app")) == 2)  # the first restart is immediate
    wait_for(lambda: cstatus(client).get("restartCount") == 1 and state_of(client)[0] == "running")
    assert cstatus(client)["lastState"]["terminated"]["exitCode"] == 1
    runtime.exit(runtime.latest("app"), 2)
    kind, body = wait_for(lambda: state_of(client)[0] == "waiting" and state_of(client))
    assert body["reason"] == "CrashLoopBackOff"
    uid = client.get(POD, "default", "web")["metadata"]["uid"]
    assert body["message"] == f"back-off 300ms restarting failed container=app pod=web_default({uid})"
    assert status(client)["phase"] == "Running"
    wait_for(lambda: len(runtime.procs("app")) == 3, timeout=3)  # after the back-off
    wait_for(lambda: cstatus(client).get("restartCount") == 2)


@pytest.mark.parametrize("policy,code,phase,restarts", [
    ("Never", 0, "Succeeded", False), ("Never", 3, "Failed", False),
    ("OnFailure", 0, "Succeeded", False), ("OnFailure", 3, "Running", True),
])
def test_restart_policy(client, runtime, kubelet, policy, code, phase, restarts):
    make_pod(client, policy=policy)
    wait_for(lambda: runtime.procs("app"))
    runtime.exit(runtime.latest("app"), code)
    wait_for(lambda: status(client).get("phase") == phase and (restarts or state_of(client)[0] == "terminated"))
    time.sleep(0.2)
    assert (len(runtime.procs("app")) > 1) == restarts
    if not restarts:
        reason = state_of(client)[1]["reason"]
        assert reason == ("Completed" if code == 0 else "Error")


def test_init_containers_run_in_order_before_app_containers(client, runtime, kubelet):
    inits = [{"name": "one", "image": "busybox", "command": ["true"]},
             {"name": "two", "image": "busybox", "command": ["true"]}]
    make_pod(client, inits=inits)
    wait_for(lambda: runtime.procs("one"))
    wait_for(lambda: state_of(client, "app")[1].get("reason") == "PodInitializing")
    assert runtime.procs("two") == [] and runtime.procs("app") == []
    assert status(client)["phase"] == "Pending"
    runtime.exit(runtime.latest("one"), 0)
    wait_for(lambda: runtime.procs("two"))
    assert runtime.procs("app") == []
    runtime.exit(runtime.latest("two"), 0)
    wait_for(lambda: runtime.procs("app"))
    wait_for(lambda: status(client).get("phase") == "Running")
    init = cstatus(client, "one", init=True)
    assert init["state"]["terminated"]["reason"] == "Completed" and init["ready"] is True
    cond = {c["type"]: c for c in status(client)["conditions"]}
    assert cond["Initialized"]["status"] == "True"


def test_failed_init_container_with_never_fails_the_pod(client, runtime, kubelet):
    make_pod(client, inits=[{"name": "one", "image": "busybox", "command": ["false"]}], policy="Never")
    wait_for(lambda: runtime.procs("one"))
    runtime.exit(runtime.latest("one"), 1)
    wait_for(lambda: status(client).get("phase") == "Failed")
    assert runtime.procs("app") == []


def test_failed_init_container_is_retried_with_back_off(client, runtime, kubelet):
    make_pod(client, inits=[{"name": "one", "image": "busybox", "command": ["false"]}])
    wait_for(lambda: runtime.procs("one"))
    runtime.exit(runtime.latest("one"), 1)
    wait_for(lambda: len(runtime.procs("one")) == 2)
    wait_for(lambda: cstatus(client, "one", init=True).get("restartCount") == 1)
    runtime.exit(runtime.latest("one"), 1)
    wait_for(lambda: state_of(client, "one", init=True)[1].get("reason") == "CrashLoopBackOff")
    assert status(client)["phase"] == "Pending"


def test_missing_configmap_then_created(client, runtime, kubelet):
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["env"],
                                  "envFrom": [{"configMapRef": {"name": "settings"}}]}])
    body = wait_for(lambda: state_of(client)[1].get("reason") == "CreateContainerConfigError" and state_of(client)[1])
    assert body["message"] == 'configmap "settings" not found'
    client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"MODE": "fast"}})
    wait_for(lambda: runtime.procs("app"))
    assert runtime.configs[runtime.latest("app").pid].env["MODE"] == "fast"


def test_missing_image_err_image_pull_then_back_off(client, runtime, kubelet):
    make_pod(client, containers=[{"name": "app", "image": "nothere:v1", "command": ["x"]}])
    wait_for(lambda: state_of(client)[1].get("reason") in ("ErrImagePull", "ImagePullBackOff"))
    body = wait_for(lambda: state_of(client)[1].get("reason") == "ImagePullBackOff" and state_of(client)[1])
    assert body["message"].startswith('Back-off pulling image "nothere:v1": ErrImagePull: image "nothere:v1"')
    assert status(client)["phase"] == "Pending"


def test_command_not_found_is_a_start_error(client, runtime, kubelet):
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["missing-binary"]}], policy="Never")
    wait_for(lambda: status(client).get("phase") == "Failed")
    term = state_of(client)[1]
    assert term["exitCode"] == 128 and term["reason"] == "StartError"
    assert term["message"] == 'exec: "missing-binary": executable file not found in $PATH'


def test_command_not_found_restarts_into_crash_loop(client, runtime, kubelet):
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["missing-binary"]}])
    wait_for(lambda: state_of(client)[1].get("reason") == "CrashLoopBackOff")
    cs = cstatus(client)
    assert cs["lastState"]["terminated"]["reason"] == "StartError" and cs["restartCount"] >= 1


def test_graceful_delete_sigterm_then_sigkill_then_object_removed(client, runtime, kubelet):
    runtime.ignore_term.add("app")
    make_pod(client, grace=1)
    wait_for(lambda: status(client).get("phase") == "Running")
    proc = runtime.latest("app")
    start = time.monotonic()
    delete(client, "web")

    def gone():
        try:
            client.get(POD, "default", "web")
            return False
        except errors.NotFound:
            return True
    wait_for(gone, timeout=5)
    elapsed = time.monotonic() - start
    sigs = [s for pid, s in runtime.signals if pid == proc.pid]
    assert sigs == [signal.SIGTERM, signal.SIGKILL]
    assert 0.9 <= elapsed < 3
    assert len(runtime.procs("app")) == 1  # never restarted while terminating


def test_pre_stop_hook_runs_before_sigterm(client, runtime, kubelet):
    calls = []
    original = runtime.exec

    def exec_(sandbox, config, argv, **kw):
        calls.append((argv, list(runtime.signals)))
        return original(sandbox, config, argv, **kw)
    runtime.exec = exec_
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["sleep", "1"],
                                  "lifecycle": {"preStop": {"exec": {"command": ["drain"]}}}}], grace=2)
    wait_for(lambda: status(client).get("phase") == "Running")
    delete(client, "web")
    wait_for(lambda: runtime.signals)
    assert calls and calls[0][0] == ["drain"] and calls[0][1] == []


def test_hard_deleted_pod_is_stopped(client, runtime, kubelet):
    make_pod(client)
    wait_for(lambda: runtime.procs("app"))
    proc = runtime.latest("app")
    delete(client, "web", grace_period=0)  # no graceful phase at all
    wait_for(lambda: not runtime.alive(proc))
    wait_for(lambda: "default/web" not in kubelet.syncer.records)


def test_liveness_failure_restarts_the_container(client, runtime, kubelet):
    codes = iter([0, 1, 1])
    runtime.exec = lambda sandbox, config, argv, **kw: next(codes, 1)
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["sleep", "1"],
                                  "livenessProbe": {"exec": {"command": ["check"]}, "periodSeconds": 1,
                                                    "failureThreshold": 2, "terminationGracePeriodSeconds": 1}}])
    wait_for(lambda: len(runtime.procs("app")) >= 2, timeout=8)
    first = runtime.procs("app")[0]
    assert (first.pid, signal.SIGTERM) in runtime.signals
    wait_for(lambda: cstatus(client).get("restartCount", 0) >= 1)


def test_readiness_probe_gates_ready(client, runtime, kubelet):
    answers = {"code": 1}
    runtime.exec = lambda sandbox, config, argv, **kw: answers["code"]
    make_pod(client, containers=[{"name": "app", "image": "busybox", "command": ["sleep", "1"],
                                  "readinessProbe": {"exec": {"command": ["check"]}, "periodSeconds": 1}}])
    wait_for(lambda: status(client).get("phase") == "Running")
    time.sleep(0.3)
    assert cstatus(client)["ready"] is False
    answers["code"] = 0
    wait_for(lambda: cstatus(client).get("ready") is True)
    answers["code"] = 1
    wait_for(lambda: cstatus(client).get("ready") is False)
    assert len(runtime.procs("app")) == 1  # readiness never restarts


def test_adoption_keeps_processes_and_restart_counts(client, runtime, tmp_path):
    home = str(tmp_path / "home")
    first = Kubelet(client, runtime, node_name=NODE, home=home, images=images(), backoff_initial=0.2)
    first.start()
    try:
        make_pod(client)
        wait_for(lambda: runtime.procs("app"))
        runtime.exit(runtime.latest("app"), 1)
        wait_for(lambda: cstatus(client).get("restartCount") == 1 and state_of(client)[0] == "running")
    finally:
        first.stop()
    proc = runtime.latest("app")
    assert runtime.alive(proc)  # stop() leaves pods running
    second = Kubelet(client, runtime, node_name=NODE, home=home, images=images(), backoff_initial=0.2)
    second.start()
    try:
        time.sleep(0.3)
        assert runtime.latest("app") == proc and len(runtime.procs("app")) == 2  # nothing started twice
        assert cstatus(client)["restartCount"] == 1
        runtime.exit(proc, 1)  # the adopted process's exit is still seen
        wait_for(lambda: len(runtime.procs("app")) == 3)
        wait_for(lambda: cstatus(client).get("restartCount") == 2)
    finally:
        second.stop()


def test_stop_all_pods_stops_everything_without_restarting(client, runtime, kubelet):
    make_pod(client, name="a")
    make_pod(client, name="b")
    wait_for(lambda: len(runtime.procs("app")) == 2)
    kubelet.stop_all_pods(grace=1)
    assert not any(runtime.alive(p) for p in runtime.procs("app"))
    time.sleep(0.2)
    assert len(runtime.procs("app")) == 2


def test_sidecar_init_container_keeps_running_alongside_the_app(client, runtime, kubelet):
    inits = [{"name": "proxy", "image": "busybox", "command": ["sleep", "1000"], "restartPolicy": "Always"}]
    make_pod(client, inits=inits)
    wait_for(lambda: runtime.procs("proxy") and runtime.procs("app"))
    wait_for(lambda: status(client).get("phase") == "Running")
    runtime.exit(runtime.latest("proxy"), 1)  # a sidecar is restarted like an app container
    wait_for(lambda: len(runtime.procs("proxy")) == 2)
    assert len(runtime.procs("app")) == 1


def test_events_are_recorded(client, runtime, kubelet):
    make_pod(client)
    wait_for(lambda: status(client).get("phase") == "Running")

    def reasons():
        items, _ = client.list(kinds.by_kind("Event"), "default")
        return {e["reason"] for e in items if e["involvedObject"]["name"] == "web"}
    wait_for(lambda: {"Pulled", "Created", "Started"} <= reasons())
    items, _ = client.list(kinds.by_kind("Event"), "default")
    started = next(e for e in items if e["reason"] == "Started")
    assert started["message"] == "Started container app"
    assert started["source"] == {"component": "kubelet", "host": NODE}
    assert started["involvedObject"]["fieldPath"] == "spec.containers{app}"
