"""The lean start (cli/lean.py): `minikctl get` with plain flags runs without typer, and
prints exactly what the typer path prints; anything the lean parser is not sure of goes
to typer, so help and usage errors are typer's."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from minikctl.cli import lean

# Runs the real CLI; LEAN=0 forces the typer path; says on stderr whether typer was imported.
SHIM = """
import atexit, os, sys
from minikctl.cli import lean, main
if os.environ.get("LEAN") == "0":
    lean.runner = lambda argv: None
atexit.register(lambda: print("typer-imported=%s" % ("typer" in sys.modules), file=sys.stderr))
main.main()
"""


@pytest.fixture(scope="module")
def home(served):
    from minikctl.daemon import process

    for i in range(3):
        served.local.create({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": f"lean-{i}", "labels": {"app": "lean", "i": str(i)}},
                             "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "busybox"}]}})
    # The daemon record names this process, whose ApiServer serves the store: the CLI uses HTTP.
    process.write_state(served.home, node="lean", api_url=served.server.url)
    yield served.home
    process.clear_state(served.home)


def cli(home: str, *args: str, lean_path: bool = True) -> tuple[int, str, str, bool]:
    env = {**os.environ, "MINIKCTL_HOME": home, "NO_COLOR": "1", "LEAN": "1" if lean_path else "0"}
    p = subprocess.run([sys.executable, "-c", SHIM, *args], capture_output=True, text=True, timeout=60, env=env)
    stderr, _, marker = p.stderr.rpartition("typer-imported=")
    return p.returncode, _AGE.sub("<age>", p.stdout), stderr, marker.strip() == "True"


_AGE = re.compile(r"(?<=\s)(\d+[smhd])+(?=\s)")  # a second may pass between the two runs


@pytest.mark.parametrize("args", [
    ("get", "pods"),
    ("get", "pods", "-o", "wide"),
    ("get", "po", "-n", "default", "-l", "app=lean", "--show-labels"),
    ("get", "pods", "--namespace=default", "--selector=i!=1", "-o", "name"),
    ("get", "pods", "-A", "--no-headers"),
    ("get", "pod", "lean-0", "-o", "jsonpath={.metadata.labels.i}"),
    ("get", "pod", "nosuch"),
    ("get", "pod", "nosuch", "--ignore-not-found"),
    ("get", "pods", "-n", "empty"),
    ("get", "frobnicators"),
    ("get", "pods", "--field-selector", "metadata.name=lean-1", "-o", "json"),
    ("get", "pods", "-o=wide", "--sort-by=.metadata.name"),  # -o=wide: pflag's spelling, read by both
])
def test_lean_and_typer_paths_print_the_same(home, args):
    lean_out = cli(home, *args)
    typer_out = cli(home, *args, lean_path=False)
    assert lean_out[:3] == typer_out[:3]
    assert lean_out[3] is False, "the lean path imported typer"
    assert typer_out[3] is True


@pytest.mark.parametrize("args", [
    ("get", "pods", "--help"),
    ("get", "-h"),
    ("get", "pods", "--show-kind"),
    ("get", "pods", "-n"),
    ("get", "pods", "-An", "default"),
])
def test_what_the_lean_parser_is_unsure_of_goes_to_typer(home, args):
    code, out, err, typer_imported = cli(home, *args)
    assert typer_imported
    assert (code, out, err) == cli(home, *args, lean_path=False)[:3]


def test_unknown_flag_message_is_kubectls(home):
    code, out, err, _ = cli(home, "get", "pods", "--show-kind")
    assert code == 1 and out == ""
    assert "unknown flag: --show-kind" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["get", "pods", "--help"], ["get", "pods", "-h"], ["get", "--", "pods"], ["get", "-"],
    ["get", "pods", "-n"], ["get", "pods", "-n", "-A"], ["get", "pods", "-Aw"], ["get", "pods", "-w=true"],
    ["get", "pods", "-n", "a", "-n", "b"], ["get", "pods", "-f", "x.yaml"], ["get", "pods", "--watch=true"],
    ["-n", "x", "get", "pods"], ["describe", "pods"], [],
])
def test_parser_declines(argv):
    assert lean.runner(argv) is None


def test_parser_reads_plain_flags():
    assert lean.parse(["pods", "-n", "x", "--selector=a=b", "-A", "web", "-o", "wide"], lean.GET_FLAGS) == (
        ["pods", "web"], {"namespace": "x", "selector": "a=b", "all_namespaces": True, "output": "wide"})
    assert lean.parse(["pods", "-o=jsonpath={.a}"], lean.GET_FLAGS) == (["pods"], {"output": "jsonpath={.a}"})


def test_every_lean_flag_is_the_typer_commands_with_the_same_arity():
    import typer

    from minikctl.cli import main

    group = typer.main.get_command(main.build_app(("get", "version")))
    get = group.commands["get"]  # type: ignore[attr-defined]
    by_flag = {opt: p for p in get.params for opt in getattr(p, "opts", [])}
    dests = {}
    for flag, (dest, takes_value) in lean.GET_FLAGS.items():
        param = by_flag.get(flag)
        assert param is not None, f"{flag} is not an option of `minikctl get`"
        assert param.name == dest, flag
        assert (not param.is_flag) == takes_value, flag
        assert not param.multiple, flag
        dests[dest] = True
    from minikctl.cli.get import GetOptions

    fields = GetOptions.__dataclass_fields__
    assert all(d in fields for d in dests)
