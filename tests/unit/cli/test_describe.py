"""`kubectl describe` pages per kind, compared line by line with kubectl 1.32's layout."""
from __future__ import annotations

import copy
import io
import time
from datetime import datetime, timezone

import pytest

from minikctl.cli.printers import describe
from minikctl.cli.printers.describe import camel_split, smart_label

NOW = datetime(2024, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
FIVE_MIN_AGO = "2024-01-15T11:55:00Z"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch):
    # kubectl prints times in the local zone; pin it so the pages are stable.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def page(obj: dict, events: list[dict] | None = (), **kw) -> list[str]:
    out = io.StringIO()
    describe(obj, list(events) if events is not None else None, out, now=NOW, **kw)
    text = out.getvalue()
    assert text.endswith("\n")
    return text.split("\n")[:-1]


TEMPLATE = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
}

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "uid": "d-1", "creationTimestamp": FIVE_MIN_AGO,
                 "labels": {"app": "web"}, "annotations": {"deployment.kubernetes.io/revision": "1"}},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
    "status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
               "unavailableReplicas": 1,
               "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                              {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]},
}


def new_replicaset(name: str, template: dict, created: str, replicas: int) -> dict:
    labels = {"app": "web", "pod-template-hash": name.rsplit("-", 1)[1]}
    template = copy.deepcopy(template)
    template["metadata"]["labels"] = labels
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "default", "uid": f"rs-{name}", "creationTimestamp": created,
                     "labels": labels,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-1",
                                          "controller": True}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
        "status": {"replicas": replicas, "readyReplicas": replicas},
    }


NEW_RS = new_replicaset("web-5d4f7c8b9", TEMPLATE, FIVE_MIN_AGO, 3)
OLD_TEMPLATE = copy.deepcopy(TEMPLATE)
OLD_TEMPLATE["spec"]["containers"][0]["image"] = "nginx:1.24"
OLD_RS = new_replicaset("web-7b9c6d5f4", OLD_TEMPLATE, "2024-01-15T11:00:00Z", 0)

SCALED = {
    "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.17a", "namespace": "default"},
    "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "default"},
    "type": "Normal", "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-5d4f7c8b9 to 3",
    "source": {"component": "deployment-controller"}, "count": 1,
    "firstTimestamp": FIVE_MIN_AGO, "lastTimestamp": FIVE_MIN_AGO,
}


def test_deployment_with_replicasets_and_events() -> None:
    assert page(DEPLOYMENT, [SCALED], related={"replicasets": [NEW_RS, OLD_RS]}) == [
        "Name:                   web",
        "Namespace:              default",
        "CreationTimestamp:      Mon, 15 Jan 2024 11:55:00 +0000",
        "Labels:                 app=web",
        "Annotations:            deployment.kubernetes.io/revision: 1",
        "Selector:               app=web",
        "Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable",
        "StrategyType:           RollingUpdate",
        "MinReadySeconds:        0",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Pod Template:",
        "  Labels:  app=web",
        "  Containers:",
        "   web:",
        "    Image:         nginx:1.25",
        "    Port:          80/TCP",
        "    Host Port:     0/TCP",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
        "Conditions:",
        "  Type           Status  Reason",
        "  ----           ------  ------",
        "  Available      True    MinimumReplicasAvailable",
        "  Progressing    True    NewReplicaSetAvailable",
        "OldReplicaSets:  web-7b9c6d5f4 (0/0 replicas created)",
        "NewReplicaSet:   web-5d4f7c8b9 (3/3 replicas created)",
        "Events:",
        "  Type    Reason             Age   From                   Message",
        "  ----    ------             ----  ----                   -------",
        "  Normal  ScalingReplicaSet  5m    deployment-controller  Scaled up replica set web-5d4f7c8b9 to 3",
    ]


