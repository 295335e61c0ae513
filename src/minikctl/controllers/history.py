"""ControllerRevisions: the rollout history of DaemonSets and StatefulSets, after
Kubernetes' pkg/controller/history and the two controllers' use of it.

A revision is an immutable snapshot of the part of the owner's spec that a rollout
changes, stored as the strategic merge patch that restores it:
`{"spec": {"template": {..., "$patch": "replace"}}}` (kubectl's `rollout undo` applies
exactly that patch). Its name is `<owner>-<hash>`, the hash is FNV-1a over that patch
(plus the owner's collisionCount when two different snapshots hash alike), and its
`revision` number orders the history. Rolling back to an old template does not copy
it: the old revision gets the next number, as Kubernetes does.

Pure helpers plus one stateful class, History, that reads and writes revisions through
the API for one owner kind.
"""
from __future__ import annotations

import copy
import functools
import json
import logging
from collections.abc import Callable

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers import ownership
from minikctl.controllers.deployment_util import safe_encode

log = logging.getLogger(__name__)

HASH_LABEL = "controller-revision-hash"
# ControllerRevisionName leaves room for "-" and a hash in a 253-character name.
_MAX_PREFIX = 223
DEFAULT_HISTORY_LIMIT = 10
REVISION_KIND = kinds.by_kind("ControllerRevision")


# -- pure helpers --------------------------------------------------------------------------

