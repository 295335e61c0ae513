"""`kubectl get` output: tables per kind, -o wide|yaml|json|name|custom-columns, errors."""
from __future__ import annotations

import copy
import io
import time
from datetime import datetime, timezone

import pytest

from minikctl import errors
from minikctl.cli.printers import ALLOWED_FORMATS, print_objects, validate_output
from minikctl.cli.printers import tabwriter

NOW = datetime(2024, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
FIVE_MIN_AGO = "2024-01-15T11:55:00Z"


def render(objs: list[dict], output: str | None = None, **kw) -> str:
    out = io.StringIO()
    print_objects(objs, output=output, out=out, now=NOW, **kw)
    return out.getvalue()


def lines(*rows: str) -> str:
    return "".join(row + "\n" for row in rows)


# --- builders -------------------------------------------------------------------------------

def new_deployment(**status) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "d-1", "creationTimestamp": FIVE_MIN_AGO,
                     "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"},
                                        {"name": "log", "image": "busybox"}]},
            },
        },
        "status": status,
    }


def new_pod(name: str = "web-5d4f7c8b9-x7k2p", *, phase: str | None = "Running", statuses: list | None = None,
            init: list | None = None, init_statuses: list | None = None, conditions: list | None = None,
            **meta) -> dict:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": FIVE_MIN_AGO,
                     "labels": {"app": "web", "tier": "fe"}, **meta},
        "spec": {"nodeName": "minikctl-node", "containers": [{"name": "web", "image": "nginx:1.25"}]},
        "status": {},
    }
    if init is not None:
        pod["spec"]["initContainers"] = init
    if phase is not None:
        pod["status"] = {"phase": phase, "podIP": "127.1.0.5", "podIPs": [{"ip": "127.1.0.5"}]}
    if statuses is not None:
        pod["status"]["containerStatuses"] = statuses
    if init_statuses is not None:
        pod["status"]["initContainerStatuses"] = init_statuses
    if conditions is not None:
        pod["status"]["conditions"] = conditions
    return pod


def running(ready: bool = True, restarts: int = 0, **extra) -> dict:
    return {"name": "web", "ready": ready, "restartCount": restarts,
            "state": {"running": {"startedAt": "2024-01-15T11:55:02Z"}}, **extra}


def waiting(reason: str, restarts: int = 0, **extra) -> dict:
    return {"name": "web", "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}, **extra}


def terminated(reason: str, code: int, name: str = "web") -> dict:
    return {"name": name, "ready": False, "restartCount": 0,
            "state": {"terminated": {"reason": reason, "exitCode": code,
                                     "finishedAt": "2024-01-15T11:56:00Z"}}}


CRASHING = new_pod(statuses=[waiting("CrashLoopBackOff", restarts=3, lastState={
    "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2024-01-15T11:59:48Z"}})])

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
    "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
             "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]},
}

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "minikctl-node", "creationTimestamp": "2024-01-12T12:00:00Z",
                 "labels": {"node-role.kubernetes.io/control-plane": ""}},
    "status": {
        "conditions": [{"type": "Ready", "status": "True"}],
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                     "kernelVersion": "6.1.0", "containerRuntimeVersion": "process://0.1.0"},
    },
}


# --- tables per kind ----------------------------------------------------------------------------

def test_deployment_table() -> None:
    deploy = new_deployment(replicas=3, updatedReplicas=3, readyReplicas=2, availableReplicas=2)
    assert render([deploy]) == lines(
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE",
        "web    2/3     3            2           5m",
    )


def test_deployment_wide() -> None:
    assert render([new_deployment()], "wide") == lines(
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES               SELECTOR",
        "web    0/3     0            0           5m    web,log      nginx:1.25,busybox   app=web",
    )


def test_crash_looping_pod() -> None:
    assert render([CRASHING]) == lines(
        "NAME                  READY   STATUS             RESTARTS      AGE",
        "web-5d4f7c8b9-x7k2p   0/1     CrashLoopBackOff   3 (12s ago)   5m",
    )


