"""Volumes at their mountPath through a private mount namespace: visible inside the
container only, read-only enforced, mount points created without touching the host."""
from __future__ import annotations

import os
import signal
import subprocess
import uuid

import pytest

from minikctl.runtime.interface import ExecError, Mount, StartError
from tests.unit.runtime.helpers import read

pytestmark = pytest.mark.skipif(os.geteuid() != 0 and not os.path.exists("/proc/self/ns/user"),
                                reason="needs root or user namespaces")


@pytest.fixture
def unique():
    return f"minikctl-test-{uuid.uuid4().hex[:10]}"


def configmap(rt, **files):
    sb = rt.sandbox(volumes=[{"name": "cfg", "configMap": {"name": "x"}}, {"name": "data", "emptyDir": {}}])
    for name, text in files.items():
        with open(os.path.join(sb.volumes["cfg"], name), "w") as f:
            f.write(text)
    return sb


def test_volume_appears_under_etc_only_inside(rt, unique):
    sb = configmap(rt, greeting="hello\n")
    target = f"/etc/{unique}"
    config = rt.config(sb, ["sh", "-c", f"cat {target}/greeting; ls /etc | grep -c . ; cat /etc/hostname"],
                       mounts=[Mount(sb.volumes["cfg"], target, read_only=True)])
    assert rt.run(sb, config).exit_code == 0, read(config.log_path)
    out = read(config.log_path).splitlines()
    assert out[0] == "hello"
    assert int(out[1]) > 3  # the rest of /etc is still there
    assert not os.path.exists(target)  # never on the host


def test_read_only_is_enforced(rt, unique):
    sb = configmap(rt, greeting="hello\n")
    target = f"/etc/{unique}"
    config = rt.config(sb, ["sh", "-c", f"echo x > {target}/new"], mounts=[Mount(sb.volumes["cfg"], target, read_only=True)])
    assert rt.run(sb, config).exit_code != 0
    assert "Read-only file system" in read(config.log_path)
    assert os.listdir(sb.volumes["cfg"]) == ["greeting"]


def test_writable_volume_at_a_new_top_level_dir(rt, unique):
    """/<unique> does not exist: / itself gets the overlay, and writes elsewhere still
    reach the host (only the new mount point is private)."""
    sb = configmap(rt)
    marker = os.path.join(sb.directory, "written-from-container")
    config = rt.config(sb, ["sh", "-c", f"echo data > /{unique}/file && touch {marker} && ls / | grep -c {unique}"],
                       mounts=[Mount(sb.volumes["data"], f"/{unique}")])
    assert rt.run(sb, config).exit_code == 0, read(config.log_path)
    assert read(config.log_path).strip() == "1"
    assert read(os.path.join(sb.volumes["data"], "file")) == "data\n"
    assert os.path.exists(marker)
    assert not os.path.exists(f"/{unique}")


def test_sub_path_and_a_file_mount(rt, unique):
    sb = configmap(rt, **{"app.conf": "port=8080\n"})
    os.makedirs(os.path.join(sb.volumes["data"], "sub"))
    with open(os.path.join(sb.volumes["data"], "sub", "x"), "w") as f:
        f.write("in sub\n")
    mounts = [
        Mount(sb.volumes["cfg"], f"/etc/{unique}.conf", read_only=True, sub_path="app.conf"),  # a file
        Mount(sb.volumes["data"], f"/opt/{unique}/data", sub_path="sub"),
    ]
    config = rt.config(sb, ["sh", "-c", f"cat /etc/{unique}.conf /opt/{unique}/data/x"], mounts=mounts)
    assert rt.run(sb, config).exit_code == 0, read(config.log_path)
    assert read(config.log_path) == "port=8080\nin sub\n"
    assert not os.path.exists(f"/etc/{unique}.conf") and not os.path.exists(f"/opt/{unique}")


def test_sub_path_cannot_escape_its_volume(rt, unique):
    sb = configmap(rt)
    os.symlink("/etc", os.path.join(sb.volumes["data"], "evil"))
    config = rt.config(sb, ["true"], mounts=[Mount(sb.volumes["data"], f"/{unique}", sub_path="evil")])
    with pytest.raises(StartError) as err:
        rt.start(sb, config)
    assert err.value.reason == "CreateContainerConfigError" and "outside its volume" in err.value.message


def test_nested_mounts_and_existing_target(rt, tmp_path, unique):
    sb = configmap(rt, greeting="hi\n")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "host-file").write_text("host\n")
    mounts = [Mount(sb.volumes["data"], f"/{unique}"), Mount(sb.volumes["cfg"], f"/{unique}/cfg", read_only=True),
              Mount(sb.volumes["cfg"], str(existing))]
    config = rt.config(sb, ["sh", "-c", f"cat /{unique}/cfg/greeting; ls {existing}"], mounts=mounts)
    assert rt.run(sb, config).exit_code == 0, read(config.log_path)
    assert read(config.log_path) == "hi\ngreeting\n"
    assert os.listdir(existing) == ["host-file"]  # the host's view is unchanged
    assert os.path.isdir(os.path.join(sb.volumes["data"], "cfg"))  # the nested mount point, in the volume


