"""The DaemonSet's template generation (pkg/registry/apps/daemonset/strategy.go): 1 on
create, one more each time spec.template changes, kept in the
`deprecated.daemonset.template.generation` annotation (where apps/v1 keeps the internal
spec.templateGeneration), and put on each pod the DaemonSet creates as its
`pod-template-generation` label, as Kubernetes does."""
from __future__ import annotations

ANNOTATION = "deprecated.daemonset.template.generation"
POD_LABEL = "pod-template-generation"


def of(ds: dict) -> str:
    return ((ds.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION, "")


def on_create(ds: dict) -> None:
    ds["metadata"].setdefault("annotations", {})[ANNOTATION] = "1"


def on_update(old: dict, new: dict) -> None:
    """The old generation (a client cannot set it), one more if the template changed."""
    try:
        generation = int(of(old) or 1)
    except ValueError:
        generation = 1
    if (old.get("spec") or {}).get("template") != (new.get("spec") or {}).get("template"):
        generation += 1
    new["metadata"].setdefault("annotations", {})[ANNOTATION] = str(generation)
