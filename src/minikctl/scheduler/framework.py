"""The scheduling framework: one cycle of pre-filter -> filter -> score for one pod.

Plugins are small objects with any of these methods (kube-scheduler's extension points):

    pre_filter(state, pod, snapshot) -> None | Status | set[str]
        None: go on; a Status: SKIP (this plugin's filter has nothing to do) or a
        rejection of every node; a set: only these node names can fit.
    filter(state, pod, node) -> None | Status            None means "fits"
    pre_score(state, pod, nodes, snapshot) -> bool      False: this plugin scores 0 everywhere
    score(state, pod, node) -> int
    normalize(state, scores) -> list[int]               to 0..100

`state` is a dict a plugin fills in pre_filter/pre_score and reads in filter/score
(CycleState). A cycle that finds no node raises FitError, whose message is
kube-scheduler's: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't
match Pod's node affinity/selector."
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

SUCCESS, UNSCHEDULABLE, UNRESOLVABLE, SKIP, ERROR = range(5)
MAX_NODE_SCORE = 100
NO_NODES = "no nodes available to schedule pods"


@dataclass
class Status:
    """A plugin's verdict. UNSCHEDULABLE may be fixed by preempting pods;
    UNRESOLVABLE (UnschedulableAndUnresolvable) may not."""

    code: int
    reasons: tuple[str, ...] = ()
    plugin: str = ""


def unschedulable(*reasons: str) -> Status:
    return Status(UNSCHEDULABLE, reasons)


def unresolvable(*reasons: str) -> Status:
    return Status(UNRESOLVABLE, reasons)


@dataclass
class Snapshot:
    """The nodes of one cycle, in a stable order, and namespace labels for
    namespaceSelectors."""

    nodes: list[NodeInfo]
    namespace_labels: dict = field(default_factory=dict)  # namespace -> labels
    # Pods that preempted others and wait for them to go: node name -> those pods.
    nominated: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {n.name: n for n in self.nodes}


class FitError(Exception):
    """No node fits: per-node statuses, for the message and for preemption."""

    def __init__(self, num_nodes: int, statuses: dict[str, Status], *, pre_filter_msg: str = "") -> None:
        self.num_nodes = num_nodes
        self.statuses = statuses
        self.pre_filter_msg = pre_filter_msg
        self.post_filter_msg = ""
        super().__init__()

    def __str__(self) -> str:
        msg = f"0/{self.num_nodes} nodes are available:"
        if self.pre_filter_msg:
            msg += f" {self.pre_filter_msg}."
        else:
            histogram = reasons_histogram(self.statuses.values())
            if histogram:
                msg += f" {histogram}."
        if self.post_filter_msg:
            msg += f" {self.post_filter_msg}."
        return msg


def reasons_histogram(statuses) -> str:  # type: ignore[no-untyped-def]
    """"1 Insufficient cpu, 2 node(s) ...": each reason with the number of nodes that gave
    it, sorted as strings (Go's sort.Strings over "count reason")."""
    counts: dict[str, int] = {}
    for status in statuses:
        for reason in status.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


class Framework:
    def __init__(self, plugins: list, *, rng: random.Random | None = None) -> None:
        self.plugins = plugins
        self.rng = rng or random.Random()
        self._pre_filters = [p for p in plugins if hasattr(p, "pre_filter")]
        self._filters = [p for p in plugins if hasattr(p, "filter")]
        self._scorers = [p for p in plugins if hasattr(p, "score")]

    # -- filtering ----------------------------------------------------------------------

    def pre_filter(self, state: dict, pod: PodInfo, snapshot: Snapshot) -> tuple[set[str] | None, set[str]]:
        """Run pre-filters: (the node names that may fit or None for all, the plugins
        whose filter is skipped). Raises FitError when a pre-filter rejects the pod."""
        allowed: set[str] | None = None
        narrowing: list[str] = []
        skipped: set[str] = set()
        for plugin in self._pre_filters:
            result = plugin.pre_filter(state, pod, snapshot)
            if result is None:
                continue
            if isinstance(result, Status):
                if result.code == SKIP:
                    skipped.add(plugin.name)
                    continue
                result.plugin = plugin.name
                raise FitError(len(snapshot.nodes), {n.name: result for n in snapshot.nodes},
                               pre_filter_msg="; ".join(result.reasons))
            narrowing.append(plugin.name)
            allowed = set(result) if allowed is None else allowed & set(result)
            if not allowed:
                names = " ".join(narrowing)
                msg = (f"node(s) didn't satisfy plugin {narrowing[0]}" if len(narrowing) == 1
                       else f"node(s) didn't satisfy plugin(s) [{names}] simultaneously")
                status = unresolvable(msg)
                raise FitError(len(snapshot.nodes), {n.name: status for n in snapshot.nodes}, pre_filter_msg=msg)
        if allowed is not None:
            state["_narrowed_by"] = narrowing
        return allowed, skipped

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo, skipped: set[str] = frozenset()) -> Status | None:  # type: ignore[assignment]
        """The first plugin that rejects the node decides (kube-scheduler stops there)."""
        for plugin in self._filters:
            if plugin.name in skipped:
                continue
            status = plugin.filter(state, pod, node)
            if status is not None and status.code != SUCCESS:
                status.plugin = plugin.name
                return status
        return None

    def find_feasible(self, state: dict, pod: PodInfo, snapshot: Snapshot) -> tuple[list[NodeInfo], dict[str, Status]]:
        allowed, skipped = self.pre_filter(state, pod, snapshot)
        statuses: dict[str, Status] = {}
        feasible = []
        if allowed is not None:
            absent = unresolvable(f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(state['_narrowed_by']))}]")
        for node in snapshot.nodes:
            if allowed is not None and node.name not in allowed:
                statuses[node.name] = absent
                continue
            status = self._filter_with_nominated(state, pod, node, skipped, snapshot)
            if status is None:
                feasible.append(node)
            else:
                statuses[node.name] = status
        return feasible, statuses

    def _filter_with_nominated(self, state: dict, pod: PodInfo, node: NodeInfo, skipped: set[str],
                               snapshot: Snapshot) -> Status | None:
        """RunFilterPluginsWithNominatedPods: the room a more (or equally) important pod
        was promised by preempting is not given away. The node must fit the pod both
        with those pods on it and without them."""
        waiting = [p for p in snapshot.nominated.get(node.name, ())
                   if p.priority >= pod.priority and p.key != pod.key and p.key not in node.pods]
        if waiting:
            crowded = node.clone()
            for p in waiting:
                crowded.add_pod(p)
            status = self.filter(state, pod, crowded, skipped)
            if status is not None:
                return status
        return self.filter(state, pod, node, skipped)

    # -- scoring --------------------------------------------------------------------------

    def score(self, state: dict, pod: PodInfo, nodes: list[NodeInfo], snapshot: Snapshot) -> list[int]:
        totals = [0] * len(nodes)
        for plugin in self._scorers:
            pre = getattr(plugin, "pre_score", None)
            if pre is not None and pre(state, pod, nodes, snapshot) is False:
                continue
            scores = [plugin.score(state, pod, n) for n in nodes]
            norm = getattr(plugin, "normalize", None)
            if norm is not None:
                scores = norm(state, scores)
            for i, s in enumerate(scores):
                totals[i] += s * plugin.weight
        return totals

    def select(self, nodes: list[NodeInfo], totals: list[int]) -> NodeInfo:
        """The highest total; among equals, each has the same chance (reservoir sampling,
        as kube-scheduler's selectHost)."""
        best, best_score, ties = nodes[0], totals[0], 1
        for node, total in zip(nodes[1:], totals[1:]):
            if total > best_score:
                best, best_score, ties = node, total, 1
            elif total == best_score:
                ties += 1
                if self.rng.randrange(ties) == 0:
                    best = node
        return best

    def schedule(self, pod: PodInfo, snapshot: Snapshot) -> tuple[NodeInfo, dict]:
        """The node for the pod (and the cycle state), or FitError."""
        if not snapshot.nodes:
            raise NoNodesAvailable(NO_NODES)
        state: dict = {}
        feasible, statuses = self.find_feasible(state, pod, snapshot)
        if not feasible:
            raise FitError(len(snapshot.nodes), statuses)
        if len(feasible) == 1:
            return feasible[0], state
        return self.select(feasible, self.score(state, pod, feasible, snapshot)), state


class NoNodesAvailable(Exception):
    """The cluster has no nodes at all (kube-scheduler's ErrNoNodesAvailable)."""