def test_pod_wide() -> None:
    pod = new_pod(statuses=[running()], conditions=[{"type": "Ready", "status": "True"}])
    pod["spec"]["readinessGates"] = [{"conditionType": "example.com/ready"}]
    assert render([pod], "wide") == lines(
        "NAME                  READY   STATUS    RESTARTS   AGE   IP          NODE            NOMINATED NODE   READINESS GATES",
        "web-5d4f7c8b9-x7k2p   1/1     Running   0          5m    127.1.0.5   minikctl-node   <none>           0/1",
    )


@pytest.mark.parametrize(
    ("pod", "ready", "status"),
    [
        pytest.param(new_pod(phase=None), "0/1", "Pending", id="no-status-yet"),
        pytest.param(new_pod(phase="Pending", statuses=[waiting("ContainerCreating")]), "0/1", "ContainerCreating",
                     id="container-creating"),
        pytest.param(new_pod(phase="Pending", statuses=[waiting("ErrImagePull")]), "0/1", "ErrImagePull",
                     id="image-pull"),
        pytest.param(new_pod(statuses=[running()]), "1/1", "Running", id="running"),
        pytest.param(new_pod(statuses=[running(ready=False)]), "0/1", "Running", id="running-not-ready"),
        pytest.param(new_pod(phase="Succeeded", statuses=[terminated("Completed", 0)]), "0/1", "Completed",
                     id="completed"),
        pytest.param(new_pod(phase="Failed", statuses=[terminated("Error", 2)]), "0/1", "Error", id="failed"),
        pytest.param(new_pod(phase="Failed", statuses=[terminated("", 137)]), "0/1", "ExitCode:137",
                     id="exit-code"),
        pytest.param(new_pod(phase="Pending", init=[{"name": "setup", "image": "busybox"}],
                             init_statuses=[{"name": "setup", "state": {"running": {}}}],
                             statuses=[waiting("PodInitializing")]), "0/1", "Init:0/1", id="init-running"),
        pytest.param(new_pod(phase="Pending", init=[{"name": "setup", "image": "busybox"}],
                             init_statuses=[{"name": "setup", "restartCount": 2,
                                             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]),
                     "0/1", "Init:CrashLoopBackOff", id="init-crash-loop"),
        pytest.param(new_pod(phase="Pending", init=[{"name": "setup", "image": "busybox"}],
                             init_statuses=[terminated("Error", 1, name="setup")]), "0/1", "Init:Error",
                     id="init-error"),
        pytest.param(new_pod(statuses=[running()], deletionTimestamp="2024-01-15T11:59:50Z"), "1/1", "Terminating",
                     id="terminating"),
        pytest.param(new_pod(phase="Succeeded", statuses=[terminated("Completed", 0)],
                             deletionTimestamp="2024-01-15T11:59:50Z"), "0/1", "Completed",
                     id="terminal-pod-being-deleted"),
    ],
)
def test_pod_status_column(pod: dict, ready: str, status: str) -> None:
    header, row = render([pod]).splitlines()
    cells = row.split()
    assert header.split()[:3] == ["NAME", "READY", "STATUS"]
    assert (cells[1], cells[2]) == (ready, status)


def test_pod_restarts_without_a_finish_time_have_no_ago() -> None:
    pod = new_pod(statuses=[running(restarts=2)])
    assert render([pod]).splitlines()[1].split()[3] == "2"


def test_service_types_and_ports() -> None:
    node_port = copy.deepcopy(SERVICE)
    node_port["metadata"]["name"] = "api"
    node_port["spec"] = {"type": "NodePort", "clusterIP": "10.96.0.11",
                         "ports": [{"port": 80, "nodePort": 31234}, {"port": 53, "protocol": "UDP", "nodePort": 31235}]}
    headless = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "db", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
                "spec": {"clusterIP": "None", "clusterIPs": ["None"]}}
    balancer = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "lb", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
                "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.12", "ports": [{"port": 443, "nodePort": 30443}]}}
    assert render([SERVICE, node_port, headless, balancer], "wide") == lines(
        "NAME   TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)                     AGE   SELECTOR",
        "web    ClusterIP      10.96.0.10   <none>        80/TCP                      5m    app=web",
        "api    NodePort       10.96.0.11   <none>        80:31234/TCP,53:31235/UDP   5m    <none>",
        "db     ClusterIP      None         <none>        <none>                      5m    <none>",
        "lb     LoadBalancer   10.96.0.12   <pending>     443:30443/TCP               5m    <none>",
    )


