"""`minikctl create configmap NAME [--from-literal=k=v] [--from-file=[key=]path]
[--from-env-file=path] [--append-hash]`, as kubectl's create configmap. Also the data
sources and the name hash that `create secret generic` shares (kubectl's
cmd/create/create_configmap.go, cmd/util/env_file.go and util/hash/hash.go)."""
from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Annotated, Callable, Optional

import typer

from minikctl.cli import options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand

HELP = "Create a config map based on a file, directory, or specified literal value."
EXAMPLES = """
Examples:
  # Create a new config map named my-config based on folder bar
  minikctl create configmap my-config --from-file=path/to/bar

  # Create a new config map named my-config with specified keys instead of file basenames on disk
  minikctl create configmap my-config --from-file=key1=/path/to/bar/file1.txt --from-file=key2=/path/to/bar/file2.txt

  # Create a new config map named my-config with key1=config1 and key2=config2
  minikctl create configmap my-config --from-literal=key1=config1 --from-literal=key2=config2

  # Create a new config map named my-config from an env file
  minikctl create configmap my-config --from-env-file=path/to/foo.env --from-env-file=path/to/bar.env
"""
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_UTF8_BOM = b"\xef\xbb\xbf"
ENV_AND_OTHERS = "from-env-file cannot be combined with from-file or from-literal"

# What each flag is called in kubectl's help text, reused by create secret generic.
FromLiteral = Annotated[Optional[list[str]], typer.Option("--from-literal", help="Specify a key and literal value to insert in configmap (i.e. mykey=somevalue)")]
FromFile = Annotated[Optional[list[str]], typer.Option("--from-file", help="Key file can be specified using its file path, in which case file basename will be used as configmap key, or optionally with a key and file path, in which case the given key will be used.  Specifying a directory will iterate each named file in the directory whose basename is a valid configmap key.")]
FromEnvFile = Annotated[Optional[list[str]], typer.Option("--from-env-file", help="Specify the path to a file to read lines of key=val pairs to create a configmap.")]
AppendHash = Annotated[bool, typer.Option("--append-hash", help="Append a hash of the configmap to its name.")]


def split_slice(values: list[str] | None) -> list[str]:
    """pflag's StringSlice: every occurrence is one CSV record (`--from-file=a,b` is two)."""
    import csv

    out: list[str] = []
    for value in values or []:
        if value:
            out.extend(next(csv.reader([value])))
    return out


def config_key_errors(key: str) -> list[str]:
    """k8s validation.IsConfigMapKey."""
    errs = []
    if len(key) > 253:
        errs.append("must be no more than 253 characters")
    if not _CONFIG_KEY.match(key):
        errs.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                    "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
    errs.extend(_dot_errors(key))
    return errs


def _dot_errors(key: str) -> list[str]:
    if key == ".":
        return ["must not be '.'"]
    if key == "..":
        return ["must not be '..'"]
    return ["must not start with '..'"] if key.startswith("..") else []


def env_name_errors(key: str) -> list[str]:
    """k8s validation.IsEnvVarName."""
    errs = []
    if not _ENV_NAME.match(key):
        errs.append("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
                    "and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', "
                    "regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")
    return errs + _dot_errors(key)


def parse_literal(source: str) -> tuple[str, str]:
    from minikctl import errors

    key, eq, value = source.partition("=")
    if not eq or not key:
        raise errors.MinikctlError(f"invalid literal source {source}, expected key=value")
    return key, value


def parse_file_source(source: str) -> tuple[str, str]:
    """`path` (key: the base name) or `key=path`."""
    from minikctl import errors

    count = source.count("=")
    if count == 0:
        return posixpath.basename(source.rstrip("/")) or "/", source
    if count > 1:
        raise errors.MinikctlError("key names or file paths cannot contain '='")
    key, _, path = source.partition("=")
    if not key:
        raise errors.MinikctlError(f"key name for file path {path} missing")
    if not path:
        raise errors.MinikctlError(f"file path for key name {key} missing")
    return key, path


