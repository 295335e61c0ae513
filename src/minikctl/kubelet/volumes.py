"""Pod volumes, made real on the host before any container starts.

Each volume gets a host directory (the sandbox's, or the hostPath itself) that the
runtime mounts at every mountPath that names it. configMap, secret, downwardAPI and
projected volumes are written as Kubernetes' AtomicWriter does: the files live in a
timestamped `..<time>` directory, `..data` points at it and each top-level name is a
symlink through `..data`, so an update swaps every file at once.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time

from minikctl import claimdirs
from minikctl.kubelet import env as envmod
from minikctl.runtime.interface import Mount, Sandbox

DATA = "..data"
SUPPORTED = ("emptyDir", "configMap", "secret", "downwardAPI", "projected", "hostPath", "persistentVolumeClaim")


class VolumeError(Exception):
    """A volume cannot be set up; the message is Kubernetes' FailedMount message."""

    reason = "FailedMount"

    def __init__(self, volume: str, detail: str) -> None:
        super().__init__(f'MountVolume.SetUp failed for volume "{volume}" : {detail}')
        self.volume = volume
        self.detail = detail


# -- setup ---------------------------------------------------------------------------

def materialize(pod: dict, sandbox: Sandbox, src: envmod.Sources, *, pvc_root: str = "") -> dict[str, str]:
    """Create or refresh every volume of pod; volume name -> host path."""
    paths: dict[str, str] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume["name"]
        try:
            paths[name] = _setup(pod, sandbox, volume, src, pvc_root)
        except VolumeError:
            raise
        except (OSError, ValueError) as exc:
            raise VolumeError(name, str(exc)) from exc
    sandbox.volumes.update(paths)
    return paths


def _volume_dir(sandbox: Sandbox, name: str) -> str:
    path = sandbox.volumes.get(name) or os.path.join(sandbox.directory, "volumes", name)
    os.makedirs(path, exist_ok=True)
    return path


def _setup(pod: dict, sandbox: Sandbox, volume: dict, src: envmod.Sources, pvc_root: str) -> str:
    name = volume["name"]
    source = next((k for k in volume if k != "name" and volume[k] is not None), "emptyDir")
    if source == "hostPath":
        return host_path(name, volume["hostPath"])
    if source == "persistentVolumeClaim":
        return _claim(pod, name, volume[source], src, pvc_root)
    if source not in SUPPORTED:
        raise VolumeError(name, f"volume type {source} is not supported by minikctl's process runtime: "
                                "use emptyDir, configMap, secret, downwardAPI, projected or hostPath")
    path = _volume_dir(sandbox, name)
    if source == "emptyDir":
        return path
    payload = payload_for(pod, name, source, volume[source], src)
    write_atomic(path, payload)
    return path


def _claim(pod: dict, name: str, claim: dict, src: envmod.Sources, root: str) -> str:
    """A PersistentVolumeClaim is a directory under the state directory that outlives
    its pods, as a local-path provisioner gives: one per claim object (claimdirs.py)."""
    ns = pod["metadata"].get("namespace") or "default"
    claim_name = claim.get("claimName", "")
    root = root or os.path.join(tempfile.gettempdir(), "minikctl-pvc")
    if src.get_pvc is None:  # no API to ask (unit tests of the runtime): one directory per name
        path = os.path.join(root, ns, claim_name)
    else:
        obj = src.get_pvc(ns, claim_name)
        if obj is None:
            raise VolumeError(name, f'persistentvolumeclaim "{claim_name}" not found')
        if obj["metadata"].get("deletionTimestamp"):  # the kubelet's own check, pkg/volume/util
            raise VolumeError(name, f'persistentvolumeclaim "{claim_name}" is being deleted')
        path = claimdirs.path_of(root, obj)
    os.makedirs(path, exist_ok=True)
    return path


# -- payloads: relative path -> (content, mode) --------------------------------------

Payload = dict[str, tuple[bytes, int]]


