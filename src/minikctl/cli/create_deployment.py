"""`minikctl create deployment NAME --image=IMAGE [--image=...] [--replicas=N]
[--port=P] [-- COMMAND [args...]]`, as kubectl's create deployment: labels and selector
app=NAME, one container per image, named after the image."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl.cli import goflags, options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand

HELP = "Create a deployment with the specified name."
EXAMPLES = """
Examples:
  # Create a deployment named my-dep that runs the busybox image
  minikctl create deployment my-dep --image=busybox

  # Create a deployment with a command
  minikctl create deployment my-dep --image=busybox -- date

  # Create a deployment named my-dep that runs the nginx image with 3 replicas
  minikctl create deployment my-dep --image=nginx --replicas=3

  # Create a deployment named my-dep that runs the busybox image and expose port 5701
  minikctl create deployment my-dep --image=busybox --port=5701

  # Create a deployment named my-dep with multiple containers
  minikctl create deployment my-dep --image=busybox:latest --image=ubuntu:latest --image=nginx
"""
# k8s.io/apimachinery/pkg/util/rand's alphabet: no vowels, no 0 1 3 (no words, no look-alikes).
_RAND_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GO_INT = re.compile(r"^[+-]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$")


def parse_go_int(value: str, flag: str, bits: int, verb: str) -> int:
    """pflag's Int/Int32 flags: strconv.ParseInt(value, 0, bits), its errors word for word."""
    from minikctl import errors

    def fail(why: str) -> errors.UsageError:
        return errors.UsageError(f'invalid argument "{value}" for "{flag}" flag: strconv.ParseInt: parsing '
                                 f'"{value}": {why}', verb)

    if not _GO_INT.match(value) or "__" in value or value.rstrip("_") != value:
        raise fail("invalid syntax")
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-").replace("_", "")
    try:
        if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xXbBoO":
            number = sign * int(digits, 8)  # Go's base 0: a leading 0 means octal
        else:
            number = sign * int(digits, 0)
    except ValueError:
        raise fail("invalid syntax") from None
    if not -(1 << (bits - 1)) <= number < (1 << (bits - 1)):
        raise fail("value out of range")
    return number


def container_name(image: str) -> str:
    """kubectl's buildPodSpec: the image's last path part, without tag or digest; `_` and
    `.` become `-` plus a random 5-character suffix (sanitizeAndUniquify)."""
    import secrets

    name = image.split("/")[-1].split(":")[0].split("@")[0]
    if "_" in name or "." in name:
        suffix = "".join(secrets.choice(_RAND_ALPHABET) for _ in range(5))
        name = f"{name.replace('_', '-').replace('.', '-')}-{suffix}"
    return name


@dataclass
class CreateDeploymentOptions:
    name: str
    images: list[str] = field(default_factory=list)
    replicas: int = 1
    port: int = -1
    command: list[str] = field(default_factory=list)

    def validate(self) -> None:
        from minikctl import errors

        if len(self.images) > 1 and self.command:
            raise errors.MinikctlError("cannot specify multiple --image options and command")

    def deployment(self) -> dict:
        labels = {"app": self.name}
        containers: list[dict] = [{"name": container_name(image), "image": image} for image in self.images]
        if containers and self.command:
            containers[0]["command"] = list(self.command)
        if containers and self.port >= 0:
            containers[0]["ports"] = [{"containerPort": self.port}]
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": self.name, "labels": dict(labels)},
                "spec": {"replicas": self.replicas, "selector": {"matchLabels": dict(labels)},
                         "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}}}


def image_given(ctx: typer.Context) -> bool:
    """kubectl marks --image required: present at all (even `--image=`), before `--`."""
    raw = ctx.meta.get(goflags.RAW_ARGS) or []
    before = raw[:raw.index("--")] if "--" in raw else raw
    return any(a == "--image" or a.startswith("--image=") for a in before)


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_configmap import split_slice
    from minikctl.cli.create_job import keep_layout

    @create_app.command("deployment", cls=GoFlagsCommand, help=HELP + "\n\n" + keep_layout(EXAMPLES.strip("\n")))
    @generator()
    def deployment(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --image=image -- [COMMAND] [args...]")] = None,
        image: Annotated[Optional[list[str]], typer.Option("--image", help="Image names to run. A deployment can have multiple images set for multi-container pod.")] = None,
        replicas: Annotated[str, typer.Option("--replicas", "-r", help="Number of replicas to create. Default is 1.")] = "1",
        port: Annotated[str, typer.Option("--port", help="The containerPort that this deployment exposes.")] = "-1",
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl import errors
        from minikctl.cli import create, state

        verb = "create deployment"
        count = parse_go_int(replicas, "-r, --replicas", 32, verb)
        container_port = parse_go_int(port, "--port", 32, verb)
        if not image_given(ctx):
            raise errors.MinikctlError('required flag(s) "image" not set')
        name, after_dash, flags = create.complete(ctx, args, verb, shared)
        opts = CreateDeploymentOptions(name, split_slice(image), count, container_port, after_dash)
        opts.validate()
        state.exit_code = create.create_generated(opts.deployment(), flags, "deployment")

    create_app.command("deploy", hidden=True, cls=GoFlagsCommand)(deployment)
