"""`minikctl create secret generic|tls|docker-registry NAME ...`, as kubectl's create
secret: values from literals, files and env files (the sources create configmap reads),
a certificate and key checked to be a pair, or a .dockerconfigjson for one registry."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl.cli import options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand
from minikctl.cli.create_configmap import FromEnvFile, FromLiteral

EXAMPLES = """
Examples:
  # Create a new secret named my-secret with keys for each file in folder bar
  minikctl create secret generic my-secret --from-file=path/to/bar

  # Create a new secret named my-secret with key1=supersecret and key2=topsecret
  minikctl create secret generic my-secret --from-literal=key1=supersecret --from-literal=key2=topsecret

  # Create a new TLS secret named tls-secret with the given key pair
  minikctl create secret tls tls-secret --cert=path/to/tls.crt --key=path/to/tls.key

  # Create a new secret for use with Docker registries
  minikctl create secret docker-registry my-secret --docker-server=DOCKER_REGISTRY_SERVER --docker-username=DOCKER_USER --docker-password=DOCKER_PASSWORD --docker-email=DOCKER_EMAIL
"""
DOCKER_SERVER = "https://index.docker.io/v1/"
DOCKER_CONFIG_KEY = ".dockerconfigjson"
AppendHash = Annotated[bool, typer.Option("--append-hash", help="Append a hash of the secret to its name.")]


def secret_obj(name: str, type_: str) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}}
    if type_:
        obj["type"] = type_
    return obj


def finish(obj: dict, data: dict[str, bytes], append_hash: bool) -> dict:
    """Base64 the values; with --append-hash, kubectl's SecretHash suffix on the name."""
    encoded = {k: base64.b64encode(v).decode() for k, v in data.items()}
    if encoded:
        obj["data"] = encoded
    if append_hash:
        from minikctl.cli.create_configmap import go_json, name_hash

        name = obj["metadata"]["name"]
        hashed = {"kind": "Secret", "type": obj.get("type", ""), "name": name, "data": encoded}
        obj["metadata"]["name"] = f"{name}-{name_hash(go_json(hashed))}"
    return obj


def add_key(data: dict[str, bytes], key: str, value: bytes | str) -> None:
    """kubectl's addKeyFromLiteralToSecret (its wording differs from the ConfigMap one)."""
    from minikctl import errors
    from minikctl.cli.create_configmap import config_key_errors

    errs = config_key_errors(key)
    if errs:
        raise errors.MinikctlError(f"{json.dumps(key, ensure_ascii=False)} is not valid key name for a Secret "
                                   + ";".join(errs))
    if key in data:
        raise errors.MinikctlError(f"cannot add key {key}, another key by that name already exists")
    data[key] = value.encode("utf-8") if isinstance(value, str) else value


@dataclass
class GenericSecret:
    name: str
    type_: str = ""
    literals: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    append_hash: bool = False

    def secret(self) -> dict:
        from minikctl import errors
        from minikctl.cli import create_configmap as sources

        if self.env_files and (self.files or self.literals):
            raise errors.MinikctlError(sources.ENV_AND_OTHERS)
        data: dict[str, bytes] = {}
        for literal in self.literals:
            add_key(data, *sources.parse_literal(literal))
        sources.read_file_sources(self.files, lambda k, v: add_key(data, k, v))
        sources.read_env_files(self.env_files, lambda k, v: add_key(data, k, v), "env secret file")
        return finish(secret_obj(self.name, self.type_), data, self.append_hash)


@dataclass
class TLSSecret:
    name: str
    cert: str = ""
    key: str = ""
    append_hash: bool = False

    def secret(self) -> dict:
        from minikctl import errors

        if not self.cert or not self.key:
            raise errors.MinikctlError("key and cert must be specified")
        cert, key = read_file(self.cert), read_file(self.key)
        check_key_pair(cert, key)
        return finish(secret_obj(self.name, "kubernetes.io/tls"), {"tls.crt": cert, "tls.key": key}, self.append_hash)


@dataclass
class DockerRegistrySecret:
    name: str
    username: str = ""
    password: str = ""
    email: str = ""
    server: str = DOCKER_SERVER
    files: list[str] = field(default_factory=list)
    append_hash: bool = False

    def secret(self) -> dict:
        from minikctl import errors
        from minikctl.cli import create_configmap as sources

        if not self.files and not (self.username and self.password and self.server):
            raise errors.MinikctlError("either --from-file or the combination of --docker-username, --docker-password "
                                       "and --docker-server is required")
        data: dict[str, bytes] = {}
        if self.files:
            # A bare path is the .dockerconfigjson itself.
            files = [f if "=" in f else f"{DOCKER_CONFIG_KEY}={f}" for f in self.files]
            sources.read_file_sources(files, lambda k, v: add_key(data, k, v))
        else:
            data[DOCKER_CONFIG_KEY] = self.docker_config().encode("utf-8")
        return finish(secret_obj(self.name, "kubernetes.io/dockerconfigjson"), data, self.append_hash)

    def docker_config(self) -> str:
        from minikctl.cli.create_configmap import go_json

        # DockerConfigEntry's fields in struct order, each omitted when empty.
        auth = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        entry = {k: v for k, v in (("username", self.username), ("password", self.password),
                                   ("email", self.email), ("auth", auth)) if v}
        return go_json({"auths": {self.server: entry}}, sort_keys=False)


def read_file(path: str) -> bytes:
    from minikctl import errors
    from minikctl.cli.create_configmap import os_error

    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        verb = "read" if isinstance(exc, IsADirectoryError) else "open"
        raise errors.MinikctlError(f"Cannot read file {path}, {verb} {path}: {os_error(exc)}") from None


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    import re

    return [(m.group(1).decode(), m.group(0)) for m in
            re.finditer(rb"-----BEGIN ([^-\r\n]+)-----.*?-----END \1-----", data, re.S)]


