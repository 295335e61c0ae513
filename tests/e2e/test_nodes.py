"""Several nodes end to end: `daemon start --nodes 3`, a node agent joined with
`daemon start --join` and killed (its pods move after the shortened grace and toleration
periods), cordon/uncordon/drain through the CLI with kubectl's output, and a memory hog
OOMKilled. Real daemon, real agents, real pod processes; all killed by pid at teardown."""
from __future__ import annotations

import glob
import ipaddress
import json
import os
import signal
import time

import pytest

from tests.conftest import pod_range_octet, run_cli
from tests.e2e.conftest import kill_everything, wait_for

SLEEPER = {"name": "c", "image": "busybox", "command": ["sleep", "3600"]}


@pytest.fixture
def cluster(minikctl_home):
    """start(*flags) starts the daemon; join(name, *flags) a node agent. At teardown
    everything is stopped, then every recorded process is killed by pid."""
    home = str(minikctl_home)
    os.makedirs(home, exist_ok=True)
    cidr = f"127.{pod_range_octet()}.0.0/16"

    class Cluster:
        pod_cidr = cidr
        home = str(minikctl_home)

        @staticmethod
        def start(*flags: str) -> None:
            out = run_cli("daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr, *flags, timeout=60)
            assert out.returncode == 0, out.stderr

        @staticmethod
        def join(name: str, *flags: str) -> dict:
            out = run_cli("daemon", "start", "--join", "--node-name", name, *flags, timeout=60)
            assert out.returncode == 0, out.stderr
            with open(os.path.join(home, "agents", f"{name}.json")) as f:
                return json.load(f)

    try:
        yield Cluster
    finally:
        for path in glob.glob(os.path.join(home, "agents", "*.json")):
            run_cli("daemon", "stop", "--all", "--node-name", os.path.basename(path)[:-5], timeout=60)
        run_cli("daemon", "stop", "--all", timeout=60)
        for path in glob.glob(os.path.join(home, "agents", "*.json")):
            try:
                with open(path) as f:
                    os.kill(int(json.load(f)["pid"]), signal.SIGKILL)
            except (OSError, ValueError, KeyError):
                pass
        kill_everything(home)


def apply(obj: dict) -> None:
    out = run_cli("apply", "-f", "-", stdin=json.dumps(obj))
    assert out.returncode == 0, out.stderr


def pod(name: str, node: str | None = None, **spec) -> dict:
    body = {"containers": [dict(SLEEPER)], "terminationGracePeriodSeconds": 1, **spec}
    if node:
        body["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": body}


def replicaset(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"terminationGracePeriodSeconds": 1, "containers": [dict(SLEEPER)]}}}}


def get_json(*args: str) -> dict:
    out = run_cli("get", *args, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def pods(selector: str | None = None) -> list[dict]:
    return get_json("pods", *(["-l", selector] if selector else []))["items"]


def running(p: dict) -> bool:
    return (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")


def ready_condition(node: str) -> dict:
    obj = get_json("node", node)
    return next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")


def test_three_nodes_in_one_daemon_each_run_their_pods_in_their_own_range(cluster):
    cluster.start("--nodes", "3")
    out = run_cli("get", "nodes")
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["node-1", "Ready"], ["node-1-m02", "Ready"], ["node-1-m03", "Ready"]]
    names = ["node-1", "node-1-m02", "node-1-m03"]
    for name in names:
        apply(pod(f"on-{name}", name))
    wait_for(lambda: len([p for p in pods() if running(p)]) == 3, timeout=30, what="3 running pods")
    ranges = {n: ipaddress.ip_network(get_json("node", n)["spec"]["podCIDR"]) for n in names}
    assert len(set(ranges.values())) == 3
    for p in pods():
        node = p["spec"]["nodeName"]
        assert ipaddress.ip_address(p["status"]["podIP"]) in ranges[node]
        assert ranges[node].subnet_of(ipaddress.ip_network(cluster.pod_cidr))
    top = run_cli("top", "nodes")
    assert top.returncode == 0, top.stderr
    assert top.stdout.split("\n")[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert sorted(line.split()[0] for line in top.stdout.splitlines()[1:]) == names
    status = run_cli("daemon", "status")
    assert "nodes:    node-1, node-1-m02, node-1-m03" in status.stdout
    assert "pods:     3 on these nodes, 3 running" in status.stdout
    assert_same_as_kubectl(cluster.home, "get", "nodes", "-o", "wide")
    assert_same_as_kubectl(cluster.home, "describe", "node", "node-1-m02")


def assert_same_as_kubectl(home: str, *args: str) -> None:
    """Real kubectl against the daemon prints what minikctl prints (ages aside)."""
    import re
    import shutil
    import subprocess

    if shutil.which("kubectl") is None:
        return
    theirs = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "KUBECONFIG": os.path.join(home, "kubeconfig")})
    ours = run_cli(*args)
    assert theirs.returncode == 0, theirs.stderr

    def ageless(text: str) -> str:  # a second may pass between the two (and widen a column)
        return re.sub(r" +", " ", re.sub(r"\b\d+s\b", "<age>", text))
    assert ageless(ours.stdout) == ageless(theirs.stdout)


