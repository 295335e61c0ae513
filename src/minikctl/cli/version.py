"""`minikctl version`: minikctl's version and the Kubernetes API version it follows."""
from __future__ import annotations

from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("version", help="Print the client version and the Kubernetes API version minikctl serves.")
    def version(
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="One of 'yaml' or 'json'.")] = None,
        client: Annotated[bool, typer.Option("--client", help="If true, shows client version only (no server required).")] = False,
    ) -> None:
        import json

        from minikctl import KUBERNETES_VERSION, __version__, errors

        info = {
            "clientVersion": {"gitVersion": f"v{__version__}", "platform": "minikctl"},
            "kubernetesVersion": KUBERNETES_VERSION,
        }
        if output == "json":
            typer.echo(json.dumps(info, indent=2))
        elif output == "yaml":
            import yaml

            typer.echo(yaml.safe_dump(info, default_flow_style=False), nl=False)
        elif output:
            raise errors.UsageError("--output must be 'yaml' or 'json'", "version")
        else:
            typer.echo(f"Client Version: v{__version__}\nKubernetes Version: {KUBERNETES_VERSION}")