def test_deployment_nothing_has_acted_on_yet() -> None:
    bare = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "creationTimestamp": "2024-01-15T11:59:00Z"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "strategy": {"type": "Recreate"},
                 "template": {"metadata": {"labels": {"app": "api", "tier": "backend"},
                                           "annotations": {"prometheus.io/scrape": "true"}},
                              "spec": {"containers": [{"name": "api", "image": "api:2"},
                                                      {"name": "proxy", "image": "envoy"}]}}},
    }
    assert page(bare, None) == [
        "Name:               api",
        "Namespace:          shop",
        "CreationTimestamp:  Mon, 15 Jan 2024 11:59:00 +0000",
        "Labels:             <none>",
        "Annotations:        <none>",
        "Selector:           app=api",
        "Replicas:           1 desired | 0 updated | 0 total | 0 available | 0 unavailable",
        "StrategyType:       Recreate",
        "MinReadySeconds:    0",
        "Pod Template:",
        "  Labels:       app=api",
        "                tier=backend",
        "  Annotations:  prometheus.io/scrape: true",
        "  Containers:",
        "   api:",
        "    Image:        api:2",
        "    Port:         <none>",
        "    Host Port:    <none>",
        "    Environment:  <none>",
        "    Mounts:       <none>",
        "   proxy:",
        "    Image:         envoy",
        "    Port:          <none>",
        "    Host Port:     <none>",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
    ]


CRASHING = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web-5d4f7c8b9-x7k2p", "namespace": "default", "uid": "p-1", "creationTimestamp": FIVE_MIN_AGO,
                 "labels": {"app": "web", "pod-template-hash": "5d4f7c8b9"},
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d4f7c8b9",
                                      "uid": "rs-web-5d4f7c8b9", "controller": True}]},
    "spec": {"nodeName": "minikctl-node",
             "containers": [{"name": "web", "image": "nginx:1.25", "command": ["sh", "-c", "exit 1"],
                             "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
    "status": {"phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.1.0.5", "podIPs": [{"ip": "127.1.0.5"}],
               "startTime": "2024-01-15T11:55:01Z", "qosClass": "BestEffort",
               "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"},
                              {"type": "ContainersReady", "status": "False"}, {"type": "PodScheduled", "status": "True"}],
               "containerStatuses": [{
                   "name": "web", "image": "nginx:1.25", "imageID": "", "containerID": "process://4242",
                   "ready": False, "restartCount": 3,
                   "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                   "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2024-01-15T11:59:47Z",
                                                "finishedAt": "2024-01-15T11:59:48Z"}}}]},
}


def test_crash_looping_pod() -> None:
    assert page(CRASHING) == [
        "Name:         web-5d4f7c8b9-x7k2p",
        "Namespace:    default",
        "Node:         minikctl-node/127.0.0.1",
        "Start Time:   Mon, 15 Jan 2024 11:55:01 +0000",
        "Labels:       app=web",
        "              pod-template-hash=5d4f7c8b9",
        "Annotations:  <none>",
        "Status:       Running",
        "IP:           127.1.0.5",
        "IPs:",
        "  IP:           127.1.0.5",
        "Controlled By:  ReplicaSet/web-5d4f7c8b9",
        "Containers:",
        "  web:",
        "    Container ID:  process://4242",
        "    Image:         nginx:1.25",
        "    Image ID:      ",
        "    Port:          80/TCP",
        "    Host Port:     0/TCP",
        "    Command:",
        "      sh",
        "      -c",
        "      exit 1",
        "    State:          Waiting",
        "      Reason:       CrashLoopBackOff",
        "    Last State:     Terminated",
        "      Reason:       Error",
        "      Exit Code:    1",
        "      Started:      Mon, 15 Jan 2024 11:59:47 +0000",
        "      Finished:     Mon, 15 Jan 2024 11:59:48 +0000",
        "    Ready:          False",
        "    Restart Count:  3",
        "    Environment:    <none>",
        "    Mounts:         <none>",
        "Conditions:",
        "  Type              Status",
        "  Initialized       True ",
        "  Ready             False ",
        "  ContainersReady   False ",
        "  PodScheduled      True ",
        "Volumes:            <none>",
        "QoS Class:          BestEffort",
        "Node-Selectors:     <none>",
        "Tolerations:        <none>",
        "Events:             <none>",
    ]


def test_pod_nobody_has_scheduled() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "new", "namespace": "default"},
           "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]}}
    assert page(pod) == [
        "Name:         new",
        "Namespace:    default",
        "Node:         <none>",
        "Labels:       <none>",
        "Annotations:  <none>",
        "Status:       Pending",
        "IP:           ",
        "IPs:          <none>",
        "Containers:",
        "  app:",
        "    Image:      busybox",
        "    Port:       <none>",
        "    Host Port:  <none>",
        "    Command:",
        "      sleep",
        "      3600",
        "    Environment:  <none>",
        "    Mounts:       <none>",
        "Volumes:          <none>",
        "QoS Class:        BestEffort",
        "Node-Selectors:   <none>",
        "Tolerations:      <none>",
        "Events:           <none>",
    ]