def test_after_a_crash_each_node_adopts_its_own_pods_and_no_other(cluster, minikctl_home):
    cluster.start("--nodes", "2")
    for name in ("node-1", "node-1-m02"):
        apply(pod(f"on-{name}", name))
    wait_for(lambda: len([p for p in pods() if running(p)]) == 2, timeout=30, what="2 running pods")
    pids = {}
    for path in glob.glob(os.path.join(str(minikctl_home), "pods", "*", "c", "state.json")):
        with open(path) as f:
            pids[path] = json.load(f)["pid"]
    assert len(pids) == 2
    with open(os.path.join(str(minikctl_home), "daemon.json")) as f:
        os.kill(json.load(f)["pid"], signal.SIGKILL)
    wait_for(lambda: run_cli("daemon", "status").returncode == 3, timeout=20, what="the daemon gone")
    cluster.start("--nodes", "2")
    wait_for(lambda: all(running(p) and p["status"]["containerStatuses"][0].get("ready") for p in pods())
             and len(pods()) == 2, timeout=30, what="both pods adopted")
    for p in pods():
        assert p["status"]["containerStatuses"][0]["restartCount"] == 0, p["metadata"]["name"]
    for path, pid in pids.items():
        with open(path) as f:
            assert json.load(f)["pid"] == pid  # the same processes: adopted, not restarted
        os.kill(pid, 0)
    log = open(os.path.join(str(minikctl_home), "daemon.log")).read()
    assert log.count("adopted pod default/on-node-1:") == 1 and log.count("adopted pod default/on-node-1-m02:") == 1


def test_a_joined_node_dies_and_its_replicaset_pods_are_recreated_on_the_other_node(cluster):
    cluster.start("--node-monitor-grace-period", "2s", "--default-unreachable-toleration-seconds", "2")
    agent = cluster.join("worker-2", "--node-lease-duration-seconds", "2")
    wait_for(lambda: ready_condition("worker-2")["status"] == "True", timeout=20, what="worker-2 Ready")
    # Everything goes to the joined node while the daemon's own is cordoned.
    assert run_cli("cordon", "node-1").stdout == "node/node-1 cordoned\n"
    apply(replicaset("web", 2))
    first = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)([p for p in pods("app=web") if running(p)]),
                     timeout=30, what="2 web pods running")
    assert {p["spec"]["nodeName"] for p in first} == {"worker-2"}
    assert run_cli("uncordon", "node-1").stdout == "node/node-1 uncordoned\n"

    os.kill(agent["pid"], signal.SIGKILL)  # the node agent dies; its pods' processes do not
    wait_for(lambda: ready_condition("worker-2")["status"] == "Unknown", timeout=20, what="worker-2 Unknown")
    cond = ready_condition("worker-2")
    assert (cond["reason"], cond["message"]) == ("NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert run_cli("get", "nodes").stdout.splitlines()[2].split()[:2] == ["worker-2", "NotReady"]
    taints = {(t["key"], t["effect"]) for t in get_json("node", "worker-2")["spec"]["taints"]}
    assert ("node.kubernetes.io/unreachable", "NoExecute") in taints
    moved = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)(
        [p for p in pods("app=web") if running(p) and p["spec"]["nodeName"] == "node-1"]),
        timeout=30, what="2 web pods running on node-1")
    old = {p["metadata"]["uid"] for p in first}
    assert not old & {p["metadata"]["uid"] for p in moved}
    # The evicted pods stay Terminating: nobody on worker-2 can finish them.
    evicted = [p for p in pods("app=web") if p["metadata"]["uid"] in old]
    assert len(evicted) == 2 and all(p["metadata"].get("deletionTimestamp") for p in evicted)

    cluster.join("worker-2", "--node-lease-duration-seconds", "2")  # the agent comes back
    wait_for(lambda: not [p for p in pods("app=web") if p["metadata"]["uid"] in old], timeout=30,
             what="the evicted pods finished by the returning agent")
    wait_for(lambda: ready_condition("worker-2")["status"] == "True", timeout=20, what="worker-2 Ready again")
    wait_for(lambda: not (get_json("node", "worker-2")["spec"].get("taints")), timeout=20, what="taints removed")


