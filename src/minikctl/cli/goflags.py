"""kubectl's boolean flags take a value (`--watch=false`, `--all-containers=true`), as
Go's pflag allows; click's flags do not. Commands built with `GoFlagsCommand` accept
`--flag=BOOL` (and `-f=BOOL`) for their boolean flags, with strconv.ParseBool's
spellings, read `-o=yaml` as pflag does (click would read "=yaml"), and keep the raw
arguments (`exec` needs to know where `--` was).

    @app.command("logs", cls=goflags.GoFlagsCommand)
"""
from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

RAW_ARGS = "minikctl.raw_args"
# pflag's NoOptDefVal: these flags given bare mean this value, and never take the next word.
BARE_DEFAULTS = {"--dry-run": "client", "--validate": "strict"}
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_bool(value: str, flag: str) -> bool:
    from minikctl import errors

    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise errors.UsageError(f'invalid argument "{value}" for "{flag}" flag: strconv.ParseBool: parsing '
                            f'"{value}": invalid syntax')


def _bool_flags(command: Any) -> dict[str, tuple[Any, bool]]:
    """Every spelling of a boolean flag -> (its parameter, whether it means true)."""
    found: dict[str, tuple[Any, bool]] = {}
    for param in command.params:
        if not (getattr(param, "is_flag", False) and getattr(param, "is_bool_flag", False)):
            continue
        for opt in param.opts:
            found[opt] = (param, True)
        for opt in param.secondary_opts:
            found[opt] = (param, False)
    return found


def normalize(command: Any, args: list[str]) -> list[str]:
    """Rewrite `--flag=BOOL` into the spelling click understands (or drop it), `-o=yaml`
    into `-o yaml`, and a bare `--dry-run` into `--dry-run=client`."""
    flags = _bool_flags(command)
    options = {opt for param in command.params for opt in getattr(param, "opts", ())}
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        if arg in BARE_DEFAULTS and arg in options:
            out.append(f"{arg}={BARE_DEFAULTS[arg]}")
            continue
        name, eq, value = arg.partition("=")
        if eq and len(name) == 2 and name[0] == "-" and name not in flags and name != "--":
            out += [name, value]  # `-o=yaml`: pflag reads a shorthand's value after "="
            continue
        if not eq or not name.startswith("-") or name not in flags:
            out.append(arg)
            continue
        param, means_true = flags[name]
        wanted = parse_bool(value, name) == means_true
        if wanted:
            out.append(param.opts[0])
        elif param.secondary_opts:
            out.append(param.secondary_opts[0])
        # else: the flag is false by default and has no "off" spelling: leave it out.
    return out


class GoFlagsCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from minikctl import errors

        ctx.meta[RAW_ARGS] = list(args)
        try:
            normalized = normalize(self, list(args))
        except errors.UsageError as exc:
            exc.command = exc.command or ctx.command_path.partition(" ")[2]
            raise
        return super().parse_args(ctx, normalized)


class GoFlagsGroup(TyperGroup):
    """The same for a command group whose callback has flags of its own (`create -f`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, normalize(self, list(args)))


def name_and_command(ctx: Any, positional: list[str], verb: str) -> tuple[str, list[str]]:
    """`create job NAME ... -- COMMAND ARGS`: the one NAME, and what came after `--`
    (click hands both over as positional arguments; the raw line tells them apart)."""
    from minikctl import errors

    raw = ctx.meta.get(RAW_ARGS) or []
    after_dash = raw[raw.index("--") + 1:] if "--" in raw else []
    names = positional[:len(positional) - len(after_dash)] if after_dash else positional
    if len(names) != 1:
        raise errors.UsageError(f"exactly one NAME is required, got {len(names)}", verb)  # NameFromCommandArgs
    return names[0], after_dash