def test_endpoints_show_three_then_count_the_rest() -> None:
    endpoints = {"apiVersion": "v1", "kind": "Endpoints",
                 "metadata": {"name": "web", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
                 "subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 5)], "ports": [{"port": 80}]}]}
    empty = {"apiVersion": "v1", "kind": "Endpoints",
             "metadata": {"name": "idle", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO}}
    assert render([endpoints, empty]) == lines(
        "NAME   ENDPOINTS                                         AGE",
        "web    10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...   5m",
        "idle   <none>                                            5m",
    )


def test_node_table_and_wide() -> None:
    assert render([NODE]) == lines(
        "NAME            STATUS   ROLES           AGE   VERSION",
        "minikctl-node   Ready    control-plane   3d    v1.32.0",
    )
    assert render([NODE], "wide").splitlines()[1] == (
        "minikctl-node   Ready    control-plane   3d    v1.32.0   127.0.0.1     <none>        "
        "Debian GNU/Linux 12 (bookworm)   6.1.0            process://0.1.0"
    )


def test_node_without_status() -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "creationTimestamp": FIVE_MIN_AGO},
            "spec": {"unschedulable": True}}
    assert render([node]) == lines(
        "NAME   STATUS                       ROLES    AGE   VERSION",
        "n1     Unknown,SchedulingDisabled   <none>   5m    ",
    )


def test_jobs() -> None:
    done = {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "pi", "namespace": "default", "creationTimestamp": "2024-01-15T11:50:00Z"},
            "spec": {"completions": 1, "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}}},
            "status": {"startTime": "2024-01-15T11:50:00Z", "completionTime": "2024-01-15T11:50:42Z", "succeeded": 1,
                       "conditions": [{"type": "Complete", "status": "True"}]}}
    queue = {"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": "work", "namespace": "default", "creationTimestamp": "2024-01-15T11:59:50Z"},
             "spec": {"parallelism": 3, "template": {"spec": {"containers": [{"name": "w", "image": "busybox"}]}}}}
    suspended = {"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": "later", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
                 "spec": {"template": {"spec": {"containers": []}}},
                 "status": {"conditions": [{"type": "Suspended", "status": "True"}]}}
    assert render([done, queue, suspended]) == lines(
        "NAME    STATUS      COMPLETIONS   DURATION   AGE",
        "pi      Complete    1/1           42s        10m",
        "work    Running     0/1 of 3                 10s",
        "later   Suspended   0/1                      5m",
    )


def test_cronjob() -> None:
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob",
               "metadata": {"name": "hello", "namespace": "default", "creationTimestamp": "2024-01-15T11:00:00Z"},
               "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
               "status": {"lastScheduleTime": FIVE_MIN_AGO, "active": [{"name": "hello-28421"}]}}
    fresh = copy.deepcopy(cronjob)
    fresh["metadata"]["name"] = "tz"
    fresh["spec"].update(timeZone="Europe/Paris", suspend=True)
    fresh["status"] = {}
    assert render([cronjob, fresh]) == lines(
        "NAME    SCHEDULE      TIMEZONE       SUSPEND   ACTIVE   LAST SCHEDULE   AGE",
        "hello   */5 * * * *   <none>         False     1        5m              60m",
        "tz      */5 * * * *   Europe/Paris   True      0        <none>          60m",
    )


def test_statefulset_daemonset_replicaset_without_status() -> None:
    template = {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "db", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "db"}}, "template": template}}
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "agent", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
          "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": template}}
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "web-1", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
          "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": template}}
    assert render([sts, ds, rs]) == lines(
        "NAME                  READY   AGE",
        "statefulset.apps/db   0/2     5m",
        "",
        "NAME                   DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE",
        "daemonset.apps/agent   0         0         0       0            0           <none>          5m",
        "",
        "NAME                    DESIRED   CURRENT   READY   AGE",
        "replicaset.apps/web-1   1         0         0       5m",
    )