def test_missing_command_after_mounts_is_a_start_error(rt, unique):
    sb = configmap(rt)
    config = rt.config(sb, ["no-such-program-xyz"], mounts=[Mount(sb.volumes["data"], f"/{unique}")])
    with pytest.raises(StartError) as err:
        rt.start(sb, config)
    assert err.value.reason == "StartError" and "executable file not found" in err.value.message


def test_exec_enters_the_mount_namespace(rt, unique):
    sb = configmap(rt, greeting="hello\n")
    config = rt.config(sb, ["sleep", "30"], env={"PATH": "/usr/bin:/bin", "WHO": "container"},
                       mounts=[Mount(sb.volumes["cfg"], f"/etc/{unique}", read_only=True)])
    proc = rt.start(sb, config)
    with open(os.path.join(sb.directory, "exec.out"), "w+") as out:
        code = rt.runtime.exec(sb, config, ["sh", "-c", f'cat /etc/{unique}/greeting; echo "$WHO"; pwd; exit 4'],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=10)
        out.seek(0)
        assert out.read() == f"hello\ncontainer\n{sb.directory}\n"
    assert code == 4
    with pytest.raises(ExecError):
        rt.runtime.exec(sb, config, ["no-such-program-xyz"], stdin=subprocess.DEVNULL, timeout=10)
    rt.runtime.signal(proc, signal.SIGKILL)
    rt.wait(proc)
    with pytest.raises(ExecError) as err:
        rt.runtime.exec(sb, config, ["true"])
    assert err.value.reason == "ContainerNotRunning"


@pytest.fixture
def world_tmp():
    """pytest's tmp_path is under a 0700 directory: nobody could not reach it."""
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix="minikctl-userns-", dir="/tmp")
    os.chmod(path, 0o755)
    try:
        yield __import__("pathlib").Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_unprivileged_user_namespace_path(rt, world_tmp, unique):
    """As a user without root, mounts go through a user namespace (when the OS allows),
    or the start fails with a reason that says what to do."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run the launcher as another user")
    import json
    import shutil

    from minikctl.runtime.process import LAUNCHER

    # nobody cannot read our venv's interpreter (under /root): a world-readable one and copy
    python = shutil.which("python3", path="/usr/bin:/bin:/usr/local/bin")
    if not python:
        pytest.skip("no system python3 for the unprivileged launcher")
    base = world_tmp / "u"
    (base / "vol").mkdir(parents=True)
    (base / "vol" / "f").write_text("from volume\n")
    (base / "scratch").mkdir()
    for p in (base, base / "vol", base / "scratch"):
        os.chmod(p, 0o777)
    os.chmod(base / "vol" / "f", 0o644)
    spec = {"mode": "start", "argv": ["cat", f"/{unique}/f"], "env": {"PATH": "/usr/bin:/bin"}, "cwd": "/",
            "mounts": [{"host_path": str(base / "vol"), "container_path": f"/{unique}", "read_only": True, "sub_path": ""}],
            "scratch": str(base / "scratch")}
    launcher = shutil.copy(LAUNCHER, base / "launcher.py")
    os.chmod(launcher, 0o644)
    spec_r, spec_w = os.pipe()
    err_r, err_w = os.pipe()
    os.write(spec_w, json.dumps(spec).encode())
    os.close(spec_w)
    proc = subprocess.Popen([python, "-I", "-S", str(launcher), str(spec_r), str(err_w)], pass_fds=(spec_r, err_w),
                            user=65534, group=65534, extra_groups=[], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    os.close(spec_r)
    os.close(err_w)
    try:
        out, errout = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    error = os.read(err_r, 65536)
    os.close(err_r)
    if error:
        reason = json.loads(error)
        assert reason["reason"] == "CreateContainerError"
        assert "user namespaces" in reason["message"] and "root" in reason["message"]
    else:
        assert out == b"from volume\n", (errout, proc.returncode)
        assert proc.returncode == 0


def test_volume_of_a_mount_cannot_be_a_dir_over_a_file(rt):
    sb = configmap(rt)
    config = rt.config(sb, ["true"], mounts=[Mount(sb.volumes["data"], "/etc/hostname")])
    if not os.path.isfile("/etc/hostname"):
        pytest.skip("no /etc/hostname file")
    with pytest.raises(StartError) as err:
        rt.start(sb, config)
    assert err.value.reason == "CreateContainerError" and "it is a file" in err.value.message


def test_launched_containers_get_default_signal_dispositions(rt, unique):
    """The launcher is Python, which ignores SIGPIPE: the container must not inherit that."""
    sb = configmap(rt)
    script = "exec grep -E '^Sig(Ign|Blk)' /proc/self/status"  # the program's own, not the shell's
    direct = rt.config(sb, ["sh", "-c", script], name="direct")
    launched = rt.config(sb, ["sh", "-c", script], name="launched", mounts=[Mount(sb.volumes["data"], f"/{unique}")])
    assert rt.run(sb, direct).exit_code == 0 and rt.run(sb, launched).exit_code == 0
    assert read(launched.log_path) == read(direct.log_path)