def check_key_pair(cert_pem: bytes, key_pem: bytes) -> None:
    """What Go's tls.X509KeyPair checks: PEM blocks of the right types, both parse, and
    the key's public half is the certificate's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from minikctl import errors

    cert_blocks = _pem_blocks(cert_pem)
    certs = [b for t, b in cert_blocks if t == "CERTIFICATE"]
    if not certs:
        if any(t.endswith("PRIVATE KEY") for t, _ in cert_blocks):
            raise errors.MinikctlError("tls: failed to find certificate PEM data in certificate input, but did find a "
                                       "private key; PEM inputs may have been switched")
        raise errors.MinikctlError("tls: failed to find any PEM data in certificate input")
    key_blocks = _pem_blocks(key_pem)
    keys = [b for t, b in key_blocks if t == "PRIVATE KEY" or t.endswith(" PRIVATE KEY")]
    if not keys:
        if any(t == "CERTIFICATE" for t, _ in key_blocks):
            raise errors.MinikctlError("tls: found a certificate rather than a key in the PEM for the private key")
        raise errors.MinikctlError("tls: failed to find any PEM data in key input")
    try:
        cert = x509.load_pem_x509_certificate(certs[0])
    except ValueError:
        raise errors.MinikctlError("x509: malformed certificate") from None
    try:
        key = serialization.load_pem_private_key(keys[0], password=None)
    except (ValueError, TypeError):
        raise errors.MinikctlError("tls: failed to parse private key") from None
    public = cert.public_key()
    if type(key.public_key()) is not type(public):
        raise errors.MinikctlError("tls: private key type does not match public key type")
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*fmt) != public.public_bytes(*fmt):
        raise errors.MinikctlError("tls: private key does not match public key")


def _create(ctx: typer.Context, args: list[str] | None, verb: str, build, shared: SharedFlags) -> None:  # type: ignore[no-untyped-def]
    from minikctl.cli import create, state

    name, _, flags = create.complete(ctx, args, verb, shared)
    state.exit_code = create.create_generated(build(name).secret(), flags, "secret")


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_configmap import split_slice
    from minikctl.cli.create_job import keep_layout

    secret_app = typer.Typer(short_help="Create a secret using a specified subcommand", help=(
        "Create a secret with specified type.\n\nA docker-registry type secret is for accessing a container registry.\n\n"
        "A generic type secret indicate an Opaque secret type.\n\n"
        "A tls type secret holds TLS certificate and its associated key.\n\n") + keep_layout(EXAMPLES.strip("\n")),
                             rich_markup_mode=None, no_args_is_help=True,
                             context_settings={"help_option_names": ["-h", "--help"]})

    @secret_app.command("generic", cls=GoFlagsCommand,
                        short_help="Create a secret from a local file, directory, or literal value", help="Create a secret based on a file, directory, or specified literal value.")
    @generator()
    def generic(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME [--type=string] [--from-file=[key=]source] [--from-literal=key1=value1]")] = None,
        from_literal: FromLiteral = None,
        from_file: Annotated[Optional[list[str]], typer.Option("--from-file", help="Key files can be specified using their file path, in which case a default name will be given to them, or optionally with a name and file path, in which case the given name will be used.  Specifying a directory will iterate each named file in the directory that is a valid secret key.")] = None,
        from_env_file: FromEnvFile = None,
        type_: Annotated[str, typer.Option("--type", help="The type of secret to create")] = "",
        append_hash: AppendHash = False,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        _create(ctx, args, "create secret generic", lambda name: GenericSecret(
            name, type_, list(from_literal or []), split_slice(from_file), split_slice(from_env_file), append_hash),
            shared)

    @secret_app.command("tls", cls=GoFlagsCommand, short_help="Create a TLS secret", help="Create a TLS secret from the given public/private key pair.")
    @generator()
    def tls(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --cert=path/to/cert/file --key=path/to/key/file")] = None,
        cert: Annotated[str, typer.Option("--cert", help="Path to PEM encoded public key certificate.")] = "",
        key: Annotated[str, typer.Option("--key", help="Path to private key associated with given certificate.")] = "",
        append_hash: AppendHash = False,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        _create(ctx, args, "create secret tls", lambda name: TLSSecret(name, cert, key, append_hash),
                shared)

    @secret_app.command("docker-registry", cls=GoFlagsCommand,
                        short_help="Create a secret for use with a Docker registry", help="Create a new secret for use with Docker registries.")
    @generator()
    def docker_registry(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --docker-username=user --docker-password=password --docker-email=email [--docker-server=string] [--from-file=[key=]source]")] = None,
        docker_username: Annotated[str, typer.Option("--docker-username", help="Username for Docker registry authentication")] = "",
        docker_password: Annotated[str, typer.Option("--docker-password", help="Password for Docker registry authentication")] = "",
        docker_email: Annotated[str, typer.Option("--docker-email", help="Email for Docker registry")] = "",
        docker_server: Annotated[str, typer.Option("--docker-server", help="Server location for Docker registry")] = DOCKER_SERVER,
        from_file: Annotated[Optional[list[str]], typer.Option("--from-file", help="Key files can be specified using their file path, in which case a default name of .dockerconfigjson will be given to them, or optionally with a name and file path, in which case the given name will be used. Specifying a directory will iterate each named file in the directory that is a valid secret key. For this command, the key should always be .dockerconfigjson.")] = None,
        append_hash: AppendHash = False,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        _create(ctx, args, "create secret docker-registry", lambda name: DockerRegistrySecret(
            name, docker_username, docker_password, docker_email, docker_server, split_slice(from_file), append_hash),
            shared)

    create_app.add_typer(secret_app, name="secret")
