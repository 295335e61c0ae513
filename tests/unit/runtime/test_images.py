"""The local image store: import, content addressing, resolve, remove, and the command a
container runs (Kubernetes' command/args over entrypoint/cmd)."""
from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from minikctl.runtime.images import (
    ImageError, ImageStore, ResolvedImage, effective_argv, familiar, normalize,
)
from minikctl.runtime.interface import StartError


@pytest.fixture
def store(minikctl_home):
    os.makedirs(minikctl_home, exist_ok=True)
    return ImageStore(str(minikctl_home))


def make_app(path, text="v1", config: str | None = None):
    (path / "static").mkdir(parents=True)
    (path / "static" / "index.html").write_text(text)
    run = path / "run.sh"
    run.write_text("#!/bin/sh\necho running\n")
    run.chmod(0o755)
    (path / "link").symlink_to("static/index.html")
    if config is not None:
        (path / "minikctl-image.yaml").write_text(config)
    return path


@pytest.mark.parametrize("ref, want", [
    ("web", "docker.io/library/web:latest"),
    ("web:1", "docker.io/library/web:1"),
    ("docker.io/library/web:latest", "docker.io/library/web:latest"),
    ("team/web", "docker.io/team/web:latest"),
    ("localhost:5000/web", "localhost:5000/web:latest"),
    ("ghcr.io/a/b:2.0", "ghcr.io/a/b:2.0"),
])
def test_normalize_as_docker(ref, want):
    assert normalize(ref) == want


def test_familiar_names():
    assert familiar("docker.io/library/web:1") == ("web", "1")
    assert familiar("docker.io/team/web:latest") == ("team/web", "latest")
    assert familiar("localhost:5000/web:latest") == ("localhost:5000/web", "latest")


@pytest.mark.parametrize("bad", ["Web", "web:", "a b", "web@sha256:12"])
def test_bad_references(bad):
    with pytest.raises(ImageError, match="invalid reference format"):
        normalize(bad)


def test_import_resolve_and_run_config(store, tmp_path):
    app = make_app(tmp_path / "app", config="entrypoint: [/run.sh]\ncmd: [serve]\nenv: {MODE: prod}\nworkdir: /static\n")
    digest = store.import_dir(str(app), "web:v1")
    assert digest.startswith("sha256:") and len(digest) == 71
    for name in ("web:v1", "docker.io/library/web:v1", f"web@{digest}", digest, digest[7:19]):
        image = store.resolve(name)
        assert image.digest == digest and not image.host_base
    image = store.resolve("web:v1")
    assert image.entrypoint == ["/run.sh"] and image.cmd == ["serve"] and image.env == {"MODE": "prod"}
    assert image.workdir == os.path.join(image.root, "static")
    assert open(os.path.join(image.root, "static", "index.html")).read() == "v1"
    assert os.readlink(os.path.join(image.root, "link")) == "static/index.html"
    assert os.access(os.path.join(image.root, "run.sh"), os.X_OK)
    assert not os.path.exists(os.path.join(image.root, "minikctl-image.yaml"))  # metadata, not content
    # /run.sh is the image's file, not the host's
    assert effective_argv(image, None, None) == [os.path.join(image.root, "run.sh"), "serve"]


def test_options_override_the_config_file(store, tmp_path):
    app = make_app(tmp_path / "app", config="entrypoint: [a]\ncmd: [b]\nenv: {X: '1'}\n")
    store.import_dir(str(app), "web", entrypoint="python3 -m http.server", cmd='["8080"]', env={"Y": "2"})
    image = store.resolve("web")
    assert image.entrypoint == ["python3", "-m", "http.server"] and image.cmd == ["8080"]
    assert image.env == {"X": "1", "Y": "2"}


def test_content_addressed_and_shared(store, tmp_path):
    a = make_app(tmp_path / "a")
    b = make_app(tmp_path / "b")
    assert store.import_dir(str(a), "one:1") == store.import_dir(str(b), "two:1")  # same tree, same digest
    (b / "static" / "index.html").write_text("v2")
    d2 = store.import_dir(str(b), "two:2")
    r1, r2 = store.resolve("one:1"), store.resolve("two:2")
    assert r1.digest != d2 == r2.digest
    # the unchanged file is one blob, hard-linked into both trees
    assert os.stat(os.path.join(r1.root, "run.sh")).st_ino == os.stat(os.path.join(r2.root, "run.sh")).st_ino
    assert os.stat(os.path.join(r1.root, "static/index.html")).st_ino != os.stat(os.path.join(r2.root, "static/index.html")).st_ino


