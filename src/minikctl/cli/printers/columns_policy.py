"""`kubectl get` columns for PodDisruptionBudgets (see columns.py), as kubectl 1.32's
printPodDisruptionBudget shows them:

    poddisruptionbudgets   NAME  MIN AVAILABLE  MAX UNAVAILABLE  ALLOWED DISRUPTIONS  AGE

The budget a PDB does not set prints as N/A (only one of the two may be set).
"""
from __future__ import annotations

from minikctl.cli.printers.columns import AGE, NAME, Column, Context, as_int, spec, status

NOT_SET = "N/A"


def _int_or_percent(key: str):  # type: ignore[no-untyped-def]
    def cell(pdb: dict, ctx: Context) -> str:
        value = spec(pdb).get(key)
        return NOT_SET if value is None else str(value)
    return cell


PODDISRUPTIONBUDGET = (
    NAME,
    Column("Min Available", 0, _int_or_percent("minAvailable")),
    Column("Max Unavailable", 0, _int_or_percent("maxUnavailable")),
    Column("Allowed Disruptions", 0, lambda o, c: str(as_int(status(o).get("disruptionsAllowed")))),
    AGE,
)

BY_KIND: dict[str, tuple[Column, ...]] = {"PodDisruptionBudget": PODDISRUPTIONBUDGET}
