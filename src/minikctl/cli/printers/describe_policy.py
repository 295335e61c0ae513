"""`kubectl describe` for PodDisruptionBudgets, as kubectl 1.32 lays it out
(describe.go: describePodDisruptionBudgetV1): the budget that is set, the selector,
the status counts, the events."""
from __future__ import annotations

from minikctl.cli.printers.describe import Context, PrefixWriter, describe_events, meta, spec, status


def describe_pod_disruption_budget(w: PrefixWriter, pdb: dict, ctx: Context) -> None:
    from minikctl.api import selectors

    md, sp, st = meta(pdb), spec(pdb), status(pdb)
    w.write(0, f"Name:\t{md.get('name', '')}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    if sp.get("minAvailable") is not None:
        w.write(0, f"Min available:\t{sp['minAvailable']}\n")
    elif sp.get("maxUnavailable") is not None:
        w.write(0, f"Max unavailable:\t{sp['maxUnavailable']}\n")
    if sp.get("selector") is not None:
        w.write(0, f"Selector:\t{selectors.format_label_selector(sp['selector'])}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    w.write(0, "Status:\n")
    w.write(2, f"Allowed disruptions:\t{int(st.get('disruptionsAllowed') or 0)}\n")
    w.write(2, f"Current:\t{int(st.get('currentHealthy') or 0)}\n")
    w.write(2, f"Desired:\t{int(st.get('desiredHealthy') or 0)}\n")
    w.write(2, f"Total:\t{int(st.get('expectedPods') or 0)}\n")
    describe_events(w, ctx)


DESCRIBERS = {"PodDisruptionBudget": describe_pod_disruption_budget}