FULL_POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "api-0", "namespace": "shop", "uid": "p-2", "creationTimestamp": FIVE_MIN_AGO,
                 "labels": {"app": "api"},
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n", "team": "payments"},
                 "deletionTimestamp": "2024-01-15T11:59:30Z", "deletionGracePeriodSeconds": 30},
    "spec": {
        "nodeName": "minikctl-node", "serviceAccountName": "api", "priority": 0,
        "initContainers": [{"name": "migrate", "image": "api:2", "command": ["./migrate"]}],
        "containers": [{
            "name": "api", "image": "api:2", "args": ["--port=8080", "--greeting=hello\nworld"],
            "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 9090, "protocol": "UDP"}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "0.25", "memory": "128Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 5},
            "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 5},
            "startupProbe": {"tcpSocket": {"port": "http"}},
            "envFrom": [{"configMapRef": {"name": "api-config"}},
                        {"prefix": "DB_", "secretRef": {"name": "db", "optional": True}}],
            "env": [{"name": "MODE", "value": "prod"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                    {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "api-config", "key": "level",
                                                                        "optional": True}}},
                    {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"},
                             {"name": "config", "mountPath": "/etc/api", "readOnly": True},
                             {"name": "tmp", "mountPath": "/tmp", "subPath": "api"}]}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "api-data"}},
                    {"name": "config", "configMap": {"name": "api-config"}},
                    {"name": "tmp", "emptyDir": {}},
                    {"name": "creds", "secret": {"secretName": "db", "optional": False}},
                    {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}}],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
    },
    "status": {
        "phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.1.0.9", "podIPs": [{"ip": "127.1.0.9"}],
        "startTime": "2024-01-15T11:55:01Z",
        "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
        "initContainerStatuses": [{
            "name": "migrate", "ready": True, "restartCount": 0, "containerID": "process://100", "imageID": "sha256:abc",
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2024-01-15T11:55:02Z",
                                     "finishedAt": "2024-01-15T11:55:04Z"}}}],
        "containerStatuses": [{
            "name": "api", "ready": True, "restartCount": 1, "containerID": "process://101", "imageID": "sha256:abc",
            "state": {"running": {"startedAt": "2024-01-15T11:56:00Z"}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "signal": 9,
                                         "startedAt": "2024-01-15T11:55:05Z", "finishedAt": "2024-01-15T11:55:59Z"}}}],
    },
}

POD_EVENTS = [
    {"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
     "source": {"component": "kubelet", "host": "minikctl-node"},
     "involvedObject": {"kind": "Pod", "name": "api-0", "fieldPath": "spec.containers{api}"},
     "count": 4, "firstTimestamp": "2024-01-15T11:55:10Z", "lastTimestamp": "2024-01-15T11:59:00Z"},
    {"type": "Normal", "reason": "Scheduled", "message": "Successfully assigned shop/api-0 to minikctl-node",
     "reportingController": "default-scheduler", "involvedObject": {"kind": "Pod", "name": "api-0"},
     "eventTime": "2024-01-15T11:55:00.000000Z"},
]


