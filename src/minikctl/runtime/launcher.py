"""The launcher: the first moments of a container that has volumes to mount or limits to
join, then exec() of the container's own program (same pid, so the runtime's pidfd and
start ticks stay valid).

Run as `python -I -S launcher.py SPEC_FD ERR_FD` (by file, not -m: no site-packages,
no minikctl import, ~15 ms) or `python -m minikctl.runtime.launcher SPEC_FD ERR_FD`.
It reads a JSON spec from SPEC_FD. Any failure before exec is written as JSON
{"reason", "message"} to ERR_FD, which is close-on-exec: the runtime reads EOF when the
container's program is running, or the reason it could not start.

Start mode (a private mount namespace, then each volume at its mountPath):
  1. unshare(CLONE_NEWNS) as root; otherwise unshare(CLONE_NEWUSER|CLONE_NEWNS) mapping
     our own uid and gid (an unprivileged user namespace).
  2. make every mount private (MS_REC|MS_PRIVATE): nothing propagates back to the host.
  3. for each volume, shallowest mountPath first: if the mountPath does not exist, its
     nearest existing ancestor gets an overlayfs whose upper layer lives on a tmpfs of
     this namespace, the mount point is created there, and the host's directory is
     never written; mounts found under that ancestor are bound back on top. Then the
     volume (or its subPath) is bind-mounted, and remounted read-only if asked.
     When the ancestor is / itself, every top-level directory is bound back (writes to
     existing host directories still reach the host) and the overlay becomes the root.
Exec mode: join the running container's user and mount namespaces and its root.

This file imports nothing from minikctl: it must run before sys.path knows about it.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21

# statvfs f_flag bits -> mount flags that a read-only remount must keep (in a user
# namespace they are locked, and dropping one fails with EPERM).
_KEEP_FLAGS = ((2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME),
               (2048, MS_NODIRATIME), (4096, MS_RELATIME))

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


class LaunchError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: os.fsencode(s) if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {source or ''} on {target}")


# -- namespaces ------------------------------------------------------------------------

def enter_mount_namespace() -> str:
    """A private mount namespace; 'root' or 'userns' says how we got the right to mount."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWNS) == 0:
        how = "root"
    else:
        first = ctypes.get_errno()
        if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
            second = ctypes.get_errno()
            raise LaunchError("CreateContainerError", (
                "this pod's volumes cannot be mounted at their mountPath: a private mount namespace needs "
                f"root (unshare(CLONE_NEWNS): {os.strerror(first)}) or unprivileged user namespaces "
                f"(unshare(CLONE_NEWUSER): {os.strerror(second)}). Run the minikctl daemon as root, or allow "
                "user namespaces (sysctl user.max_user_namespaces=15000; kernel.unprivileged_userns_clone=1 "
                "on Debian; kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04+), or remove the "
                "volumeMounts from the pod"))
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        how = "userns"
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    return how


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


# -- mounts ------------------------------------------------------------------------------

def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [_unescape(line.split()[4]) for line in f if line.strip()]


def _esc(path: str) -> str:
    """overlayfs option values: escape the separators."""
    return path.replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:")