def template_patch(owner: dict) -> dict:
    """getPatch: the patch that puts the owner's current template back."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def template_of(revision: dict) -> dict:
    """The pod template a revision restores (without the patch directive)."""
    template = copy.deepcopy((((revision.get("data") or {}).get("spec") or {}).get("template")) or {})
    template.pop("$patch", None)
    return template


def _canonical(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def hash_revision(data: dict, collision_count: int | None) -> str:
    """HashControllerRevision: FNV-1a (32 bit) over the data, then the collision count
    as decimal text, rendered through rand.SafeEncodeString."""
    raw = _canonical(data)
    if collision_count:
        raw += str(int(collision_count)).encode()
    h = 0x811C9DC5
    for byte in raw:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(str(h))


def revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def new_revision(owner: dict, data: dict, number: int, collision_count: int | None) -> dict:
    """NewControllerRevision: labelled as the template (so the owner's selector finds
    it) plus the hash label, annotated as the owner, controlled by the owner."""
    template_labels = (((owner.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    hash_ = hash_revision(data, collision_count)
    md = owner["metadata"]
    revision_md = {"name": revision_name(md["name"], hash_), "namespace": md.get("namespace", "default"),
                   "labels": {**template_labels, HASH_LABEL: hash_},
                   "ownerReferences": [ownership.controller_ref(owner)]}
    if md.get("annotations"):
        # The owner's annotations are copied, so a revision keeps its change-cause.
        revision_md["annotations"] = dict(md["annotations"])
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": revision_md,
            "data": data, "revision": number}


def number_of(revision: dict) -> int:
    value = revision.get("revision")
    return value if isinstance(value, int) else 0


def _compare(a: dict, b: dict) -> int:
    """SortControllerRevisions: by revision number, then creation time, then name."""
    for key in (number_of, lambda r: r["metadata"].get("creationTimestamp") or "", meta.name_of):
        ka, kb = key(a), key(b)
        if ka != kb:
            return -1 if ka < kb else 1  # type: ignore[operator]
    return 0


def sort_revisions(revisions: list[dict]) -> list[dict]:
    return sorted(revisions, key=functools.cmp_to_key(_compare))


def equal_revision(a: dict, b: dict) -> bool:
    """EqualRevision: differing hash labels mean different; else compare the data."""
    ha = (a["metadata"].get("labels") or {}).get(HASH_LABEL)
    hb = (b["metadata"].get("labels") or {}).get(HASH_LABEL)
    if ha and hb and ha != hb:
        return False
    return _canonical(a.get("data")) == _canonical(b.get("data"))


def find_equal(revisions: list[dict], needle: dict) -> list[dict]:
    return [r for r in revisions if equal_revision(r, needle)]


def next_number(revisions: list[dict]) -> int:
    return max((number_of(r) for r in revisions), default=0) + 1


def history_limit(owner: dict) -> int:
    value = (owner.get("spec") or {}).get("revisionHistoryLimit")
    return DEFAULT_HISTORY_LIMIT if value is None else max(int(value), 0)


# -- the history of one owner, through the API ----------------------------------------------

class History:
    """Reads, creates, renumbers and deletes an owner's revisions. `list_revisions(ns)`
    is the ControllerRevision informer's lister."""

    def __init__(self, client, list_revisions: Callable[[str], list[dict]]) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.list_revisions = list_revisions

    def owned(self, owner: dict, selector, kind: kinds.Kind) -> list[dict]:  # type: ignore[no-untyped-def]
        """The owner's revisions, adopting matching orphans and releasing strays (as pods are)."""
        can_adopt = ownership.recheck_deletion(self.client, kind, owner)
        manager = ownership.RefManager(self.client, owner, selector, REVISION_KIND, can_adopt)
        return sort_revisions(manager.claim(self.list_revisions(meta.namespace_of(owner))))

    def create(self, owner: dict, revision: dict, collision_count: int) -> tuple[dict, int]:
        """CreateControllerRevision: (the stored revision, the collision count used).
        A name taken by an equal revision is that revision; by a different one, a
        collision: the count goes up and the hash with it."""
        data = revision["data"]
        while True:
            candidate = new_revision(owner, data, number_of(revision), collision_count)
            try:
                return self.client.create(candidate), collision_count
            except errors.AlreadyExists:
                md = candidate["metadata"]
                existing = self.client.get(REVISION_KIND, md["namespace"], md["name"])
                if equal_revision(existing, candidate):
                    return existing, collision_count
                collision_count += 1

    def renumber(self, revision: dict, number: int) -> dict:
        """UpdateControllerRevision: only the number changes (rolling back to it)."""
        if number_of(revision) == number:
            return revision

        def set_number(current: dict) -> None:
            current["revision"] = number

        updated, _ = self.client.modify(REVISION_KIND, meta.namespace_of(revision), meta.name_of(revision),
                                        set_number)
        return updated

    def delete(self, revision: dict) -> None:
        try:
            self.client.delete(REVISION_KIND, meta.namespace_of(revision), meta.name_of(revision))
        except errors.NotFound:
            pass

    def truncate(self, owner: dict, revisions: list[dict], live: set[str]) -> None:
        """Keep revisionHistoryLimit revisions besides the live ones (those a pod or the
        owner's status still names); delete the oldest of the rest."""
        history = [r for r in sort_revisions(revisions) if meta.name_of(r) not in live]
        excess = len(history) - history_limit(owner)
        for revision in history[:max(excess, 0)]:
            self.delete(revision)

    def current_and_update(self, owner: dict, revisions: list[dict], collision_count: int,
                           current_name: str | None) -> tuple[dict, dict, int]:
        """getStatefulSetRevisions / constructHistory: the revision the owner's spec is
        at now (found, renumbered as the newest when rolled back to, or created), the
        revision named current (defaulting to it), and the collision count."""
        revisions = sort_revisions(revisions)
        wanted = new_revision(owner, template_patch(owner), next_number(revisions), collision_count)
        equal = find_equal(revisions, wanted)
        if equal and revisions and equal_revision(revisions[-1], equal[-1]):
            update = revisions[-1]
        elif equal:
            update = self.renumber(equal[-1], number_of(wanted))
        else:
            update, collision_count = self.create(owner, wanted, collision_count)
        current = next((r for r in revisions if meta.name_of(r) == current_name), None) if current_name else None
        return (current or update), update, collision_count
