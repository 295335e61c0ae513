"""Volumes on disk: configMap/secret files with items and modes, atomic updates,
downwardAPI, hostPath type checks, mounts with subPath."""
from __future__ import annotations

import base64
import os
import socket
import stat

import pytest

from minikctl.kubelet import env, volumes
from minikctl.runtime.interface import Sandbox


def pod(vols, ns="default"):
    return {"metadata": {"name": "web", "namespace": ns, "uid": "u1", "labels": {"app": "web", "tier": "front"}},
            "spec": {"volumes": vols, "containers": [{"name": "c", "resources": {"limits": {"memory": "64Mi"}}}]}}


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox("u1", "default", "web", str(tmp_path / "pod"), "127.16.0.2")


def sources(cms=None, secrets=None):
    cms, secrets = cms or {}, secrets or {}
    return env.Sources(get_configmap=lambda ns, n: cms.get(n), get_secret=lambda ns, n: secrets.get(n),
                       pod_ip="127.16.0.2")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read(path):
    with open(path) as fh:
        return fh.read()


def test_configmap_all_keys_default_mode(sandbox):
    cms = {"cfg": {"data": {"a.conf": "A", "b.conf": "B"}, "binaryData": {"bin": base64.b64encode(b"\x00\x01").decode()}}}
    paths = volumes.materialize(pod([{"name": "v", "configMap": {"name": "cfg", "defaultMode": 0o644}}]), sandbox, sources(cms))
    d = paths["v"]
    assert read(os.path.join(d, "a.conf")) == "A"
    assert open(os.path.join(d, "bin"), "rb").read() == b"\x00\x01"
    assert os.path.islink(os.path.join(d, "a.conf"))  # AtomicWriter layout: key -> ..data/key
    assert os.readlink(os.path.join(d, "a.conf")) == "..data/a.conf"
    assert mode(os.path.join(d, "a.conf")) == 0o644
    assert sorted(n for n in os.listdir(d) if not n.startswith("..")) == ["a.conf", "b.conf", "bin"]


def test_configmap_items_paths_and_modes(sandbox):
    cms = {"cfg": {"data": {"a": "A", "b": "B", "c": "C"}}}
    vol = {"name": "v", "configMap": {"name": "cfg", "defaultMode": 0o600,
                                      "items": [{"key": "a", "path": "sub/dir/a.txt"}, {"key": "b", "path": "b.sh", "mode": 0o755}]}}
    d = volumes.materialize(pod([vol]), sandbox, sources(cms))["v"]
    assert read(os.path.join(d, "sub/dir/a.txt")) == "A"
    assert mode(os.path.join(d, "sub/dir/a.txt")) == 0o600
    assert mode(os.path.join(d, "b.sh")) == 0o755
    assert not os.path.exists(os.path.join(d, "c"))


def test_missing_key_and_missing_object(sandbox):
    cms = {"cfg": {"data": {"a": "A"}}}
    vol = {"name": "v", "configMap": {"name": "cfg", "items": [{"key": "zz", "path": "z"}]}}
    with pytest.raises(volumes.VolumeError) as err:
        volumes.materialize(pod([vol]), sandbox, sources(cms))
    assert str(err.value) == 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: zz'
    with pytest.raises(volumes.VolumeError, match='configmap "nope" not found'):
        volumes.materialize(pod([{"name": "v", "configMap": {"name": "nope"}}]), sandbox, sources(cms))
    with pytest.raises(volumes.VolumeError, match='secret "nope" not found'):
        volumes.materialize(pod([{"name": "s", "secret": {"secretName": "nope"}}]), sandbox, sources(cms))


def test_optional_missing_configmap_is_an_empty_directory(sandbox):
    d = volumes.materialize(pod([{"name": "v", "configMap": {"name": "nope", "optional": True}}]), sandbox, sources())["v"]
    assert [n for n in os.listdir(d) if not n.startswith("..")] == []


def test_secret_decoded_with_mode(sandbox):
    secrets = {"s": {"data": {"password": base64.b64encode(b"hunter2").decode()}}}
    vol = {"name": "s", "secret": {"secretName": "s", "defaultMode": 0o400}}
    d = volumes.materialize(pod([vol]), sandbox, sources(secrets=secrets))["s"]
    assert read(os.path.join(d, "password")) == "hunter2"
    assert mode(os.path.join(d, "password")) == 0o400


def test_update_is_atomic_and_removes_old_keys(sandbox):
    cms = {"cfg": {"data": {"a": "1", "b": "2"}}}
    p = pod([{"name": "v", "configMap": {"name": "cfg", "defaultMode": 0o644}}])
    d = volumes.materialize(p, sandbox, sources(cms))["v"]
    first = os.readlink(os.path.join(d, "..data"))
    assert not volumes.write_atomic(d, {"a": (b"1", 0o644), "b": (b"2", 0o644)})  # unchanged: nothing written
    cms["cfg"] = {"data": {"a": "one"}}
    volumes.materialize(p, sandbox, sources(cms))
    assert read(os.path.join(d, "a")) == "one"
    assert not os.path.lexists(os.path.join(d, "b"))
    assert os.readlink(os.path.join(d, "..data")) != first
    assert not os.path.exists(os.path.join(d, first))  # the old generation is gone