def test_pod_with_init_containers_probes_env_volumes_and_events() -> None:
    assert page(FULL_POD, POD_EVENTS) == [
        "Name:                      api-0",
        "Namespace:                 shop",
        "Priority:                  0",
        "Service Account:           api",
        "Node:                      minikctl-node/127.0.0.1",
        "Start Time:                Mon, 15 Jan 2024 11:55:01 +0000",
        "Labels:                    app=api",
        "Annotations:               team: payments",
        "Status:                    Terminating (lasts 30s)",
        "Termination Grace Period:  30s",
        "IP:                        127.1.0.9",
        "IPs:",
        "  IP:  127.1.0.9",
        "Init Containers:",
        "  migrate:",
        "    Container ID:  process://100",
        "    Image:         api:2",
        "    Image ID:      sha256:abc",
        "    Port:          <none>",
        "    Host Port:     <none>",
        "    Command:",
        "      ./migrate",
        "    State:          Terminated",
        "      Reason:       Completed",
        "      Exit Code:    0",
        "      Started:      Mon, 15 Jan 2024 11:55:02 +0000",
        "      Finished:     Mon, 15 Jan 2024 11:55:04 +0000",
        "    Ready:          True",
        "    Restart Count:  0",
        "    Environment:    <none>",
        "    Mounts:         <none>",
        "Containers:",
        "  api:",
        "    Container ID:  process://101",
        "    Image:         api:2",
        "    Image ID:      sha256:abc",
        "    Ports:         8080/TCP (http), 9090/UDP",
        "    Host Ports:    0/TCP (http), 0/UDP",
        "    Args:",
        "      --port=8080",
        "      --greeting=hello",
        "      world",
        "    State:          Running",
        "      Started:      Mon, 15 Jan 2024 11:56:00 +0000",
        "    Last State:     Terminated",
        "      Reason:       OOMKilled",
        "      Exit Code:    137",
        "      Signal:       9",
        "      Started:      Mon, 15 Jan 2024 11:55:05 +0000",
        "      Finished:     Mon, 15 Jan 2024 11:55:59 +0000",
        "    Ready:          True",
        "    Restart Count:  1",
        "    Limits:",
        "      cpu:     500m",
        "      memory:  256Mi",
        "    Requests:",
        "      cpu:      250m",
        "      memory:   128Mi",
        "    Liveness:   http-get http://:8080/healthz delay=5s timeout=1s period=10s #success=1 #failure=3",
        "    Readiness:  exec [cat /tmp/ready] delay=0s timeout=1s period=5s #success=1 #failure=3",
        "    Startup:    tcp-socket :http delay=0s timeout=1s period=10s #success=1 #failure=3",
        "    Environment Variables from:",
        "      api-config  ConfigMap                 Optional: false",
        "      db          Secret with prefix 'DB_'  Optional: true",
        "    Environment:",
        "      MODE:      prod",
        "      POD_NAME:  api-0 (v1:metadata.name)",
        "      PASSWORD:  <set to the key 'password' in secret 'db'>           Optional: false",
        "      LEVEL:     <set to the key 'level' of config map 'api-config'>  Optional: true",
        "      CPU:       1 (limits.cpu)",
        "    Mounts:",
        "      /data from data (rw)",
        "      /etc/api from config (ro)",
        '      /tmp from tmp (rw,path="api")',
        "Conditions:",
        "  Type          Status",
        "  Initialized   True ",
        "  Ready         True ",
        "Volumes:",
        "  data:",
        "    Type:       PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
        "    ClaimName:  api-data",
        "    ReadOnly:   false",
        "  config:",
        "    Type:      ConfigMap (a volume populated by a ConfigMap)",
        "    Name:      api-config",
        "    Optional:  false",
        "  tmp:",
        "    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)",
        "    Medium:     ",
        "    SizeLimit:  <unset>",
        "  creds:",
        "    Type:        Secret (a volume populated by a Secret)",
        "    SecretName:  db",
        "    Optional:    false",
        "  host:",
        "    Type:          HostPath (bare host directory volume)",
        "    Path:          /var/log",
        "    HostPathType:  Directory",
        "QoS Class:         Burstable",
        "Node-Selectors:    disk=ssd",
        "Tolerations:       node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
        "                   node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
        "Events:",
        "  Type     Reason     Age                  From               Message",
        "  ----     ------     ----                 ----               -------",
        "  Normal   Scheduled  5m                   default-scheduler  Successfully assigned shop/api-0 to minikctl-node",
        "  Warning  BackOff    60s (x4 over 4m50s)  kubelet            spec.containers{api}: Back-off restarting failed container",
    ]


def test_events_section_left_out_when_not_fetched() -> None:
    assert page(CRASHING, None)[-1] == "Tolerations:        <none>"


def test_long_and_multiline_annotations() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default", "annotations": {
        "a": "x" * 150, "b": "line one\nline two\n", "c": "short"}}}
    assert page(cm)[:9] == [
        "Name:         c",
        "Namespace:    default",
        "Labels:       <none>",
        "Annotations:  a:",
        "                " + "x" * 138 + "...",
        "              b:",
        "                line one",
        "                line two",
        "              c: short",
    ]


