"""The local image store, and how a pod's `image:` becomes a directory and a command.

    $MINIKCTL_HOME/images/
        index.json                   tags -> digests, and when each image was imported
        blobs/sha256/<hex>[.x]       file contents, stored once (".x": executable)
        manifests/<hex>.json         an image: its file list and config
        roots/<hex>/                 the image's tree, its files hard links to the blobs

An image is a directory imported with `minikctl image import DIR name:tag`. Its digest is
the sha256 of its manifest: a deterministic walk (sorted paths; type, normalised mode,
content digest or link target of each entry) plus its config (entrypoint, cmd, env,
workdir). Importing the same tree twice gives the same digest; two versions of an app
share every unchanged file. A `minikctl-image.yaml` (or .json) at the top of DIR may
carry the config; it is not part of the image.

Files in roots/ are hard links to shared blobs and read-only by mode: a container must
not modify its image's files in place (write to an emptyDir volume instead).

Names are Docker's: `web` is `docker.io/library/web:latest`. A name not in the store
may be a host base image (busybox, python, ...: configurable with `hostImages:` in
$MINIKCTL_HOME/config.yaml): the host's own tools, for containers that bring their own
command. Anything else is ErrImagePull with a message saying how to import it.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from minikctl.errors import MinikctlError
from minikctl.runtime.interface import StartError

DEFAULT_HOST_IMAGES = (
    "busybox", "alpine", "debian", "ubuntu", "fedora", "centos", "rockylinux", "almalinux",
    "amazonlinux", "archlinux", "python", "node", "golang", "rust", "ruby", "perl", "php",
    "openjdk", "eclipse-temurin", "bash",
)
CONFIG_FILES = ("minikctl-image.yaml", "minikctl-image.yml", "minikctl-image.json")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_NAME = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class ImageError(MinikctlError, ValueError):
    """A bad reference, a missing image or directory: the message says what to do."""


# -- references ----------------------------------------------------------------------------

def normalize(ref: str) -> str:
    """Docker's normalisation: `web` -> `docker.io/library/web:latest`;
    `name@sha256:...` keeps its digest (and no tag)."""
    ref = ref.strip()
    name, digest = ref, ""
    if "@" in ref:
        name, digest = ref.split("@", 1)
        if not _DIGEST.match(digest):
            raise ImageError(f'invalid reference format: "{ref}" (digest must be sha256:<64 hex>)')
    tag = ""
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
        if not _TAG.match(tag):
            raise ImageError(f'invalid reference format: "{ref}" (bad tag "{tag}")')
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "docker.io", name
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    if not path or not _NAME.match(path):
        raise ImageError(f'invalid reference format: "{ref}" (repository names are lowercase letters, '
                         "digits and separators, e.g. web:1.0)")
    if digest:
        return f"{domain}/{path}@{digest}" if not tag else f"{domain}/{path}:{tag}@{digest}"
    return f"{domain}/{path}:{tag or 'latest'}"


def familiar(normalized: str) -> tuple[str, str]:
    """(repository, tag) as Docker shows them: `docker.io/library/web:1` -> ("web", "1")."""
    name, _, _ = normalized.partition("@")
    repo, _, tag = name.rpartition(":")
    if "/" in tag or not repo:
        repo, tag = name, ""
    for prefix in ("docker.io/library/", "docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix):]
            break
    return repo, tag


def parse_words(value: str | list[str] | None) -> list[str] | None:
    """An entrypoint or cmd: a JSON list (`["python3", "app.py"]`) or words split as a shell
    would split them (`python3 app.py`) — never run through a shell."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise ImageError(f"not a JSON list of strings: {value} ({exc})") from exc
        if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
            raise ImageError(f"not a JSON list of strings: {value}")
        return parsed
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ImageError(f"cannot split {value!r} into words: {exc}") from exc


def parse_env(value: dict | list | None) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for item in value:
        key, sep, val = str(item).partition("=")
        if not sep or not key:
            raise ImageError(f'env must be KEY=VALUE, not "{item}"')
        out[key] = val
    return out


