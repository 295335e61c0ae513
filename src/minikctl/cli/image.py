"""`minikctl image`: the local image store (import a directory as name:tag, list, remove,
inspect). The store itself is runtime/images.py."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

HELP = """Manage the local image store: a pod's `image:` names an image imported here.

\b
Examples:
  # Import ./site as web:v1, run with `python3 -m http.server 8080` from the image's root
  minikctl image import ./site web:v1 --entrypoint 'python3 -m http.server 8080'

\b
  # Or keep the config in the directory, in ./site/minikctl-image.yaml:
  #   entrypoint: ["python3", "-m", "http.server"]
  #   cmd: ["8080"]
  #   env: {GREETING: hello}
  #   workdir: /
  minikctl image import ./site web:v1

\b
  minikctl image ls
  minikctl image rm web:v1
"""


def _words(value: Optional[str], flag: str) -> Optional[list[str]]:
    from minikctl import errors
    from minikctl.runtime.images import ImageError, parse_words

    if value is None:
        return None
    try:
        return parse_words(value)
    except ImageError as exc:
        raise errors.UsageError(f"{flag}: {exc}", "image import") from exc


def _size(n: int) -> str:
    """Docker's sizes: SI units, three significant figures (`1.23MB`, `512B`)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(value)}B"
            return f"{value:.3g}{unit}"
        value /= 1000
    return f"{n}B"


def register(app: typer.Typer) -> None:
    image_app = typer.Typer(name="image", help=HELP, rich_markup_mode=None, no_args_is_help=True,
                            context_settings={"help_option_names": ["-h", "--help"]})
    app.add_typer(image_app, name="image")

    @image_app.command("import", help="Import a directory into the local image store as NAME[:TAG].")
    def import_(
        directory: Annotated[str, typer.Argument(metavar="DIR", help="The directory holding the image's files.")],
        name: Annotated[str, typer.Argument(metavar="NAME[:TAG]", help="The image reference, e.g. web:v1.")],
        entrypoint: Annotated[Optional[str], typer.Option("--entrypoint", help="The program to run: a JSON list or words, e.g. 'python3 app.py'.")] = None,
        cmd: Annotated[Optional[str], typer.Option("--cmd", help="Default arguments (a pod's args replace them): a JSON list or words.")] = None,
        env: Annotated[Optional[list[str]], typer.Option("--env", "-e", help="KEY=VALUE set in the container (repeatable).")] = None,
        workdir: Annotated[Optional[str], typer.Option("--workdir", "-w", help="Working directory inside the image (default: its root).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the digest.")] = False,
    ) -> None:
        from minikctl import errors
        from minikctl.runtime.images import ImageStore, familiar, normalize

        env_map = None
        if env:
            env_map = {}
            for item in env:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    raise errors.UsageError(f'--env must be KEY=VALUE, not "{item}"', "image import")
                env_map[key] = value
        store = ImageStore()
        digest = store.import_dir(directory, name, entrypoint=_words(entrypoint, "--entrypoint"),
                                  cmd=_words(cmd, "--cmd"), env=env_map, workdir=workdir)
        if quiet:
            typer.echo(digest)
        else:
            repo, tag = familiar(normalize(name))
            typer.echo(f"Imported {repo}:{tag} ({digest})")

    @image_app.command("ls", help="List the images of the local store.")
    def ls(
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only show digests.")] = False,
        no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Show full digests.")] = False,
    ) -> None:
        import time

        from minikctl.cli.printers.age import human_duration
        from minikctl.cli.printers.tabwriter import TABLE_MINWIDTH, TABLE_PADDING, format_text
        from minikctl.runtime.images import ImageStore

        images = ImageStore().list()
        if quiet:
            seen = []
            for image in images:
                shown = image.digest if no_trunc else image.digest[7:19]
                if shown not in seen:
                    seen.append(shown)
            for shown in seen:
                typer.echo(shown)
            return
        now = time.time()
        rows = ["REPOSITORY\tTAG\tDIGEST\tSIZE\tCREATED"]
        for image in images:
            digest = image.digest if no_trunc else image.digest[7:19]
            created = f"{human_duration(now - image.created)} ago" if image.created else "<unknown>"
            rows.append(f"{image.repository}\t{image.tag or '<none>'}\t{digest}\t{_size(image.size)}\t{created}")
        typer.echo(format_text("\n".join(rows) + "\n", minwidth=TABLE_MINWIDTH, padding=TABLE_PADDING), nl=False)

    @image_app.command("rm", help="Remove images (by NAME[:TAG] or digest) from the local store.")
    def rm(
        names: Annotated[list[str], typer.Argument(metavar="NAME[:TAG]|DIGEST...")],
        force: Annotated[bool, typer.Option("--force", "-f", help="Remove even if a running process uses the image.")] = False,
    ) -> None:
        from minikctl.cli import state
        from minikctl.cli.errors import report
        from minikctl.runtime.images import ImageStore

        store = ImageStore()
        for name in names:
            try:
                for line in store.remove(name, force=force):
                    typer.echo(line)
            except Exception as exc:  # noqa: BLE001 - report each, carry on, exit 1 (as docker rmi)
                report(exc, verbose=bool(state.verbose))
                state.exit_code = 1

    @image_app.command("inspect", help="Show an image's digest, config and size as JSON.")
    def inspect(name: Annotated[str, typer.Argument(metavar="NAME[:TAG]|DIGEST")]) -> None:
        import json

        from minikctl.runtime.images import ImageStore

        typer.echo(json.dumps(ImageStore().inspect(name), indent=2))
