"""Kubernetes' semantic validation rules (minikctl.api.rules).

Each case gives an object and the exact causes a Kubernetes 1.32 API server reports for
it: field path and message (the part after the path), in the server's words.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from minikctl.api import kinds, rules
from minikctl.api.defaults import apply_defaults

SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
             "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
         "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
           "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
           "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
               "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
               "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
NAME_PART = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
             "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
             "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
CONFIG_KEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
              "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
QUANTITY = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
NEGATIVE = "must be greater than or equal to 0"
PORT_RANGE = "must be between 1 and 65535, inclusive"


# ---- builders -------------------------------------------------------------------------

def container(**extra: Any) -> dict:
    return {"name": "app", "image": "nginx:1.25", **extra}


def pod(spec: dict | None = None, **meta: Any) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", **meta},
            "spec": {"containers": [container()], **(spec or {})}}


def template(labels: dict | None = None, **spec: Any) -> dict:
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels},
            "spec": {"containers": [container()], **spec}}


def deployment(**spec: Any) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(), **spec}}


def replica_set(**spec: Any) -> dict:
    return {**deployment(**spec), "kind": "ReplicaSet"}


def daemon_set(**spec: Any) -> dict:
    return {**deployment(**spec), "kind": "DaemonSet"}


def stateful_set(**spec: Any) -> dict:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "web"}}, "template": template(), **spec}}


def job(**spec: Any) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [container()]}}, **spec}}


def cron_job(**spec: Any) -> dict:
    job_spec = {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [container()]}}}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": job_spec}, **spec}}


def service(**spec: Any) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}}


def config_map(**fields: Any) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, **fields}


def secret(**fields: Any) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, **fields}


def namespace(name: str = "prod", **meta: Any) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, **meta}}


def edit(obj: dict, change: Callable[[dict], Any]) -> dict:
    obj = copy.deepcopy(obj)
    change(obj)
    return obj


def check(obj: dict, old: dict | None = None) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in rules.check(kinds.by_kind(obj["kind"]), obj, old)]


def stored(obj: dict) -> dict:
    """What the API server would have stored (defaults applied)."""
    out = copy.deepcopy(obj)
    apply_defaults(kinds.by_kind(out["kind"]), out)
    return out


# ---- valid objects --------------------------------------------------------------------

@pytest.mark.parametrize("obj", [
    pytest.param(pod(), id="pod"),
    pytest.param(deployment(), id="deployment"),
    pytest.param(replica_set(replicas=0), id="replicaset"),
    pytest.param(daemon_set(), id="daemonset"),
    pytest.param(stateful_set(), id="statefulset"),
    pytest.param(job(), id="job"),
    pytest.param(cron_job(), id="cronjob"),
    pytest.param(service(), id="service"),
    pytest.param(config_map(data={"app.conf": "x", "KEY_1": "y"}), id="configmap"),
    pytest.param(secret(data={"password": "c2VjcmV0"}, stringData={"user": "admin"}), id="secret"),
    pytest.param(namespace(), id="namespace"),
    pytest.param(pod(generateName="web-") | {"metadata": {"generateName": "web-"}}, id="generate-name"),
    pytest.param(pod(labels={"app.kubernetes.io/name": "web", "empty": ""},
                     annotations={"Example.com/Note": "any value at all: spaces, !"}), id="labels-and-annotations"),
    pytest.param(deployment(strategy={"type": "Recreate"}), id="recreate"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "100%"}}), id="rolling"),
    pytest.param(service(clusterIP="None"), id="headless"),
    pytest.param(service(type="NodePort", ports=[{"port": 80, "nodePort": 30080, "name": "http"},
                                                 {"port": 443, "name": "https", "targetPort": "https"}]),
                 id="nodeport"),
    pytest.param({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                  "spec": {"type": "ExternalName", "externalName": "db.example.com."}}, id="externalname"),
    pytest.param(cron_job(schedule="@hourly", timeZone="Europe/Paris"), id="cron-descriptor-and-zone"),
    pytest.param(cron_job(schedule="*/15 9-17 * JAN-jun mon-FRI"), id="cron-names-and-steps"),
    pytest.param(cron_job(schedule="@every 1h30m"), id="cron-every"),
    pytest.param(pod({"containers": [container(env=[{"name": "1.weird-NAME but printable"}])]}),
                 id="relaxed-env-name"),
    pytest.param(pod({"containers": [container(resources={"requests": {"cpu": "500m", "memory": "128Mi"},
                                                          "limits": {"cpu": 1, "memory": "1Gi",
                                                                     "nvidia.com/gpu": 1}})]}),
                 id="resources"),
    pytest.param(pod({"volumes": [{"name": "data"}],
                      "containers": [container(volumeMounts=[{"name": "data", "mountPath": "/data"}])]}),
                 id="volume-defaults-to-emptydir"),
])
def test_valid_objects_have_no_causes(obj: dict) -> None:
    assert check(obj) == []


# ---- object names ---------------------------------------------------------------------

@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(deployment() | {"metadata": {"name": "Web"}},
                 [("metadata.name", f'Invalid value: "Web": {SUBDOMAIN}')], id="deployment-subdomain"),
    pytest.param(edit(pod(), lambda o: o["metadata"].update(name="web.v1")), [], id="pod-dots-allowed"),
    pytest.param(namespace("Prod"), [("metadata.name", f'Invalid value: "Prod": {LABEL}')], id="namespace-label"),
    pytest.param(namespace("prod.eu"), [("metadata.name", 'Invalid value: "prod.eu": must not contain dots')],
                 id="namespace-no-dots"),
    pytest.param(service() | {"metadata": {"name": "1web"}},
                 [("metadata.name", f'Invalid value: "1web": {DNS1035}')], id="service-dns1035"),
    pytest.param(stateful_set() | {"metadata": {"name": "db.v1"}},
                 [("metadata.name", 'Invalid value: "db.v1": must not contain dots')], id="statefulset-label"),
    pytest.param(config_map() | {"metadata": {"name": "a" * 254}},
                 [("metadata.name", f'Invalid value: "{"a" * 254}": must be no more than 253 characters')],
                 id="too-long"),
    pytest.param(pod() | {"metadata": {}},
                 [("metadata.name", "Required value: name or generateName is required")], id="no-name"),
    pytest.param(pod() | {"metadata": {"generateName": "Web-"}},
                 [("metadata.generateName", f'Invalid value: "Web-": {SUBDOMAIN}')], id="bad-generate-name"),
    pytest.param(pod() | {"metadata": {"name": "web", "namespace": "My_NS"}},
                 [("metadata.namespace", f'Invalid value: "My_NS": {LABEL}')], id="bad-namespace"),
    pytest.param(cron_job() | {"metadata": {"name": "n" * 53}},
                 [("metadata.name", f'Invalid value: "{"n" * 53}": must be no more than 52 characters')],
                 id="cronjob-52"),
])
def test_names(obj: dict, expected: list) -> None:
    assert check(obj) == expected


# ---- labels, annotations, owner references, finalizers ----------------------------------

@pytest.mark.parametrize(("meta", "expected"), [
    pytest.param({"labels": {"tier": "front end!"}},
                 [("metadata.labels", f'Invalid value: "front end!": {LABEL_VALUE}')], id="bad-value"),
    pytest.param({"labels": {"tier": "x" * 64}},
                 [("metadata.labels", f'Invalid value: "{"x" * 64}": must be no more than 63 characters')],
                 id="long-value"),
    pytest.param({"labels": {"Bad Key": "x"}}, [("metadata.labels", f'Invalid value: "Bad Key": {NAME_PART}')],
                 id="bad-key"),
    pytest.param({"labels": {"example.com/": "x"}},
                 [("metadata.labels", 'Invalid value: "example.com/": name part must be non-empty'),
                  ("metadata.labels", f'Invalid value: "example.com/": {NAME_PART}')], id="empty-name-part"),
    pytest.param({"annotations": {"bad key": "x"}},
                 [("metadata.annotations", f'Invalid value: "bad key": {NAME_PART}')], id="bad-annotation-key"),
    pytest.param({"annotations": {"big": "x" * (256 * 1024)}},
                 [("metadata.annotations", "Too long: must have at most 262144 bytes")], id="annotations-too-big"),
    pytest.param({"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "", "uid": "1"}]},
                 [("metadata.ownerReferences.name", 'Invalid value: "": must not be empty')], id="owner-name"),
    pytest.param({"finalizers": ["example.com/cleanup", "kubernetes", "cleanup"]},
                 [("metadata.finalizers[2]", 'Invalid value: "cleanup": name is neither a standard finalizer name '
                                             "nor is it fully qualified")], id="finalizer"),
    pytest.param({"annotations": {"controller.kubernetes.io/pod-deletion-cost": "high"}},
                 [("metadata.annotations[controller.kubernetes.io/pod-deletion-cost]",
                   'Invalid value: "high": must be a 32bit integer')], id="pod-deletion-cost"),
])
def test_metadata(meta: dict, expected: list) -> None:
    assert check(pod(**meta)) == expected


def test_template_labels_are_reported_under_template_labels() -> None:
    obj = deployment(template=template(labels={"app": "web", "tier": "front end!"}))
    assert check(obj) == [("spec.template.labels", f'Invalid value: "front end!": {LABEL_VALUE}')]


# ---- selectors ----------------------------------------------------------------------------

SELECTOR_APP_X = 'v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}'
EMPTY_SELECTOR = "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
MISMATCH = ("spec.template.metadata.labels",
            'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`')


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(deployment(selector={"matchLabels": {"app": "x"}}), [MISMATCH], id="deployment-mismatch"),
    pytest.param(replica_set(selector={"matchLabels": {"app": "x"}}), [MISMATCH], id="replicaset-mismatch"),
    pytest.param(daemon_set(selector={"matchLabels": {"app": "x"}}), [MISMATCH], id="daemonset-mismatch"),
    pytest.param(stateful_set(selector={"matchLabels": {"app": "x"}}), [MISMATCH], id="statefulset-mismatch"),
    pytest.param(edit(deployment(), lambda o: o["spec"].pop("selector")),
                 [("spec.selector", "Required value"), MISMATCH], id="missing"),
    pytest.param(deployment(selector={}),
                 [("spec.selector", f"Invalid value: {EMPTY_SELECTOR}: empty selector is invalid for deployment")],
                 id="empty-deployment"),
    pytest.param(daemon_set(selector={}),
                 [("spec.selector", f"Invalid value: {EMPTY_SELECTOR}: empty selector is invalid for daemonset")],
                 id="empty-daemonset"),
    pytest.param(deployment(selector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}), [],
                 id="expressions-match"),
    pytest.param(deployment(selector={"matchLabels": {"app": "web"},
                                      "matchExpressions": [{"key": "tier", "operator": "Equals", "values": ["x"]}]}),
                 [("spec.selector.matchExpressions[0].operator", 'Invalid value: "Equals": not a valid selector operator'),
                  ("spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
                                    'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{'
                                    'Key:"tier", Operator:"Equals", Values:[]string{"x"}}}}: invalid label selector')],
                 id="bad-operator"),
    pytest.param(deployment(selector={"matchLabels": {"app": "web"},
                                      "matchExpressions": [{"key": "tier", "operator": "In"}]}),
                 [("spec.selector.matchExpressions[0].values",
                   "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
                  ("spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
                                    'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{'
                                    'Key:"tier", Operator:"In", Values:[]string(nil)}}}: invalid label selector')],
                 id="in-without-values"),
    pytest.param(deployment(selector={"matchLabels": {"app": "web"},
                                      "matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["a"]}]}),
                 [("spec.selector.matchExpressions[0].values",
                   "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
                  ("spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
                                    'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{'
                                    'Key:"tier", Operator:"Exists", Values:[]string{"a"}}}}: invalid label selector')],
                 id="exists-with-values"),
    pytest.param(service(selector={"app": "front end!"}),
                 [("spec.selector", f'Invalid value: "front end!": {LABEL_VALUE}')], id="service-selector"),
])
def test_selectors(obj: dict, expected: list) -> None:
    assert check(obj) == expected


# ---- pod specs ----------------------------------------------------------------------------

def with_container(**extra: Any) -> dict:
    return pod({"containers": [container(**extra)]})


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(pod({"containers": []}), [("spec.containers", "Required value")], id="no-containers"),
    pytest.param(with_container(name="App"), [("spec.containers[0].name", f'Invalid value: "App": {LABEL}')],
                 id="container-name"),
    pytest.param(pod({"containers": [container(), container()]}),
                 [("spec.containers[1].name", 'Duplicate value: "app"')], id="duplicate-container"),
    pytest.param(pod({"initContainers": [container()]}),
                 [("spec.initContainers[0].name", 'Duplicate value: "app"')], id="init-clashes-with-container"),
    pytest.param(with_container(image=""), [("spec.containers[0].image", "Required value")], id="no-image"),
    pytest.param(with_container(image=" nginx"),
                 [("spec.containers[0].image", 'Invalid value: " nginx": must not have leading or trailing whitespace')],
                 id="image-whitespace"),
    pytest.param(with_container(ports=[{"containerPort": 70000}]),
                 [("spec.containers[0].ports[0].containerPort", f"Invalid value: 70000: {PORT_RANGE}")],
                 id="container-port-range"),
    pytest.param(with_container(ports=[{"containerPort": -8080}]),
                 [("spec.containers[0].ports[0].containerPort", f"Invalid value: -8080: {PORT_RANGE}")],
                 id="negative-port"),
    pytest.param(with_container(ports=[{"containerPort": 0}]),
                 [("spec.containers[0].ports[0].containerPort", "Required value")], id="port-zero"),
    pytest.param(with_container(ports=[{"containerPort": 80, "hostPort": 70000}]),
                 [("spec.containers[0].ports[0].hostPort", f"Invalid value: 70000: {PORT_RANGE}")], id="host-port"),
    pytest.param(with_container(ports=[{"containerPort": 80, "protocol": "tcp"}]),
                 [("spec.containers[0].ports[0].protocol",
                   'Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"')], id="protocol"),
    pytest.param(with_container(ports=[{"containerPort": 80, "name": "http-web-server-1"}]),
                 [("spec.containers[0].ports[0].name", 'Invalid value: "http-web-server-1": must be no more than 15 characters')],
                 id="port-name-long"),
    pytest.param(with_container(ports=[{"containerPort": 80, "name": "8080"}]),
                 [("spec.containers[0].ports[0].name", 'Invalid value: "8080": must contain at least one letter (a-z)')],
                 id="port-name-digits"),
    pytest.param(with_container(ports=[{"containerPort": 80, "name": "http"}, {"containerPort": 81, "name": "http"}]),
                 [("spec.containers[0].ports[1].name", 'Duplicate value: "http"')], id="port-name-duplicate"),
    pytest.param(pod({"containers": [container(ports=[{"containerPort": 80, "hostPort": 8080}]),
                                     container(name="b", ports=[{"containerPort": 81, "hostPort": 8080}])]}),
                 [("spec.containers[1].ports[0].hostPort", 'Duplicate value: "TCP//8080"')], id="host-port-conflict"),
    pytest.param(pod({"restartPolicy": "Sometimes"}),
                 [("spec.restartPolicy", 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"')],
                 id="restart-policy"),
    pytest.param(pod({"dnsPolicy": "Google"}),
                 [("spec.dnsPolicy", 'Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", '
                                     '"ClusterFirst", "Default", "None"')], id="dns-policy"),
    pytest.param(with_container(imagePullPolicy="Sometimes"),
                 [("spec.containers[0].imagePullPolicy",
                   'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"')],
                 id="pull-policy"),
    pytest.param(pod({"activeDeadlineSeconds": 0}),
                 [("spec.activeDeadlineSeconds", "Invalid value: 0: must be between 1 and 2147483647, inclusive")],
                 id="active-deadline"),
    pytest.param(pod({"terminationGracePeriodSeconds": -5}), [], id="negative-grace-period-is-only-a-warning"),
    pytest.param(pod({"nodeSelector": {"disk": "fast ssd"}}),
                 [("spec.nodeSelector", f'Invalid value: "fast ssd": {LABEL_VALUE}')], id="node-selector"),
    pytest.param(pod({"serviceAccountName": "$SA"}),
                 [("spec.serviceAccountName", f'Invalid value: "$SA": {SUBDOMAIN}')], id="service-account"),
    pytest.param(pod({"hostNetwork": True, "containers": [container(ports=[{"containerPort": 80, "hostPort": 81}])]}),
                 [("spec.containers[0].ports[0].hostPort",
                   "Invalid value: 81: must match `containerPort` when `hostNetwork` is true")], id="host-network"),
    pytest.param(pod({"tolerations": [{"key": "a", "operator": "Gt", "value": "1"}]}),
                 [("spec.tolerations[0].operator", 'Unsupported value: "Gt": supported values: "Equal", "Exists"')],
                 id="toleration-operator"),
    pytest.param(pod({"tolerations": [{"operator": "Equal", "value": "x"}]}),
                 [("spec.tolerations[0].operator", 'Invalid value: "Equal": operator must be Exists when `key` is '
                                                   'empty, which means "match all values and all keys"')],
                 id="toleration-empty-key"),
    pytest.param(pod({"tolerations": [{"key": "a", "operator": "Exists", "tolerationSeconds": 5}]}),
                 [("spec.tolerations[0].effect",
                   "Invalid value: \"\": effect must be 'NoExecute' when `tolerationSeconds` is set")],
                 id="toleration-seconds"),
    pytest.param(pod({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In"}]}]}}}}),
                 [("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                   ".matchExpressions[0].values", "Required value: must be specified when `operator` is 'In' or 'NotIn'")],
                 id="node-affinity"),
    pytest.param(pod({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "web"}}}]}}}),
                 [("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
                   "Required value: can not be empty")], id="pod-anti-affinity"),
    pytest.param(pod({"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone",
                                                     "whenUnsatisfiable": "Maybe"}]}),
                 [("spec.topologySpreadConstraints[0].maxSkew", "Invalid value: 0: must be greater than zero"),
                  ("spec.topologySpreadConstraints[0].whenUnsatisfiable",
                   'Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"')],
                 id="topology-spread"),
    pytest.param(pod({"dnsPolicy": "None"}),
                 [("spec.dnsConfig", "Required value: must provide `dnsConfig` when `dnsPolicy` is None")],
                 id="dns-none"),
    pytest.param(pod({"hostAliases": [{"ip": "10.0.0.300", "hostnames": ["db"]}]}),
                 [("spec.hostAliases[0].ip",
                   'Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')],
                 id="host-alias"),
])
def test_pod_spec(obj: dict, expected: list) -> None:
    assert check(obj) == expected


@pytest.mark.parametrize(("extra", "expected"), [
    pytest.param({"env": [{"name": ""}]}, [("spec.containers[0].env[0].name", "Required value")], id="env-required"),
    pytest.param({"env": [{"name": "A=B"}]},
                 [("spec.containers[0].env[0].name", 'Invalid value: "A=B": a valid environment variable name must '
                                                     "consist only of printable ASCII characters other than '='")],
                 id="env-equals"),
    pytest.param({"env": [{"name": "X", "valueFrom": {}}]},
                 [("spec.containers[0].env[0].valueFrom", 'Invalid value: "": must specify one of: `fieldRef`, '
                                                          "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")],
                 id="value-from-empty"),
    pytest.param({"env": [{"name": "X", "value": "v", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
                 [("spec.containers[0].env[0].valueFrom",
                   'Invalid value: "": may not be specified when `value` is not empty')], id="value-and-value-from"),
    pytest.param({"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]},
                 [("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
                   'Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", '
                   '"metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", '
                   '"status.podIP", "status.podIPs"')], id="field-ref-not-for-env"),
    pytest.param({"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.foo"}}}]},
                 [("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
                   'Invalid value: "spec.foo": error converting fieldPath: field label not supported: spec.foo')],
                 id="field-ref-unknown"),
    pytest.param({"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}]}, [],
                 id="field-ref-subscript"),
    pytest.param({"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a b"}}}]},
                 [("spec.containers[0].env[0].valueFrom.configMapKeyRef.key", f'Invalid value: "a b": {CONFIG_KEY}')],
                 id="config-map-key"),
    pytest.param({"envFrom": [{"prefix": "A=", "configMapRef": {"name": "cfg"}}]},
                 [("spec.containers[0].envFrom[0].prefix", 'Invalid value: "A=": a valid environment variable name '
                                                           "must consist only of printable ASCII characters other than '='")],
                 id="env-from-prefix"),
    pytest.param({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}},
                 [("spec.containers[0].resources.requests", 'Invalid value: "2": must be less than or equal to cpu limit of 1')],
                 id="request-over-limit"),
    pytest.param({"resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1024Mi"}}},
                 [("spec.containers[0].resources.requests",
                   'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi')], id="memory-canonical"),
    pytest.param({"resources": {"limits": {"cpu": "-1"}}},  # a pod's requests default to its limits
                 [("spec.containers[0].resources.limits[cpu]", f'Invalid value: "-1": {NEGATIVE}'),
                  ("spec.containers[0].resources.requests[cpu]", f'Invalid value: "-1": {NEGATIVE}')], id="negative"),
    pytest.param({"resources": {"requests": {"memory": "1GB"}}},
                 [("spec.containers[0].resources.requests[memory]", f'Invalid value: "1GB": {QUANTITY}')],
                 id="bad-quantity"),
    pytest.param({"resources": {"requests": {"gpu": "1"}}},
                 [("spec.containers[0].resources.requests[gpu]",
                   'Invalid value: "gpu": must be a standard resource type or fully qualified'),
                  ("spec.containers[0].resources.requests[gpu]",
                   'Invalid value: "gpu": must be a standard resource for containers')], id="unknown-resource"),
    pytest.param({"resources": {"requests": {"example.com/dongle": "1"}}},
                 [("spec.containers[0].resources.limits",
                   "Required value: Limit must be set for non overcommitable resources")], id="extended-needs-limit"),
    pytest.param({"volumeMounts": [{"name": "nope", "mountPath": "/x"}]},
                 [("spec.containers[0].volumeMounts[0].name", 'Not found: "nope"')], id="mount-unknown-volume"),
    pytest.param({"livenessProbe": {"exec": {"command": ["true"]}, "httpGet": {"port": 80}}},
                 [("spec.containers[0].livenessProbe.httpGet", "Forbidden: may not specify more than 1 handler type")],
                 id="probe-two-handlers"),
    pytest.param({"readinessProbe": {"periodSeconds": 5}},
                 [("spec.containers[0].readinessProbe", "Required value: must specify a handler type")],
                 id="probe-no-handler"),
    pytest.param({"livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2}},
                 [("spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1")],
                 id="liveness-success-threshold"),
    pytest.param({"livenessProbe": {"httpGet": {"port": "Web_Port"}, "initialDelaySeconds": -1}},
                 [("spec.containers[0].livenessProbe.httpGet.port",
                   'Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'),
                  ("spec.containers[0].livenessProbe.initialDelaySeconds", f"Invalid value: -1: {NEGATIVE}")],
                 id="probe-port-and-delay"),
    pytest.param({"lifecycle": {"preStop": {"sleep": {"seconds": 60}}}},
                 [("spec.containers[0].lifecycle.preStop.sleep",
                   "Invalid value: 60: must be greater than 0 and less than terminationGracePeriodSeconds (30). "
                   "Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.")], id="sleep-too-long"),
    pytest.param({"restartPolicy": "Always"},
                 [("spec.containers[0].restartPolicy", "Forbidden: may not be set for non-init containers")],
                 id="container-restart-policy"),
    pytest.param({"securityContext": {"privileged": True, "allowPrivilegeEscalation": False}},
                 [("spec.containers[0].securityContext",
                   'Invalid value: core.SecurityContext{"allowPrivilegeEscalation":false,"privileged":true}: '
                   "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")],
                 id="privileged-without-escalation"),
])
def test_containers(extra: dict, expected: list) -> None:
    assert check(with_container(**extra)) == expected


def test_extended_resources_must_be_whole() -> None:
    obj = deployment(template=template(containers=[container(resources={"limits": {"example.com/dongle": "500m"}})]))
    assert check(obj) == [("spec.template.spec.containers[0].resources.limits[example.com/dongle]",
                           "Invalid value: 500m: must be an integer")]


def test_pod_requests_default_to_limits() -> None:
    assert check(with_container(resources={"limits": {"example.com/dongle": "2"}})) == []
    assert check(with_container(resources={"limits": {"memory": "1GB"}})) == [
        ("spec.containers[0].resources.limits[memory]", f'Invalid value: "1GB": {QUANTITY}'),
        ("spec.containers[0].resources.requests[memory]", f'Invalid value: "1GB": {QUANTITY}'),
    ]


def test_init_containers() -> None:
    obj = pod({"initContainers": [container(name="init", livenessProbe={"exec": {"command": ["x"]}}),
                                  container(name="side", restartPolicy="OnFailure")]})
    assert check(obj) == [
        ("spec.initContainers[0].livenessProbe", "Forbidden: may not be set for init containers without restartPolicy=Always"),
        ("spec.initContainers[1].restartPolicy", 'Unsupported value: "OnFailure": supported values: "Always"'),
    ]
    sidecar = pod({"initContainers": [container(name="side", restartPolicy="Always",
                                                readinessProbe={"exec": {"command": ["x"]}})]})
    assert check(sidecar) == []


@pytest.mark.parametrize(("volumes", "expected"), [
    pytest.param([{"name": "Data", "emptyDir": {}}], [("spec.volumes[0].name", f'Invalid value: "Data": {LABEL}')],
                 id="volume-name"),
    pytest.param([{"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}}],
                 [("spec.volumes[1].name", 'Duplicate value: "a"')], id="duplicate"),
    pytest.param([{"name": "a", "emptyDir": {}, "hostPath": {"path": "/x"}}],
                 [("spec.volumes[0].hostPath", "Forbidden: may not specify more than 1 volume type")], id="two-sources"),
    pytest.param([{"name": "a", "secret": {}}], [("spec.volumes[0].secret.secretName", "Required value")],
                 id="secret-name"),
    pytest.param([{"name": "a", "configMap": {"name": "c", "defaultMode": 1000}}],
                 [("spec.volumes[0].configMap.defaultMode",
                   "Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive")], id="mode"),
    pytest.param([{"name": "a", "configMap": {"name": "c", "items": [{"key": "k", "path": "../etc"}]}}],
                 [("spec.volumes[0].configMap.items[0].path", "Invalid value: \"../etc\": must not contain '..'"),
                  ("spec.volumes[0].configMap.items[0].path", "Invalid value: \"../etc\": must not start with '..'")],
                 id="item-path"),
    pytest.param([{"name": "a", "hostPath": {"path": "/x", "type": "Folder"}}],
                 [("spec.volumes[0].hostPath.type", 'Unsupported value: "Folder": supported values: "", "BlockDevice", '
                                                    '"CharDevice", "Directory", "DirectoryOrCreate", "File", '
                                                    '"FileOrCreate", "Socket"')], id="host-path-type"),
    pytest.param([{"name": "a", "persistentVolumeClaim": {"claimName": ""}}],
                 [("spec.volumes[0].persistentVolumeClaim.claimName", "Required value")], id="pvc"),
])
def test_volumes(volumes: list, expected: list) -> None:
    assert check(pod({"volumes": volumes})) == expected


def test_mounts_of_invalid_volumes_are_not_found() -> None:
    obj = pod({"volumes": [{"name": "a", "secret": {}}],
               "containers": [container(volumeMounts=[{"name": "a", "mountPath": "/a"}, {"name": "a", "mountPath": "/a"}])]})
    assert check(obj) == [
        ("spec.volumes[0].secret.secretName", "Required value"),
        ("spec.containers[0].volumeMounts[0].name", 'Not found: "a"'),
        ("spec.containers[0].volumeMounts[1].name", 'Not found: "a"'),
        ("spec.containers[0].volumeMounts[1].mountPath", 'Invalid value: "/a": must be unique'),
    ]


# ---- workloads ----------------------------------------------------------------------------

@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(deployment(replicas=-1), [("spec.replicas", f"Invalid value: -1: {NEGATIVE}")], id="replicas"),
    pytest.param(deployment(revisionHistoryLimit=-1, minReadySeconds=-1),
                 [("spec.minReadySeconds", f"Invalid value: -1: {NEGATIVE}"),
                  ("spec.revisionHistoryLimit", f"Invalid value: -1: {NEGATIVE}")], id="history-and-ready"),
    pytest.param(deployment(minReadySeconds=10, progressDeadlineSeconds=10),
                 [("spec.progressDeadlineSeconds", "Invalid value: 10: must be greater than minReadySeconds")],
                 id="progress-deadline"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
                 [("spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: 0: may not be 0 when `maxSurge` is 0")],
                 id="surge-and-unavailable-zero"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "150%"}}),
                 [("spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: 150%: must not be greater than 100%")],
                 id="over-100-percent"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxSurge": "ten", "maxUnavailable": -1}}),
                 [("spec.strategy.rollingUpdate.maxUnavailable", f"Invalid value: -1: {NEGATIVE}"),
                  ("spec.strategy.rollingUpdate.maxSurge",
                   "Invalid value: ten: a valid percent string must be a numeric string followed by an ending '%' "
                   "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")], id="bad-int-or-percent"),
    pytest.param(deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
                 [("spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy `type` is 'Recreate'")],
                 id="recreate-with-rolling-update"),
    pytest.param(deployment(strategy={"type": "BlueGreen"}),
                 [("spec.strategy", 'Unsupported value: apps.DeploymentStrategy{"type":"BlueGreen"}: '
                                    'supported values: "Recreate", "RollingUpdate"')], id="strategy-type"),
    pytest.param(deployment(template=template(restartPolicy="Never", activeDeadlineSeconds=5)),
                 [("spec.template.spec.restartPolicy", 'Unsupported value: "Never": supported values: "Always"'),
                  ("spec.template.spec.activeDeadlineSeconds",
                   "Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported")], id="template-restart-policy"),
    pytest.param(deployment(template=template(containers=[container(ports=[{"containerPort": -8080}])])),
                 [("spec.template.spec.containers[0].ports[0].containerPort", f"Invalid value: -8080: {PORT_RANGE}")],
                 id="template-pod-spec"),
    pytest.param(daemon_set(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}),
                 [("spec.updateStrategy.rollingUpdate.maxUnavailable",
                   "Required value: cannot be 0 when maxSurge is 0")], id="daemonset-zero"),
    pytest.param(daemon_set(updateStrategy={"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}),
                 [("spec.updateStrategy.rollingUpdate.maxSurge",
                   "Invalid value: 1: may not be set when maxUnavailable is non-zero")], id="daemonset-both"),
    pytest.param(daemon_set(updateStrategy={"type": "Always"}),
                 [("spec.updateStrategy", 'Unsupported value: apps.DaemonSetUpdateStrategy{"type":"Always"}: '
                                          'supported values: "RollingUpdate", "OnDelete"')], id="daemonset-type"),
    pytest.param(daemon_set(template=template(restartPolicy="OnFailure")),
                 [("spec.template.spec.restartPolicy", 'Unsupported value: "OnFailure": supported values: "Always"')],
                 id="daemonset-restart"),
    pytest.param(stateful_set(replicas=-1, podManagementPolicy="Random"),
                 [("spec.podManagementPolicy", "Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"),
                  ("spec.replicas", f"Invalid value: -1: {NEGATIVE}")], id="statefulset-policy"),
    pytest.param(stateful_set(updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 1}}),
                 [("spec.updateStrategy.rollingUpdate", 'Invalid value: apps.RollingUpdateStatefulSetStrategy'
                                                        '{"partition":1}: only allowed for updateStrategy \'RollingUpdate\'')],
                 id="statefulset-on-delete"),
    pytest.param(stateful_set(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}),
                 [("spec.updateStrategy.rollingUpdate.partition", f"Invalid value: -1: {NEGATIVE}")],
                 id="statefulset-partition"),
    pytest.param(stateful_set(template=template(containers=[container(name="BAD", ports=[{"containerPort": -1}])])),
                 [], id="statefulset-pod-spec-not-validated"),
    pytest.param(stateful_set(template=template(restartPolicy="Never")),
                 [("spec.template.spec.restartPolicy", 'Unsupported value: "Never": supported values: "Always"')],
                 id="statefulset-restart"),
    pytest.param(stateful_set(selector={}),
                 [("spec.selector", f"Invalid value: {EMPTY_SELECTOR}: empty selector is invalid for statefulset")],
                 id="statefulset-empty-selector"),
])
def test_workloads(obj: dict, expected: list) -> None:
    assert check(obj) == expected


# ---- jobs and cron jobs ---------------------------------------------------------------------

JOB_RESTART_REQUIRED = ("spec.template.spec.restartPolicy", 'Required value: valid values: "OnFailure", "Never"')


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(edit(job(), lambda o: o["spec"]["template"]["spec"].pop("restartPolicy")), [JOB_RESTART_REQUIRED],
                 id="restart-policy-missing"),
    pytest.param(edit(job(), lambda o: o["spec"]["template"]["spec"].update(restartPolicy="Always")),
                 [JOB_RESTART_REQUIRED], id="restart-policy-always"),
    pytest.param(edit(job(), lambda o: o["spec"]["template"]["spec"].update(restartPolicy="Sometimes")),
                 [("spec.template.spec.restartPolicy", 'Unsupported value: "Sometimes": supported values: '
                                                       '"Always", "OnFailure", "Never"'),
                  ("spec.template.spec.restartPolicy",
                   'Unsupported value: "Sometimes": supported values: "OnFailure", "Never"')],
                 id="restart-policy-unknown"),
    pytest.param(job(parallelism=-1, completions=-1, backoffLimit=-1, activeDeadlineSeconds=-1),
                 [("spec.parallelism", f"Invalid value: -1: {NEGATIVE}"),
                  ("spec.completions", f"Invalid value: -1: {NEGATIVE}"),
                  ("spec.activeDeadlineSeconds", f"Invalid value: -1: {NEGATIVE}"),
                  ("spec.backoffLimit", f"Invalid value: -1: {NEGATIVE}")], id="negative-counts"),
    pytest.param(job(activeDeadlineSeconds=0), [], id="zero-deadline-allowed"),
    pytest.param(job(completionMode="Parallel"),
                 [("spec.completionMode", 'Unsupported value: "Parallel": supported values: "NonIndexed", "Indexed"')],
                 id="completion-mode"),
    pytest.param(job(completionMode="Indexed", parallelism=2),
                 [("spec.completions", "Required value: when completion mode is Indexed")], id="indexed-completions"),
    pytest.param(job(selector={"matchLabels": {"app": "pi"}}),
                 [("spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"pi"}, '
                                    'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated')],
                 id="selector-without-manual"),
    pytest.param(job(manualSelector=True),
                 [("spec.selector", "Required value"),
                  ("spec.template.metadata.labels",
                   "Invalid value: map[string]string(nil): `selector` does not match template `labels`")],
                 id="manual-without-selector"),
    pytest.param(edit(job(manualSelector=True, selector={"matchLabels": {"app": "pi"}}),
                      lambda o: o["spec"]["template"].update(metadata={"labels": {"app": "pi"}})), [],
                 id="manual-selector"),
    pytest.param(job() | {"metadata": {"name": "j" * 64}},
                 [("spec.template.labels", f'Invalid value: "{"j" * 64}": must be no more than 63 characters')],
                 id="name-too-long-for-job-name-label"),
    pytest.param(edit(job(), lambda o: o["spec"]["template"].update(metadata={"labels": {"job-name": "other"}})),
                 [("spec.template.metadata.labels[job-name]",
                   "Invalid value: map[string]string{\"job-name\":\"other\"}: must be 'pi'")], id="conflicting-job-name"),
    pytest.param(job(podFailurePolicy={"rules": []}), [], id="pod-failure-policy-with-never"),
    pytest.param(edit(job(podFailurePolicy={"rules": []}),
                      lambda o: o["spec"]["template"]["spec"].update(restartPolicy="OnFailure")),
                 [("spec.template.spec.restartPolicy",
                   'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified')],
                 id="pod-failure-policy-needs-never"),
])
def test_jobs(obj: dict, expected: list) -> None:
    assert check(obj) == expected


@pytest.mark.parametrize(("schedule", "message"), [
    pytest.param("61 * * * *", "end of range (61) above maximum (59): 61", id="minute"),
    pytest.param("0 24 * * *", "end of range (24) above maximum (23): 24", id="hour"),
    pytest.param("0 0 0 * *", "beginning of range (0) below minimum (1): 0", id="day-of-month"),
    pytest.param("0 0 * 13 *", "end of range (13) above maximum (12): 13", id="month"),
    pytest.param("0 0 * * 7", "end of range (7) above maximum (6): 7", id="sunday-is-0-only"),
    pytest.param("* * * *", "expected exactly 5 fields, found 4: [* * * *]", id="four-fields"),
    pytest.param("0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]", id="seconds-field"),
    pytest.param("*/0 * * * *", "step of range should be a positive number: */0", id="zero-step"),
    pytest.param("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1", id="reversed-range"),
    pytest.param("1-2-3 * * * *", "too many hyphens: 1-2-3", id="hyphens"),
    pytest.param("*/2/3 * * * *", "too many slashes: */2/3", id="slashes"),
    pytest.param("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax', id="letters"),
    pytest.param("@fortnightly", "unrecognized descriptor: @fortnightly", id="descriptor"),
    pytest.param("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"', id="every"),
])
def test_cron_schedules(schedule: str, message: str) -> None:
    assert check(cron_job(schedule=schedule)) == [("spec.schedule", f"Invalid value: {rules.go_quote(schedule)}: {message}")]


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({"schedule": ""}, [("spec.schedule", "Required value")], id="no-schedule"),
    pytest.param({"schedule": "TZ=UTC 0 3 * * *"},
                 [("spec.schedule", 'Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, '
                                    "use timeZone field instead")], id="tz-in-schedule"),
    pytest.param({"timeZone": "Mars/Olympus"},
                 [("spec.timeZone", 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus')], id="zone"),
    pytest.param({"timeZone": "Local"},
                 [("spec.timeZone", 'Invalid value: "Local": timeZone must be an explicit time zone as defined in '
                                    "https://www.iana.org/time-zones")], id="local-zone"),
    pytest.param({"timeZone": ""}, [("spec.timeZone", 'Invalid value: "": timeZone must be nil or non-empty string')],
                 id="empty-zone"),
    pytest.param({"startingDeadlineSeconds": -1, "successfulJobsHistoryLimit": -1},
                 [("spec.startingDeadlineSeconds", f"Invalid value: -1: {NEGATIVE}"),
                  ("spec.successfulJobsHistoryLimit", f"Invalid value: -1: {NEGATIVE}")], id="negatives"),
    pytest.param({"concurrencyPolicy": "Never"},
                 [("spec.concurrencyPolicy", 'Unsupported value: "Never": supported values: "Allow", "Forbid", "Replace"')],
                 id="concurrency-policy"),
])
def test_cron_jobs(spec: dict, expected: list) -> None:
    assert check(cron_job(**spec)) == expected


def test_cron_job_template() -> None:
    obj = cron_job()
    job_spec = obj["spec"]["jobTemplate"]["spec"]
    job_spec.update(selector={"matchLabels": {"a": "b"}}, manualSelector=True, backoffLimit=-1)
    job_spec["template"]["spec"]["restartPolicy"] = "Always"
    assert check(obj) == [
        ("spec.jobTemplate.spec.backoffLimit", f"Invalid value: -1: {NEGATIVE}"),
        ("spec.jobTemplate.spec.template.spec.restartPolicy", 'Required value: valid values: "OnFailure", "Never"'),
        ("spec.jobTemplate.spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, '
                                           'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated'),
        ("spec.jobTemplate.spec.manualSelector", 'Unsupported value: true: supported values: "nil", "false"'),
    ]


# ---- services -------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({"ports": [{"port": -8080}]},  # targetPort defaults to the port
                 [("spec.ports[0].port", f"Invalid value: -8080: {PORT_RANGE}"),
                  ("spec.ports[0].targetPort", f"Invalid value: -8080: {PORT_RANGE}")], id="port"),
    pytest.param({"ports": [{"port": 80, "targetPort": 70000}]},
                 [("spec.ports[0].targetPort", f"Invalid value: 70000: {PORT_RANGE}")], id="target-port-number"),
    pytest.param({"ports": [{"port": 80, "targetPort": "Web"}]},
                 [("spec.ports[0].targetPort", 'Invalid value: "Web": must contain only alpha-numeric characters '
                                               "(a-z, 0-9), and hyphens (-)")], id="target-port-name"),
    pytest.param({"ports": [{"port": 80}, {"port": 443}]},
                 [("spec.ports[0].name", "Required value"), ("spec.ports[1].name", "Required value")],
                 id="names-required"),
    pytest.param({"ports": [{"port": 80, "name": "web"}, {"port": 81, "name": "web"}]},
                 [("spec.ports[1].name", 'Duplicate value: "web"')], id="duplicate-name"),
    pytest.param({"ports": [{"port": 80, "name": "a"}, {"port": 80, "name": "b"}]},
                 [("spec.ports[1]", 'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:'
                                    '(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, '
                                    "NodePort:0}")], id="duplicate-port"),
    pytest.param({"ports": [{"port": 80, "protocol": "HTTP"}]},
                 [("spec.ports[0].protocol", 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"')],
                 id="protocol"),
    pytest.param({"ports": [{"port": 80, "nodePort": 30080}]},
                 [("spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'")],
                 id="node-port-on-cluster-ip"),
    pytest.param({"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]},
                 [("spec.ports[0].nodePort", "Invalid value: 80: provided port is not in the valid range. "
                                             "The range of valid ports is 30000-32767")], id="node-port-range"),
    pytest.param({"type": "Blue"},
                 [("spec.type", 'Unsupported value: "Blue": supported values: "ClusterIP", "ExternalName", '
                                '"LoadBalancer", "NodePort"')], id="type"),
    pytest.param({"clusterIP": "10.0.0.300"},
                 [("spec.clusterIPs[0]", 'Invalid value: "10.0.0.300": must be a valid IP address, '
                                         "(e.g. 10.9.8.7 or 2001:db8::ffff)")], id="cluster-ip"),
    pytest.param({"type": "NodePort", "clusterIP": "None"},
                 [("spec.clusterIPs[0]", "Invalid value: \"None\": may not be set to 'None' for NodePort services")],
                 id="headless-node-port"),
    pytest.param({"ports": []}, [("spec.ports", "Required value")], id="no-ports"),
    pytest.param({"ports": [], "clusterIP": "None"}, [], id="headless-without-ports"),
    pytest.param({"sessionAffinity": "Cookie"},
                 [("spec.sessionAffinity", 'Unsupported value: "Cookie": supported values: "ClientIP", "None"')],
                 id="session-affinity"),
    pytest.param({"externalTrafficPolicy": "Local"},
                 [("spec.externalTrafficPolicy",
                   'Invalid value: "Local": may only be set for externally-accessible services')], id="traffic-policy"),
    pytest.param({"loadBalancerSourceRanges": ["10.0.0.0/8"]},
                 [("spec.LoadBalancerSourceRanges", "Forbidden: may only be used when `type` is 'LoadBalancer'")],
                 id="source-ranges"),
    pytest.param({"type": "ExternalName", "externalName": "Not A Host"},
                 [("spec.externalName", f'Invalid value: "Not A Host": {SUBDOMAIN}')], id="external-name"),
])
def test_services(spec: dict, expected: list) -> None:
    assert check(service(**spec)) == expected


# ---- configmaps, secrets, namespaces, runtime classes ------------------------------------------

@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(config_map(data={"a b": "x"}), [("data[a b]", f'Invalid value: "a b": {CONFIG_KEY}')], id="cm-key"),
    pytest.param(config_map(data={"..conf": "x"}), [("data[..conf]", "Invalid value: \"..conf\": must not start with '..'")],
                 id="cm-dotdot"),
    pytest.param(config_map(data={"k": "x"}, binaryData={"k": "eA=="}),
                 [("data[k]", 'Invalid value: "k": duplicate of key present in binaryData')], id="cm-duplicate"),
    pytest.param(config_map(data={"k": "x" * (1024 * 1024 + 1)}), [("", "Too long: must have at most 1048576 bytes")],
                 id="cm-too-big"),
    pytest.param(secret(data={"tls.crt": "-----BEGIN CERTIFICATE-----"}),
                 [("data[tls.crt]", 'Invalid value: "-----BEGIN CERTIFICATE-----": illegal base64 data at input byte 0')],
                 id="secret-base64"),
    pytest.param(secret(data={"k": "aGVsbG8"}), [("data[k]", 'Invalid value: "aGVsbG8": illegal base64 data at input byte 4')],
                 id="secret-padding"),
    pytest.param(secret(data={"k": "aGVs\nbG8="}), [], id="secret-newlines-ignored"),
    pytest.param(secret(stringData={"a/b": "x"}), [("data[a/b]", f'Invalid value: "a/b": {CONFIG_KEY}')],
                 id="secret-string-data-key"),
    pytest.param(secret(type="kubernetes.io/tls", data={"tls.crt": "eA=="}), [("data[tls.key]", "Required value")],
                 id="secret-tls"),
    pytest.param(secret(type="kubernetes.io/basic-auth"),
                 [("data[username]", "Required value"), ("data[password]", "Required value")], id="secret-basic-auth"),
    pytest.param(namespace() | {"spec": {"finalizers": ["cleanup"]}},
                 [("spec.finalizers", 'Invalid value: "cleanup": name is neither a standard finalizer name nor is it '
                                      "fully qualified")], id="namespace-finalizer"),
    pytest.param({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "gvisor"},
                  "handler": "runsc_v2"}, [("handler", f'Invalid value: "runsc_v2": {LABEL}')], id="runtimeclass-handler"),
    pytest.param({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "kata"},
                  "handler": "kata", "overhead": {"podFixed": {"memory": "-1"}}},
                 [("overhead.limits[memory]", f'Invalid value: "-1": {NEGATIVE}')], id="runtimeclass-overhead"),
    pytest.param({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
                  "spec": {"leaseDurationSeconds": 0}},
                 [("spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0")], id="lease"),
    pytest.param({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                  "spec": {"accessModes": ["ReadWriteSometimes"], "resources": {"requests": {"storage": "0"}}}},
                 [("spec.accessModes", 'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", '
                                       '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'),
                  ("spec.resources[storage]", 'Invalid value: "0": must be greater than zero')], id="pvc"),
])
def test_data_and_cluster_objects(obj: dict, expected: list) -> None:
    assert check(obj) == expected


# ---- updates ----------------------------------------------------------------------------------

POD_UPDATE = ("Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
              "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
              "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
              "previously negative)\n")


def updated(old: dict, change: Callable[[dict], Any]) -> tuple[dict, dict]:
    """(new, old): the stored object, and a changed copy of it."""
    before = stored(old)
    return edit(before, change), before


@pytest.mark.parametrize(("new_old", "expected"), [
    pytest.param(updated(deployment(), lambda o: o["spec"].update(replicas=5)), [], id="deployment-scale"),
    pytest.param(updated(deployment(), lambda o: (o["spec"]["selector"]["matchLabels"].update(v="2"),
                                                  o["spec"]["template"]["metadata"]["labels"].update(v="2"))),
                 [("spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
                                    '"v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable')],
                 id="deployment-selector"),
    pytest.param(updated(daemon_set(), lambda o: o["spec"].update(selector={"matchLabels": {"app": "web", "x": "y"}})),
                 [MISMATCH, ("spec.selector", 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
                                              '"x":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: '
                                              "field is immutable")], id="daemonset-selector"),
    pytest.param(updated(stateful_set(), lambda o: o["spec"].update(replicas=3, minReadySeconds=5)), [],
                 id="statefulset-allowed"),
    pytest.param(updated(stateful_set(), lambda o: o["spec"].update(serviceName="other")),
                 [("spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                           "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                           "'minReadySeconds' are forbidden")], id="statefulset-forbidden"),
    pytest.param(updated(pod(), lambda o: o["spec"]["containers"][0].update(image="nginx:1.26")), [], id="pod-image"),
    pytest.param(updated(pod({"activeDeadlineSeconds": 60}), lambda o: o["spec"].update(activeDeadlineSeconds=30)), [],
                 id="pod-deadline-down"),
    pytest.param(updated(pod({"activeDeadlineSeconds": 60}), lambda o: o["spec"].update(activeDeadlineSeconds=90)),
                 [("spec.activeDeadlineSeconds", "Invalid value: 90: must be less than or equal to previous value")],
                 id="pod-deadline-up"),
    pytest.param(updated(pod(), lambda o: o["spec"].update(tolerations=[{"key": "k", "operator": "Exists"}])), [],
                 id="pod-toleration-added"),
    pytest.param(updated(pod({"tolerations": [{"key": "k", "operator": "Exists"}]}),
                         lambda o: o["spec"].update(tolerations=[])),
                 [("spec.tolerations", "Forbidden: existing toleration can not be modified except its tolerationSeconds")],
                 id="pod-toleration-removed"),
    pytest.param(updated(pod(), lambda o: o["spec"].update(containers=[container(), container(name="b")])),
                 [("spec.containers", "Forbidden: pod updates may not add or remove containers")],
                 id="pod-container-added"),
    pytest.param(updated(pod(), lambda o: o["metadata"].update(name="other")),
                 [("metadata.name", 'Invalid value: "other": field is immutable')], id="name"),
    pytest.param(updated(pod(), lambda o: o["metadata"].update(namespace="other")),
                 [("metadata.namespace", 'Invalid value: "other": field is immutable')], id="namespace"),
    pytest.param(updated(service(clusterIP="10.96.0.10"), lambda o: o["spec"].update(clusterIP="10.96.0.11",
                                                                                     clusterIPs=["10.96.0.11"])),
                 [("spec.clusterIPs[0]", 'Invalid value: []string{"10.96.0.11"}: may not change once set')],
                 id="service-cluster-ip"),
    pytest.param(updated(service(clusterIP="10.96.0.10"), lambda o: o["spec"].update(clusterIP="", clusterIPs=[])), [],
                 id="service-cluster-ip-omitted"),
    pytest.param(updated(config_map(data={"a": "1"}, immutable=True), lambda o: o["data"].update(a="2")),
                 [("data", "Forbidden: field is immutable when `immutable` is set")], id="configmap-immutable"),
    pytest.param(updated(secret(data={"a": "MQ=="}, immutable=True), lambda o: o.update(immutable=False)),
                 [("immutable", "Forbidden: field is immutable when `immutable` is set")], id="secret-immutable-flag"),
    pytest.param(updated(secret(data={"a": "MQ=="}), lambda o: o.update(type="kubernetes.io/basic-auth",
                                                                        data={"username": "YQ=="})),
                 [("type", 'Invalid value: "kubernetes.io/basic-auth": field is immutable')], id="secret-type"),
    pytest.param(updated(job(), lambda o: o["spec"]["template"]["spec"]["containers"][0].update(image="x")),
                 [("spec.template", 'Invalid value: core.PodTemplateSpec{"spec":{"containers":[{"image":"x",'
                                    '"imagePullPolicy":"IfNotPresent","name":"app","terminationMessagePath":'
                                    '"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":'
                                    '"ClusterFirst","restartPolicy":"Never","schedulerName":"default-scheduler",'
                                    '"securityContext":{},"terminationGracePeriodSeconds":30}}: field is immutable')],
                 id="job-template"),
    pytest.param(updated(job(suspend=True), lambda o: o["spec"]["template"]["spec"].update(nodeSelector={"a": "b"})),
                 [], id="suspended-job-scheduling"),
    pytest.param(updated(cron_job(), lambda o: o["spec"].update(schedule="*/5 * * * *")), [], id="cronjob-schedule"),
    pytest.param(updated({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "r"},
                          "handler": "runc"}, lambda o: o.update(handler="crun")),
                 [("handler", 'Invalid value: "crun": field is immutable')], id="runtimeclass-handler"),
])
def test_updates(new_old: tuple[dict, dict], expected: list) -> None:
    new, old = new_old
    assert check(new, old) == expected


def test_pod_spec_change_is_forbidden_with_a_diff() -> None:
    new, old = updated(pod(), lambda o: o["spec"]["containers"][0].update(ports=[{"containerPort": 80}]))
    [(path, message)] = check(new, old)
    assert path == "spec"
    assert message.startswith(POD_UPDATE)
    assert "spec.containers[0].ports" in message


def test_long_cron_job_names_may_still_be_updated() -> None:
    new, old = updated(cron_job() | {"metadata": {"name": "n" * 60}}, lambda o: o["spec"].update(suspend=True))
    assert check(new, old) == []


def test_rules_do_not_mutate_their_input() -> None:
    obj = deployment()
    before = copy.deepcopy(obj)
    rules.check(kinds.by_kind("Deployment"), obj)
    assert obj == before


@pytest.mark.parametrize("obj", [
    pytest.param(deployment(replicas="three"), id="wrong-scalar-type"),
    pytest.param(deployment(template="nope"), id="wrong-object-type"),
    pytest.param(pod({"containers": "nope"}), id="wrong-list-type"),
    pytest.param({"apiVersion": "v1", "kind": "Pod", "metadata": None, "spec": None}, id="nulls"),
])
def test_shapes_the_schema_rejects_do_not_crash(obj: dict) -> None:
    assert isinstance(rules.check(kinds.by_kind(obj["kind"]), obj), list)


def test_warnings() -> None:
    assert rules.warnings(kinds.by_kind("Pod"), pod({"terminationGracePeriodSeconds": -1})) == [
        "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"]
    assert rules.warnings(kinds.by_kind("Pod"), pod()) == []


@pytest.mark.parametrize(("value", "rendered"), [
    pytest.param("a\"b", '"a\\"b"', id="string"),
    pytest.param("tab\there", '"tab\\there"', id="control"),
    pytest.param("héllo", '"héllo"', id="unicode-printable"),
    pytest.param(None, "null", id="nil"),
    pytest.param(True, "true", id="bool"),
    pytest.param(-3, "-3", id="int"),
    pytest.param(1.5, "1.5", id="float"),
    pytest.param({"b": "2", "a": "1"}, 'map[string]string{"a":"1", "b":"2"}', id="map"),
    pytest.param(["x", "y"], '[]string{"x", "y"}', id="slice"),
])
def test_render(value: Any, rendered: str) -> None:
    assert rules.render(value) == rendered
