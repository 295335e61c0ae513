"""The `minikctl` entry point: builds the Typer app from the verb modules and renders
every error once (cli/errors.py)."""
from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from minikctl.cli import state

if TYPE_CHECKING:
    import typer

VERBS = ("apply", "create", "get", "describe", "delete", "label", "annotate", "explain",
         "logs", "exec", "scale", "rollout", "wait", "top", "events", "port_forward", "service",
         "daemon", "down", "image", "kubeconfig", "api_resources", "version",
         "cordon", "uncordon", "drain")

_VERBOSE = re.compile(r"^(-v|--verbose|--v=\d+|-v=?\d+)$")

HELP = """minikctl runs Kubernetes manifests on this machine, every container a local process.

Same manifests, same kubectl-shaped commands: desired state is kept in a local store
($MINIKCTL_HOME, default ~/.minikctl) and `minikctl daemon` reconciles it.
"""


def build_app(verbs: tuple[str, ...] = VERBS) -> "typer.Typer":
    import typer

    app = typer.Typer(
        name="minikctl", help=HELP, rich_markup_mode=None, add_completion=False, no_args_is_help=True,
        pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]},
    )
    import importlib

    for verb in verbs:
        importlib.import_module(f"minikctl.cli.{verb}").register(app)
    for info in [*app.registered_commands, *app.registered_groups]:
        info.help = _keep_layout(info.help)
    return app


def _keep_layout(text: str | None) -> str | None:
    """Click rewraps help paragraphs; examples must stay as written (\b marks them)."""
    if not text:
        return text
    paragraphs = text.split("\n\n")
    return "\n\n".join("\b\n" + p if "\n  " in p or p.startswith("  ") else p for p in paragraphs)


def _verbs_for(args: list[str]) -> tuple[str, ...]:
    """Only the verb being run is imported and registered (every verb module costs
    start-up time); help and unknown commands get them all."""
    first = next((a for a in args if not a.startswith("-")), None)
    module = (first or "").replace("-", "_")
    if module not in VERBS or "-h" in args or "--help" in args:
        return VERBS
    # A second, light command keeps typer in multi-command mode.
    return (module, "version") if module != "version" else (module, "kubeconfig")


def _split_verbosity(argv: list[str]) -> list[str]:
    """kubectl takes -v anywhere on the line; so do we."""
    rest = []
    for i, arg in enumerate(argv):
        if arg == "--":  # what follows belongs to the command being exec'd
            return rest + argv[i:]
        if _VERBOSE.match(arg):
            digits = re.sub(r"\D", "", arg)
            state.verbose = max(state.verbose, int(digits) if digits else 1)
        else:
            rest.append(arg)
    return rest


def _click_exceptions():  # type: ignore[no-untyped-def]
    """Typer's click: its own vendored copy in newer releases, click itself before."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def main(argv: list[str] | None = None) -> None:
    from minikctl import errors
    from minikctl.cli.errors import EXIT_ERROR, report

    args = _split_verbosity(list(sys.argv[1:] if argv is None else argv))
    from minikctl.cli import lean

    run = lean.runner(args)  # a plain `get ...`: no typer (cli/lean.py)
    try:
        if run is not None:
            run()
        else:
            _run_typer(args)
    except errors.MinikctlError as exc:
        report(exc, verbose=bool(state.verbose))
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except Exception as exc:  # noqa: BLE001 - a bug: say so, in one line unless -v
        report(exc, verbose=bool(state.verbose))
        if not state.verbose:
            print("(this is a bug in minikctl; run again with -v for the traceback)", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    sys.exit(getattr(state, "exit_code", 0))


def _run_typer(args: list[str]) -> None:
    """The full CLI: typer parses, prints help and usage errors (kubectl's wording)."""
    import typer

    from minikctl import errors
    from minikctl.cli.errors import EXIT_ERROR, report

    click = _click_exceptions()
    command = typer.main.get_command(build_app(_verbs_for(args)))
    try:
        command.main(args, prog_name="minikctl", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    except click.UsageError as exc:
        verb = exc.ctx.command_path.replace("minikctl", "").strip() if exc.ctx else ""
        report(errors.UsageError(_kubectl_usage(exc), verb))
        sys.exit(EXIT_ERROR)
    except (typer.Exit, getattr(click, "Exit", typer.Exit)) as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, getattr(click, "Abort", typer.Abort)):
        sys.exit(130)


def _quiet_broken_pipe() -> None:
    """`minikctl get pods | head -1`: the reader left; exit quietly, as kubectl does."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _kubectl_usage(exc: Exception) -> str:
    msg = exc.format_message()
    m = re.match(r"No such option: (\S+)", msg)
    if m:
        return f"unknown flag: {m.group(1)}"
    m = re.match(r"No such command '([^']+)'", msg)
    if m:
        return f'unknown command "{m.group(1)}" for "minikctl"'
    return msg[0].lower() + msg[1:] if msg else msg