def os_error(exc: OSError) -> str:
    """Go's wording of a syscall error: `no such file or directory`."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _stat(path: str) -> os.stat_result:
    from minikctl import errors

    try:
        return os.stat(path)
    except OSError as exc:
        raise errors.MinikctlError(f"error reading {path}: {os_error(exc)}") from None


def _read(path: str) -> bytes:
    from minikctl import errors

    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise errors.MinikctlError(f"{'read' if isinstance(exc, IsADirectoryError) else 'open'} {path}: {os_error(exc)}") from None


def read_file_sources(sources: list[str], add: Callable[[str, bytes], None]) -> None:
    """Each `--from-file`: one file under its key, or every regular file of a directory
    (symlinks skipped, as os.ReadDir's types are lstat's) under its own name."""
    import stat
    from minikctl import errors

    for source in sources:
        key, path = parse_file_source(source)
        if stat.S_ISDIR(_stat(path).st_mode):
            if "=" in source:
                raise errors.MinikctlError("cannot give a key name for a directory path")
            for entry in sorted(os.listdir(path)):
                item = posixpath.join(path, entry)
                if stat.S_ISREG(os.lstat(item).st_mode):
                    add(entry, _read(item))
        else:
            add(key, _read(path))


def _lines(data: bytes) -> list[bytes]:
    """bufio.ScanLines: split at \n only, one trailing \r dropped, no empty last line."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def read_env_files(paths: list[str], add: Callable[[str, str], None], what: str) -> None:
    """kubectl's AddFromEnvFile: KEY=VALUE lines, leading blanks and #comments skipped,
    the value kept as written; a bare KEY takes its value from the environment."""
    import stat
    from minikctl import errors

    for path in paths:
        if stat.S_ISDIR(_stat(path).st_mode):
            raise errors.MinikctlError(f"{what} cannot be a directory")
        for number, line in enumerate(_lines(_read(path))):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                raise errors.MinikctlError(f"env file {path} contains invalid utf8 bytes at line {number + 1}: "
                                           f"[{' '.join(str(b) for b in line)}]") from None
            if number == 0:
                text = text.removeprefix(_UTF8_BOM.decode())
            text = text.lstrip()
            if not text or text.startswith("#"):
                continue
            key, eq, value = text.partition("=")
            errs = env_name_errors(key)
            if errs:
                raise errors.MinikctlError(f"{json.dumps(key, ensure_ascii=False)} is not a valid key name: {';'.join(errs)}")
            add(key, value if eq else os.environ.get(key, ""))


def go_json(value: object, *, sort_keys: bool = True) -> str:
    """encoding/json.Marshal's bytes: compact, map keys sorted, <>& and U+2028/9 escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def name_hash(encoded: str) -> str:
    """kubectl's hash.encodeHash: sha256's first 10 hex digits, with the vowels and digits
    that could spell words (0 1 3 a e) swapped for consonants."""
    import hashlib

    digest = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


@dataclass
class CreateConfigMapOptions:
    name: str
    literals: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    append_hash: bool = False

    def validate(self) -> None:
        from minikctl import errors

        if self.env_files and (self.files or self.literals):
            raise errors.MinikctlError(ENV_AND_OTHERS)

    def configmap(self) -> dict:
        import base64

        data: dict[str, str] = {}
        binary: dict[str, bytes] = {}

        def add(key: str, value: str | bytes) -> None:
            self._check_new_key(key, data, binary)
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    binary[key] = value
                    return
            data[key] = value

        read_file_sources(self.files, add)  # files before literals here (create secret: the other way)
        for literal in self.literals:
            add(*parse_literal(literal))
        read_env_files(self.env_files, add, "env config file")
        cm: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": self.name}}
        if data:
            cm["data"] = data
        if binary:
            cm["binaryData"] = {k: base64.b64encode(v).decode() for k, v in binary.items()}
        if self.append_hash:
            encoded: dict = {"kind": "ConfigMap", "name": self.name, "data": data}
            if binary:
                encoded["binaryData"] = cm["binaryData"]
            cm["metadata"]["name"] = f"{self.name}-{name_hash(go_json(encoded))}"
        return cm

    def _check_new_key(self, key: str, data: dict, binary: dict) -> None:
        from minikctl import errors

        errs = config_key_errors(key)
        if errs:
            raise errors.MinikctlError(f"{json.dumps(key, ensure_ascii=False)} is not a valid key name for a ConfigMap: "
                                       + ",".join(errs))
        for field_name, existing in (("Data", data), ("BinaryData", binary)):
            if key in existing:
                raise errors.MinikctlError(f'cannot add key {json.dumps(key, ensure_ascii=False)}, another key by that '
                                           f'name already exists in {field_name} for ConfigMap "{self.name}"')


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_job import keep_layout

    @create_app.command("configmap", cls=GoFlagsCommand, short_help="Create a config map from a local file, directory or literal value", help=HELP + "\n\n" + keep_layout(EXAMPLES.strip("\n")))
    @generator()
    def configmap(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME [--from-file=[key=]source] [--from-literal=key1=value1]")] = None,
        from_literal: FromLiteral = None,
        from_file: FromFile = None,
        from_env_file: FromEnvFile = None,
        append_hash: AppendHash = False,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl.cli import create, state

        verb = "create configmap"
        name, _, flags = create.complete(ctx, args, verb, shared)
        opts = CreateConfigMapOptions(name, list(from_literal or []), split_slice(from_file),
                                      split_slice(from_env_file), append_hash)
        opts.validate()
        state.exit_code = create.create_generated(opts.configmap(), flags, "configmap")

    create_app.command("cm", hidden=True, cls=GoFlagsCommand)(configmap)
