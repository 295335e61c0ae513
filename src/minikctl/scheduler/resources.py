"""Resource arithmetic as kube-scheduler does it: what a pod requests, what a node offers.

Amounts are plain ints in the scheduler's units: cpu in millicores, memory and
ephemeral-storage in bytes, pods and extended resources (nvidia.com/gpu, hugepages-2Mi)
in whole units. A pod's request is component-helpers' PodRequests (1.32):

    max(sum(containers) + sum(restartable init containers),
        max over init containers i of (request(i) + restartable init containers before i))
    + spec.overhead

"Non-zero" requests are the same with 100m cpu / 200Mi memory for any container that
does not state them: scoring uses those, so a node full of request-less pods does not
look empty (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest).
"""
from __future__ import annotations

import functools
import logging

from minikctl.api import quantity

log = logging.getLogger(__name__)

CPU, MEMORY, EPHEMERAL, PODS = "cpu", "memory", "ephemeral-storage", "pods"
DEFAULT_MILLI_CPU = 100
DEFAULT_MEMORY = 200 * 1024 * 1024
NON_ZERO_DEFAULTS = {CPU: DEFAULT_MILLI_CPU, MEMORY: DEFAULT_MEMORY}

Resources = dict  # resource name -> int amount


@functools.lru_cache(maxsize=4096)
def amount(name: str, value: str) -> int:
    """One quantity in scheduler units; a value that does not parse counts as 0."""
    try:
        q = quantity.parse_quantity(value)
    except (ValueError, TypeError):
        log.warning("ignoring unparseable %s quantity %r", name, value)
        return 0
    return q.milli_value if name == CPU else q.int_value


def resource_list(values: dict | None) -> Resources:
    """A Kubernetes ResourceList ({"cpu": "500m"}) in scheduler units."""
    return {str(k): amount(str(k), str(v)) for k, v in (values or {}).items()}


def _add(into: Resources, other: Resources) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max_into(into: Resources, other: Resources) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def _container_requests(container: dict, defaults: dict | None) -> Resources:
    reqs = resource_list((container.get("resources") or {}).get("requests"))
    if defaults:
        for k, v in defaults.items():
            reqs.setdefault(k, v)  # an explicit 0 stays 0, as NonMissingContainerRequests
    return reqs


def pod_requests(spec: dict, *, non_zero: bool = False) -> Resources:
    defaults = NON_ZERO_DEFAULTS if non_zero else None
    reqs: Resources = {}
    for c in spec.get("containers") or []:
        _add(reqs, _container_requests(c, defaults))
    sidecars: Resources = {}
    init_max: Resources = {}
    for c in spec.get("initContainers") or []:
        creqs = _container_requests(c, defaults)
        if c.get("restartPolicy") == "Always":
            # A sidecar keeps running next to the app containers, and next to every
            # init container that starts after it.
            _add(reqs, creqs)
            _add(sidecars, creqs)
            creqs = dict(sidecars)
        else:
            _add(creqs, sidecars)
        _max_into(init_max, creqs)
    _max_into(reqs, init_max)
    _add(reqs, resource_list(spec.get("overhead")))
    return reqs


def allocatable(node: dict) -> Resources:
    return resource_list((node.get("status") or {}).get("allocatable"))