def test_configmap_secret_namespace_and_cluster_scoped_kinds() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "cfg", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
          "data": {"a": "1"}, "binaryData": {"b": "AA=="}}
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "creds", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
              "data": {"password": "aHVudGVyMg=="}}
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "creationTimestamp": FIVE_MIN_AGO}}
    assert render([cm]) == lines("NAME   DATA   AGE", "cfg    2      5m")
    assert render([secret]) == lines("NAME    TYPE     DATA   AGE", "creds   Opaque   1      5m")
    assert render([ns]) == lines("NAME   STATUS   AGE", "dev    Active   5m")


def test_pvc_runtimeclass_lease_and_events() -> None:
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": "data", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                    "storageClassName": "standard"}}
    bound = copy.deepcopy(pvc)
    bound["metadata"]["name"] = "logs"
    bound["spec"]["volumeName"] = "pv-1"
    bound["status"] = {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"]}
    assert render([pvc, bound]) == lines(
        "NAME   STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE",
        "data   Pending                                      standard       <unset>                 5m",
        "logs   Bound     pv-1     1Gi        RWO,ROX        standard       <unset>                 5m",
    )
    runtime_class = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
                     "metadata": {"name": "process", "creationTimestamp": FIVE_MIN_AGO}, "handler": "process"}
    assert render([runtime_class]) == lines("NAME      HANDLER   AGE", "process   process   5m")
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "n1", "namespace": "kube-node-lease", "creationTimestamp": FIVE_MIN_AGO},
             "spec": {"holderIdentity": "n1"}}
    assert render([lease]) == lines("NAME   HOLDER   AGE", "n1     n1       5m")
    event = {"apiVersion": "v1", "kind": "Event",
             "metadata": {"name": "web.17a", "namespace": "default"},
             "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "default"},
             "type": "Normal", "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-5d4f7c8b9 to 3\n",
             "source": {"component": "deployment-controller"}, "count": 2,
             "firstTimestamp": "2024-01-15T11:50:00Z", "lastTimestamp": FIVE_MIN_AGO}
    assert render([event]) == lines(
        "LAST SEEN   TYPE     REASON              OBJECT           MESSAGE",
        "5m          Normal   ScalingReplicaSet   deployment/web   Scaled up replica set web-5d4f7c8b9 to 3",
    )
    assert render([event], "wide").splitlines()[1] == (
        "5m          Normal   ScalingReplicaSet   deployment/web               deployment-controller   "
        "Scaled up replica set web-5d4f7c8b9 to 3   10m          2       web.17a"
    )


def test_unknown_kind_prints_name_and_age() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget",
              "metadata": {"name": "w1", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO}}
    assert render([widget]) == lines("NAME   AGE", "w1     5m")
    assert render([widget], "name") == "widget.example.com/w1\n"


def test_missing_creation_timestamp_is_unknown() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}}
    assert render([cm]) == lines("NAME   DATA   AGE", "cfg    0      <unknown>")


# --- decorations --------------------------------------------------------------------------------

def test_multiple_kinds_print_one_table_each_with_kind_prefixes() -> None:
    deploy = new_deployment(readyReplicas=3, updatedReplicas=3, availableReplicas=3)
    assert render([deploy, SERVICE]) == lines(
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE",
        "deployment.apps/web   3/3     3            3           5m",
        "",
        "NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE",
        "service/web   ClusterIP   10.96.0.10   <none>        80/TCP    5m",
    )


def test_kinds_are_grouped_in_order_of_first_appearance() -> None:
    other = copy.deepcopy(SERVICE)
    other["metadata"]["name"] = "api"
    text = render([SERVICE, new_deployment(), other])
    assert [line.split()[0] for line in text.splitlines() if line and not line.startswith("NAME")] == [
        "service/web", "service/api", "deployment.apps/web"]


def test_with_kind_can_be_forced_for_one_kind() -> None:
    assert render([SERVICE], with_kind=True).splitlines()[1].startswith("service/web ")
    assert render([SERVICE, new_deployment()], with_kind=False).splitlines()[1].startswith("web ")


def test_no_headers_drops_headers_and_the_blank_line_between_kinds() -> None:
    assert render([new_deployment(), SERVICE], no_headers=True) == lines(
        "deployment.apps/web   0/3   0     0     5m",
        "service/web   ClusterIP   10.96.0.10   <none>   80/TCP   5m",
    )