def payload_for(pod: dict, volume: str, source: str, spec: dict, src: envmod.Sources) -> Payload:
    default_mode = spec.get("defaultMode", 0o644)
    if source == "configMap":
        return _keyed(volume, "configmap", spec, default_mode, _lookup(pod, src.get_configmap, spec),
                      envmod.configmap_data)
    if source == "secret":
        secret_spec = {**spec, "name": spec.get("secretName", "")}
        return _keyed(volume, "secret", secret_spec, default_mode, _lookup(pod, src.get_secret, secret_spec),
                      envmod.secret_data)
    if source == "downwardAPI":
        return _downward(pod, volume, spec.get("items") or [], default_mode, src)
    if source == "projected":
        return _projected(pod, volume, spec, default_mode, src)
    return {}


def _lookup(pod: dict, getter, spec: dict) -> dict | None:  # type: ignore[no-untyped-def]
    return getter(pod["metadata"].get("namespace") or "default", spec.get("name", ""))


def _keyed(volume: str, resource: str, spec: dict, default_mode: int, obj: dict | None, decode) -> Payload:  # type: ignore[no-untyped-def]
    if obj is None:
        if spec.get("optional"):
            return {}
        raise VolumeError(volume, f'{resource} "{spec.get("name", "")}" not found')
    data = decode(obj)
    items = spec.get("items")
    if not items:
        return {k: (v, default_mode) for k, v in data.items()}
    payload: Payload = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if spec.get("optional"):
                continue
            what = "config key" if resource == "configmap" else "secret key"
            prefix = "configmap references" if resource == "configmap" else "references"
            raise VolumeError(volume, f"{prefix} non-existent {what}: {key}")
        payload[item.get("path") or key] = (data[key], item.get("mode", default_mode))
    return payload


def _downward(pod: dict, volume: str, items: list[dict], default_mode: int, src: envmod.Sources) -> Payload:
    payload: Payload = {}
    for item in items:
        mode = item.get("mode", default_mode)
        try:
            if item.get("fieldRef"):
                value = envmod.field_value(pod, item["fieldRef"].get("fieldPath", ""), src)
            elif item.get("resourceFieldRef"):
                value = envmod.resource_value(pod, {}, item["resourceFieldRef"], src.node_allocatable)
            else:
                continue
        except envmod.ConfigError as exc:
            raise VolumeError(volume, str(exc)) from exc
        payload[item["path"]] = (value.encode(), mode)
    return payload


def _projected(pod: dict, volume: str, spec: dict, default_mode: int, src: envmod.Sources) -> Payload:
    payload: Payload = {}
    for source in spec.get("sources") or []:
        for kind in ("configMap", "secret", "downwardAPI"):
            if source.get(kind) is not None:
                part = {**source[kind]}
                part.setdefault("defaultMode", default_mode)
                if kind == "secret":
                    part.setdefault("secretName", part.get("name", ""))
                for item in part.get("items") or []:
                    item.setdefault("mode", default_mode)
                payload.update(payload_for(pod, volume, kind, part, src))
    return payload


# -- the atomic writer ---------------------------------------------------------------

def write_atomic(target: str, payload: Payload) -> bool:
    """Make target hold exactly payload; False when it already did."""
    os.makedirs(target, exist_ok=True)
    current = os.path.join(target, DATA)
    old_dir = os.readlink(current) if os.path.islink(current) else ""
    if old_dir and _same(os.path.join(target, old_dir), payload):
        return False
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    new_dir = tempfile.mkdtemp(prefix=stamp, dir=target)
    os.chmod(new_dir, 0o755)
    for rel, (content, mode) in payload.items():
        _write_file(os.path.join(new_dir, rel), content, mode)
    tmp_link = os.path.join(target, "..data_tmp")
    if os.path.lexists(tmp_link):
        os.unlink(tmp_link)
    os.symlink(os.path.basename(new_dir), tmp_link)
    os.replace(tmp_link, current)
    _relink(target, {rel.split("/", 1)[0] for rel in payload})
    if old_dir:
        shutil.rmtree(os.path.join(target, old_dir), ignore_errors=True)
    return True