def test_deleting_a_dead_node_deletes_its_pods(cluster):
    cluster.start("--node-monitor-grace-period", "2s", "--default-unreachable-toleration-seconds", "2")
    agent = cluster.join("worker-2", "--node-lease-duration-seconds", "2")
    assert run_cli("cordon", "node-1").returncode == 0
    apply(replicaset("web", 2))
    first = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)([p for p in pods("app=web") if running(p)]),
                     timeout=30, what="2 web pods running on worker-2")
    assert run_cli("uncordon", "node-1").returncode == 0
    os.kill(agent["pid"], signal.SIGKILL)
    wait_for(lambda: len([p for p in pods("app=web") if running(p) and p["spec"]["nodeName"] == "node-1"]) == 2,
             timeout=30, what="2 web pods running on node-1")
    old = {p["metadata"]["uid"] for p in first}
    assert len([p for p in pods("app=web") if p["metadata"]["uid"] in old]) == 2  # Terminating for ever...
    time.sleep(1.1)
    drained = run_cli("drain", "worker-2", "--skip-wait-for-delete-timeout", "1", "--timeout", "20s")
    assert (drained.returncode, drained.stdout) == (0, "node/worker-2 cordoned\nnode/worker-2 drained\n"), drained.stderr
    assert run_cli("delete", "node", "worker-2").stdout == 'node "worker-2" deleted\n'
    wait_for(lambda: not [p for p in pods("app=web") if p["metadata"]["uid"] in old], timeout=30,
             what="the pod GC to delete the dead node's pods")  # ... until the node is deleted
    assert len([p for p in pods("app=web") if running(p)]) == 2


def test_node_names_and_pod_ranges_are_never_shared(cluster):
    cluster.start()
    taken = get_json("node", "node-1")["spec"]["podCIDR"]
    out = run_cli("daemon", "start", "--join", "--node-name", "node-1")
    assert (out.returncode, out.stderr) == (1, 'error: node "node-1" is run by the daemon (pid '
                                               f'{json.loads(open(os.path.join(cluster.home, "daemon.json")).read())["pid"]}'
                                               ') already: give the joining node another --node-name\n')
    out = run_cli("daemon", "start", "--join", "--node-name", "w", "--pod-cidr", taken)
    assert out.returncode == 1
    assert out.stderr.splitlines()[0] == (f'error: the pod CIDR {taken} overlaps node "node-1"\'s {taken}: give this '
                                          "node a range of its own with --pod-cidr")
    assert out.stderr.splitlines()[1].startswith("the node agent exited at start (code 1); see ")
    agent = cluster.join("w")  # without --pod-cidr: the next free slice of the daemon's range
    mine = ipaddress.ip_network(agent["pod_cidr"])
    assert mine.subnet_of(ipaddress.ip_network(cluster.pod_cidr)) and not mine.overlaps(ipaddress.ip_network(taken))
    assert [n["metadata"]["name"] for n in get_json("nodes")["items"]] == ["node-1", "w"]


