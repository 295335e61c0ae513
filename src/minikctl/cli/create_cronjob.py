"""`minikctl create cronjob NAME --image=IMAGE --schedule='0/5 * * * ?' -- [COMMAND] [args...]`,
as kubectl's create cronjob: one container named after the CronJob, restart policy
OnFailure unless --restart says Never."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl.cli import goflags, options

HELP = "Create a cron job with the specified name."
EXAMPLES = """
Examples:
  # Create a cron job
  minikctl create cronjob my-job --image=busybox --schedule="*/1 * * * *"

  # Create a cron job with a command
  minikctl create cronjob my-job --image=busybox --schedule="*/1 * * * *" -- date
"""


@dataclass
class CreateCronJobOptions:
    name: str
    image: str = ""
    schedule: str = ""
    restart: str = "OnFailure"
    command: list[str] = field(default_factory=list)

    def validate(self) -> None:
        from minikctl import errors

        if not self.image:
            raise errors.MinikctlError("--image must be specified")
        if not self.schedule:
            raise errors.MinikctlError("--schedule must be specified")

    def cronjob(self) -> dict:
        container: dict = {"name": self.name, "image": self.image}
        if self.command:
            container["command"] = list(self.command)
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": self.name},
                "spec": {"schedule": self.schedule, "jobTemplate": {
                    "metadata": {"name": self.name},
                    "spec": {"template": {"metadata": {}, "spec": {"containers": [container],
                                                                   "restartPolicy": self.restart}}}}}}


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_job import keep_layout

    @create_app.command("cronjob", cls=goflags.GoFlagsCommand,
                        help=HELP + "\n\n" + keep_layout(EXAMPLES.strip("\n")))
    def cronjob(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --image=image --schedule='0/5 * * * ?' -- [COMMAND] [args...]")] = None,
        image: Annotated[str, typer.Option("--image", help="Image name to run.")] = "",
        schedule: Annotated[str, typer.Option("--schedule", help="A schedule in the Cron format the job should be run with.")] = "",
        restart: Annotated[str, typer.Option("--restart", help="job's restart policy. supported values: OnFailure, Never")] = "OnFailure",
        namespace: options.Namespace = None,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import create, manifests, state

        name, after_dash = goflags.name_and_command(ctx, list(args or []), "create cronjob")
        opts = CreateCronJobOptions(name, image, schedule, restart, after_dash)
        opts.validate()
        doc = manifests.Document(opts.cronjob(), "cronjob/" + opts.name, 0, "")
        mode = options.dry_run_mode(dry_run, "create cronjob")
        state.exit_code = create.create_objects([doc], namespace, mode, output)

    create_app.command("cj", hidden=True, cls=goflags.GoFlagsCommand)(cronjob)