def test_remove_untags_then_deletes_unused_blobs(store, tmp_path):
    d1 = store.import_dir(str(make_app(tmp_path / "a", "one")), "web:1")
    store.import_dir(str(make_app(tmp_path / "b", "two")), "web:2")
    store.import_dir(str(tmp_path / "a"), "alias:1")
    assert store.remove("web:1") == ["Untagged: web:1"]  # still tagged alias:1
    assert store.resolve("alias:1").digest == d1
    lines = store.remove("alias:1")
    assert lines == ["Untagged: alias:1", f"Deleted: {d1}"]
    blobs = os.listdir(os.path.join(store.root, "blobs", "sha256"))
    assert len(blobs) == 2  # web:2's index.html and the shared run.sh
    assert [i.tag for i in store.list()] == ["2"]
    with pytest.raises(ImageError, match="no such image"):
        store.remove("web:1")


def test_remove_refuses_an_image_in_use(store, tmp_path):
    import subprocess

    store.import_dir(str(make_app(tmp_path / "a")), "busy:1")
    root = store.resolve("busy:1").root
    proc = subprocess.Popen(["sleep", "30"], cwd=root)
    try:
        with pytest.raises(ImageError, match="being used"):
            store.remove("busy:1")
        assert store.remove("busy:1", force=True)[-1].startswith("Deleted:")
    finally:
        proc.kill()
        proc.wait()


def test_host_base_images_need_a_command(store):
    image = store.resolve("python:3.12")
    assert image.host_base and image.root == "/" and "PATH" in image.env
    assert effective_argv(image, ["python3", "-c", "pass"], None) == ["python3", "-c", "pass"]
    with pytest.raises(StartError) as err:
        effective_argv(image, None, None)
    assert err.value.reason == "CreateContainerError"
    assert "host base image" in err.value.message and "command" in err.value.message
    assert store.resolve("docker.io/library/busybox").host_base
    with pytest.raises(StartError):  # not a library image: not the host's python
        store.resolve("someone/python")


def test_host_images_are_configurable(store):
    with open(os.path.join(store.home, "config.yaml"), "w") as f:
        f.write("hostImages: [toolbox]\n")
    assert store.resolve("toolbox:1").host_base
    with pytest.raises(StartError):
        store.resolve("python")


def test_missing_image_is_err_image_pull_with_the_fix(store):
    with pytest.raises(StartError) as err:
        store.resolve("foo:1")
    assert err.value.reason == "ErrImagePull"
    assert 'image "foo:1" is not in the local image store' in err.value.message
    assert "minikctl image import DIR foo:1" in err.value.message and "busybox" in err.value.message


def test_command_and_args_semantics():
    image = ResolvedImage(ref="docker.io/library/x:1", root="/nonexistent", entrypoint=["ep"], cmd=["c1", "c2"])
    assert effective_argv(image, None, None) == ["ep", "c1", "c2"]
    assert effective_argv(image, None, ["a"]) == ["ep", "a"]  # args replace cmd
    assert effective_argv(image, ["cmd"], None) == ["cmd"]  # command replaces entrypoint, cmd ignored
    assert effective_argv(image, ["cmd"], ["a"]) == ["cmd", "a"]
    empty = ResolvedImage(ref="docker.io/library/x:1", root="/nonexistent")
    with pytest.raises(StartError, match="no command specified"):
        effective_argv(empty, None, None)


def test_cli_import_ls_rm(minikctl_home, tmp_path):
    import typer

    from minikctl.cli import image

    app = typer.Typer()
    image.register(app)

    @app.command("other")
    def other() -> None:  # a second command keeps `image` a sub-command, as in the real app
        pass

    runner = CliRunner()
    app_dir = make_app(tmp_path / "site")
    res = runner.invoke(app, ["image", "import", str(app_dir), "web:v1", "--entrypoint", "python3 -m http.server",
                              "--cmd", '["8080"]', "--env", "A=1", "--workdir", "/static"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Imported web:v1 (sha256:")
    res = runner.invoke(app, ["image", "ls"])
    lines = res.output.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "DIGEST", "SIZE", "CREATED"]
    assert lines[1].split()[:2] == ["web", "v1"] and lines[1].split()[4:] == ["0s", "ago"]
    res = runner.invoke(app, ["image", "inspect", "web:v1"])
    assert '"entrypoint": [' in res.output and '"A": "1"' in res.output
    res = runner.invoke(app, ["image", "rm", "web:v1"])
    assert res.output.splitlines()[0] == "Untagged: web:v1"
    assert runner.invoke(app, ["image", "ls"]).output.splitlines()[1:] == []