# -- resolved images and the command they run --------------------------------------------------

@dataclass(frozen=True)
class ResolvedImage:
    ref: str  # normalised reference
    root: str  # the image's tree on the host ("/" for a host base image)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = ""  # a host directory; "" = let the kubelet choose (host base images)
    host_base: bool = False
    digest: str = ""

    def host_path(self, path: str) -> str:
        """Where a path of the image is on the host (`/app/run.sh` -> <root>/app/run.sh);
        a path the image does not have is returned unchanged (a host path)."""
        if self.host_base or not os.path.isabs(path):
            return path
        inside = os.path.join(self.root, path.lstrip("/"))
        return inside if os.path.lexists(inside) else path


def effective_argv(image: ResolvedImage, command: list[str] | None, args: list[str] | None) -> list[str]:
    """Kubernetes' rule: `command` replaces the image's entrypoint (and its cmd is then
    ignored); `args` replaces the image's cmd."""
    if command:
        argv = list(command) + list(args or [])
    else:
        argv = list(image.entrypoint) + list(args if args else image.cmd)
    if not argv:
        if image.host_base:
            repo, tag = familiar(image.ref)
            raise StartError("CreateContainerError", (
                f'image "{repo}:{tag}" is a host base image: it runs this machine\'s own {repo} tools and has '
                'no program of its own, so the container must give its command, e.g. command: ["sh", "-c", '
                '"..."]; or import an image with an entrypoint: minikctl image import DIR name:tag '
                '--entrypoint "..."'))
        repo, tag = familiar(image.ref)
        raise StartError("CreateContainerError", (
            f'no command specified: image "{repo}:{tag}" has no entrypoint or cmd; set command in the '
            f"container spec, or import the image again with --entrypoint/--cmd"))
    if not image.host_base and os.path.isabs(argv[0]):
        argv[0] = image.host_path(argv[0])
    return argv


@dataclass(frozen=True)
class ImageInfo:
    repository: str
    tag: str
    ref: str
    digest: str
    size: int
    created: float


# -- the store ------------------------------------------------------------------------------

