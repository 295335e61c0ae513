"""`minikctl kubeconfig`: where the kubeconfig for real kubectl is.

    export KUBECONFIG=$(minikctl kubeconfig)
"""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("kubeconfig", help="Print the path of the kubeconfig for the daemon's API server "
                                     "(export KUBECONFIG=$(minikctl kubeconfig)).")
    def kubeconfig() -> None:
        import os

        from minikctl import errors, home

        path = os.path.join(home.home(), "kubeconfig")
        if not os.path.exists(path):
            raise errors.MinikctlError("no kubeconfig yet: start the daemon first (minikctl daemon start)")
        typer.echo(path)