def _write_file(path: str, content: bytes, mode: int) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(content)
    os.chmod(path, mode)


def _same(directory: str, payload: Payload) -> bool:
    found = {}
    for root, _dirs, files in os.walk(directory):
        for f in files:
            full = os.path.join(root, f)
            found[os.path.relpath(full, directory)] = full
    if set(found) != set(payload):
        return False
    for rel, (content, mode) in payload.items():
        st = os.stat(found[rel])
        if stat.S_IMODE(st.st_mode) != mode:
            return False
        with open(found[rel], "rb") as fh:
            if fh.read() != content:
                return False
    return True


def _relink(target: str, tops: set[str]) -> None:
    for top in tops:
        link = os.path.join(target, top)
        if not os.path.islink(link):
            if os.path.lexists(link):
                shutil.rmtree(link, ignore_errors=True)
            os.symlink(os.path.join(DATA, top), link)
    for name in os.listdir(target):
        link = os.path.join(target, name)
        if name.startswith("..") or name in tops or not os.path.islink(link):
            continue
        if os.readlink(link).startswith(DATA + "/"):
            os.unlink(link)


# -- hostPath ------------------------------------------------------------------------

_TYPE_CHECKS = {
    "Directory": (stat.S_ISDIR, "is not a directory"),
    "File": (stat.S_ISREG, "is not a file"),
    "Socket": (stat.S_ISSOCK, "is not a socket file"),
    "CharDevice": (stat.S_ISCHR, "is not a character device"),
    "BlockDevice": (stat.S_ISBLK, "is not a block device"),
}


def host_path(volume: str, spec: dict) -> str:
    """Check (or create) a hostPath per its type, as the kubelet's hostPath plugin."""
    path = spec.get("path", "")
    kind = spec.get("type") or ""
    if kind == "DirectoryOrCreate" and not os.path.exists(path):
        os.makedirs(path, mode=0o755, exist_ok=True)
        return path
    if kind == "FileOrCreate" and not os.path.exists(path):
        os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
        with open(path, "a"):
            pass
        os.chmod(path, 0o644)
        return path
    check = _TYPE_CHECKS.get(kind.replace("OrCreate", ""))
    if check is not None:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise VolumeError(volume, f"hostPath type check failed: {path} {check[1]}") from None
        if not check[0](mode):
            raise VolumeError(volume, f"hostPath type check failed: {path} {check[1]}")
    elif not os.path.exists(path):
        os.makedirs(path, exist_ok=True)  # unset type: the runtime creates a directory
    return path


# -- mounts --------------------------------------------------------------------------

def mounts(container: dict, paths: dict[str, str], env: dict[str, str]) -> list[Mount]:
    """The container's volumeMounts as runtime mounts (subPath / subPathExpr kept)."""
    result = []
    for vm in container.get("volumeMounts") or []:
        host = paths.get(vm.get("name", ""))
        if host is None:
            raise VolumeError(vm.get("name", ""), "volume is not defined in the pod's spec.volumes")
        sub = vm.get("subPath") or ""
        if vm.get("subPathExpr"):
            sub = envmod.expand(vm["subPathExpr"], envmod.mapping_for(env))
        if sub and (os.path.isabs(sub) or ".." in sub.split("/")):
            raise VolumeError(vm["name"], f"invalid subpath {sub!r}: must be a relative path inside the volume")
        if sub and not os.path.lexists(os.path.join(host, sub)):
            os.makedirs(os.path.join(host, sub), exist_ok=True)  # as the kubelet does for a missing subPath
        result.append(Mount(host_path=host, container_path=vm.get("mountPath", ""),
                            read_only=bool(vm.get("readOnly")), sub_path=sub))
    return result