def test_downward_api(sandbox):
    vol = {"name": "info", "downwardAPI": {"defaultMode": 0o644, "items": [
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
        {"path": "mem", "resourceFieldRef": {"containerName": "c", "resource": "limits.memory", "divisor": "1Mi"}},
    ]}}
    d = volumes.materialize(pod([vol]), sandbox, sources())["info"]
    assert read(os.path.join(d, "labels")) == 'app="web"\ntier="front"'
    assert read(os.path.join(d, "name")) == "web"
    assert read(os.path.join(d, "mem")) == "64"


def test_projected(sandbox):
    cms = {"cfg": {"data": {"a": "A"}}}
    secrets = {"s": {"data": {"b": base64.b64encode(b"B").decode()}}}
    vol = {"name": "all", "projected": {"defaultMode": 0o640, "sources": [
        {"configMap": {"name": "cfg"}}, {"secret": {"name": "s", "items": [{"key": "b", "path": "x/b"}]}},
        {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}
    d = volumes.materialize(pod([vol]), sandbox, sources(cms, secrets))["all"]
    assert read(os.path.join(d, "a")) == "A" and read(os.path.join(d, "x/b")) == "B"
    assert read(os.path.join(d, "ns")) == "default"
    assert mode(os.path.join(d, "x/b")) == 0o640


def test_empty_dir(sandbox):
    d = volumes.materialize(pod([{"name": "scratch", "emptyDir": {}}]), sandbox, sources())["scratch"]
    assert os.path.isdir(d) and d.startswith(sandbox.directory)


def test_host_path_types(tmp_path, sandbox):
    made = tmp_path / "made" / "dir"
    volumes.host_path("h", {"path": str(made), "type": "DirectoryOrCreate"})
    assert made.is_dir()
    f = tmp_path / "made" / "file"
    volumes.host_path("h", {"path": str(f), "type": "FileOrCreate"})
    assert f.is_file() and mode(f) == 0o644
    with pytest.raises(volumes.VolumeError, match=f"hostPath type check failed: {f} is not a directory"):
        volumes.host_path("h", {"path": str(f), "type": "Directory"})
    with pytest.raises(volumes.VolumeError, match="is not a file"):
        volumes.host_path("h", {"path": str(made), "type": "File"})
    with pytest.raises(volumes.VolumeError, match="is not a directory"):
        volumes.host_path("h", {"path": str(tmp_path / "missing"), "type": "Directory"})
    sock_path = str(tmp_path / "s.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock_path)
    try:
        assert volumes.host_path("h", {"path": sock_path, "type": "Socket"}) == sock_path
    finally:
        s.close()
    assert volumes.host_path("h", {"path": str(made), "type": ""}) == str(made)
    paths = volumes.materialize(pod([{"name": "h", "hostPath": {"path": str(made), "type": "Directory"}}]), sandbox, sources())
    assert paths["h"] == str(made)


def test_unsupported_volume_type(sandbox):
    with pytest.raises(volumes.VolumeError, match="volume type nfs is not supported"):
        volumes.materialize(pod([{"name": "n", "nfs": {"server": "x", "path": "/"}}]), sandbox, sources())


def test_mounts_with_sub_path_and_read_only(sandbox):
    paths = volumes.materialize(pod([{"name": "data", "emptyDir": {}}]), sandbox, sources())
    container = {"volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True},
                                  {"name": "data", "mountPath": "/logs", "subPathExpr": "$(POD_NAME)/logs"}]}
    mounts = volumes.mounts(container, paths, {"POD_NAME": "web"})
    assert mounts[0].read_only and mounts[0].container_path == "/data" and mounts[0].sub_path == ""
    assert mounts[1].sub_path == "web/logs"
    assert os.path.isdir(os.path.join(paths["data"], "web/logs"))  # created, as the kubelet does
    with pytest.raises(volumes.VolumeError, match="invalid subpath"):
        volumes.mounts({"volumeMounts": [{"name": "data", "mountPath": "/x", "subPath": "../etc"}]}, paths, {})


def test_a_claim_is_a_directory_of_its_own_claim_object(sandbox, tmp_path):
    root = str(tmp_path / "volumes")
    claims = {"data": {"metadata": {"name": "data", "namespace": "default", "uid": "u-1"},
                       "spec": {"volumeName": "pvc-u-1"}}}
    src = env.Sources(get_configmap=lambda ns, n: None, get_secret=lambda ns, n: None, pod_ip="127.16.0.2",
                      get_pvc=lambda ns, n: claims.get(n))
    vol = [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]
    paths = volumes.materialize(pod(vol), sandbox, src, pvc_root=root)
    assert paths["v"] == os.path.join(root, "pvc-u-1_default_data") and os.path.isdir(paths["v"])

    # Deleted and created again under its name: a new, empty volume.
    claims["data"] = {"metadata": {"name": "data", "namespace": "default", "uid": "u-2"}, "spec": {}}
    assert volumes.materialize(pod(vol), sandbox, src, pvc_root=root)["v"].endswith("/pvc-u-2_default_data")

    claims["data"]["metadata"]["deletionTimestamp"] = "2026-11-25T00:00:00Z"
    with pytest.raises(volumes.VolumeError, match='persistentvolumeclaim "data" is being deleted'):
        volumes.materialize(pod(vol), sandbox, src, pvc_root=root)
    del claims["data"]
    with pytest.raises(volumes.VolumeError, match='persistentvolumeclaim "data" not found'):
        volumes.materialize(pod(vol), sandbox, src, pvc_root=root)
