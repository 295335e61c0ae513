"""`minikctl create`: create objects from files (never updating), or from a generator
(namespace, job, cronjob, configmap, secret, deployment, service, serviceaccount, role,
clusterrole, rolebinding, clusterrolebinding)."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from minikctl.cli import options

EXAMPLES = """
Examples:
  # Create what web.yaml describes (an error if anything in it already exists)
  minikctl create -f web.yaml

  # Create a namespace
  minikctl create namespace staging

  # Run a CronJob's job now
  minikctl create job backup-now --from=cronjob/backup

  # Create a config map from literals, files or env files
  minikctl create configmap settings --from-literal=mode=fast --from-file=app.conf

  # Create secrets: generic, TLS, or for a Docker registry
  minikctl create secret generic creds --from-literal=password=s3cret
  minikctl create secret tls web-tls --cert=tls.crt --key=tls.key

  # Create a deployment with 3 replicas, and a service in front of it
  minikctl create deployment web --image=nginx --replicas=3 --port=80
  minikctl create service clusterip web --tcp=80:80

  # Create a service account, a role, and bind one to the other (stored, not enforced)
  minikctl create serviceaccount builder
  minikctl create role pod-reader --verb=get,list,watch --resource=pods
  minikctl create rolebinding read-pods --role=pod-reader --serviceaccount=default:builder
"""


def create_objects(docs, namespace: str | None, dry_run: str, output: str | None) -> int:  # type: ignore[no-untyped-def]
    from minikctl import errors
    from minikctl.cli import resources, state

    checked = resources.check_all(docs, namespace, "create")
    client = state.client()
    failed = False
    for item in checked:
        try:
            obj = item.obj if dry_run == "client" else client.create(item.obj, dry_run=dry_run == "server")
        except errors.MinikctlError as exc:
            print(resources.render(exc, item.doc, "creating"), file=sys.stderr)
            failed = True
            continue
        if output == "name":
            print(resources.ref(item.kind, obj))
        elif output:
            from minikctl.cli import printers

            printers.print_objects([obj], output=output, out=sys.stdout, single=True)
        else:
            print(f"{resources.ref(item.kind, obj)} created{options.dry_run_suffix(dry_run)}")
    return 1 if failed else 0


SaveConfig = Annotated[bool, typer.Option("--save-config", help="If true, the configuration of current object will be saved in its annotation. Otherwise, the annotation will be unchanged. This flag is useful when you want to perform kubectl apply on this object in the future.")]
FieldManager = Annotated[str, typer.Option("--field-manager", help="Name of the manager used to track field ownership.")]
Validate = Annotated[str, typer.Option("--validate", flag_value="strict", help='Must be one of: strict (or true), warn, ignore (or false). "true" or "strict" will use a schema to validate the input and fail the request if invalid. "warn" will warn about unknown or duplicate fields without blocking the request, and "false" or "ignore" will not perform any schema validation.')]


@dataclass
class GeneratorFlags:
    """The flags every generator (create configmap/secret/deployment/service) shares,
    checked as kubectl's Complete checks them: before the object is built."""

    namespace: str | None
    dry_run: str
    output: str | None
    save_config: bool = False

    @classmethod
    def parse(cls, verb: str, namespace: str | None, dry_run: str, output: str | None, save_config: bool = False,
              validate: str = "strict") -> "GeneratorFlags":
        from minikctl import errors

        mode = options.dry_run_mode(dry_run, verb)
        # Generated objects never carry unknown or duplicate fields, so every valid
        # --validate directive creates the same object; a bad one is kubectl's error.
        if validate.lower() not in ("strict", "true", "warn", "ignore", "false"):
            raise errors.MinikctlError(f'invalid - validate option "{validate}"; must be one of: strict (or true), '
                                       "warn, ignore (or false)")
        return cls(namespace, mode, output, save_config)


@dataclass
class SharedFlags:
    """The flag values every generator takes, as typer hands them over (see generator())."""

    namespace: str | None = None
    dry_run: str = "none"
    output: str | None = None
    save_config: bool = False
    field_manager: str = "kubectl-create"
    validate: str = "strict"


_SHARED_FLAGS: tuple[tuple[str, Any, Any], ...] = (
    ("namespace", options.Namespace, None),
    ("dry_run", options.DryRun, "none"),
    ("output", options.Output, None),
    ("save_config", SaveConfig, False),
    ("field_manager", FieldManager, "kubectl-create"),
    ("validate", Validate, "strict"),
)


def generator(*, namespaced: bool = True):  # type: ignore[no-untyped-def]
    """Give a generator command the flags every generator shares (-n unless the kind is
    cluster-scoped, --dry-run, -o, --save-config, --field-manager, --validate): they are
    added to the function's signature, which typer reads, and the function receives them
    as one `shared: SharedFlags` argument instead of six parameters of its own."""
    import functools
    import inspect

    def decorate(fn):  # type: ignore[no-untyped-def]
        own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "shared"]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
                 for name, annotation, default in _SHARED_FLAGS if namespaced or name != "namespace"]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            shared = SharedFlags(**{name: kwargs.pop(name) for name, _, _ in _SHARED_FLAGS if name in kwargs})
            return fn(shared=shared, **kwargs)

        command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added)
        command.__annotations__ = {p.name: p.annotation for p in own + added}
        return command
    return decorate


