"""The official `kubernetes` Python client against a running daemon (issue 7).

The client loads the kubeconfig the daemon wrote (the path `minikctl kubeconfig`
prints) into a Configuration of its own, so tests never share the client's global
default. Every call carries a client-side `_request_timeout`; watches are bounded by
the server-side `timeout_seconds` as well. Each test is bounded.
"""
from __future__ import annotations

import ipaddress
import time

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from tests.conftest import run_cli  # noqa: E402
from tests.e2e.conftest import wait_for  # noqa: E402

pytestmark = pytest.mark.timeout(60)

T = 20  # client-side timeout of every request, seconds

SMP = "application/strategic-merge-patch+json"


def web(replicas: int = 1, name: str = "web") -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {
                "terminationGracePeriodSeconds": 2,
                "containers": [{
                    "name": "web", "image": "python:3.11",
                    "command": ["python3", "-u", "-m", "http.server", "8080"],
                    "env": [{"name": "VERSION", "value": "v1"}],
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
                }]}},
        }}


@pytest.fixture
def api(daemon):
    """(CoreV1Api, AppsV1Api) on a client configured from the daemon's kubeconfig."""
    out = run_cli("kubeconfig")
    assert out.returncode == 0, out.stderr
    cfg = client.Configuration()
    config.load_kube_config(config_file=out.stdout.strip(), client_configuration=cfg)
    api_client = client.ApiClient(cfg)
    try:
        yield client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    finally:
        api_client.close()


def is_ready(pod) -> bool:  # type: ignore[no-untyped-def]
    conds = {c.type: c.status for c in pod.status.conditions or []}
    return pod.status.phase == "Running" and conds.get("Ready") == "True" and not pod.metadata.deletion_timestamp


def watch_until_ready(v1, selector: str, count: int, timeout: int = 30) -> tuple[dict, list[tuple[str, str, str]]]:  # type: ignore[no-untyped-def]
    """Watch pods (from a list, as informers do) until `count` are Running and Ready; the
    ready pods by name, and every (type, name, phase) seen."""
    seen: list[tuple[str, str, str]] = []
    ready: dict = {}
    w = watch.Watch()
    deadline = time.monotonic() + timeout
    for event in w.stream(v1.list_namespaced_pod, "default", label_selector=selector,
                          timeout_seconds=timeout, _request_timeout=timeout + 10):
        pod = event["object"]
        seen.append((event["type"], pod.metadata.name, pod.status.phase))
        if event["type"] == "DELETED" or not is_ready(pod):
            ready.pop(pod.metadata.name, None)
        else:
            ready[pod.metadata.name] = pod
        if len(ready) >= count or time.monotonic() > deadline:
            w.stop()
    assert len(ready) >= count, f"only {len(ready)} of {count} pods went ready; saw {seen}"
    return ready, seen


def test_list_pods_read_deployment_status_watch_and_logs(daemon, api):
    _, cidr = daemon
    v1, apps = api
    assert v1.list_namespaced_pod("default", _request_timeout=T).items == []

    created = apps.create_namespaced_deployment("default", web(), _request_timeout=T)
    assert created.metadata.generation == 1 and created.metadata.uid

    # The watch sees the pod appear and go Running (and Ready).
    ready, seen = watch_until_ready(v1, "app=web", 1)
    assert ("ADDED", next(iter(ready)), "Pending") in seen or ("ADDED", next(iter(ready)), "Running") in seen
    assert any(phase == "Running" for _, _, phase in seen)

    pods = v1.list_namespaced_pod("default", label_selector="app=web", _request_timeout=T).items
    assert [p.metadata.name for p in pods] == list(ready)
    pod = pods[0]
    assert pod.metadata.owner_references[0].kind == "ReplicaSet"
    assert pod.spec.node_name == "node-1"
    assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(cidr)
    assert pod.status.container_statuses[0].ready is True
    assert v1.list_pod_for_all_namespaces(label_selector="app=web", _request_timeout=T).items[0].metadata.name \
        == pod.metadata.name

    # The Deployment's status, as the controller writes it.
    def available():  # type: ignore[no-untyped-def]
        d = apps.read_namespaced_deployment("web", "default", _request_timeout=T)
        return d if d.status.available_replicas == 1 else None
    d = wait_for(available, what="deployment available")
    assert d.status.observed_generation == 1
    assert (d.status.replicas, d.status.updated_replicas, d.status.ready_replicas) == (1, 1, 1)
    conds = {c.type: (c.status, c.reason) for c in d.status.conditions}
    assert conds["Available"] == ("True", "MinimumReplicasAvailable")
    assert conds["Progressing"] == ("True", "NewReplicaSetAvailable")
    status = apps.read_namespaced_deployment_status("web", "default", _request_timeout=T)
    assert status.status.available_replicas == 1

    # Logs: http.server's banner, then a line per readiness probe.
    def probed():  # type: ignore[no-untyped-def]
        text = v1.read_namespaced_pod_log(pod.metadata.name, "default", _request_timeout=T)
        return text if '"GET / HTTP/1.1" 200' in text else None
    text = wait_for(probed, what="a probe line in the log")
    assert text.startswith(f"Serving HTTP on {pod.status.pod_ip} port 8080")
    tail = v1.read_namespaced_pod_log(pod.metadata.name, "default", container="web", tail_lines=1,
                                      _request_timeout=T)
    assert tail.count("\n") == 1 and '"GET / HTTP/1.1" 200' in tail
    with pytest.raises(ApiException) as err:
        v1.read_namespaced_pod_log(pod.metadata.name, "default", container="nope", _request_timeout=T)
    assert err.value.status == 400


