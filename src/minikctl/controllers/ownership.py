"""Owner references: who controls an object, and claiming objects (adopt / release).

An owner is resolved by kind AND uid, never by name alone: a ReplicaSet deleted and
recreated under the same name is a different owner, and must not inherit the old one's
pods (Kubernetes' resolveControllerRef). Claiming follows ControllerRefManager:

- owned by someone else: not ours, leave it;
- owned by us and the selector still matches: ours;
- owned by us but no longer matching: release it (remove our reference);
- an orphan that matches, not being deleted, while we are not being deleted: adopt it
  (add our controller reference) after re-checking, against the API and not the cache,
  that we still exist and are not being deleted.
"""
from __future__ import annotations

from collections.abc import Callable

from minikctl import errors
from minikctl.api import meta, selectors
from minikctl.api.kinds import Kind
from minikctl.api.selectors import Selector


def controller_ref(owner: dict) -> dict:
    """metav1.NewControllerRef: the reference a controller puts on what it creates."""
    md = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": md["name"],
            "uid": md["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: dict) -> dict | None:
    return meta.controller_of(obj)


def resolve_controller_ref(ref: dict | None, kind: str, lookup: Callable[[str], dict | None],
                           namespace: str) -> dict | None:
    """The owner an object's controller reference points to, if it is a `kind` that
    still exists with that uid; None otherwise."""
    if ref is None or ref.get("kind") != kind:
        return None
    owner = lookup(f"{namespace}/{ref.get('name')}")
    if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
        return None
    return owner


def spec_selector(obj: dict) -> selectors.Selector | None:
    """A controller's spec.selector, or None when it cannot be parsed."""
    try:
        return selectors.from_label_selector((obj.get("spec") or {}).get("selector"))
    except ValueError:
        return None


def selecting(owners: list[dict], pod: dict) -> list[dict]:
    """The owners whose selector matches the pod's labels (getPodReplicaSets and its
    kin); an empty or invalid selector matches nothing."""
    labels = meta.labels_of(pod)
    out = []
    for owner in owners:
        selector = spec_selector(owner)
        if selector is not None and not selector.empty() and selector.matches(labels):
            out.append(owner)
    return out


class CannotAdopt(errors.MinikctlError):
    """The owner is gone or being deleted: it must not adopt anything."""


def recheck_deletion(client, kind: Kind, owner: dict) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    """RecheckDeletionTimestamp: an uncached read, done at most once per claim, before
    the first adoption (the cache may not yet show that the owner is being deleted)."""
    done: list[bool] = []

    def check() -> None:
        if done:
            return
        md = owner["metadata"]
        fresh = client.get(kind, md.get("namespace", ""), md["name"])
        if fresh["metadata"].get("uid") != md.get("uid"):
            raise CannotAdopt(f"original {kind.kind} {md.get('namespace')}/{md['name']} is gone: "
                              f"got uid {fresh['metadata'].get('uid')}, wanted {md.get('uid')}")
        if fresh["metadata"].get("deletionTimestamp"):
            raise CannotAdopt(f"{md.get('namespace')}/{md['name']} has just been deleted at "
                              f"{fresh['metadata']['deletionTimestamp']}")
        done.append(True)

    return check


class RefManager:
    """Claims objects of `kind` for `owner` whose selector is `selector`."""

    def __init__(self, client, owner: dict, selector: Selector, kind: Kind,  # type: ignore[no-untyped-def]
                 can_adopt: Callable[[], None]) -> None:
        self.client = client
        self.owner = owner
        self.selector = selector
        self.kind = kind
        self.can_adopt = can_adopt
        self.uid = owner["metadata"]["uid"]

    def claim(self, objects: list[dict]) -> list[dict]:
        """The objects that are ours after adopting and releasing. Errors are collected
        so one stubborn object does not stop the others; the first is raised at the end."""
        claimed, failure = [], None
        for obj in objects:
            try:
                mine = self._claim_one(obj)
                if mine is not None:
                    claimed.append(mine)
            except Exception as exc:  # noqa: BLE001 - reported after the loop
                failure = failure or exc
        if failure is not None:
            raise failure
        return claimed

    def _claim_one(self, obj: dict) -> dict | None:
        """The object if it is ours (as written, when just adopted), else None."""
        ref = controller_of(obj)
        matches = self.selector.matches(meta.labels_of(obj))
        owner_deleting = bool(self.owner["metadata"].get("deletionTimestamp"))
        if ref is not None:
            if ref.get("uid") != self.uid:
                return None
            if matches:
                return obj  # ours; claiming what we own needs no write, even while deleting
            if not owner_deleting:
                self._release(obj)
            return None
        if owner_deleting or not matches or obj["metadata"].get("deletionTimestamp"):
            return None
        if meta.namespace_of(self.owner) and meta.namespace_of(self.owner) != meta.namespace_of(obj):
            return None
        return self._adopt(obj)

    def _adopt(self, obj: dict) -> dict | None:
        self.can_adopt()
        uid = obj["metadata"].get("uid")
        ref = controller_ref(self.owner)

        def add_ref(current: dict) -> None:
            if current["metadata"].get("uid") != uid:
                raise errors.Conflict(self.kind.resource, meta.name_of(obj), detail="the object was replaced")
            holder = controller_of(current)
            if holder is not None:
                raise errors.Conflict(self.kind.resource, meta.name_of(obj),
                                      detail=f"already controlled by {holder.get('kind')} {holder.get('name')}")
            refs = [r for r in current["metadata"].get("ownerReferences") or [] if r.get("uid") != self.uid]
            current["metadata"]["ownerReferences"] = refs + [ref]

        try:
            adopted, _ = self.client.modify(self.kind, meta.namespace_of(obj), meta.name_of(obj), add_ref)
        except errors.NotFound:
            return None
        # The written version, so that a later update in the same sync does not conflict.
        return adopted

    def _release(self, obj: dict) -> None:
        uid = obj["metadata"].get("uid")

        def drop_ref(current: dict) -> None:
            if current["metadata"].get("uid") != uid:
                raise errors.NotFound(self.kind.resource, meta.name_of(obj))  # replaced: nothing of ours left
            refs = [r for r in current["metadata"].get("ownerReferences") or [] if r.get("uid") != self.uid]
            if refs:
                current["metadata"]["ownerReferences"] = refs
            else:
                current["metadata"].pop("ownerReferences", None)

        try:
            self.client.modify(self.kind, meta.namespace_of(obj), meta.name_of(obj), drop_ref)
        except errors.NotFound:
            pass
