"""A container spec, made ready to start: its image resolved, its environment built
and expanded, its command and args expanded, its mounts and log file placed.

Failures carry the waiting reason Kubernetes shows: ErrImagePull when the image cannot
be resolved, CreateContainerConfigError when a ConfigMap, Secret, key or subPath is
missing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minikctl.api import quantity
from minikctl.kubelet import dnsfiles, env as envmod
from minikctl.kubelet import logs, volumes
from minikctl.runtime.interface import ContainerConfig, Sandbox, StartError

IMAGE_ERROR = "ErrImagePull"


class ImageError(Exception):
    def __init__(self, message: str, reason: str = IMAGE_ERROR) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Images:
    """The image store's two calls (runtime/images.py), injectable for tests."""

    resolve: Callable[[str], Any]
    effective_argv: Callable[[Any, list[str] | None, list[str] | None], list[str]]

    @classmethod
    def default(cls, home: str) -> "Images":
        from minikctl.runtime import images

        return cls(resolve=images.ImageStore(home).resolve, effective_argv=images.effective_argv)


def resolve_image(images: Images, name: str) -> Any:
    try:
        return images.resolve(name)
    except StartError as exc:
        raise ImageError(exc.message, exc.reason) from exc
    except (LookupError, ValueError, OSError) as exc:
        raise ImageError(str(exc) or f'image "{name}" not found') from exc


def image_id(resolved: Any, name: str) -> str:
    """`repository@sha256:...` as Kubernetes reports imageID; host base images have no
    digest and say where they come from."""
    ref = str(getattr(resolved, "ref", "") or name)
    repo = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
    digest = getattr(resolved, "digest", "")
    if digest:
        return f"{repo}@{digest}"
    return f"host://{repo}" if getattr(resolved, "host_base", False) else ref


def build(pod: dict, spec: dict, sandbox: Sandbox, src: envmod.Sources, images: Images, resolved: Any,
          restart_count: int, *, log_max_bytes: int | None = None,
          cluster_dns: str = dnsfiles.DNS_IP) -> ContainerConfig:
    """The ContainerConfig for one start of the container (restart_count picks its log)."""
    env = envmod.build(pod, spec, src)  # ConfigError propagates
    command = envmod.expand_argv(spec.get("command"), env) if spec.get("command") is not None else None
    args = envmod.expand_argv(spec.get("args"), env) if spec.get("args") is not None else None
    try:
        argv = images.effective_argv(resolved, command, args)
    except StartError as exc:
        raise envmod.ConfigError(exc.message, exc.reason) from exc
    try:
        mounts = volumes.mounts(spec, sandbox.volumes, env)
    except volumes.VolumeError as exc:
        raise envmod.ConfigError(exc.detail) from exc
    if mounts:
        # A container with its own mount namespace also gets the pod's DNS files.
        # (Without one it sees the host's: giving every pod a namespace would cost
        # each start ~25 ms of launcher.)
        taken = {m.container_path for m in mounts}
        mounts += [m for m in dnsfiles.mounts(pod, sandbox, _hostname(pod), dns_ip=cluster_dns) if m.container_path not in taken]
    full_env = {**_image_env(resolved), "HOSTNAME": _hostname(pod), **env}
    config = ContainerConfig(
        name=spec["name"], argv=argv, env=full_env,
        working_dir=_working_dir(spec, resolved),
        log_path=logs.prepare(sandbox.directory, spec["name"], restart_count),
        mounts=mounts, pod_ip=sandbox.ip, limits=limits(spec),
    )
    if log_max_bytes is not None:
        config.log_max_bytes = log_max_bytes
    return config


def _working_dir(spec: dict, resolved: Any) -> str:
    """workingDir inside an imported image is found in its tree; unset, the image's
    WORKDIR, else the runtime's default (the pod directory)."""
    wd = spec.get("workingDir") or ""
    if wd and hasattr(resolved, "host_path"):
        return str(resolved.host_path(wd))
    return wd or getattr(resolved, "workdir", "") or ""


def _image_env(resolved: Any) -> dict[str, str]:
    value = getattr(resolved, "env", None) or {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for item in value:  # ["KEY=value", ...] as an OCI image config has it
        k, _, v = str(item).partition("=")
        out[k] = v
    return out


def _hostname(pod: dict) -> str:
    spec = pod.get("spec") or {}
    return spec.get("hostname") or pod["metadata"]["name"]


def limits(spec: dict) -> dict[str, int]:
    """resources.limits as the runtime wants them: cpu in millicores, memory in bytes."""
    out: dict[str, int] = {}
    for name, value in ((spec.get("resources") or {}).get("limits") or {}).items():
        try:
            q = quantity.parse_quantity(value)
        except ValueError:
            continue
        if name == "cpu":
            out["cpu"] = q.milli_value
        elif name == "memory":
            out["memory"] = int(q.value)
    return out
