"""Kubelet resource admission: pods first, then cpu, memory; requests of admitted pods count."""
from __future__ import annotations

from minikctl.kubelet.admission import reject_reason


def pod(cpu: str = "", memory: str = "") -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {"spec": {"containers": [{"name": "c", "resources": {"requests": requests}}]}}


NODE = {"cpu": "1", "memory": "1Gi", "pods": "2"}


def test_a_pod_that_fits_is_admitted():
    assert reject_reason(pod("500m", "512Mi"), [pod("500m", "512Mi")], NODE) is None


def test_too_much_cpu_names_requested_used_and_capacity_in_millicores():
    assert reject_reason(pod("800m"), [pod("300m")], NODE) == (
        "OutOfcpu", "Node didn't have enough resource: cpu, requested: 800, used: 300, capacity: 1000")


def test_memory_in_bytes():
    assert reject_reason(pod(memory="2Gi"), [], NODE) == (
        "OutOfmemory", f"Node didn't have enough resource: memory, requested: {2 << 30}, used: 0, capacity: {1 << 30}")


def test_pods_are_counted_first():
    assert reject_reason(pod("5"), [pod(), pod()], NODE) == (
        "OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2")


def test_without_allocatable_everything_is_admitted():
    assert reject_reason(pod("64"), [], {}) is None