class ImageStore:
    def __init__(self, home: str | None = None) -> None:
        if home is None:
            from minikctl.home import home as default_home

            home = default_home()
        self.home = os.path.abspath(home)
        self.root = os.path.join(self.home, "images")
        self._blobs = os.path.join(self.root, "blobs", "sha256")
        self._manifests = os.path.join(self.root, "manifests")
        self._roots = os.path.join(self.root, "roots")
        self._index = os.path.join(self.root, "index.json")

    # -- index ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (two `image import` commands, a daemon): flock."""
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_index(self) -> dict:
        try:
            with open(self._index) as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = {}
        data.setdefault("tags", {})
        data.setdefault("images", {})
        return data

    def _write_index(self, data: dict) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".index-", dir=self.root)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self._index)

    # -- import ----------------------------------------------------------------------------

    def import_dir(self, directory: str, ref: str, *, entrypoint: list[str] | str | None = None,
                   cmd: list[str] | str | None = None, env: dict[str, str] | list[str] | None = None,
                   workdir: str | None = None) -> str:
        """Import a directory as `ref`; returns the image digest ("sha256:<hex>")."""
        normalized = normalize(ref)
        if "@" in normalized:
            raise ImageError(f'cannot import as "{ref}": give a name and tag, not a digest')
        directory = os.path.abspath(directory)
        if not os.path.isdir(directory):
            raise ImageError(f'"{directory}" is not a directory: import takes the directory holding the image\'s files')
        config = self._config(directory, entrypoint, cmd, env, workdir)
        os.makedirs(self._blobs, exist_ok=True)
        os.makedirs(self._manifests, exist_ok=True)
        os.makedirs(self._roots, exist_ok=True)
        entries, size = self._walk(directory)
        manifest = {"schemaVersion": 1, "config": config, "files": entries}
        blob = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        hexdigest = hashlib.sha256(blob).hexdigest()
        with self._locked():
            if not os.path.isdir(os.path.join(self._roots, hexdigest)):
                self._materialize(hexdigest, entries)
            manifest_path = os.path.join(self._manifests, f"{hexdigest}.json")
            if not os.path.exists(manifest_path):
                with open(manifest_path + ".tmp", "wb") as f:
                    f.write(blob)
                os.replace(manifest_path + ".tmp", manifest_path)
            index = self._read_index()
            index["tags"][normalized] = f"sha256:{hexdigest}"
            index["images"].setdefault(f"sha256:{hexdigest}", {"created": time.time(), "size": size})
            self._write_index(index)
        return f"sha256:{hexdigest}"

    @staticmethod
    def _config(directory: str, entrypoint, cmd, env, workdir) -> dict:  # type: ignore[no-untyped-def]
        from_file: dict = {}
        for name in CONFIG_FILES:
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                with open(path) as f:
                    text = f.read()
                try:
                    if name.endswith(".json"):
                        from_file = json.loads(text) or {}
                    else:
                        import yaml

                        from_file = yaml.safe_load(text) or {}
                except Exception as exc:  # noqa: BLE001 - json's and yaml's parse errors
                    raise ImageError(f"{path}: {exc}") from exc
                if not isinstance(from_file, dict):
                    raise ImageError(f"{path}: expected a mapping with entrypoint, cmd, env, workdir")
                unknown = set(from_file) - {"entrypoint", "cmd", "env", "workdir"}
                if unknown:
                    raise ImageError(f"{path}: unknown field(s) {', '.join(sorted(unknown))} "
                                     "(known: entrypoint, cmd, env, workdir)")
                break
        ep = parse_words(entrypoint) if entrypoint is not None else parse_words(from_file.get("entrypoint"))
        cm = parse_words(cmd) if cmd is not None else parse_words(from_file.get("cmd"))
        file_env = parse_env(from_file.get("env")) or {}
        merged_env = {**file_env, **(parse_env(env) or {})}
        wd = workdir if workdir is not None else from_file.get("workdir")
        return {"entrypoint": ep or [], "cmd": cm or [], "env": merged_env, "workdir": str(wd or "")}

    def _walk(self, directory: str) -> tuple[list[dict], int]:
        entries: list[dict] = []
        total = 0
        for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, directory)
            names = sorted(dirnames + filenames)
            for name in names:
                full = os.path.join(dirpath, name)
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                if rel_dir == "." and name in CONFIG_FILES:
                    continue
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    entries.append({"path": rel, "type": "symlink", "target": os.readlink(full)})
                elif stat.S_ISDIR(st.st_mode):
                    entries.append({"path": rel, "type": "dir"})
                elif stat.S_ISREG(st.st_mode):
                    executable = bool(st.st_mode & 0o111)
                    digest = self._store_blob(full, executable)
                    entries.append({"path": rel, "type": "file", "executable": executable,
                                    "size": st.st_size, "digest": digest})
                    total += st.st_size
                # sockets, fifos, devices: not part of an image
        entries.sort(key=lambda e: e["path"])
        return entries, total

    def _store_blob(self, path: str, executable: bool) -> str:
        """Store a file's content once: hash it, and copy it only when the store lacks it."""
        hexdigest = _sha256_file(path)
        final = os.path.join(self._blobs, hexdigest + (".x" if executable else ""))
        if os.path.exists(final):
            return f"sha256:{hexdigest}"
        fd, tmp = tempfile.mkstemp(prefix=".blob-", dir=self._blobs)
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    out.write(chunk)
            if h.hexdigest() != hexdigest:
                raise ImageError(f"{path} changed while it was being imported: import again")
            os.chmod(tmp, 0o555 if executable else 0o444)
            os.replace(tmp, final)
            return f"sha256:{hexdigest}"
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _materialize(self, hexdigest: str, entries: list[dict]) -> None:
        tmp = tempfile.mkdtemp(prefix=".root-", dir=self._roots)
        try:
            for e in entries:
                dest = os.path.join(tmp, e["path"])
                if e["type"] == "dir":
                    os.makedirs(dest, mode=0o755, exist_ok=True)
                elif e["type"] == "symlink":
                    os.symlink(e["target"], dest)
                else:
                    blob = self._blob_path(e["digest"], e["executable"])
                    try:
                        os.link(blob, dest)
                    except OSError:  # another filesystem, or too many links: a copy
                        shutil.copy2(blob, dest)
            os.chmod(tmp, 0o755)
            os.rename(tmp, os.path.join(self._roots, hexdigest))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _blob_path(self, digest: str, executable: bool) -> str:
        return os.path.join(self._blobs, digest.split(":", 1)[1] + (".x" if executable else ""))

    # -- queries -----------------------------------------------------------------------------

    def list(self) -> list[ImageInfo]:
        index = self._read_index()
        out = []
        for ref, digest in sorted(index["tags"].items()):
            meta = index["images"].get(digest, {})
            repo, tag = familiar(ref)
            out.append(ImageInfo(repository=repo, tag=tag, ref=ref, digest=digest,
                                 size=int(meta.get("size", 0)), created=float(meta.get("created", 0))))
        return out

    def _digest_for(self, ref: str, index: dict) -> str | None:
        return self._lookup(ref, index)[0]

    def _lookup(self, ref: str, index: dict) -> tuple[str | None, bool]:
        """(digest, whether ref named the digest itself rather than a tag)."""
        text = ref.strip()
        if _DIGEST.match(text):
            return (text if text in index["images"] else None), True
        if re.fullmatch(r"[0-9a-f]{6,64}", text):  # a digest prefix, as `docker rmi abc123`
            matches = [d for d in index["images"] if d[7:].startswith(text)]
            if len(matches) == 1:
                return matches[0], True
            if len(matches) > 1:
                raise ImageError(f'"{ref}" matches {len(matches)} images: give more of the digest')
        normalized = normalize(text)
        if "@" in normalized:
            digest = normalized.split("@", 1)[1]
            return (digest if digest in index["images"] else None), True
        return index["tags"].get(normalized), False

    def inspect(self, ref: str) -> dict:
        """An image's digest, tags, config, size and root, as `image inspect` prints it."""
        index = self._read_index()
        digest = self._digest_for(ref, index)
        if digest is None:
            raise ImageError(f'no such image: "{ref}" (see `minikctl image ls`)')
        manifest = self.manifest(digest)
        meta = index["images"].get(digest, {})
        return {
            "digest": digest, "tags": sorted(r for r, d in index["tags"].items() if d == digest),
            "config": manifest.get("config", {}), "size": meta.get("size", 0), "created": meta.get("created"),
            "files": len(manifest.get("files", [])), "root": os.path.join(self._roots, digest.split(":", 1)[1]),
        }

    def manifest(self, digest: str) -> dict:
        with open(os.path.join(self._manifests, digest.split(":", 1)[1] + ".json")) as f:
            return json.load(f)

    def resolve(self, image: str) -> ResolvedImage:
        """What a container's `image:` runs: an image of the store, else a host base image,
        else StartError("ErrImagePull") saying how to import it."""
        try:
            normalized = normalize(image)
        except ImageError as exc:
            raise StartError("InvalidImageName", f'Failed to apply default image tag "{image}": {exc}') from exc
        index = self._read_index()
        digest = self._digest_for(image, index)
        if digest is not None:
            try:
                config = self.manifest(digest)["config"]
            except (OSError, ValueError, KeyError) as exc:
                raise StartError("ErrImagePull", f'image "{image}" is damaged in the local store ({exc}): '
                                 f"import it again with `minikctl image import DIR {image}`") from exc
            root = os.path.join(self._roots, digest.split(":", 1)[1])
            workdir = config.get("workdir") or ""
            host_workdir = os.path.join(root, workdir.lstrip("/")) if workdir else root
            return ResolvedImage(ref=normalized, root=root, entrypoint=list(config.get("entrypoint") or []),
                                 cmd=list(config.get("cmd") or []), env=dict(config.get("env") or {}),
                                 workdir=host_workdir, host_base=False, digest=digest)
        repo, tag = familiar(normalized)
        hosts = self.host_images()
        if "@" not in normalized and normalized.startswith("docker.io/library/") and repo in hosts:
            return ResolvedImage(ref=normalized, root="/", env={"PATH": os.environ.get("PATH") or DEFAULT_PATH},
                                 host_base=True)
        shown = f"{repo}:{tag}" if tag else repo
        raise StartError("ErrImagePull", (
            f'image "{shown}" is not in the local image store; import it with '
            f"`minikctl image import DIR {shown}` (host base images: {', '.join(hosts)}; "
            "they need the container to give its own command)"))

    def host_images(self) -> list[str]:
        """The host base images: DEFAULT_HOST_IMAGES, or `hostImages:` of config.yaml."""
        path = os.path.join(self.home, "config.yaml")
        if os.path.exists(path):
            try:
                import yaml

                with open(path) as f:
                    data = yaml.safe_load(f) or {}
                names = data.get("hostImages") if isinstance(data, dict) else None
                if isinstance(names, list):
                    return [str(n) for n in names]
            except Exception:  # noqa: BLE001 - a broken config must not stop pods; defaults apply
                pass
        return list(DEFAULT_HOST_IMAGES)

    # -- removal ---------------------------------------------------------------------------------

    def remove(self, ref: str, *, force: bool = False) -> list[str]:
        """Untag `ref` (or every tag of a digest); an image left without tags is deleted,
        with the blobs no other image uses. Returns the lines `image rm` prints."""
        with self._locked():
            index = self._read_index()
            digest, by_digest = self._lookup(ref, index)
            if digest is None:
                raise ImageError(f'no such image: "{ref}" (see `minikctl image ls`)')
            if by_digest:
                untag = [r for r, d in index["tags"].items() if d == digest]
            else:
                normalized = normalize(ref)
                untag = [normalized] if normalized in index["tags"] else []
            remaining = [r for r, d in index["tags"].items() if d == digest and r not in untag]
            if not remaining and not force:
                users = _processes_using(os.path.join(self._roots, digest.split(":", 1)[1]))
                if users:
                    raise ImageError(f'image "{ref}" is being used by running process(es) '
                                     f"{', '.join(map(str, users[:5]))}: stop them first, or use --force")
            lines = []
            for r in untag:
                del index["tags"][r]
                repo, tag = familiar(r)
                lines.append(f"Untagged: {repo}:{tag}" if tag else f"Untagged: {repo}")
            if not remaining:
                index["images"].pop(digest, None)
                self._delete_image(digest, index)
                lines.append(f"Deleted: {digest}")
            self._write_index(index)
            return lines

    def _delete_image(self, digest: str, index: dict) -> None:
        hexdigest = digest.split(":", 1)[1]
        shutil.rmtree(os.path.join(self._roots, hexdigest), ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self._manifests, hexdigest + ".json"))
        # Blobs still used by another image stay.
        used: set[str] = set()
        for other in index["images"]:
            try:
                for e in self.manifest(other)["files"]:
                    if e["type"] == "file":
                        used.add(os.path.basename(self._blob_path(e["digest"], e["executable"])))
            except (OSError, ValueError, KeyError):
                continue
        try:
            names = os.listdir(self._blobs)
        except OSError:
            return
        for name in names:
            if not name.startswith(".") and name not in used:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self._blobs, name))


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _processes_using(root: str) -> list[int]:
    """Processes whose working directory or executable is inside an image's tree."""
    out = []
    prefix = root.rstrip("/") + "/"
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        for link in ("cwd", "exe"):
            try:
                target = os.readlink(f"/proc/{name}/{link}")
            except OSError:
                continue
            if target == root or target.startswith(prefix):
                out.append(int(name))
                break
    return out