def complete(ctx: typer.Context, args: list[str] | None, verb: str,
             shared: SharedFlags) -> tuple[str, list[str], GeneratorFlags]:
    """A generator's Complete: kubectl's NameFromCommandArgs (exactly one NAME before
    `--`; what follows is the command, or ignored by verbs that take none), then the flags
    every generator shares."""
    from minikctl import errors
    from minikctl.cli import goflags

    args = list(args or [])
    raw = ctx.meta.get(goflags.RAW_ARGS) or []
    after_dash = len(raw) - raw.index("--") - 1 if "--" in raw else 0
    if len(args) <= after_dash:  # nothing before `--`
        raise errors.UsageError("exactly one NAME is required, got 0", verb)
    name, command = goflags.name_and_command(ctx, args, verb)
    return name, command, GeneratorFlags.parse(verb, shared.namespace, shared.dry_run, shared.output,
                                               shared.save_config, shared.validate)


def create_generated(obj: dict, flags: GeneratorFlags, what: str, *, wrap_errors: bool = True) -> int:
    """Create the object a generator built (create configmap/secret/deployment/service).
    Like kubectl's generators, nothing is validated client side (a client dry run prints
    the object as built), and the server's refusal reads `failed to create <what>: ...`.
    (--field-manager is accepted for kubectl's sake: minikctl keeps no managedFields.)"""
    from minikctl import errors
    from minikctl.api import kinds
    from minikctl.cli import resources, state

    kind = kinds.for_object(obj["apiVersion"], obj["kind"])
    resources.resolve_namespace(kind, obj, flags.namespace, "create")
    if flags.save_config:
        from minikctl.cli.apply import LAST_APPLIED, last_applied

        obj["metadata"].setdefault("annotations", {})[LAST_APPLIED] = last_applied(obj)
    if flags.dry_run != "client":
        try:
            obj = state.client().create(obj, dry_run=flags.dry_run == "server")
        except errors.StatusError as exc:
            if not wrap_errors:  # create role|clusterrole: kubectl prints the server's error as is
                raise
            raise errors.MinikctlError(f"failed to create {what}: {exc.message}") from None
    if flags.output == "name":
        print(resources.ref(kind, obj))
    elif flags.output:
        from minikctl.cli import printers

        printers.print_objects([obj], output=flags.output, out=sys.stdout, single=True)
    else:
        print(f"{resources.ref(kind, obj)} created{options.dry_run_suffix(flags.dry_run)}")
    return 0


def register(app: typer.Typer) -> None:
    from minikctl.cli import create_job

    from minikctl.cli.goflags import GoFlagsCommand, GoFlagsGroup

    create_app = typer.Typer(cls=GoFlagsGroup, help="Create a resource from a file or from stdin.\n\n"
                             + create_job.keep_layout(EXAMPLES.strip("\n")), rich_markup_mode=None,
                             context_settings={"help_option_names": ["-h", "--help"]})

    @create_app.callback(invoke_without_command=True)
    def create(
        ctx: typer.Context,
        filename: options.Filenames = None,
        recursive: options.Recursive = False,
        namespace: options.Namespace = None,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl import errors
        from minikctl.cli import manifests, state

        if ctx.invoked_subcommand:
            return
        if not filename:
            raise errors.UsageError("must specify one of -f and -k", "create")
        mode = options.dry_run_mode(dry_run, "create")
        state.exit_code = create_objects(manifests.read(list(filename), recursive), namespace, mode, output)

    @create_app.command("namespace", cls=GoFlagsCommand, help="Create a namespace with the specified name.")
    def namespace(
        name: Annotated[str, typer.Argument(metavar="NAME")],
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import manifests, state

        doc = manifests.Document({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                                 "namespace/" + name, 0, "")
        state.exit_code = create_objects([doc], None, options.dry_run_mode(dry_run, "create namespace"), output)

    create_app.command("ns", hidden=True, cls=GoFlagsCommand)(namespace)
    create_job.register(create_app)
    from minikctl.cli import create_cronjob

    create_cronjob.register(create_app)
    from minikctl.cli import create_configmap

    create_configmap.register(create_app)
    from minikctl.cli import create_secret

    create_secret.register(create_app)
    from minikctl.cli import create_deployment

    create_deployment.register(create_app)
    from minikctl.cli import create_service

    create_service.register(create_app)
    from minikctl.cli import create_serviceaccount

    create_serviceaccount.register(create_app)
    from minikctl.cli import create_rolebinding

    create_rolebinding.register(create_app)
    from minikctl.cli import create_role

    create_role.register(create_app)
    app.add_typer(create_app, name="create")
