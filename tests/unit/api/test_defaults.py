"""Server-side defaulting (minikctl.api.defaults) against what Kubernetes 1.32 stores.

Expected dicts are exact: every field the API server would add is listed, nothing more.
"""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from minikctl.api import kinds
from minikctl.api.defaults import apply_defaults, default_pull_policy, unacted_fields

UID = "6f1c2a7e-0000-4000-8000-000000000001"
DIGEST = "sha256:" + "a" * 64


def defaulted(kind: str, obj: dict) -> dict:
    out = copy.deepcopy(obj)
    apply_defaults(kinds.by_kind(kind), out)
    return out


# ---- builders for the exact shapes Kubernetes produces --------------------------------

def container(name: str = "app", image: str = "nginx:1.25", **extra) -> dict:
    return {"name": name, "image": image, **extra}


def defaulted_container(name: str = "app", image: str = "nginx:1.25",
                        policy: str = "IfNotPresent", **extra) -> dict:
    return {
        "name": name, "image": image, "imagePullPolicy": policy,
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        **extra,
    }


def defaulted_pod_spec(containers: list[dict], restart: str | None = "Always", **extra) -> dict:
    spec = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
        **extra,
    }
    if restart:
        spec["restartPolicy"] = restart
    return spec


def template(labels: dict | None = None, **spec_extra) -> dict:
    meta = {"labels": labels} if labels is not None else {}
    return {"metadata": meta, "spec": {"containers": [container()], **spec_extra}}


def defaulted_template(labels: dict | None = None, restart: str | None = "Always", **spec_extra) -> dict:
    meta = {"labels": labels} if labels is not None else {}
    return {"metadata": meta,
            "spec": defaulted_pod_spec([defaulted_container()], restart=restart, **spec_extra)}


WEB = {"app": "web"}
SELECTOR = {"matchLabels": WEB}


# ---- per-kind cases: (kind, input, expected) -------------------------------------------

