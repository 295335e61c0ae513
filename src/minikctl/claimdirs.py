"""Where a PersistentVolumeClaim's data lives: one directory per claim object under the
state directory's volumes/, named as Rancher's local-path provisioner names them,
`<volumeName>_<namespace>_<claim>` (volumeName is pvc-<uid>, what the binder gives).

Keyed by the claim's uid, not its name: a claim deleted and created again under the same
name gets an empty volume, as a new dynamically provisioned PersistentVolume is in a
cluster. The kubelet creates the directory on first mount; the binder deletes it once the
claim is gone (reclaimPolicy Delete, the default of dynamically provisioned volumes).
"""
from __future__ import annotations

import os
import shutil
from typing import NamedTuple


def root_of(home: str) -> str:
    return os.path.join(home, "volumes")


def volume_name(claim: dict) -> str:
    return (claim.get("spec") or {}).get("volumeName") or f"pvc-{claim['metadata']['uid']}"


def dir_name(claim: dict) -> str:
    md = claim["metadata"]
    return f"{volume_name(claim)}_{md.get('namespace') or 'default'}_{md['name']}"


def path_of(root: str, claim: dict) -> str:
    return os.path.join(root, dir_name(claim))


class ClaimDir(NamedTuple):
    volume: str
    namespace: str
    claim: str
    path: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.claim}"


def existing(root: str) -> list[ClaimDir]:
    """The claim directories on disk (namespaces and names never hold '_')."""
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    out = []
    for name in sorted(names):
        parts = name.split("_")
        if len(parts) == 3 and parts[0].startswith("pvc-") and os.path.isdir(os.path.join(root, name)):
            out.append(ClaimDir(parts[0], parts[1], parts[2], os.path.join(root, name)))
    return out


def reclaim(root: str, key: str, keep: str | None) -> list[str]:
    """Delete the directories of claim `key` (namespace/name) other than volume `keep`
    (the live claim's, if there is one); returns the paths deleted."""
    gone = []
    for d in existing(root):
        if d.key == key and d.volume != keep:
            shutil.rmtree(d.path, ignore_errors=True)
            gone.append(d.path)
    return gone
