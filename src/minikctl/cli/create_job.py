"""`minikctl create job NAME --image=IMAGE -- [COMMAND] [args...]` and
`minikctl create job NAME --from=cronjob/CJ`, as kubectl's create job: a Job from an
image and command, or a manual run of a CronJob's jobTemplate (annotated
cronjob.kubernetes.io/instantiate=manual, controlled by the CronJob)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl.cli import goflags, options

HELP = "Create a job with the specified name."
EXAMPLES = """
Examples:
  # Create a job
  minikctl create job my-job --image=busybox

  # Create a job with a command
  minikctl create job my-job --image=busybox -- date

  # Create a job from a cron job named "a-cronjob"
  minikctl create job test-job --from=cronjob/a-cronjob
"""
INSTANTIATE = "cronjob.kubernetes.io/instantiate"


@dataclass
class CreateJobOptions:
    name: str
    image: str = ""
    from_: str = ""
    command: list[str] = field(default_factory=list)
    namespace: str | None = None
    dry_run: str = "none"
    output: str | None = None

    def validate(self) -> None:
        from minikctl import errors

        if bool(self.image) == bool(self.from_):
            raise errors.MinikctlError("either --image or --from must be specified")
        if self.command and self.from_:
            raise errors.MinikctlError("cannot specify --from and command")

    def job(self) -> dict:
        return self.job_from_cronjob() if self.from_ else self.job_from_image()

    def job_from_image(self) -> dict:
        container: dict = {"name": self.name, "image": self.image}
        if self.command:
            container["command"] = list(self.command)
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": self.name},
                "spec": {"template": {"metadata": {}, "spec": {"containers": [container], "restartPolicy": "Never"}}}}

    def job_from_cronjob(self) -> dict:
        from minikctl import errors
        from minikctl.api import kinds
        from minikctl.cli import state

        kind_name, _, cj_name = self.from_.partition("/")
        try:
            kind = kinds.resolve(kind_name)
        except errors.MinikctlError:
            kind = None
        if not cj_name or kind is None:
            raise errors.MinikctlError(f'the server doesn\'t have a resource type "{kind_name}"'
                                       if cj_name else "from must be an existing cronjob")
        obj = state.client().get(kind, self.namespace or "default", cj_name)
        if kind.kind != "CronJob":
            raise errors.MinikctlError(f"unknown object type *v1.{kind.kind}")  # Go's %T of the typed object
        template = obj["spec"].get("jobTemplate") or {}
        tmd = template.get("metadata") or {}
        md: dict = {"name": self.name, "annotations": {INSTANTIATE: "manual", **(tmd.get("annotations") or {})}}
        if tmd.get("labels"):
            md["labels"] = dict(tmd["labels"])
        # kubectl leaves blockOwnerDeletion unset here (it would need cronjobs/finalizers rights).
        md["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj_name,
                                  "uid": obj["metadata"]["uid"], "controller": True}]
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md,
                "spec": copy.deepcopy(template.get("spec") or {})}


def keep_layout(text: str) -> str:
    """Click rewraps help paragraphs; "\\b" keeps each example as written (as cli/main
    does for top-level verbs)."""
    return "\n\n".join("\b\n" + p if p.strip() else p for p in text.split("\n\n"))


def register(create_app: typer.Typer) -> None:
    @create_app.command("job", cls=goflags.GoFlagsCommand, help=HELP + "\n\n" + keep_layout(EXAMPLES.strip("\n")))
    def job(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --image=image [--from=cronjob/name] -- [COMMAND] [args...]")] = None,
        image: Annotated[str, typer.Option("--image", help="Image name to run.")] = "",
        from_: Annotated[str, typer.Option("--from", help="The name of the resource to create a Job from (only cronjob is supported).")] = "",
        namespace: options.Namespace = None,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import create, manifests, state

        name, after_dash = goflags.name_and_command(ctx, list(args or []), "create job")
        opts = CreateJobOptions(name, image, from_, after_dash, namespace,
                                options.dry_run_mode(dry_run, "create job"), output)
        opts.validate()
        doc = manifests.Document(opts.job(), "job/" + opts.name, 0, "")
        state.exit_code = create.create_objects([doc], namespace, opts.dry_run, output)