def test_all_namespaces_adds_namespace_and_show_labels_adds_labels() -> None:
    other = new_pod("db-0", statuses=[running()], conditions=[{"type": "Ready", "status": "True"}])
    other["metadata"]["namespace"] = "data"
    other["metadata"]["labels"] = {}
    assert render([CRASHING, other], all_namespaces=True, show_labels=True) == lines(
        "NAMESPACE   NAME                  READY   STATUS             RESTARTS      AGE   LABELS",
        "default     web-5d4f7c8b9-x7k2p   0/1     CrashLoopBackOff   3 (12s ago)   5m    app=web,tier=fe",
        "data        db-0                  1/1     Running            0             5m    <none>",
    )


def test_all_namespaces_leaves_cluster_scoped_kinds_alone() -> None:
    assert render([NODE], all_namespaces=True).splitlines()[0].startswith("NAME ")


def test_no_objects_print_nothing_as_a_table() -> None:
    assert render([]) == ""
    assert render([], "wide") == ""


def test_cells_are_cut_at_line_breaks_and_escaped() -> None:
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
             "involvedObject": {"kind": "Pod", "name": "p"}, "type": "Warning", "reason": "Failed",
             "message": "first line\nsecond line \x1b[31m", "lastTimestamp": FIVE_MIN_AGO}
    assert render([event]).splitlines()[1] == "5m          Warning   Failed   pod/p    first line..."
    event["message"] = "red \x1b[31m"
    assert render([event]).splitlines()[1].endswith("pod/p    red ^[[31m")


def test_tabwriter_rules() -> None:
    # Minimum width 6, padding 3, the last cell never padded (no trailing spaces).
    assert tabwriter.format_rows([["A", "BB", "C"], ["xx", "y", "z"]]) == "A     BB    C\nxx    y     z\n"
    # Describe pages: a line without tabs ends the column block.
    text = "Name:\tweb\nLongerLabel:\tx\nPlain\nA:\ty\n"
    assert tabwriter.format_text(text) == "Name:         web\nLongerLabel:  x\nPlain\nA:  y\n"


def test_five_thousand_rows_print_fast() -> None:
    pods = []
    for i in range(5000):
        pod = copy.deepcopy(CRASHING)
        pod["metadata"]["name"] = f"web-{i}"
        pods.append(pod)
    start = time.perf_counter()
    text = render(pods)
    elapsed = time.perf_counter() - start
    assert text.count("\n") == 5001
    assert elapsed < 0.5, f"5000 rows took {elapsed * 1000:.0f} ms"


# --- other formats --------------------------------------------------------------------------------

CM = {"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "cfg", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO,
                   "annotations": {"note": "a: b", "replicas": "3", "empty": ""}},
      "data": {"script.sh": "echo hi\necho <bye>\n", "enabled": "true", "a10": "x", "a2": "y"}}


def test_yaml_of_one_named_object() -> None:
    assert render([CM], "yaml", single=True) == lines(
        "apiVersion: v1",
        "data:",
        '  a2: "y"',  # go-yaml v2 reads a bare y as a boolean, so it quotes it
        "  a10: x",
        '  enabled: "true"',
        "  script.sh: |",
        "    echo hi",
        "    echo <bye>",
        "kind: ConfigMap",
        "metadata:",
        "  annotations:",
        '    empty: ""',
        "    note: 'a: b'",
        '    replicas: "3"',
        '  creationTimestamp: "2024-01-15T11:55:00Z"',
        "  name: cfg",
        "  namespace: default",
    )


def test_yaml_of_several_objects_is_a_list() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"ports": [{"port": 80, "protocol": "TCP"}], "selector": {"app": "web"}}}
    assert render([svc], "yaml") == lines(
        "apiVersion: v1",
        "items:",
        "- apiVersion: v1",
        "  kind: Service",
        "  metadata:",
        "    name: web",
        "  spec:",
        "    ports:",
        "    - port: 80",
        "      protocol: TCP",
        "    selector:",
        "      app: web",
        "kind: List",
        "metadata:",
        '  resourceVersion: ""',
    )


def test_yaml_and_json_of_nothing_is_an_empty_list() -> None:
    assert render([], "yaml") == 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'
    assert render([], "json") == lines(
        "{",
        '    "apiVersion": "v1",',
        '    "items": [],',
        '    "kind": "List",',
        '    "metadata": {',
        '        "resourceVersion": ""',
        "    }",
        "}",
    )