class MountBuilder:
    def __init__(self, scratch: str, userns: bool = False) -> None:
        self.scratch = scratch  # an empty host directory: our tmpfs goes on it
        self.userns = userns
        self.scratch_ready = False
        self.overlays = 0
        self.overlay_devs: set[int] = set()
        self.volume_targets: list[str] = []
        self.readonly: list[str] = []

    def _scratch(self) -> str:
        if not self.scratch_ready:
            mount("tmpfs", self.scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700")
            self.scratch_ready = True
        return self.scratch

    def add(self, source: str, target: str, read_only: bool, sub_path: str) -> None:
        target = os.path.normpath(target)
        if not os.path.isabs(target):
            raise LaunchError("CreateContainerConfigError", f'mountPath "{target}" must be an absolute path')
        if sub_path:
            source = self._sub_path(source, sub_path)
        if not os.path.exists(source):
            raise LaunchError("CreateContainerError", f'volume source "{source}" for mountPath "{target}" does not exist')
        is_file = not os.path.isdir(source)
        self._mount_point(target, is_file)
        try:
            mount(source, target, None, MS_BIND | MS_REC)
        except OSError as exc:
            raise LaunchError("CreateContainerError", f'cannot mount the volume at "{target}": {exc}') from exc
        self.volume_targets.append(target)
        if read_only:
            self.readonly.append(target)

    def finish(self) -> None:
        # Read-only last: a nested mountPath may need a directory made inside a parent volume.
        for target in self.readonly:
            flags = MS_BIND | MS_REMOUNT | MS_RDONLY
            f_flag = os.statvfs(target).f_flag
            for bit, keep in _KEEP_FLAGS:
                if f_flag & bit:
                    flags |= keep
            try:
                mount(None, target, None, flags)
            except OSError as exc:
                raise LaunchError("CreateContainerError", f'cannot make "{target}" read-only: {exc}') from exc

    @staticmethod
    def _sub_path(source: str, sub_path: str) -> str:
        if os.path.isabs(sub_path) or ".." in sub_path.split("/"):
            raise LaunchError("CreateContainerConfigError",
                              f'subPath "{sub_path}" must be a relative path without ".."')
        full = os.path.join(source, sub_path)
        if not os.path.lexists(full):
            os.makedirs(full, exist_ok=True)  # as the kubelet does: a missing subPath is a new directory
        real, base = os.path.realpath(full), os.path.realpath(source)
        if not _under(real, base):
            raise LaunchError("CreateContainerConfigError",
                              f'subPath "{sub_path}" resolves outside its volume (to {real})')
        return real

    def _mount_point(self, target: str, is_file: bool) -> None:
        if os.path.lexists(target):
            if os.path.isdir(target) and is_file:
                raise LaunchError("CreateContainerError",
                                  f'cannot mount a file at "{target}": it is a directory')
            if not os.path.isdir(target) and not is_file:
                raise LaunchError("CreateContainerError",
                                  f'cannot mount a directory at "{target}": it is a file')
            return
        ancestor = os.path.dirname(target)
        while not os.path.exists(ancestor):
            ancestor = os.path.dirname(ancestor)
        writable = any(_under(ancestor, v) for v in self.volume_targets) or \
            os.stat(ancestor).st_dev in self.overlay_devs
        if not writable:
            self._overlay(ancestor, target)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if is_file:
                open(target, "a").close()
            else:
                os.mkdir(target)
        except OSError as exc:
            raise LaunchError("CreateContainerError", f'cannot create the mount point "{target}": {exc}') from exc

    def _overlay(self, ancestor: str, target: str) -> None:
        """Make `ancestor` writable in this namespace only: an overlay whose upper layer is
        on our tmpfs, with every mount that was under it bound back."""
        scratch = self._scratch()
        n = self.overlays
        self.overlays += 1
        upper, work, merged = (os.path.join(scratch, f"{kind}{n}") for kind in ("upper", "work", "merged"))
        for d in (upper, work, merged):
            os.mkdir(d, 0o755)
        st = os.stat(ancestor)
        os.chmod(upper, st.st_mode & 0o7777)
        opts = f"lowerdir={_esc(ancestor)},upperdir={_esc(upper)},workdir={_esc(work)}"
        if self.userns:
            opts += ",userxattr"  # trusted.* xattrs are out of reach in a user namespace
        try:
            mount("overlay", merged, "overlay", 0, opts)
            shadow = False
        except OSError as overlay_error:
            # In a user namespace overlayfs refuses a lower layer with locked mounts under
            # it (e.g. /): fall back to a tmpfs holding a bind of every entry.
            try:
                self._shadow(ancestor, merged)
                shadow = True
            except OSError as exc:
                raise LaunchError("CreateContainerError", (
                    f'cannot create the mount point "{target}": it does not exist on this machine, and '
                    f"neither an overlay over {ancestor} ({overlay_error}) nor a tmpfs copy of it ({exc}) could "
                    "add it without touching the host. Mount the volume at an existing directory instead")) from exc
        if ancestor == "/":
            if not shadow:
                # Bind back every top-level directory: the container keeps writing to the real
                # /home, /tmp... only new top-level entries (the mount points) are the overlay's.
                for entry in sorted(os.scandir("/"), key=lambda e: e.name):
                    if entry.is_dir(follow_symlinks=False):
                        mount(entry.path, os.path.join(merged, entry.name), None, MS_BIND | MS_REC)
            os.chdir(merged)
            mount(merged, "/", None, MS_MOVE)
            os.chroot(".")
            os.chdir("/")
        elif not shadow:
            taken: list[str] = []
            for point in sorted(set(mount_points())):
                if point == ancestor or not _under(point, ancestor) or _under(point, scratch):
                    continue
                if any(_under(point, t) for t in taken):
                    continue  # comes along with its parent's recursive bind
                taken.append(point)
                dest = os.path.join(merged, os.path.relpath(point, ancestor))
                if os.path.lexists(dest):
                    mount(point, dest, None, MS_BIND | MS_REC)
            mount(merged, ancestor, None, MS_MOVE)
        else:
            mount(merged, ancestor, None, MS_MOVE)
        self.overlay_devs.add(os.stat(ancestor).st_dev)

    @staticmethod
    def _shadow(ancestor: str, merged: str) -> None:
        """A tmpfs at `merged` that looks like `ancestor`: each entry bound (recursively)
        from the host, symlinks copied. Writes to existing entries reach the host; only
        new entries (our mount points) live in the tmpfs."""
        mount("tmpfs", merged, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
        for entry in sorted(os.scandir(ancestor), key=lambda e: e.name):
            dest = os.path.join(merged, entry.name)
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), dest)
                continue
            if entry.is_dir(follow_symlinks=False):
                os.mkdir(dest)
            else:
                open(dest, "w").close()
            try:
                mount(entry.path, dest, None, MS_BIND | MS_REC)
            except OSError:
                if entry.is_dir(follow_symlinks=False):
                    raise
                os.unlink(dest)  # a socket or device we may not bind: leave it out