def test_strategic_merge_patch_of_replicas_scales_the_deployment(daemon, api):
    v1, apps = api
    apps.create_namespaced_deployment("default", web(), _request_timeout=T)
    watch_until_ready(v1, "app=web", 1)

    patched = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}},
                                               _content_type=SMP, _request_timeout=T)
    assert patched.spec.replicas == 3
    assert patched.metadata.generation == 2
    ready, _ = watch_until_ready(v1, "app=web", 3)
    assert len(ready) == 3

    def scaled():  # type: ignore[no-untyped-def]
        d = apps.read_namespaced_deployment("web", "default", _request_timeout=T)
        return d if (d.status.observed_generation, d.status.available_replicas) == (2, 3) else None
    wait_for(scaled, what="deployment status: 3 available at generation 2")
    scale = apps.read_namespaced_deployment_scale("web", "default", _request_timeout=T)
    assert scale.spec.replicas == 3 and scale.status.selector == "app=web"


def test_strategic_merge_patch_merges_lists_by_key(daemon, api):
    """containers merge by name and env by name: the patch adds a variable and keeps the
    rest of the container. (No replicas, so nothing runs.)"""
    _, apps = api
    apps.create_namespaced_deployment("default", web(replicas=0, name="smp"), _request_timeout=T)
    body = {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "EXTRA", "value": "1"}]}]}}}}
    patched = apps.patch_namespaced_deployment("smp", "default", body, _content_type=SMP, _request_timeout=T)
    (container,) = patched.spec.template.spec.containers
    assert container.image == "python:3.11"
    assert container.command == ["python3", "-u", "-m", "http.server", "8080"]
    assert {e.name: e.value for e in container.env} == {"VERSION": "v1", "EXTRA": "1"}
    # A `$patch: delete` directive removes one keyed item.
    body = {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "VERSION", "$patch": "delete"}]}]}}}}
    patched = apps.patch_namespaced_deployment("smp", "default", body, _content_type=SMP, _request_timeout=T)
    assert [e.name for e in patched.spec.template.spec.containers[0].env] == ["EXTRA"]
    # The client's default for a dict body (it downgrades json-patch to strategic merge).
    patched = apps.patch_namespaced_deployment("smp", "default", {"metadata": {"labels": {"tier": "web"}}},
                                               _request_timeout=T)
    assert patched.metadata.labels == {"app": "smp", "tier": "web"}


def test_configmap_create_read_list_conflict_patch_delete(daemon, api):
    v1, _ = api
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings", labels={"app": "demo"}),
                              data={"mode": "a"})
    created = v1.create_namespaced_config_map("default", body, _request_timeout=T)
    assert created.metadata.namespace == "default" and created.metadata.uid
    assert created.metadata.creation_timestamp is not None
    assert v1.read_namespaced_config_map("settings", "default", _request_timeout=T).data == {"mode": "a"}
    listed = v1.list_namespaced_config_map("default", label_selector="app=demo", _request_timeout=T)
    assert [c.metadata.name for c in listed.items] == ["settings"]

    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("default", body, _request_timeout=T)
    assert err.value.status == 409
    assert '"reason":"AlreadyExists"' in err.value.body.replace(" ", "")

    patched = v1.patch_namespaced_config_map("settings", "default", {"data": {"extra": "1"}}, _request_timeout=T)
    assert patched.data == {"mode": "a", "extra": "1"}
    assert patched.metadata.resource_version != created.metadata.resource_version

    v1.delete_namespaced_config_map("settings", "default", _request_timeout=T)
    with pytest.raises(ApiException) as err:
        v1.read_namespaced_config_map("settings", "default", _request_timeout=T)
    assert err.value.status == 404
