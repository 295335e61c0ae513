"""The taint eviction controller (Kubernetes' NoExecute taint manager): a pod on a node
with a NoExecute taint it does not tolerate is deleted; one that tolerates it for
tolerationSeconds is deleted that long after the taint was added.

sync(pod key), level-triggered from the caches:

    not bound, already being deleted, or its node has no NoExecute taint -> nothing
    some NoExecute taint not tolerated                 -> delete now
    all tolerated, none with tolerationSeconds         -> tolerated for ever
    otherwise, at (when this controller first saw the latest of those taints + the smallest
    tolerationSeconds among the tolerations used)      -> delete; before that, look again then

As Kubernetes' taint manager, the countdown starts when the taint is observed (on this
controller's clock, sub-second), not from the taint's timeAdded, which has whole seconds.

Eviction is an ordinary graceful delete (an event TaintManagerEviction "Marking for
deletion Pod ns/name" first): on a dead node the pod stays Terminating, as in
Kubernetes, but its ReplicaSet no longer counts it and makes a new one elsewhere.
A node's taint change enqueues every pod bound to it.
"""
from __future__ import annotations

import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.api.tolerations import matching
from minikctl.controllers.base import Clock, Controller, Informers, split_key

log = logging.getLogger(__name__)

FOREVER = float("inf")


class TaintEvictionController(Controller):
    name = "taint-eviction-controller"
    kind = "Pod"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.pod_kind = kinds.by_kind("Pod")
        self.recorder = recorder
        self.pods = self.primary
        self.seen: dict[str, dict[tuple[str, str], float]] = {}  # node -> taint -> first seen (epoch s)
        self.nodes = informers.informer("Node")
        self.informers.append(self.nodes)
        self.pods.add_handler(self.handle_pod_event)
        self.nodes.add_handler(self.handle_node_event)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if etype != "DELETED" and (pod.get("spec") or {}).get("nodeName"):
            self.enqueue(pod)

    def handle_node_event(self, etype: str, node: dict, old: dict | None) -> None:
        name = node["metadata"]["name"]
        if etype == "DELETED":
            self.seen.pop(name, None)
            return
        self._observe(node)
        if old is not None and _no_execute(node) == _no_execute(old):
            return
        for pod in self.pods.list(predicate=lambda p: (p.get("spec") or {}).get("nodeName") == name):
            self.enqueue(pod)

    def resync(self) -> None:
        # Only pods on tainted nodes can have anything to do.
        tainted = {n["metadata"]["name"] for n in self.nodes.list() if _no_execute(n)}
        for pod in self.pods.list(predicate=lambda p: (p.get("spec") or {}).get("nodeName") in tainted):
            self.enqueue(pod)

    def sync(self, key: str) -> None:
        pod = self.pods.get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        node = self.nodes.get((pod.get("spec") or {}).get("nodeName") or "")
        taints = _no_execute(node or {})
        if not taints:
            return
        wait = self.seconds_left(pod, taints, since=self._observe(node or {}))
        if wait == FOREVER:
            return
        if wait > 0:
            self.queue.add_after(key, wait)
            return
        self.evict(pod)

    def _observe(self, node: dict) -> float:
        """When the newest of the node's NoExecute taints was first seen (epoch seconds)."""
        now = self.clock.now().timestamp()
        taints = {(t.get("key", ""), t.get("effect", "")) for t in _no_execute(node)}
        seen = self.seen.setdefault(node.get("metadata", {}).get("name", ""), {})
        for gone in set(seen) - taints:
            del seen[gone]
        for taint in taints:
            seen.setdefault(taint, now)
        return max(seen.values(), default=now)

    def seconds_left(self, pod: dict, taints: list[dict], *, since: float | None = None) -> float:
        """How long the pod may stay: 0 for a taint it does not tolerate, FOREVER when
        every toleration it uses has no tolerationSeconds."""
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        used = []
        for taint in taints:
            found = matching(tolerations, taint)
            if not found:
                return 0.0
            used += found
        seconds = [max(0, int(t["tolerationSeconds"])) for t in used if t.get("tolerationSeconds") is not None]
        if not seconds:
            return FOREVER
        if since is None:
            added = [_time(t.get("timeAdded")) for t in taints]
            since = max((a for a in added if a is not None), default=self.clock.now().timestamp())
        return since + min(seconds) - self.clock.now().timestamp()

    def evict(self, pod: dict) -> None:
        ns, name = split_key(f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}")
        if self.recorder is not None:
            self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}")
        try:
            self.client.delete(self.pod_kind, ns, name, expect_rv=None)
        except errors.NotFound:
            return
        log.info("evicted pod %s/%s from node %s (NoExecute taint)", ns, name, pod["spec"].get("nodeName"))


def _time(value: object) -> float | None:
    try:
        return meta.parse_time(str(value)).timestamp() if value else None
    except ValueError:
        return None


def _no_execute(node: dict) -> list[dict]:
    return [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]