def test_replicaset_counts_only_its_own_pods() -> None:
    mine = {"metadata": {"name": "a", "ownerReferences": [{"uid": NEW_RS["metadata"]["uid"], "controller": True}]},
            "status": {"phase": "Running"}}
    pending = {"metadata": {"name": "b", "ownerReferences": [{"uid": NEW_RS["metadata"]["uid"], "controller": True}]}}
    orphan = {"metadata": {"name": "c"}, "status": {"phase": "Running"}}
    assert page(NEW_RS, related={"pods": [mine, pending, orphan]}) == [
        "Name:           web-5d4f7c8b9",
        "Namespace:      default",
        "Selector:       app=web,pod-template-hash=5d4f7c8b9",
        "Labels:         app=web",
        "                pod-template-hash=5d4f7c8b9",
        "Annotations:    <none>",
        "Controlled By:  Deployment/web",
        "Replicas:       3 current / 3 desired",
        "Pods Status:    1 Running / 1 Waiting / 0 Succeeded / 0 Failed",
        "Pod Template:",
        "  Labels:  app=web",
        "           pod-template-hash=5d4f7c8b9",
        "  Containers:",
        "   web:",
        "    Image:         nginx:1.25",
        "    Port:          80/TCP",
        "    Host Port:     0/TCP",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
        "Events:            <none>",
    ]


def test_statefulset() -> None:
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "db", "namespace": "default", "uid": "s-1", "creationTimestamp": "2024-01-15T11:00:00Z"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                              "spec": {"accessModes": ["ReadWriteOnce"],
                                                       "resources": {"requests": {"storage": "1Gi"}}}}]}}
    assert page(sts) == [
        "Name:               db",
        "Namespace:          default",
        "CreationTimestamp:  Mon, 15 Jan 2024 11:00:00 +0000",
        "Selector:           app=db",
        "Labels:             <none>",
        "Annotations:        <none>",
        "Replicas:           2 desired | 0 total",
        "Update Strategy:    RollingUpdate",
        "  Partition:        0",
        "Pods Status:        0 Running / 0 Waiting / 0 Succeeded / 0 Failed",
        "Pod Template:",
        "  Labels:  app=db",
        "  Containers:",
        "   db:",
        "    Image:         postgres:16",
        "    Port:          <none>",
        "    Host Port:     <none>",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
        "Volume Claims:",
        "  Name:          data",
        "  StorageClass:  ",
        "  Labels:        <none>",
        "  Annotations:   <none>",
        "  Capacity:      1Gi",
        "  Access Modes:  [ReadWriteOnce]",
        "Events:          <none>",
    ]


def test_daemonset() -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "agent", "namespace": "default", "creationTimestamp": "2024-01-15T11:00:00Z"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}},
                   "template": {"metadata": {"labels": {"app": "agent"}},
                                "spec": {"nodeSelector": {"disk": "ssd"},
                                         "containers": [{"name": "agent", "image": "agent:1"}]}}},
          "status": {"desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberReady": 1,
                     "updatedNumberScheduled": 1, "numberAvailable": 1}}
    assert page(ds) == [
        "Name:           agent",
        "Namespace:      default",
        "Selector:       app=agent",
        "Node-Selector:  disk=ssd",
        "Labels:         <none>",
        "Annotations:    <none>",
        "Desired Number of Nodes Scheduled: 1",
        "Current Number of Nodes Scheduled: 1",
        "Number of Nodes Scheduled with Up-to-date Pods: 1",
        "Number of Nodes Scheduled with Available Pods: 1",
        "Number of Nodes Misscheduled: 0",
        "Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed",
        "Pod Template:",
        "  Labels:  app=agent",
        "  Containers:",
        "   agent:",
        "    Image:         agent:1",
        "    Port:          <none>",
        "    Host Port:     <none>",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  disk=ssd",
        "  Tolerations:     <none>",
        "Events:            <none>",
    ]


def test_job() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "pi", "namespace": "default", "creationTimestamp": "2024-01-15T11:50:00Z"},
           "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "j-1"}},
                    "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}], "restartPolicy": "Never"}}},
           "status": {"startTime": "2024-01-15T11:50:00Z", "completionTime": "2024-01-15T11:50:42Z", "succeeded": 1,
                      "ready": 0, "conditions": [{"type": "Complete", "status": "True"}]}}
    assert page(job) == [
        "Name:             pi",
        "Namespace:        default",
        "Selector:         batch.kubernetes.io/controller-uid=j-1",
        "Labels:           <none>",
        "Annotations:      <none>",
        "Parallelism:      1",
        "Completions:      1",
        "Completion Mode:  NonIndexed",
        "Suspend:          false",
        "Backoff Limit:    6",
        "Start Time:       Mon, 15 Jan 2024 11:50:00 +0000",
        "Completed At:     Mon, 15 Jan 2024 11:50:42 +0000",
        "Duration:         42s",
        "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed",
        "Pod Template:",
        "  Labels:  <none>",
        "  Containers:",
        "   pi:",
        "    Image:         perl",
        "    Port:          <none>",
        "    Host Port:     <none>",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
        "Events:            <none>",
    ]


