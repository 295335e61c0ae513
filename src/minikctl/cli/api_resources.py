"""`minikctl api-resources`: the resource types minikctl serves, as kubectl lists them."""
from __future__ import annotations

from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("api-resources", help="Print the supported API resources.")
    def api_resources(
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output format. One of: (wide, name).")] = None,
        namespaced: Annotated[Optional[bool], typer.Option("--namespaced", help="If false, non-namespaced resources will be returned, otherwise returning namespaced resources by default.")] = None,
        api_group: Annotated[Optional[str], typer.Option("--api-group", help="Limit to resources in the specified API group.")] = None,
        no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default or custom-column output format, don't print headers.")] = False,
        sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="If non-empty, sort list of resources using specified field. One of (name, kind).")] = None,
    ) -> None:
        from minikctl import errors
        from minikctl.api import kinds
        from minikctl.cli.printers import table

        if output not in (None, "wide", "name"):
            raise errors.UsageError(f'--output {output} is not available', "api-resources")
        found = [k for k in kinds.KINDS
                 if (namespaced is None or k.namespaced == namespaced) and (api_group is None or k.group == api_group)]
        # kubectl groups the core group first, then others by name; within a group, by name.
        found.sort(key=lambda k: (k.group != "", k.group, k.kind.lower() if sort_by == "kind" else k.plural))
        if output == "name":
            for k in found:
                typer.echo(k.resource)
            return
        headers = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        if output == "wide":
            headers += ["VERBS", "CATEGORIES"]
        rows = []
        for k in found:
            row = [k.plural, ",".join(k.short_names), k.api_version, str(k.namespaced).lower(), k.kind]
            if output == "wide":
                row += ["[" + " ".join(k.verbs) + "]", ",".join(k.categories)]
            rows.append(row)
        typer.echo(table.render(headers, rows, no_headers=no_headers), nl=False)
