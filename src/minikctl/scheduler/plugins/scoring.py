"""Score normalisation helpers (pkg/scheduler/framework/plugins/helper)."""
from __future__ import annotations

from minikctl.scheduler.framework import MAX_NODE_SCORE


def default_normalize(scores: list[int], *, reverse: bool = False) -> list[int]:
    """helper.DefaultNormalizeScore: scale so the highest is 100 (reverse: 0)."""
    top = max(scores, default=0)
    if top == 0:
        return [MAX_NODE_SCORE] * len(scores) if reverse else list(scores)
    out = []
    for s in scores:
        s = MAX_NODE_SCORE * s // top
        out.append(MAX_NODE_SCORE - s if reverse else s)
    return out
