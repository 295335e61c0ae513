"""ImageLocality: prefer nodes that already have the pod's images (node.status.images),
weighted by image size and by how many nodes share the image, as kube-scheduler does
(23 MB .. 1000 MB per container mapped to 0..100)."""
from __future__ import annotations

from minikctl.scheduler.framework import MAX_NODE_SCORE
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def normalized_name(image: str) -> str:
    """Docker's normalisation, so "web" and "docker.io/library/web:latest" are one image."""
    try:
        from minikctl.runtime.images import normalize

        return normalize(image)
    except Exception:  # noqa: BLE001 - an odd name is just compared as written
        return image


class ImageLocality:
    name = "ImageLocality"
    weight = 1

    def pre_score(self, state: dict, pod: PodInfo, nodes: list, snapshot) -> bool:  # type: ignore[no-untyped-def]
        all_nodes = snapshot.nodes
        if not any(n.images for n in all_nodes):
            return False
        spec = pod.pod.get("spec") or {}
        containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
        images = [normalized_name(str(c.get("image") or "")) for c in containers]
        spread = {}
        for image in set(images):
            having = sum(1 for n in all_nodes if image in _normalized(n))
            spread[image] = having / len(all_nodes)
        state[self.name] = (images, spread, len(containers))
        return True

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        images, spread, n = state[self.name]
        known = _normalized(node)
        total = sum(int(known[i] * spread[i]) for i in images if i in known)
        top = MAX_CONTAINER_THRESHOLD * max(n, 1)
        total = min(max(total, MIN_THRESHOLD), top)
        return MAX_NODE_SCORE * (total - MIN_THRESHOLD) // (top - MIN_THRESHOLD)


def _normalized(node: NodeInfo) -> dict:
    cached = getattr(node, "_normalized_images", None)
    if cached is None or cached[0] is not node.images:
        cached = (node.images, {normalized_name(k): v for k, v in node.images.items()})
        node._normalized_images = cached  # type: ignore[attr-defined]
    return cached[1]
