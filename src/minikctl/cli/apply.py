"""`minikctl apply -f`: create or update objects from manifests, as kubectl's
client-side apply does (three-way strategic merge through the
kubectl.kubernetes.io/last-applied-configuration annotation)."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

import typer

from minikctl.cli import options

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

EXAMPLES = """
Examples:
  # Apply the configuration in web.yaml
  minikctl apply -f web.yaml

  # Apply every manifest in a directory and its subdirectories
  minikctl apply -R -f sample-manifests/

  # Apply a manifest from stdin
  cat web.yaml | minikctl apply -f -
"""


@dataclass
class ApplyOptions:
    filenames: list[str]
    recursive: bool = False
    namespace: str | None = None
    dry_run: str = "none"
    output: str | None = None
    results: list[dict] = field(default_factory=list)

    def validate(self) -> None:
        from minikctl import errors

        if not self.filenames:
            raise errors.UsageError("must specify one of -f and -k", "apply")
        self.dry_run = options.dry_run_mode(self.dry_run, "apply")

    def run(self) -> int:
        from minikctl.cli import manifests, resources, state

        docs = manifests.read(self.filenames, self.recursive)
        checked = resources.check_all(docs, self.namespace, "apply")
        client = state.client()
        failed = False
        for item in checked:
            try:
                verb, obj = apply_one(client, item.kind, item.obj, self.dry_run)
            except Exception as exc:  # noqa: BLE001 - reported per object, as kubectl does
                from minikctl import errors

                if not isinstance(exc, errors.MinikctlError):
                    raise
                print(resources.render(exc, item.doc, "applying patch" if _exists(exc) else "creating"), file=sys.stderr)
                failed = True
                continue
            self.results.append(obj)
            if self.output in (None, "name"):
                suffix = "" if self.output == "name" else f" {verb}{options.dry_run_suffix(self.dry_run)}"
                print(resources.ref(item.kind, obj) + suffix)
        if self.output not in (None, "name") and self.results:
            from minikctl.cli import printers

            printers.print_objects(self.results, output=self.output, out=sys.stdout, single=len(self.results) == 1)
        return 1 if failed else 0


def _exists(exc: BaseException) -> bool:
    from minikctl import errors

    return isinstance(exc, errors.Conflict)


def last_applied(obj: dict) -> str:
    """The annotation's value: the manifest as given, without the annotation itself."""
    clean = json.loads(json.dumps(obj))
    annotations = (clean.get("metadata") or {}).get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    if "annotations" in clean.get("metadata", {}) and not annotations:
        clean["metadata"].pop("annotations")
    return json.dumps(clean, separators=(",", ":"), sort_keys=True) + "\n"


def apply_one(client, kind, manifest: dict, dry_run: str) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    """Create the object, or patch the live one toward the manifest.
    Returns ("created" | "configured" | "unchanged", resulting object)."""
    from minikctl import errors
    from minikctl.api import schemas, strategicpatch

    modified = json.loads(json.dumps(manifest))
    modified.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = last_applied(manifest)
    md = modified["metadata"]
    for _ in range(5):
        try:
            live = client.get(kind, md.get("namespace", ""), md.get("name", ""))
        except errors.NotFound:
            if dry_run == "client":
                return "created", modified
            return "created", client.create(modified, dry_run=dry_run == "server")
        original_text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
        original = json.loads(original_text) if original_text else None
        schema = schemas.load(kind)
        patch = strategicpatch.create_three_way_patch(original, modified, live, schema)
        if not patch:
            return "unchanged", live
        wanted = strategicpatch.apply_patch(live, patch, schema)
        if dry_run == "client":
            return "configured", wanted
        try:
            result = client.update(wanted, dry_run=dry_run == "server")
            # A non-empty patch can still change nothing once the server has defaulted
            # it (lists without merge keys, like volumeClaimTemplates); kubectl would
            # say "configured" here, but nothing was written.
            same = result.get("metadata", {}).get("resourceVersion") == live["metadata"].get("resourceVersion") \
                and result == live
            return ("unchanged" if same else "configured"), result
        except errors.Conflict:
            continue  # someone wrote in between: recompute against the new live object
    raise errors.Conflict(kind.resource, md.get("name", ""))


def register(app: typer.Typer) -> None:
    from minikctl.cli.goflags import GoFlagsCommand

    @app.command("apply", cls=GoFlagsCommand, help="Apply a configuration to a resource by file name or stdin." + EXAMPLES)
    def apply(
        filename: options.Filenames = None,
        recursive: options.Recursive = False,
        namespace: options.Namespace = None,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import state

        opts = ApplyOptions(filenames=list(filename or []), recursive=recursive, namespace=namespace,
                            dry_run=dry_run, output=output)
        opts.validate()
        state.exit_code = opts.run()