# -- limits ------------------------------------------------------------------------------

def join_cgroups(paths: list[str]) -> None:
    for procs in paths:
        try:
            _write(procs, str(os.getpid()))
        except OSError as exc:
            raise LaunchError("CreateContainerError", f"cannot join the container's cgroup ({procs}): {exc}") from exc


def set_rlimits(limits: dict[str, int]) -> None:
    import resource

    for name, value in limits.items():
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError) as exc:
            raise LaunchError("CreateContainerError", f"cannot set {name}={value}: {exc}") from exc


# -- the two modes ---------------------------------------------------------------------------

def join_container(pid: int, ticks: int) -> None:
    """Enter a running container's user (if it has its own) and mount namespaces, and its root."""
    fds = []
    try:
        user = None
        if os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user"):
            user = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
            fds.append(user)
        mnt = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        fds.append(mnt)
        root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fds.append(root)
    except OSError as exc:
        raise LaunchError("ContainerNotRunning", f"the container's process {pid} is gone: {exc}") from exc
    if _start_ticks(pid) != ticks:  # the fds above might belong to a reused pid
        raise LaunchError("ContainerNotRunning", f"the container's process {pid} is gone")
    if user is not None:
        _check(_libc.setns(user, CLONE_NEWUSER), "setns(user)")
    _check(_libc.setns(mnt, CLONE_NEWNS), "setns(mnt)")
    os.fchdir(root)
    os.chroot(".")
    for fd in fds:
        os.close(fd)


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rfind(b")") + 2:].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def run(spec: dict) -> None:
    if spec.get("cgroup_procs"):
        join_cgroups(spec["cgroup_procs"])
    if spec.get("rlimits"):
        set_rlimits(spec["rlimits"])
    if spec.get("mode") == "exec":
        if spec.get("join_pid"):
            join_container(int(spec["join_pid"]), int(spec["join_ticks"]))
    elif spec.get("mounts"):
        how = enter_mount_namespace()
        builder = MountBuilder(spec["scratch"], userns=how == "userns")
        for m in sorted(spec["mounts"], key=lambda m: os.path.normpath(m["container_path"]).count("/")):
            builder.add(m["host_path"], m["container_path"], bool(m.get("read_only")), m.get("sub_path") or "")
        builder.finish()
    cwd = spec.get("cwd") or "/"
    try:
        os.chdir(cwd)
    except OSError as exc:
        raise LaunchError("StartError", f'cannot use workingDir "{cwd}": {exc.strerror}') from exc
    argv, env = spec["argv"], spec["env"]
    _default_signals()
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError as exc:
        where = "in $PATH" if "/" not in argv[0] else ""
        raise LaunchError("StartError", f'exec: "{argv[0]}": executable file not found {where}'.strip()) from exc
    except PermissionError as exc:
        raise LaunchError("StartError", f'exec: "{argv[0]}": permission denied') from exc
    except OSError as exc:
        raise LaunchError("StartError", f'exec: "{argv[0]}": {exc.strerror}') from exc


def _default_signals() -> None:
    """Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across exec:
    give the container the default dispositions a directly started process gets."""
    import signal

    for name in ("SIGPIPE", "SIGXFSZ", "SIGXFZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def main(args: list[str]) -> int:
    spec_fd, err_fd = int(args[0]), int(args[1])
    os.set_inheritable(err_fd, False)  # closes on exec: EOF tells the runtime we made it
    try:
        with os.fdopen(spec_fd, "rb") as f:
            spec = json.loads(f.read())
        run(spec)
        raise LaunchError("StartError", "exec returned")
    except LaunchError as exc:
        _report(err_fd, exc.reason, exc.message)
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the runtime must hear of it
        _report(err_fd, "CreateContainerError", f"{type(exc).__name__}: {exc}")
    return 127


def _report(fd: int, reason: str, message: str) -> None:
    data = json.dumps({"reason": reason, "message": message}).encode()
    while data:
        try:
            data = data[os.write(fd, data):]
        except OSError as exc:
            if exc.errno != errno.EINTR:
                return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