def test_cronjob() -> None:
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob",
               "metadata": {"name": "hello", "namespace": "default", "creationTimestamp": "2024-01-15T11:00:00Z"},
               "spec": {"schedule": "*/5 * * * *",
                        "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "hello",
                                                                                       "image": "busybox"}]}}}}},
               "status": {"lastScheduleTime": FIVE_MIN_AGO, "active": [{"name": "hello-1"}, {"name": "hello-2"}]}}
    assert page(cronjob) == [
        "Name:                          hello",
        "Namespace:                     default",
        "Labels:                        <none>",
        "Annotations:                   <none>",
        "Schedule:                      */5 * * * *",
        "Concurrency Policy:            Allow",
        "Suspend:                       False",
        "Successful Job History Limit:  3",
        "Failed Job History Limit:      1",
        "Starting Deadline Seconds:     <unset>",
        "Selector:                      <unset>",
        "Parallelism:                   <unset>",
        "Completions:                   <unset>",
        "Pod Template:",
        "  Labels:  <none>",
        "  Containers:",
        "   hello:",
        "    Image:           busybox",
        "    Port:            <none>",
        "    Host Port:       <none>",
        "    Environment:     <none>",
        "    Mounts:          <none>",
        "  Volumes:           <none>",
        "  Node-Selectors:    <none>",
        "  Tolerations:       <none>",
        "Last Schedule Time:  Mon, 15 Jan 2024 11:55:00 +0000",
        "Active Jobs:         hello-1, hello-2",
        "Events:              <none>",
    ]


SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO,
                        "labels": {"app": "web"}},
           "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                    "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}
ENDPOINTS = {"apiVersion": "v1", "kind": "Endpoints",
             "metadata": {"name": "web", "namespace": "default", "creationTimestamp": FIVE_MIN_AGO},
             "subsets": [{"addresses": [{"ip": "127.1.0.5"}, {"ip": "127.1.0.6"}],
                          "notReadyAddresses": [{"ip": "127.1.0.7"}], "ports": [{"port": 8080, "protocol": "TCP"}]}]}


def test_service() -> None:
    assert page(SERVICE, related={"endpoints": ENDPOINTS}) == [
        "Name:                     web",
        "Namespace:                default",
        "Labels:                   app=web",
        "Annotations:              <none>",
        "Selector:                 app=web",
        "Type:                     ClusterIP",
        "IP Family Policy:         SingleStack",
        "IP Families:              IPv4",
        "IP:                       10.96.0.10",
        "IPs:                      10.96.0.10",
        "Port:                     <unset>  80/TCP",
        "TargetPort:               8080/TCP",
        "Endpoints:                127.1.0.5:8080,127.1.0.6:8080",
        "Session Affinity:         None",
        "Internal Traffic Policy:  Cluster",
        "Events:                   <none>",
    ]


def test_node_port_service_lists_each_port() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "default"},
           "spec": {"type": "NodePort", "clusterIP": "10.96.0.11",
                    "ports": [{"name": "http", "port": 80, "nodePort": 31234}]}}
    assert page(svc, None)[5:] == [
        "Type:                     NodePort",
        "IP Family Policy:         SingleStack",
        "IP Families:              IPv4",
        "IP:                       10.96.0.11",
        "IPs:                      10.96.0.11",
        "Port:                     http  80/TCP",
        "TargetPort:               80/TCP",
        "NodePort:                 http  31234/TCP",
        "Endpoints:                <none>",
        "Session Affinity:         None",
        "External Traffic Policy:  Cluster",
        "Internal Traffic Policy:  Cluster",
    ]