def test_json_sorts_keys_and_escapes_html_as_go_does() -> None:
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cfg"}, "data": {"page": "<b>&</b>"}}
    assert render([obj], "JSON", single=True) == lines(
        "{",
        '    "apiVersion": "v1",',
        '    "data": {',
        '        "page": "\\u003cb\\u003e\\u0026\\u003c/b\\u003e"',
        "    },",
        '    "kind": "ConfigMap",',
        '    "metadata": {',
        '        "name": "cfg"',
        "    }",
        "}",
    )


def test_name_output() -> None:
    assert render([new_deployment(), SERVICE, CRASHING], "name") == lines(
        "deployment.apps/web", "service/web", "pod/web-5d4f7c8b9-x7k2p")


def test_custom_columns() -> None:
    assert render([new_deployment(), SERVICE], "custom-columns=NAME:.metadata.name,IMAGES:.spec.template.spec.containers[*].image,"
                  "TYPE:spec.type") == lines(
        "NAME   IMAGES               TYPE",
        "web    nginx:1.25,busybox   <none>",
        "web    <none>               ClusterIP",
    )


def test_custom_columns_print_maps_as_go_does_and_honour_no_headers() -> None:
    assert render([SERVICE], "custom-columns=SEL:{.spec.selector},PORTS:.spec.ports[*].port", no_headers=True) == (
        "map[app:web]   80\n")


def test_custom_columns_file(tmp_path) -> None:
    spec = tmp_path / "cols.txt"
    spec.write_text("NAME          KIND\n.metadata.name   {.kind}\n")
    assert render([SERVICE], f"custom-columns-file={spec}") == lines("NAME   KIND", "web    Service")


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("custom-columns=", "custom-columns format specified but no custom columns given"),
        ("custom-columns=NAME", "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"),
        ("custom-columns=NAME:{.a}{.b}", "unexpected path string, expected a 'name1.name2' or '.name1.name2' "
                                         "or '{name1.name2}' or '{.name1.name2}'"),
        ("jsonpath", "template format specified but no template given"),
        ("yml", 'unable to match a printer suitable for the output format "yml", allowed formats are: '
                "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
                "jsonpath-file,name,template,templatefile,wide,yaml"),
    ],
)
def test_bad_output_formats(output: str, message: str) -> None:
    with pytest.raises(errors.UsageError) as excinfo:
        render([SERVICE], output)
    assert str(excinfo.value) == message
    with pytest.raises(errors.UsageError):
        validate_output(output)


def test_custom_columns_file_header_count_mismatch(tmp_path) -> None:
    spec = tmp_path / "cols.txt"
    spec.write_text("NAME KIND\n.metadata.name\n")
    with pytest.raises(errors.UsageError) as excinfo:
        render([SERVICE], f"custom-columns-file={spec}")
    assert str(excinfo.value) == "number of headers (2) and field specifications (1) don't match"


def test_unknown_format_is_checked_even_without_objects() -> None:
    with pytest.raises(errors.UsageError) as excinfo:
        render([], "table")
    assert ALLOWED_FORMATS in str(excinfo.value)


def test_go_templates_are_reported_as_unsupported() -> None:
    with pytest.raises(errors.UsageError, match="go-template"):
        render([SERVICE], "go-template={{.metadata.name}}")


@pytest.mark.parametrize("output", [None, "", "wide", "yaml", "json", "name", "jsonpath={.a}",
                                    "custom-columns=A:.a"])
def test_validate_output_accepts_good_formats(output: str | None) -> None:
    validate_output(output)


def test_render_table_of_ready_made_cells() -> None:
    from minikctl.cli.printers import table

    rows = [["pods", "po", "v1", "true", "Pod"], ["deployments", "deploy", "apps/v1", "true", "Deployment"]]
    assert table.render(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], rows) == lines(
        "NAME          SHORTNAMES   APIVERSION   NAMESPACED   KIND",
        "pods          po           v1           true         Pod",
        "deployments   deploy       apps/v1      true         Deployment",
    )
    assert table.render(["NAME"], [["pods"]], no_headers=True) == "pods\n"
    assert table.render(["NAME", "KIND"], []) == "NAME   KIND\n"
