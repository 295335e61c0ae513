"""`minikctl annotate`: update the annotations on a resource."""
from __future__ import annotations

import typer

from minikctl.cli import keyvalues

EXAMPLES = """
Examples:
  # Annotate pod "web" with a description, then remove it
  minikctl annotate pods web description="my frontend"
  minikctl annotate pods web description-
"""


def register(app: typer.Typer) -> None:
    keyvalues.register_verb(app, "annotate", "Update the annotations on a resource." + EXAMPLES)