KIND_CASES = [
    pytest.param(
        "Pod",
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
         "spec": {"containers": [{"name": "web", "image": "nginx"}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
         "spec": {
             "containers": [{
                 "name": "web", "image": "nginx", "imagePullPolicy": "Always",
                 "terminationMessagePath": "/dev/termination-log",
                 "terminationMessagePolicy": "File",
             }],
             "dnsPolicy": "ClusterFirst",
             "enableServiceLinks": True,
             "restartPolicy": "Always",
             "schedulerName": "default-scheduler",
             "securityContext": {},
             "terminationGracePeriodSeconds": 30,
         }},
        id="pod-minimal",
    ),
    pytest.param(
        "Pod",
        {"metadata": {"name": "p"}, "spec": {
            "initContainers": [container("init", "busybox:1.36", resources={"limits": {"cpu": "1"}})],
            "containers": [container(
                ports=[{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                env=[{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                     {"name": "X", "value": "1"}],
                livenessProbe={"httpGet": {"port": 80}},
                readinessProbe={"tcpSocket": {"port": 80}, "periodSeconds": 2},
                startupProbe={"grpc": {"port": 9000}},
                lifecycle={"preStop": {"httpGet": {"port": 80, "path": "/stop"}}},
                resources={"limits": {"cpu": "500m", "memory": "64Mi"}, "requests": {"cpu": "100m"}},
            )],
            "volumes": [
                {"name": "scratch"},
                {"name": "cfg", "configMap": {"name": "cfg"}},
                {"name": "sec", "secret": {"secretName": "s", "defaultMode": 0o400}},
                {"name": "host", "hostPath": {"path": "/tmp"}},
                {"name": "info", "downwardAPI": {"items": [
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                {"name": "proj", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "token"}},
                    {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
                ]}},
                {"name": "tmp", "emptyDir": {}},
            ],
        }},
        {"metadata": {"name": "p"}, "spec": {
            "initContainers": [defaulted_container(
                "init", "busybox:1.36",
                resources={"limits": {"cpu": "1"}, "requests": {"cpu": "1"}})],
            "containers": [defaulted_container(
                ports=[{"containerPort": 80, "protocol": "TCP"},
                       {"containerPort": 53, "protocol": "UDP"}],
                env=[{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}},
                     {"name": "X", "value": "1"}],
                livenessProbe={"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                               "timeoutSeconds": 1, "periodSeconds": 10,
                               "successThreshold": 1, "failureThreshold": 3},
                readinessProbe={"tcpSocket": {"port": 80}, "periodSeconds": 2, "timeoutSeconds": 1,
                                "successThreshold": 1, "failureThreshold": 3},
                startupProbe={"grpc": {"port": 9000, "service": ""}, "timeoutSeconds": 1,
                              "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                lifecycle={"preStop": {"httpGet": {"port": 80, "path": "/stop", "scheme": "HTTP"}}},
                resources={"limits": {"cpu": "500m", "memory": "64Mi"},
                           "requests": {"cpu": "100m", "memory": "64Mi"}},
            )],
            "volumes": [
                {"name": "scratch", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}},
                {"name": "sec", "secret": {"secretName": "s", "defaultMode": 0o400}},
                {"name": "host", "hostPath": {"path": "/tmp", "type": ""}},
                {"name": "info", "downwardAPI": {"defaultMode": 420, "items": [
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}]}},
                {"name": "proj", "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                    {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {
                        "fieldPath": "metadata.namespace", "apiVersion": "v1"}}]}},
                ]}},
                {"name": "tmp", "emptyDir": {}},
            ],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": True, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        }},
        id="pod-containers-probes-volumes-resources",
    ),
    pytest.param(
        "Pod",
        {"spec": {"hostNetwork": True, "containers": [container(ports=[{"containerPort": 8080}])]}},
        {"spec": defaulted_pod_spec(
            [defaulted_container(ports=[{"containerPort": 8080, "protocol": "TCP", "hostPort": 8080}])],
            hostNetwork=True, enableServiceLinks=True)},
        id="pod-host-network-host-ports",
    ),
    pytest.param(
        "Deployment",
        {"metadata": {"name": "web"}, "spec": {"selector": SELECTOR, "template": template(WEB)}},
        {"metadata": {"name": "web"}, "spec": {
            "selector": SELECTOR, "replicas": 1,
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            # templates get PodSpec defaults but not the Pod-only ones (enableServiceLinks)
            "template": defaulted_template(WEB),
        }},
        id="deployment",
    ),
    pytest.param(
        "Deployment",
        {"spec": {"selector": SELECTOR, "strategy": {"type": "Recreate"}, "template": template(WEB)}},
        {"spec": {"selector": SELECTOR, "replicas": 1, "strategy": {"type": "Recreate"},
                  "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                  "template": defaulted_template(WEB)}},
        id="deployment-recreate",
    ),
    pytest.param(
        "Deployment",
        {"spec": {"selector": SELECTOR, "template": template(WEB, containers=[container(
            resources={"limits": {"cpu": "1"}})])}},
        {"spec": {"selector": SELECTOR, "replicas": 1,
                  "strategy": {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                  "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                  # limits are copied into requests on Pods only, not in templates
                  "template": {"metadata": {"labels": WEB}, "spec": defaulted_pod_spec(
                      [defaulted_container(resources={"limits": {"cpu": "1"}})])}}},
        id="deployment-template-limits-not-copied",
    ),
    pytest.param(
        "ReplicaSet",
        {"spec": {"selector": SELECTOR, "template": template(WEB)}},
        {"spec": {"selector": SELECTOR, "replicas": 1, "template": defaulted_template(WEB)}},
        id="replicaset",
    ),
    pytest.param(
        "DaemonSet",
        {"spec": {"selector": SELECTOR, "template": template(WEB)}},
        {"spec": {"selector": SELECTOR,
                  "updateStrategy": {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                  "revisionHistoryLimit": 10, "template": defaulted_template(WEB)}},
        id="daemonset",
    ),
    pytest.param(
        "DaemonSet",
        {"spec": {"selector": SELECTOR, "updateStrategy": {"type": "OnDelete"}, "template": template(WEB)}},
        {"spec": {"selector": SELECTOR, "updateStrategy": {"type": "OnDelete"},
                  "revisionHistoryLimit": 10, "template": defaulted_template(WEB)}},
        id="daemonset-ondelete",
    ),
    pytest.param(
        "StatefulSet",
        {"spec": {"selector": SELECTOR, "serviceName": "web", "template": template(WEB),
                  "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}},
        {"spec": {"selector": SELECTOR, "serviceName": "web", "template": defaulted_template(WEB),
                  "replicas": 1, "podManagementPolicy": "OrderedReady",
                  "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                  "revisionHistoryLimit": 10,
                  "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                  "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                      "volumeMode": "Filesystem"}, "status": {"phase": "Pending"}}]}},
        id="statefulset",
    ),
    pytest.param(
        "StatefulSet",
        {"spec": {"selector": SELECTOR, "template": template(WEB),
                  "updateStrategy": {"type": "RollingUpdate"}}},
        # an explicit RollingUpdate without a rollingUpdate block gets no partition
        {"spec": {"selector": SELECTOR, "template": defaulted_template(WEB), "replicas": 1,
                  "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate"},
                  "revisionHistoryLimit": 10,
                  "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}}},
        id="statefulset-explicit-rollingupdate",
    ),
    pytest.param(
        "Job",
        {"metadata": {"name": "pi", "uid": UID},
         "spec": {"template": template(restartPolicy="Never")}},
        {"metadata": {"name": "pi", "uid": UID, "labels": {
            "job-name": "pi", "batch.kubernetes.io/job-name": "pi",
            "controller-uid": UID, "batch.kubernetes.io/controller-uid": UID}},
         "spec": {
             "completions": 1, "parallelism": 1, "backoffLimit": 6,
             "completionMode": "NonIndexed", "suspend": False,
             "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False,
             "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
             "template": defaulted_template({
                 "job-name": "pi", "batch.kubernetes.io/job-name": "pi",
                 "controller-uid": UID, "batch.kubernetes.io/controller-uid": UID},
                 restart="Never"),
         }},
        id="job",
    ),
    pytest.param(
        "Job",
        {"metadata": {"name": "w", "uid": UID, "labels": {"team": "a"}},
         "spec": {"parallelism": 3, "template": template(restartPolicy="OnFailure")}},
        # only parallelism given: completions stays unset (a work queue)
        {"metadata": {"name": "w", "uid": UID, "labels": {"team": "a"}},
         "spec": {
             "parallelism": 3, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False,
             "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False,
             "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
             "template": defaulted_template({
                 "job-name": "w", "batch.kubernetes.io/job-name": "w",
                 "controller-uid": UID, "batch.kubernetes.io/controller-uid": UID},
                 restart="OnFailure"),
         }},
        id="job-parallelism-only-own-labels",
    ),
    pytest.param(
        "Job",
        {"metadata": {"name": "idx", "uid": UID}, "spec": {
            "completions": 5, "completionMode": "Indexed", "backoffLimitPerIndex": 1,
            "podFailurePolicy": {"rules": [{"action": "Ignore",
                                            "onPodConditions": [{"type": "DisruptionTarget"}]}]},
            "template": template(restartPolicy="Never")}},
        {"metadata": {"name": "idx", "uid": UID, "labels": {
            "job-name": "idx", "batch.kubernetes.io/job-name": "idx",
            "controller-uid": UID, "batch.kubernetes.io/controller-uid": UID}},
         "spec": {
             "completions": 5, "parallelism": 1, "completionMode": "Indexed",
             "backoffLimitPerIndex": 1, "backoffLimit": 2147483647, "suspend": False,
             "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [
                 {"type": "DisruptionTarget", "status": "True"}]}]},
             "podReplacementPolicy": "Failed", "manualSelector": False,
             "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
             "template": defaulted_template({
                 "job-name": "idx", "batch.kubernetes.io/job-name": "idx",
                 "controller-uid": UID, "batch.kubernetes.io/controller-uid": UID},
                 restart="Never"),
         }},
        id="job-indexed-per-index-backoff-failure-policy",
    ),
    pytest.param(
        "Job",
        {"metadata": {"name": "m", "uid": UID}, "spec": {
            "manualSelector": True, "selector": SELECTOR,
            "template": template(WEB, restartPolicy="Never")}},
        {"metadata": {"name": "m", "uid": UID, "labels": WEB}, "spec": {
            "manualSelector": True, "selector": SELECTOR, "completions": 1, "parallelism": 1,
            "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False,
            "podReplacementPolicy": "TerminatingOrFailed",
            "template": defaulted_template(WEB, restart="Never")}},
        id="job-manual-selector",
    ),
    pytest.param(
        "CronJob",
        {"metadata": {"name": "hello"}, "spec": {"schedule": "* * * * *", "jobTemplate": {
            "spec": {"template": template(restartPolicy="OnFailure")}}}},
        # the jobTemplate gets pod template defaults only; Job defaults and the selector
        # come when the controller creates each Job
        {"metadata": {"name": "hello"}, "spec": {
            "schedule": "* * * * *", "concurrencyPolicy": "Allow", "suspend": False,
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
            "jobTemplate": {"spec": {"template": defaulted_template(restart="OnFailure")}}}},
        id="cronjob",
    ),
    pytest.param(
        "Service",
        {"metadata": {"name": "web"}, "spec": {"selector": WEB, "ports": [
            {"port": 80}, {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"}]}},
        {"metadata": {"name": "web"}, "spec": {
            "selector": WEB,
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80},
                      {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"}],
            "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}},
        id="service-clusterip",
    ),
    pytest.param(
        "Service",
        {"spec": {"type": "NodePort", "selector": WEB, "ports": [{"port": 80, "targetPort": 0}]}},
        {"spec": {"type": "NodePort", "selector": WEB,
                  "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}],
                  "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
                  "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}},
        id="service-nodeport",
    ),
    pytest.param(
        "Service",
        {"spec": {"type": "LoadBalancer", "selector": WEB, "ports": [{"port": 443}]},
         "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.9"}, {"hostname": "lb"}]}}},
        {"spec": {"type": "LoadBalancer", "selector": WEB,
                  "ports": [{"port": 443, "protocol": "TCP", "targetPort": 443}],
                  "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
                  "internalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True,
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]},
         "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.9", "ipMode": "VIP"},
                                                 {"hostname": "lb"}]}}},
        id="service-loadbalancer",
    ),
    pytest.param(
        "Service",
        {"spec": {"clusterIP": "None", "selector": WEB, "ports": [{"port": 80}]}},
        {"spec": {"clusterIP": "None", "clusterIPs": ["None"], "selector": WEB,
                  "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                  "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}},
        id="service-headless",
    ),
    pytest.param(
        "Service",
        {"spec": {"clusterIP": "None", "ports": [{"port": 80}]}},
        # headless without selector: Kubernetes asks for both families
        {"spec": {"clusterIP": "None", "clusterIPs": ["None"],
                  "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                  "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"]}},
        id="service-headless-selectorless",
    ),
    pytest.param(
        "Service",
        {"spec": {"clusterIP": "127.1.0.10", "selector": WEB, "ports": [{"port": 80}]}},
        {"spec": {"clusterIP": "127.1.0.10", "clusterIPs": ["127.1.0.10"], "selector": WEB,
                  "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                  "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}},
        id="service-user-clusterip",
    ),
    pytest.param(
        "Service",
        {"spec": {"type": "ExternalName", "externalName": "example.com"}},
        {"spec": {"type": "ExternalName", "externalName": "example.com", "sessionAffinity": "None"}},
        id="service-externalname",
    ),
    pytest.param(
        "Service",
        {"spec": {"selector": WEB, "sessionAffinity": "ClientIP", "ports": [{"port": 80}]}},
        {"spec": {"selector": WEB, "sessionAffinity": "ClientIP",
                  "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                  "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                  "type": "ClusterIP", "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}},
        id="service-clientip-affinity",
    ),
    pytest.param(
        "Service",
        {"spec": {"selector": WEB, "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 5}},
                  "ports": [{"port": 80}]}},
        # Kubernetes drops the config when affinity is None: there is nothing to configure
        {"spec": {"selector": WEB, "sessionAffinity": "None",
                  "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                  "type": "ClusterIP", "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}},
        id="service-affinity-config-dropped",
    ),
    pytest.param(
        "Secret", {"metadata": {"name": "s"}, "data": {"k": "dg=="}},
        {"metadata": {"name": "s"}, "data": {"k": "dg=="}, "type": "Opaque"},
        id="secret",
    ),
    pytest.param(
        "Secret", {"metadata": {"name": "s"}, "type": "kubernetes.io/tls"},
        {"metadata": {"name": "s"}, "type": "kubernetes.io/tls"},
        id="secret-typed",
    ),
    pytest.param(
        "Namespace", {"metadata": {"name": "dev"}},
        {"metadata": {"name": "dev", "labels": {"kubernetes.io/metadata.name": "dev"}},
         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
        id="namespace",
    ),
    pytest.param(
        "Namespace",
        {"metadata": {"name": "dev", "labels": {"team": "a", "kubernetes.io/metadata.name": "other"}},
         "spec": {"finalizers": []}, "status": {"phase": "Terminating"}},
        # the name label always tells the truth; a removed finalizer stays removed
        {"metadata": {"name": "dev", "labels": {"team": "a", "kubernetes.io/metadata.name": "dev"}},
         "spec": {"finalizers": []}, "status": {"phase": "Terminating"}},
        id="namespace-terminating",
    ),
    pytest.param(
        "Namespace",
        {"metadata": {"name": "dev", "deletionTimestamp": "2025-01-01T00:00:00Z"},
         "spec": {}, "status": {"phase": "Terminating"}},
        # finalized by the namespace controller: the finalizer must not come back
        {"metadata": {"name": "dev", "deletionTimestamp": "2025-01-01T00:00:00Z",
                      "labels": {"kubernetes.io/metadata.name": "dev"}},
         "spec": {}, "status": {"phase": "Terminating"}},
        id="namespace-finalized",
    ),
    pytest.param(
        "Endpoints",
        {"subsets": [{"addresses": [{"ip": "127.0.1.2"}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]},
        {"subsets": [{"addresses": [{"ip": "127.0.1.2"}],
                      "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]},
        id="endpoints",
    ),
    pytest.param(
        "PersistentVolumeClaim",
        {"spec": {"accessModes": ["ReadWriteOnce"]}},
        {"spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"},
         "status": {"phase": "Pending"}},
        id="pvc",
    ),
    pytest.param("ConfigMap", {"metadata": {"name": "c"}}, {"metadata": {"name": "c"}}, id="configmap-untouched"),
    pytest.param("Lease", {"spec": {"holderIdentity": "a"}}, {"spec": {"holderIdentity": "a"}}, id="lease-untouched"),
    pytest.param("Event", {"reason": "Started"}, {"reason": "Started"}, id="event-untouched"),
    pytest.param("RuntimeClass", {"handler": "process"}, {"handler": "process"}, id="runtimeclass-untouched"),
    pytest.param("Node", {"status": {"capacity": {"cpu": "4"}}}, {"status": {"capacity": {"cpu": "4"}}},
                 id="node-untouched"),
]


@pytest.mark.parametrize(("kind", "obj", "expected"), KIND_CASES)
def test_defaults_per_kind(kind, obj, expected):
    assert defaulted(kind, obj) == expected


@pytest.mark.parametrize(("kind", "obj", "expected"), KIND_CASES)
def test_defaulting_is_idempotent(kind, obj, expected):
    once = defaulted(kind, obj)
    assert defaulted(kind, once) == once


# ---- values the user set are kept -----------------------------------------------------

USER_VALUES = [
    pytest.param("Deployment", {"spec": {"replicas": 0, "revisionHistoryLimit": 0,
                                         "progressDeadlineSeconds": 30,
                                         "strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
                                         "template": template()}},
                 {"spec": {"replicas": 0, "revisionHistoryLimit": 0, "progressDeadlineSeconds": 30,
                           "strategy": {"type": "RollingUpdate",
                                        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}}},
                 id="deployment-zeroes"),
    pytest.param("Pod", {"spec": {"restartPolicy": "Never", "dnsPolicy": "Default",
                                  "terminationGracePeriodSeconds": 0, "schedulerName": "mine",
                                  "enableServiceLinks": False,
                                  "securityContext": {"runAsUser": 1000},
                                  "containers": [container(imagePullPolicy="Never",
                                                           terminationMessagePolicy="FallbackToLogsOnError")]}},
                 {"spec": {"restartPolicy": "Never", "dnsPolicy": "Default",
                           "terminationGracePeriodSeconds": 0, "schedulerName": "mine",
                           "enableServiceLinks": False, "securityContext": {"runAsUser": 1000},
                           "containers": [defaulted_container(
                               policy="Never", terminationMessagePolicy="FallbackToLogsOnError")]}},
                 id="pod-spec"),
    pytest.param("StatefulSet", {"spec": {"replicas": 0, "podManagementPolicy": "Parallel",
                                          "updateStrategy": {"type": "OnDelete"},
                                          "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"},
                                          "template": template()}},
                 {"spec": {"replicas": 0, "podManagementPolicy": "Parallel",
                           "updateStrategy": {"type": "OnDelete"},
                           "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete",
                                                                    "whenScaled": "Retain"}}},
                 id="statefulset"),
    pytest.param("Job", {"metadata": {"name": "j", "uid": UID},
                         "spec": {"completions": 3, "backoffLimit": 0, "suspend": True,
                                  "podReplacementPolicy": "Failed",
                                  "template": template({"job-name": "custom"}, restartPolicy="Never")}},
                 {"spec": {"completions": 3, "parallelism": 1, "backoffLimit": 0, "suspend": True,
                           "podReplacementPolicy": "Failed"}},
                 id="job"),
    pytest.param("CronJob", {"spec": {"schedule": "@daily", "concurrencyPolicy": "Forbid", "suspend": True,
                                      "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0,
                                      "jobTemplate": {"spec": {"template": template(restartPolicy="Never")}}}},
                 {"spec": {"concurrencyPolicy": "Forbid", "suspend": True,
                           "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0}},
                 id="cronjob"),
    pytest.param("Service", {"spec": {"type": "NodePort", "externalTrafficPolicy": "Local",
                                      "internalTrafficPolicy": "Local", "ipFamilyPolicy": "PreferDualStack",
                                      "ports": [{"port": 80, "targetPort": 8080, "protocol": "SCTP"}]}},
                 {"spec": {"externalTrafficPolicy": "Local", "internalTrafficPolicy": "Local",
                           "ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4"],
                           "ports": [{"port": 80, "targetPort": 8080, "protocol": "SCTP"}]}},
                 id="service"),
]


def _subset(actual, expected) -> bool:
    """True when every key in `expected` has the same value in `actual` (dicts recursively)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(actual[k], v) for k, v in expected.items())
    return actual == expected


@pytest.mark.parametrize(("kind", "obj", "kept"), USER_VALUES)
def test_user_values_are_kept(kind, obj, kept):
    out = defaulted(kind, obj)
    assert _subset(out, kept), out


def test_job_user_template_label_is_kept():
    out = defaulted("Job", {"metadata": {"name": "j", "uid": UID},
                            "spec": {"template": template({"job-name": "custom"}, restartPolicy="Never")}})
    labels = out["spec"]["template"]["metadata"]["labels"]
    assert labels["job-name"] == "custom"
    assert labels["batch.kubernetes.io/job-name"] == "j"


def test_probe_zero_means_unset_like_go():
    # Probe counters are plain int32 in Kubernetes: 0 is indistinguishable from unset.
    spec = {"containers": [container(readinessProbe={"exec": {"command": ["true"]},
                                                     "timeoutSeconds": 0, "failureThreshold": 7})]}
    probe = defaulted("Pod", {"spec": spec})["spec"]["containers"][0]["readinessProbe"]
    assert probe == {"exec": {"command": ["true"]}, "timeoutSeconds": 1, "failureThreshold": 7,
                     "periodSeconds": 10, "successThreshold": 1}


def test_input_shape_errors_do_not_crash():
    # validation runs first; defaulting must still not blow up on odd shapes
    for obj in ({}, {"spec": None}, {"spec": {"containers": "nope", "volumes": [1]}}):
        defaulted("Pod", obj)
    defaulted("Job", {"spec": {"template": None}})


# ---- imagePullPolicy --------------------------------------------------------------------

@pytest.mark.parametrize(("image", "policy"), [
    pytest.param("nginx", "Always", id="no-tag"),
    pytest.param("nginx:latest", "Always", id="latest"),
    pytest.param("nginx:1.25", "IfNotPresent", id="tag"),
    pytest.param("registry:5000/x", "Always", id="registry-port-no-tag"),
    pytest.param("registry:5000/x:v2", "IfNotPresent", id="registry-port-tag"),
    pytest.param("registry:5000/team/x:latest", "Always", id="registry-port-latest"),
    pytest.param(f"x@{DIGEST}", "IfNotPresent", id="digest"),
    pytest.param(f"x:1.0@{DIGEST}", "IfNotPresent", id="tag-and-digest"),
    pytest.param(f"x:latest@{DIGEST}", "Always", id="latest-and-digest"),
    pytest.param("docker.io/library/busybox", "Always", id="fully-qualified"),
    pytest.param("localhost/app:dev", "IfNotPresent", id="localhost"),
    pytest.param("Nginx", "IfNotPresent", id="unparseable-uppercase"),
    pytest.param("", "IfNotPresent", id="empty"),
])
def test_image_pull_policy(image, policy):
    assert default_pull_policy(image) == policy
    pod = defaulted("Pod", {"spec": {"containers": [{"name": "c", "image": image}]}})
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == policy


# ---- Job selector generation ------------------------------------------------------------

def job(**spec) -> dict:
    return {"metadata": {"name": "pi", "uid": UID},
            "spec": {"template": template(restartPolicy="Never"), **spec}}


def test_job_selector_generated_from_uid():
    out = defaulted("Job", job())
    assert out["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert out["spec"]["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID, "job-name": "pi"}


def test_job_selector_merges_into_template_labels():
    out = defaulted("Job", {"metadata": {"name": "pi", "uid": UID},
                            "spec": {"template": template(WEB, restartPolicy="Never")}})
    assert out["spec"]["template"]["metadata"]["labels"]["app"] == "web"
    assert out["metadata"]["labels"] == out["spec"]["template"]["metadata"]["labels"]
    assert out["metadata"]["labels"] is not out["spec"]["template"]["metadata"]["labels"]


def test_job_without_uid_gets_no_selector():
    obj = job()
    del obj["metadata"]["uid"]
    out = defaulted("Job", obj)
    assert "selector" not in out["spec"]
    assert out["spec"]["template"]["metadata"] == {}


def test_job_manual_selector_is_left_alone():
    out = defaulted("Job", job(manualSelector=True, selector=SELECTOR))
    assert out["spec"]["selector"] == SELECTOR
    assert "labels" not in out["spec"]["template"]["metadata"]


def test_job_template_restart_policy_never_defaulted():
    obj = job()
    del obj["spec"]["template"]["spec"]["restartPolicy"]
    out = defaulted("Job", obj)
    assert "restartPolicy" not in out["spec"]["template"]["spec"]


def test_cronjob_job_template_gets_no_selector_or_job_defaults():
    out = defaulted("CronJob", {"metadata": {"name": "c", "uid": UID}, "spec": {
        "schedule": "@hourly", "jobTemplate": {"spec": {"template": template(restartPolicy="Never")}}}})
    job_spec = out["spec"]["jobTemplate"]["spec"]
    assert set(job_spec) == {"template"}
    assert "labels" not in job_spec["template"]["metadata"]


# ---- unacted fields ---------------------------------------------------------------------

UNACTED_CASES = [
    pytest.param("Pod", {"spec": {"containers": [container()]}}, [], id="plain-pod"),
    pytest.param("Pod", defaulted("Pod", {"spec": {"containers": [container()]}}), [],
                 id="defaulted-pod-is-quiet"),
    pytest.param("Pod", {"spec": {
        "hostNetwork": False, "automountServiceAccountToken": False, "dnsConfig": {},
        "imagePullSecrets": [], "serviceAccountName": "",
        "containers": [container()]}}, [], id="opt-outs-and-empties-are-quiet"),
    pytest.param("Pod", {"spec": {
        "hostNetwork": True, "hostPID": True, "priorityClassName": "high",
        "serviceAccountName": "builder", "imagePullSecrets": [{"name": "regcred"}],
        "dnsConfig": {"nameservers": ["1.1.1.1"]}, "securityContext": {"runAsUser": 1000},
        "nodeSelector": {"disk": "ssd"}, "tolerations": [{"operator": "Exists"}],
        "initContainers": [container("init", securityContext={"privileged": True})],
        "containers": [
            container("a", ports=[{"containerPort": 80}, {"containerPort": 81, "hostPort": 8081}],
                      resources={"limits": {"cpu": "1"}}),
            container("b", securityContext={"capabilities": {"add": ["NET_ADMIN"]}},
                      volumeMounts=[{"name": "v", "mountPath": "/v", "mountPropagation": "Bidirectional"}]),
        ],
        "volumes": [{"name": "v", "emptyDir": {}}, {"name": "n", "nfs": {"server": "s", "path": "/"}}],
    }}, [
        "spec.securityContext",
        "spec.hostNetwork",
        "spec.hostPID",
        "spec.dnsConfig",
        "spec.imagePullSecrets",
        "spec.initContainers[0].securityContext",
        "spec.containers[1].securityContext",
        "spec.containers[0].ports[1].hostPort",
        "spec.containers[1].volumeMounts[0].mountPropagation",
        "spec.volumes[1].nfs",
    ], id="pod-many"),
    pytest.param("Deployment", {"spec": {"template": {"spec": {
        "containers": [container(), container("side", securityContext={"runAsNonRoot": True})]}}}},
        ["spec.template.spec.containers[1].securityContext"], id="deployment-template"),
    pytest.param("CronJob", {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "hostIPC": True, "containers": [container()]}}}}}},
        ["spec.jobTemplate.spec.template.spec.hostIPC"], id="cronjob-template"),
    pytest.param("Service", {"spec": {"type": "LoadBalancer", "loadBalancerIP": "1.2.3.4",
                                      "externalIPs": ["1.2.3.5"], "loadBalancerSourceRanges": [],
                                      "ports": [{"port": 80}]}},
                 ["spec.externalIPs", "spec.loadBalancerIP"], id="service"),
    pytest.param("ConfigMap", {"data": {"securityContext": "x"}}, [], id="configmap-nothing"),
]


@pytest.mark.parametrize(("kind", "obj", "paths"), UNACTED_CASES)
def test_unacted_fields(kind, obj, paths):
    assert unacted_fields(kinds.by_kind(kind), obj) == paths


def test_unacted_fields_does_not_mutate():
    obj = {"spec": {"hostNetwork": True, "containers": [container()]}}
    before = copy.deepcopy(obj)
    unacted_fields(kinds.by_kind("Pod"), obj)
    assert obj == before


def test_module_imports_only_stdlib():
    code = ("import sys, minikctl.api.defaults; "
            "bad = [m for m in ('sqlalchemy', 'jsonschema', 'yaml', 'rich', 'typer') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("given", [{"serviceAccountName": "builder"}, {"serviceAccount": "builder"}])
def test_a_template_names_its_account_under_both_fields_as_the_v1_conversion_does(given):
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
               "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}], **given}}}}
    spec = defaulted("Deployment", obj)["spec"]["template"]["spec"]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("builder", "builder")