def test_cordon_uncordon_and_drain_print_what_kubectl_prints(cluster):
    cluster.start("--nodes", "2")
    assert run_cli("cordon", "node-1-m02").stdout == "node/node-1-m02 cordoned\n"
    assert run_cli("cordon", "node-1-m02").stdout == "node/node-1-m02 already cordoned\n"
    assert run_cli("get", "nodes").stdout.splitlines()[2].split()[:2] == ["node-1-m02", "Ready,SchedulingDisabled"]
    apply(replicaset("web", 2))
    apply(pod("bare", "node-1"))
    apply(pod("scratch", "node-1", volumes=[{"name": "s", "emptyDir": {}}]))
    wait_for(lambda: len([p for p in pods() if running(p)]) == 4, timeout=30, what="4 running pods")
    assert {p["spec"]["nodeName"] for p in pods()} == {"node-1"}
    assert run_cli("uncordon", "node-1-m02").stdout == "node/node-1-m02 uncordoned\n"

    refused = run_cli("drain", "node-1")
    assert refused.returncode == 1
    assert refused.stdout == "node/node-1 cordoned\n"
    assert refused.stderr == (
        'error: unable to drain node "node-1" due to error: [cannot delete Pods that declare no controller '
        "(use --force to override): default/bare, cannot delete Pods with local storage (use "
        "--delete-emptydir-data to override): default/scratch], continuing command...\n"
        "There are pending nodes to be drained:\n node-1\n"
        "cannot delete Pods that declare no controller (use --force to override): default/bare\n"
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch\n")
    assert len([p for p in pods() if running(p)]) == 4  # nothing was evicted

    web = sorted(p["metadata"]["name"] for p in pods("app=web"))
    drained = run_cli("drain", "node-1", "--force", "--delete-emptydir-data", "--grace-period", "1",
                      "--timeout", "60s")
    assert drained.returncode == 0, drained.stderr
    assert drained.stderr == ("Warning: deleting Pods that declare no controller: default/bare, default/scratch\n")
    lines = drained.stdout.splitlines()
    every = ["default/bare", "default/scratch"] + [f"default/{n}" for n in web]
    assert lines[0] == "node/node-1 already cordoned"
    assert sorted(lines[1:5]) == sorted(f"evicting pod {ref}" for ref in every)
    assert sorted(lines[5:9]) == sorted(f"pod/{ref.split('/')[1]} evicted" for ref in every)
    assert lines[9:] == ["node/node-1 drained"]
    moved = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)([p for p in pods("app=web") if running(p)]),
                     timeout=30, what="web back to 2 running pods")
    assert {p["spec"]["nodeName"] for p in moved} == {"node-1-m02"}
    assert not [p for p in pods() if p["metadata"]["name"] in ("bare", "scratch")]
    described = run_cli("describe", "node", "node-1").stdout
    assert "Taints:             node.kubernetes.io/unschedulable:NoSchedule\n" in described
    assert "Unschedulable:      true\n" in described
    assert run_cli("uncordon", "node-1").stdout == "node/node-1 uncordoned\n"


def test_drain_leaves_daemonset_pods_to_ignore_daemonsets_and_gives_up_at_its_timeout(cluster):
    cluster.start("--nodes", "2")
    apply({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
           "spec": {"selector": {"matchLabels": {"app": "agent"}},
                    "template": {"metadata": {"labels": {"app": "agent"}},
                                 "spec": {"terminationGracePeriodSeconds": 1, "containers": [dict(SLEEPER)]}}}})
    stubborn = pod("stubborn", "node-1", terminationGracePeriodSeconds=30)
    stubborn["metadata"]["labels"] = {"app": "stubborn"}
    stubborn["spec"]["containers"] = [{"name": "c", "image": "busybox",
                                       "command": ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]}]
    apply(stubborn)
    wait_for(lambda: len([p for p in pods() if running(p)]) == 3, timeout=30, what="2 agents and stubborn running")
    agent = next(p["metadata"]["name"] for p in pods("app=agent") if p["spec"]["nodeName"] == "node-1")

    refused = run_cli("drain", "node-1", "--force")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == (
        f'error: unable to drain node "node-1" due to error: cannot delete DaemonSet-managed Pods (use '
        f"--ignore-daemonsets to ignore): default/{agent}, continuing command...")
    assert refused.stderr.splitlines()[-1] == (f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets "
                                               f"to ignore): default/{agent}")

    slow = run_cli("drain", "node-1", "--force", "--ignore-daemonsets", "--timeout", "2s")
    assert slow.returncode == 1
    assert slow.stdout == "node/node-1 already cordoned\nevicting pod default/stubborn\n"
    problem = 'error when waiting for pod "stubborn" in namespace "default" to terminate: context deadline exceeded'
    assert slow.stderr == (
        "Warning: ignoring DaemonSet-managed Pods: default/" + agent + "; deleting Pods that declare no controller: "
        "default/stubborn\n"
        f'There are pending pods in node "node-1" when an error occurred: {problem}\n'
        "pod/stubborn\n"
        f'error: unable to drain node "node-1" due to error: {problem}, continuing command...\n'
        "There are pending nodes to be drained:\n node-1\n"
        f"{problem}\n")
    # The DaemonSet pod stays where it is; the stubborn one is still being deleted.
    assert running(get_json("pod", agent))
    assert get_json("pod", "stubborn")["metadata"].get("deletionTimestamp")


