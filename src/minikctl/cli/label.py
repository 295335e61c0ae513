"""`minikctl label`: update the labels on a resource."""
from __future__ import annotations

import typer

from minikctl.cli import keyvalues

EXAMPLES = """
Examples:
  # Label pod "web" with tier=frontend, then change it, then remove it
  minikctl label pods web tier=frontend
  minikctl label --overwrite pods web tier=backend
  minikctl label pods web tier-
"""


def register(app: typer.Typer) -> None:
    keyvalues.register_verb(app, "label", "Update the labels on a resource." + EXAMPLES)
