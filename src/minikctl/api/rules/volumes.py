"""Pod volumes (ValidateVolumes): names, exactly one volume source, and the rules of the
common sources (secret, configMap, hostPath, emptyDir, persistentVolumeClaim, nfs);
and containers' volumeMounts, which must name a valid volume.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minikctl.api.rules.common import (as_int, as_str, at, dict_items, duplicate, forbidden, idx, invalid, not_found,
                                       one_of, required)
from minikctl.api.rules.names import dns1123_label_errors
from minikctl.api.rules.resources import parse_quantity
from minikctl.errors import Cause

# In validateVolumeSource's order; the value is the path segment Kubernetes reports for a
# second source ("downwarAPI" and "cephFS" are Kubernetes' spellings, kept).
_VOLUME_SOURCES = {
    "emptyDir": "emptyDir", "hostPath": "hostPath", "gitRepo": "gitRepo", "gcePersistentDisk": "gcePersistentDisk",
    "awsElasticBlockStore": "awsElasticBlockStore", "secret": "secret", "nfs": "nfs", "iscsi": "iscsi",
    "glusterfs": "glusterfs", "flocker": "flocker", "persistentVolumeClaim": "persistentVolumeClaim", "rbd": "rbd",
    "cinder": "cinder", "cephfs": "cephFS", "quobyte": "quobyte", "downwardAPI": "downwarAPI", "fc": "fc",
    "flexVolume": "flexVolume", "configMap": "configMap", "azureFile": "azureFile", "vsphereVolume": "vsphereVolume",
    "photonPersistentDisk": "photonPersistentDisk", "portworxVolume": "portworxVolume", "azureDisk": "azureDisk",
    "storageos": "storageos", "projected": "projected", "scaleIO": "scaleIO", "csi": "csi", "ephemeral": "ephemeral",
    "image": "image",
}
HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")
_FILE_MODE = "must be a number between 0 and 0777 (octal), both inclusive"


def validate_volumes(volumes: Any, path: str) -> tuple[set[str], list[Cause]]:
    """ValidateVolumes: the names of the valid volumes, and every problem."""
    names, causes = set(), []
    for i, vol in dict_items(volumes):
        p = idx(path, i)
        errs = _volume_source(vol, p)
        name = as_str(vol.get("name"))
        if not name:
            errs.append(required(at(p, "name")))
        else:
            errs += [invalid(at(p, "name"), name, m) for m in dns1123_label_errors(name)]
        if name in names:
            errs.append(duplicate(at(p, "name"), name))
        if errs:
            causes += errs
        else:
            names.add(name)
    return names, causes


def _volume_source(vol: dict, path: str) -> list[Cause]:
    causes, found = [], 0
    for source, segment in _VOLUME_SOURCES.items():
        if not isinstance(vol.get(source), dict):
            continue
        if found:
            causes.append(forbidden(at(path, segment), "may not specify more than 1 volume type"))
            continue
        found += 1
        causes += _SOURCE_CHECKS.get(source, lambda _v, _p: [])(vol[source], at(path, source))
    if not found:
        causes.append(required(path, "must specify a volume type"))
    return causes


def _mode(value: Any, path: str) -> list[Cause]:
    v = as_int(value)
    return [invalid(path, v, _FILE_MODE)] if v is not None and not 0 <= v <= 0o777 else []


def _local_descending_path(value: str, path: str) -> list[Cause]:
    causes = []
    if value.startswith("/"):
        causes.append(invalid(path, value, "must be a relative path"))
    if ".." in value.replace("\\", "/").split("/"):
        causes.append(invalid(path, value, "must not contain '..'"))
    return causes


def _key_to_paths(items: Any, path: str) -> list[Cause]:
    causes = []
    for i, item in dict_items(items):
        p = idx(path, i)
        if not as_str(item.get("key")):
            causes.append(required(at(p, "key")))
        target = as_str(item.get("path"))
        if not target:
            causes.append(required(at(p, "path")))
        else:
            causes += _local_descending_path(target, at(p, "path"))
            if target.startswith(".."):
                causes.append(invalid(at(p, "path"), target, "must not start with '..'"))
        causes += _mode(item.get("mode"), at(p, "mode"))
    return causes


def _projected_keys(name_field: str) -> Callable[[dict, str], list[Cause]]:
    """A secret or configMap volume: the object's name (in `name_field`), the modes and the items."""
    def check(src: dict, path: str) -> list[Cause]:
        causes = [] if as_str(src.get(name_field)) else [required(at(path, name_field))]
        return (causes + _mode(src.get("defaultMode"), at(path, "defaultMode"))
                + _key_to_paths(src.get("items"), at(path, "items")))
    return check


def _host_path_volume(src: dict, path: str) -> list[Cause]:
    host_path = as_str(src.get("path"))
    if not host_path:
        return [required(at(path, "path"))]
    causes = []
    if ".." in host_path.split("/"):
        causes.append(invalid(at(path, "path"), host_path, "must not contain '..'"))
    return causes + one_of(src.get("type"), at(path, "type"), HOST_PATH_TYPES)


def _empty_dir_volume(src: dict, path: str) -> list[Cause]:
    limit = src.get("sizeLimit")
    if limit is None:
        return []
    q, errs = parse_quantity(limit, at(path, "sizeLimit"))
    if errs:
        return errs
    return [forbidden(at(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity")] if q.value < 0 else []


def _pvc_volume(src: dict, path: str) -> list[Cause]:
    return [] if as_str(src.get("claimName")) else [required(at(path, "claimName"))]


def _nfs_volume(src: dict, path: str) -> list[Cause]:
    causes = [] if as_str(src.get("server")) else [required(at(path, "server"))]
    nfs_path = as_str(src.get("path"))
    if not nfs_path:
        causes.append(required(at(path, "path")))
    elif not nfs_path.startswith("/"):
        causes.append(invalid(at(path, "path"), nfs_path, "must be an absolute path"))
    return causes


_SOURCE_CHECKS: dict[str, Callable[[dict, str], list[Cause]]] = {
    "secret": _projected_keys("secretName"), "configMap": _projected_keys("name"), "hostPath": _host_path_volume,
    "emptyDir": _empty_dir_volume, "persistentVolumeClaim": _pvc_volume, "nfs": _nfs_volume,
}


def validate_volume_mounts(mounts: Any, volumes: set[str], path: str) -> list[Cause]:
    causes, seen = [], set()
    for i, mount in dict_items(mounts):
        p = idx(path, i)
        name, mount_path = as_str(mount.get("name")), as_str(mount.get("mountPath"))
        if not name:
            causes.append(required(at(p, "name")))
        if name not in volumes:
            causes.append(not_found(at(p, "name"), name))
        if not mount_path:
            causes.append(required(at(p, "mountPath")))
        if mount_path in seen:
            causes.append(invalid(at(p, "mountPath"), mount_path, "must be unique"))
        seen.add(mount_path)
        sub_path, sub_expr = as_str(mount.get("subPath")), as_str(mount.get("subPathExpr"))
        # Kubernetes reports these two without the item index.
        if sub_path:
            causes += _local_descending_path(sub_path, at(path, "subPath"))
        if sub_expr:
            if sub_path:
                causes.append(invalid(at(p, "subPathExpr"), sub_expr, "subPathExpr and subPath are mutually exclusive"))
            causes += _local_descending_path(sub_expr, at(path, "subPathExpr"))
    return causes
