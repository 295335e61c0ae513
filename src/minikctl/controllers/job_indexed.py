"""Indexed Jobs (indexed_job_utils.go): which indexes to run next, and
backoffLimitPerIndex, where each index has its own failure budget:

- a pod of index i carries `batch.kubernetes.io/job-index-failure-count`, the failures
  of index i before it was created; a failed pod makes it one more;
- an index whose failures exceed backoffLimitPerIndex (or whose pod matched a
  FailIndex rule of the pod failure policy) is failed for good: status.failedIndexes;
- more failed indexes than maxFailedIndexes fail the Job (MaxFailedIndexesExceeded);
  once every index has succeeded or failed, failed ones fail it (FailedIndexes);
- each index waits out its own back-off (10 s doubling) before it is retried.
"""
from __future__ import annotations

import datetime as _dt

from minikctl.controllers import job_failure_policy as pfp
from minikctl.controllers import job_util as ju

FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
MAX_FAILED_INDEXES_EXCEEDED = ("MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes")
FAILED_INDEXES = ("FailedIndexes", "Job has failed indexes")


def plan(active: list[dict], finished: set[int], completions: int,
         parallelism: int) -> tuple[list[dict], list[int]]:
    """(pods to delete, indexes to create): pods without a valid index, of an index
    already finished (succeeded or failed), or duplicates go; then the lowest pending
    indexes up to parallelism."""
    excess, by_index = [], {}
    for pod in sorted(active, key=lambda p: p["metadata"].get("creationTimestamp") or ""):
        index = ju.completion_index(pod)
        if index is None or index >= completions or index in finished or index in by_index:
            excess.append(pod)
        else:
            by_index[index] = pod
    want = max(0, min(parallelism, completions - len(finished)))
    if len(by_index) > want:
        for index in sorted(by_index)[want:]:
            excess.append(by_index.pop(index))
    pending = [i for i in range(completions) if i not in finished and i not in by_index]
    return excess, pending[:max(0, want - len(by_index))]


def _failure_count(pod: dict) -> int:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(FAILURE_COUNT, "0")
    return int(value) if str(value).isdigit() else 0


def index_failures(pods: list[dict], verdicts: dict[str, pfp.Verdict], completions: int) -> dict[int, int]:
    """Failures so far per index: the highest count a pod of the index carries, plus one
    if that pod failed (and its failure counts)."""
    failures: dict[int, int] = {}
    for pod in pods:
        index = ju.completion_index(pod)
        if index is None or index >= completions:
            continue
        verdict = verdicts.get(pod["metadata"]["uid"])
        count = _failure_count(pod) + (1 if verdict is not None and verdict.counts else 0)
        failures[index] = max(failures.get(index, 0), count)
    return failures


def failed_indexes(spec: dict, status: dict, pods: list[dict], verdicts: dict[str, pfp.Verdict],
                   failures: dict[int, int]) -> set[int]:
    """Indexes failed for good: those already recorded, over their limit, or FailIndex."""
    completions = int(spec.get("completions") or 0)
    limit = int(spec.get("backoffLimitPerIndex") or 0)
    failed = ju.parse_indexes(status.get("failedIndexes"), completions)
    failed |= {i for i, n in failures.items() if n > limit}
    for pod in pods:
        verdict, index = verdicts.get(pod["metadata"]["uid"]), ju.completion_index(pod)
        if verdict is not None and verdict.action == pfp.FAIL_INDEX and index is not None and index < completions:
            failed.add(index)
    return failed


def backoff_remaining(pods: list[dict], index: int, now: _dt.datetime, *, base: float, cap: float) -> float:
    """The back-off of one index, from its own failures."""
    mine = [p for p in pods if ju.completion_index(p) == index]
    return ju.backoff_remaining(mine, now, base=base, cap=cap)
