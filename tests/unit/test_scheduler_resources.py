"""Request arithmetic: containers summed, init containers by the max rule, sidecars,
overhead, and the non-zero defaults scoring uses."""
from __future__ import annotations

from minikctl.scheduler import resources

MI = 1024 * 1024


def c(cpu: str | None = None, memory: str | None = None, **extra) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": "c", "image": "busybox", "resources": {"requests": requests}, **extra}


def test_containers_are_summed():
    spec = {"containers": [c("250m", "64Mi"), c("500m", "128Mi")]}
    assert resources.pod_requests(spec) == {"cpu": 750, "memory": 192 * MI}


def test_an_init_container_bigger_than_the_app_containers_decides():
    spec = {"initContainers": [c("2", "10Mi"), c("100m", "1Gi")], "containers": [c("500m", "64Mi")]}
    assert resources.pod_requests(spec) == {"cpu": 2000, "memory": 1024 * MI}


def test_sidecars_run_next_to_the_app_and_to_later_init_containers():
    # sidecar 100m runs with the app (500m) -> 600m; the init container after it needs 1 + 0.1.
    spec = {"initContainers": [c("100m", restartPolicy="Always"), c("1")], "containers": [c("500m")]}
    assert resources.pod_requests(spec)["cpu"] == 1100
    spec["initContainers"][1] = c("200m")
    assert resources.pod_requests(spec)["cpu"] == 600


def test_overhead_is_added():
    spec = {"containers": [c("1", "1Gi")], "overhead": {"cpu": "250m", "memory": "120Mi"}}
    assert resources.pod_requests(spec) == {"cpu": 1250, "memory": 1144 * MI}


def test_non_zero_defaults_fill_only_missing_requests():
    spec = {"containers": [c(), c("0"), c("300m", "1Mi")]}
    nz = resources.pod_requests(spec, non_zero=True)
    assert nz["cpu"] == 100 + 0 + 300
    assert nz["memory"] == 200 * MI * 2 + MI
    assert resources.pod_requests(spec) == {"cpu": 300, "memory": MI}


def test_extended_resources_and_bad_quantities():
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"nvidia.com/gpu": "2", "cpu": "lots"}}}]}
    assert resources.pod_requests(spec) == {"nvidia.com/gpu": 2, "cpu": 0}
    assert resources.allocatable({"status": {"allocatable": {"cpu": "3500m", "memory": "1Gi", "pods": "110"}}}) == {
        "cpu": 3500, "memory": 1024 * MI, "pods": 110}