def test_endpoints() -> None:
    assert page(ENDPOINTS) == [
        "Name:         web",
        "Namespace:    default",
        "Labels:       <none>",
        "Annotations:  <none>",
        "Subsets:",
        "  Addresses:          127.1.0.5,127.1.0.6",
        "  NotReadyAddresses:  127.1.0.7",
        "  Ports:",
        "    Name     Port  Protocol",
        "    ----     ----  --------",
        "    <unset>  8080  TCP",
        "",
        "Events:  <none>",
    ]


def test_configmap_data_and_binary_data() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "game", "namespace": "default", "labels": {"app": "game"}},
          "data": {"ui.properties": "color=blue\nlives=3", "enemies": "aliens"},
          "binaryData": {"logo.png": "iVBORw0KGgo="}}
    assert page(cm) == [
        "Name:         game",
        "Namespace:    default",
        "Labels:       app=game",
        "Annotations:  <none>",
        "",
        "Data",
        "====",
        "enemies:",
        "----",
        "aliens",
        "",
        "ui.properties:",
        "----",
        "color=blue",
        "lives=3",
        "",
        "",
        "BinaryData",
        "====",
        "logo.png: 8 bytes",
        "",
        "Events:  <none>",
    ]


def test_secret_shows_sizes_never_values() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"},
              "type": "Opaque", "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="},
              "stringData": {"note": "plain text"}}
    lines = page(secret, [SCALED])
    assert lines == [
        "Name:         db",
        "Namespace:    default",
        "Labels:       <none>",
        "Annotations:  <none>",
        "",
        "Type:  Opaque",
        "",
        "Data",
        "====",
        "note:      10 bytes",
        "password:  7 bytes",
        "user:      5 bytes",
    ]
    assert not any("hunter2" in line or "admin" in line for line in lines)


def test_namespace() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop"}}}
    assert page(ns, [SCALED]) == [
        "Name:         shop",
        "Labels:       kubernetes.io/metadata.name=shop",
        "Annotations:  <none>",
        "Status:       Active",
        "",
        "No resource quota.",
        "",
        "No LimitRange resource.",
    ]


def test_node_with_lease_and_pods() -> None:
    node = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "minikctl-node", "creationTimestamp": "2024-01-12T12:00:00Z",
                     "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "spec": {"podCIDR": "127.1.0.0/16",
                 "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                            {"key": "node.kubernetes.io/disk-pressure", "effect": "NoExecute"}]},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": "2024-01-15T11:59:50Z", "lastTransitionTime": "2024-01-12T12:00:10Z"}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "laptop"}],
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0",
                         "osImage": "Debian GNU/Linux 12 (bookworm)", "operatingSystem": "linux",
                         "architecture": "amd64", "containerRuntimeVersion": "process://0.1.0",
                         "kubeletVersion": "v1.32.0"},
        },
    }
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "minikctl-node", "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": "minikctl-node", "renewTime": "2024-01-15T11:59:58.000000Z"}}
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "api-0", "namespace": "shop", "creationTimestamp": FIVE_MIN_AGO},
           "spec": {"nodeName": "minikctl-node", "containers": [
               {"name": "a", "image": "x", "resources": {"requests": {"cpu": "250m", "memory": "128Mi"},
                                                         "limits": {"cpu": "1", "memory": "256Mi"}}},
               {"name": "b", "image": "x", "resources": {"requests": {"cpu": "250m"}}}]},
           "status": {"phase": "Running"}}
    finished = {"metadata": {"name": "done", "namespace": "shop"}, "spec": {"nodeName": "minikctl-node"},
                "status": {"phase": "Succeeded"}}
    elsewhere = {"metadata": {"name": "far", "namespace": "shop"}, "spec": {"nodeName": "other"},
                 "status": {"phase": "Running"}}
    assert page(node, related={"lease": lease, "pods": [pod, finished, elsewhere]}) == [
        "Name:               minikctl-node",
        "Roles:              control-plane",
        "Labels:             node-role.kubernetes.io/control-plane=",
        "Annotations:        <none>",
        "CreationTimestamp:  Fri, 12 Jan 2024 12:00:00 +0000",
        "Taints:             node.kubernetes.io/disk-pressure:NoExecute",
        "                    dedicated=gpu:NoSchedule",
        "Unschedulable:      false",
        "Lease:",
        "  HolderIdentity:  minikctl-node",
        "  AcquireTime:     <unset>",
        "  RenewTime:       Mon, 15 Jan 2024 11:59:58 +0000",
        "Conditions:",
        "  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message",
        "  ----    ------  -----------------                 ------------------                ------         -------",
        "  Ready   True    Mon, 15 Jan 2024 11:59:50 +0000   Fri, 12 Jan 2024 12:00:10 +0000   KubeletReady   "
        "kubelet is posting ready status",
        "Addresses:",
        "  InternalIP:  127.0.0.1",
        "  Hostname:    laptop",
        "Capacity:",
        "  cpu:     4",
        "  memory:  8Gi",
        "  pods:    110",
        "System Info:",
        "  Machine ID:                 m",
        "  System UUID:                s",
        "  Boot ID:                    b",
        "  Kernel Version:             6.1.0",
        "  OS Image:                   Debian GNU/Linux 12 (bookworm)",
        "  Operating System:           linux",
        "  Architecture:               amd64",
        "  Container Runtime Version:  process://0.1.0",
        "  Kubelet Version:            v1.32.0",
        "  Kube-Proxy Version:         ",  # kubectl 1.32 prints it, empty or not
        "PodCIDR:                      127.1.0.0/16",
        "Non-terminated Pods:          (1 in total)",
        "  Namespace                   Name     CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age",
        "  ---------                   ----     ------------  ----------  ---------------  -------------  ---",
        "  shop                        api-0    500m (12%)    1 (25%)     128Mi (1%)       256Mi (3%)     5m",
        "Allocated resources:",
        "  (Total limits may be over 100 percent, i.e., overcommitted.)",
        "  Resource           Requests    Limits",
        "  --------           --------    ------",
        "  cpu                500m (12%)  1 (25%)",
        "  memory             128Mi (1%)  256Mi (3%)",
        "  ephemeral-storage  0 (0%)      0 (0%)",
        "Events:              <none>",
    ]