def test_a_simulated_small_node_rejects_pinned_pods_that_do_not_fit(cluster):
    cluster.start("--node-capacity", "cpu=1,memory=1Gi,pods=2")
    node = get_json("node", "node-1")
    assert {k: node["status"]["allocatable"][k] for k in ("cpu", "memory", "pods")} == {
        "cpu": "1", "memory": "1Gi", "pods": "2"}
    big = pod("big", "node-1")
    big["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1500m"}}
    apply(big)
    rejected = wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(get_json("pod", "big")),
                        timeout=20, what="big rejected")
    assert (rejected["status"]["reason"], rejected["status"]["message"]) == (
        "OutOfcpu", "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 0, capacity: 1000")
    assert run_cli("get", "pod", "big").stdout.splitlines()[1].split()[2] == "OutOfcpu"
    for name in ("a", "b"):
        apply(pod(name, "node-1"))
    wait_for(lambda: running(get_json("pod", "a")) and running(get_json("pod", "b")), timeout=20, what="a, b running")
    apply(pod("c", "node-1"))
    wait_for(lambda: get_json("pod", "c")["status"].get("phase") == "Failed", timeout=20, what="c rejected")
    assert get_json("pod", "c")["status"]["reason"] == "OutOfpods"
    assert [running(get_json("pod", n)) for n in ("a", "b")] == [True, True]


def test_a_memory_hog_is_oom_killed(cluster):
    from minikctl.runtime.limits import Limits

    cluster.start()
    hog = pod("hog", restartPolicy="Never")
    hog["spec"]["containers"] = [{
        "name": "hog", "image": "python",
        "command": ["python3", "-c", "x = []\nwhile True: x.append(bytearray(8 * 1024 * 1024))"],
        "resources": {"requests": {"memory": "32Mi", "cpu": "100m"}, "limits": {"memory": "64Mi", "cpu": "200m"}}}]
    apply(hog)
    done = wait_for(lambda: (lambda p: p if (p.get("status") or {}).get("phase") == "Failed" else None)(
        get_json("pod", "hog")), timeout=30, what="the hog to fail")
    state = done["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (state["reason"], state["exitCode"]) == ("OOMKilled", 137)
    assert done["status"]["qosClass"] == "Burstable"
    assert run_cli("get", "pod", "hog").stdout.splitlines()[1].split()[2] == "OOMKilled"
    described = run_cli("describe", "pod", "hog").stdout
    for line in ("      Reason:       OOMKilled\n", "      Exit Code:    137\n", "    Limits:\n",
                 "      memory:  64Mi\n", "QoS Class:                    Burstable\n"):
        assert line in described, line
    assert f"Limits Enforced By:  {Limits().mode}\n" in described


def test_down_stops_joined_agents_and_their_pods_too(cluster):
    from minikctl.daemon import process

    cluster.start()
    agent = cluster.join("worker-2")
    apply(pod("far", node="worker-2"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(running(p) for p in pods()):
        time.sleep(0.2)
    far = next(p for p in pods() if p["metadata"]["name"] == "far")
    assert running(far), far.get("status")
    state = glob.glob(os.path.join(cluster.home, "pods", "*far*", "*", "state.json"))
    assert state, "the pod's container left no state record"
    with open(state[0]) as f:
        container_pid = int(json.load(f)["pid"])

    out = run_cli("down", timeout=90)
    assert out.returncode == 0, out.stderr
    assert f"minikctl node agent worker-2 stopped with its pods (pid {agent['pid']})" in out.stdout
    assert not process.is_running(agent["pid"], agent["start_ticks"])
    assert process.start_ticks(container_pid) is None, "the joined node's pod still runs after down"


def test_a_node_under_memory_pressure_is_tainted_and_gets_no_new_pods(cluster):
    """--eviction-hard above what the machine has: the kubelet reports MemoryPressure, the
    node controller taints the node, and the scheduler leaves a new pod Pending, in
    kube-scheduler's words. Pods already running stay (minikctl does not evict them)."""
    cluster.start("--eviction-hard", "memory.available<1Ei")
    cond = wait_for(lambda: next((c for c in get_json("node", "node-1")["status"]["conditions"]
                                  if c["type"] == "MemoryPressure" and c["status"] == "True"), None),
                    timeout=20, what="MemoryPressure True")
    assert (cond["reason"], cond["message"]) == ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
    taint = wait_for(lambda: next((t for t in get_json("node", "node-1")["spec"].get("taints") or []
                                   if t["key"] == "node.kubernetes.io/memory-pressure"), None),
                     timeout=20, what="the memory-pressure taint")
    assert taint["effect"] == "NoSchedule"
    apply(pod("late"))
    pending = wait_for(lambda: next((c for c in get_json("pod", "late")["status"].get("conditions") or []
                                     if c["type"] == "PodScheduled" and c["status"] == "False"), None),
                       timeout=20, what="late unschedulable")
    assert pending["message"] == ("0/1 nodes are available: 1 node(s) had untolerated taint "
                                  "{node.kubernetes.io/memory-pressure: }. preemption: 0/1 nodes are available: "
                                  "1 Preemption is not helpful for scheduling.")
    assert "NodeHasInsufficientMemory" in run_cli("describe", "node", "node-1").stdout
