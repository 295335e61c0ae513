"""Everything that turns objects into what `kubectl get` and `kubectl describe` print.

    print_objects(objs, output=..., out=...)   `get`: tables, -o wide|yaml|json|name|
                                               jsonpath=...|custom-columns=...
    describe(obj, events, out)                 `describe`: kubectl's layout per kind
    human_duration(seconds)                    AGE cells: `45s`, `5m30s`, `3d4h`

Layout of the package:

    output.py       picks the printer for `-o`, prints yaml/json/name/templates/columns
    table.py        per-kind tables with NAMESPACE/LABELS/kind prefixes
    columns*.py     the columns of each kind, as data (pod_status.py: a Pod's STATUS)
    tabwriter.py    Go's text/tabwriter, which aligns every kubectl table and describe page
    jsonpath*.py    kubectl's JSONPath template dialect: parser and evaluator
    yamljson.py     kubectl's YAML (go-yaml v2) and JSON (encoding/json) formatting
    describe*.py    describers per kind, and kubectl's generic describer for the rest
    age.py, values.py   durations and timestamps, Go-style values (resource quantities:
                        minikctl.api.quantity)

Output is plain text written to a TextIO, never through rich: `get` must print
thousands of rows in milliseconds, and byte-for-byte kubectl output is the goal.
Heavy modules (yaml, json, the describers) load only when a command needs them.
"""
from __future__ import annotations

from minikctl.cli.printers.age import human_duration
from minikctl.cli.printers.describe import describe
from minikctl.cli.printers.output import ALLOWED_FORMATS, print_objects, validate_output

__all__ = ["ALLOWED_FORMATS", "describe", "human_duration", "print_objects", "validate_output"]
