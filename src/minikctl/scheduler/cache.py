"""The scheduler's cache: every node with the pods assigned to it, kept from the shared
informers, plus pods the scheduler has *assumed* onto a node before the bind is written.

Assuming is what lets a burst of pods spread: the next pod is placed against node
totals that already include the previous one, without waiting for the bind to come
back through the watch. The informer's event for the bound pod then confirms the
assumption; a failed bind forgets it.

Pods assigned to a node the cache has no Node object for (yet) are kept, and counted
once the node appears; such nodes are not offered to the framework.
"""
from __future__ import annotations

import threading

from minikctl.scheduler.framework import Snapshot
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

TERMINAL = ("Succeeded", "Failed")


def placeholder(name: str) -> dict:
    return {"metadata": {"name": name}}


class Cache:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._nodes: dict[str, NodeInfo] = {}
        self._has_node: set[str] = set()
        self._pod_node: dict[str, str] = {}  # pod key -> node it is counted on
        self.assumed: set[str] = set()

    # -- nodes ----------------------------------------------------------------------------

    def set_node(self, node: dict) -> None:
        name = node["metadata"]["name"]
        with self.lock:
            info = self._nodes.get(name)
            if info is None:
                self._nodes[name] = NodeInfo(node)
            else:
                info.set_node(node)
            self._has_node.add(name)

    def remove_node(self, name: str) -> None:
        with self.lock:
            self._has_node.discard(name)
            info = self._nodes.get(name)
            if info is not None and not info.pods:
                del self._nodes[name]

    # -- pods -----------------------------------------------------------------------------

    def set_pod(self, pod: dict) -> None:
        """An assigned pod seen by the informer (added or updated): counted on its node,
        replacing any assumption about it. Terminal pods are dropped (they hold nothing)."""
        if (pod.get("status") or {}).get("phase") in TERMINAL:
            self.remove_pod(f"{pod['metadata'].get('namespace') or 'default'}/{pod['metadata']['name']}")
            return
        info = PodInfo(pod)
        with self.lock:
            self.assumed.discard(info.key)
            self._place(info)

    def _place(self, info: PodInfo) -> None:
        self._unplace(info.key)
        node = self._nodes.get(info.node_name)
        if node is None:
            node = self._nodes[info.node_name] = NodeInfo(placeholder(info.node_name))
        node.add_pod(info)
        self._pod_node[info.key] = info.node_name

    def _unplace(self, key: str) -> None:
        name = self._pod_node.pop(key, None)
        if name is None:
            return
        node = self._nodes.get(name)
        if node is not None:
            node.remove_pod(key)
            if not node.pods and name not in self._has_node:
                del self._nodes[name]

    def remove_pod(self, key: str) -> None:
        with self.lock:
            self.assumed.discard(key)
            self._unplace(key)

    def assume(self, info: PodInfo, node_name: str) -> PodInfo:
        """Count the pod on the node now, before its bind is written."""
        assumed = PodInfo({**info.pod, "spec": {**(info.pod.get("spec") or {}), "nodeName": node_name}})
        with self.lock:
            self._place(assumed)
            self.assumed.add(assumed.key)
        return assumed

    def forget(self, key: str) -> None:
        """Undo an assumption whose bind failed (a pod the informer confirmed stays)."""
        with self.lock:
            if key in self.assumed:
                self.assumed.discard(key)
                self._unplace(key)

    def is_assumed(self, key: str) -> bool:
        with self.lock:
            return key in self.assumed

    # -- snapshots --------------------------------------------------------------------------

    def snapshot(self, namespace_labels: dict | None = None) -> Snapshot:
        """The nodes with a Node object, in name order. The NodeInfos are the live ones:
        callers hold `lock` for the whole cycle, so nothing changes under them."""
        with self.lock:
            nodes = [self._nodes[n] for n in sorted(self._has_node)]
        return Snapshot(nodes, namespace_labels or {})