def test_node_without_lease_reports_it_as_kubectl_does() -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
    assert 'Lease:              Failed to get lease: leases.coordination.k8s.io "n1" not found' in page(node)


def test_generic_describer_for_other_kinds() -> None:
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "minikctl-node", "namespace": "kube-node-lease",
                          "creationTimestamp": "2024-01-12T12:00:00Z",
                          "managedFields": [{"manager": "kubelet"}],
                          "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "minikctl-node",
                                               "uid": "n-1"}]},
             "spec": {"holderIdentity": "minikctl-node", "leaseDurationSeconds": 40,
                      "renewTime": "2024-01-15T11:59:58.000000Z", "preferredHolder": None}}
    assert page(lease) == [
        "Name:         minikctl-node",
        "Namespace:    kube-node-lease",
        "Labels:       <none>",
        "Annotations:  <none>",
        "API Version:  coordination.k8s.io/v1",
        "Kind:         Lease",
        "Metadata:",
        "  Creation Timestamp:  2024-01-12T12:00:00Z",
        "  Owner References:",
        "    API Version:  v1",
        "    Kind:         Node",
        "    Name:         minikctl-node",
        "    UID:          n-1",
        "Spec:",
        "  Holder Identity:         minikctl-node",
        "  Lease Duration Seconds:  40",
        "  Preferred Holder:        <nil>",
        "  Renew Time:              2024-01-15T11:59:58.000000Z",
        "Events:                    <none>",
    ]


def test_generic_describer_of_a_cluster_scoped_object() -> None:
    runtime_class = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
                     "metadata": {"name": "process"}, "handler": "process"}
    assert page(runtime_class, None) == [
        "Name:         process",
        "Namespace:    ",
        "Labels:       <none>",
        "Annotations:  <none>",
        "API Version:  node.k8s.io/v1",
        "Handler:      process",
        "Kind:         RuntimeClass",
        "Metadata:",
    ]


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("creationTimestamp", "Creation Timestamp"),
        ("uid", "UID"),
        ("apiVersion", "API Version"),
        ("holderIdentity", "Holder Identity"),
        ("podIPs", "Pod I Ps"),
        ("serverURL", "Server URL"),
        ("x509", "x509"),
        ("last_seen", "last_seen"),
    ],
)
def test_smart_labels(field: str, label: str) -> None:
    assert smart_label(field) == label


def test_camel_split() -> None:
    assert camel_split("HTTPServer") == ["HTTP", "Server"]
    assert camel_split("leaseDurationSeconds") == ["lease", "Duration", "Seconds"]
