"""TaintToleration: a node's NoSchedule and NoExecute taints keep out pods that do not
tolerate them; PreferNoSchedule taints only lower the node's score (fewer intolerable
PreferNoSchedule taints, higher score)."""
from __future__ import annotations

from minikctl.scheduler import framework
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo
from minikctl.api.tolerations import first_untolerated, tolerated
from minikctl.scheduler.plugins.scoring import default_normalize


def reason(taint: dict) -> str:
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value') or ''}}}"


class TaintToleration:
    name = "TaintToleration"
    weight = 3

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        if not node.taints:
            return None
        tolerations = (pod.pod.get("spec") or {}).get("tolerations") or []
        taint = first_untolerated(node.taints, tolerations, ("NoSchedule", "NoExecute"))
        return None if taint is None else framework.unresolvable(reason(taint))

    def pre_score(self, state: dict, pod: PodInfo, nodes: list, snapshot: object) -> bool:
        # Only tolerations that could match a PreferNoSchedule taint count.
        tolerations = (pod.pod.get("spec") or {}).get("tolerations") or []
        state[self.name] = [t for t in tolerations if (t.get("effect") or "PreferNoSchedule") == "PreferNoSchedule"]
        return True

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        tolerations = state[self.name]
        return sum(1 for t in node.taints
                   if t.get("effect") == "PreferNoSchedule" and not tolerated(t, tolerations))

    def normalize(self, state: dict, scores: list[int]) -> list[int]:
        return default_normalize(scores, reverse=True)
