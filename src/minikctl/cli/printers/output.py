"""`-o FORMAT`: which printer handles a format, and the non-table printers.

As in kubectl's get_flags.go, each family claims its formats: human-readable tables
("" and `wide`), `json`/`yaml`, `name`, the JSONPath templates (`jsonpath=`,
`jsonpath-as-json=`, `jsonpath-file=`) and custom columns (`custom-columns=`,
`custom-columns-file=`). An unclaimed format is a usage error listing the formats.

Formats other than tables print either the one object the user named (`single`) or
every object wrapped in a `kind: List`, which is what kubectl's templates run on.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, TextIO

from minikctl import errors
from minikctl.cli.printers import age, jsonpath, table, tabwriter, yamljson
from minikctl.cli.printers.values import go_sprint, json_compact

ALLOWED_FORMATS = (
    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,"
    "jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
)
_TEMPLATE_FORMATS = ("jsonpath", "jsonpath-as-json", "jsonpath-file", "custom-columns",
                     "custom-columns-file", "go-template", "go-template-file", "template", "templatefile")


def split_format(output: str) -> tuple[str, str]:
    """`jsonpath={.a}` -> ("jsonpath", "{.a}"); `yaml` -> ("yaml", "")."""
    for name in _TEMPLATE_FORMATS:
        if output.startswith(name + "="):
            return name, output[len(name) + 1:]
    return output, ""


def as_list(objs: list[dict]) -> dict:
    """The `kind: List` kubectl prints for several objects (or for none)."""
    return {"apiVersion": "v1", "items": list(objs), "kind": "List", "metadata": {"resourceVersion": ""}}


def _document(objs: list[dict], single: bool) -> dict:
    return objs[0] if single and len(objs) == 1 else as_list(objs)


def _read_file(path: str, wording: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise errors.UsageError(f"{wording} {path}, open {path}: {reason}") from None


def jsonpath_printer(fmt: str, template: str) -> Callable[[dict], str]:
    if fmt == "jsonpath-file" and template:
        template = _read_file(template, "error reading --template")
    if not template:
        raise errors.UsageError("template format specified but no template given")
    try:
        parsed = jsonpath.JSONPath(template, output_json=fmt == "jsonpath-as-json")
    except jsonpath.JSONPathError as exc:
        raise errors.UsageError(f"error parsing jsonpath {template}, {exc}") from None

    def run(document: dict) -> str:
        try:
            return parsed.execute(document)
        except jsonpath.JSONPathError as exc:
            raise errors.MinikctlError(
                f'error executing jsonpath "{template}": Error executing template: {exc}. '
                "Printing more information for debugging the template:\n"
                f"\ttemplate was:\n\t\t{template}\n"
                f"\tobject given to jsonpath engine was:\n\t\t{json_compact(document)}\n"
            ) from None

    return run


# --- custom columns -------------------------------------------------------------------

_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed_jsonpath(expr: str) -> str:
    """RelaxedJSONPathExpression: `metadata.name`, `.metadata.name`, `{...}` all work."""
    if not expr:
        return expr
    m = _RELAXED.match(expr)
    if m is None:
        raise errors.UsageError("unexpected path string, expected a 'name1.name2' or '.name1.name2' "
                                "or '{name1.name2}' or '{.name1.name2}'")
    return "{." + (m.group(1) or m.group(2)) + "}"


def _columns_from_spec(spec: str) -> list[tuple[str, str]]:
    if not spec:
        raise errors.UsageError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, expr = part.partition(":")
        if not sep:
            raise errors.UsageError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header, relaxed_jsonpath(expr)))
    return columns


def _columns_from_file(path: str) -> list[tuple[str, str]]:
    text = _read_file(path, "error reading template")
    lines = text.splitlines()
    usage = "Expected format is one line of space separated headers, one line of space separated column specs."
    if not lines:
        raise errors.UsageError(f"invalid template, missing header line. {usage}")
    if len(lines) < 2:
        raise errors.UsageError(f"invalid template, missing spec line. {usage}")
    headers, specs = lines[0].split(), lines[1].split()
    if len(headers) != len(specs):
        raise errors.UsageError(
            f"number of headers ({len(headers)}) and field specifications ({len(specs)}) don't match")
    return [(h, relaxed_jsonpath(s)) for h, s in zip(headers, specs)]


def print_custom_columns(fmt: str, value: str, objs: list[dict], out: TextIO, *, no_headers: bool) -> None:
    if fmt == "custom-columns-file":
        if not value:
            raise errors.UsageError("custom-columns format specified but no custom columns given")
        columns = _columns_from_file(value)
        no_headers = False  # kubectl always prints the file's header line
    else:
        columns = _columns_from_spec(value)
    try:
        parsers = [jsonpath.JSONPath(expr) for _, expr in columns]
    except jsonpath.JSONPathError as exc:
        raise errors.UsageError(str(exc)) from None
    rows = [] if no_headers else [[header for header, _ in columns]]
    for obj in objs:
        row = []
        for parser in parsers:
            try:
                groups = parser.find_results(obj)
            except jsonpath.JSONPathError as exc:
                raise errors.MinikctlError(str(exc)) from None
            cells = [] if groups and groups[0] else ["<none>"]
            cells += [tabwriter.escape_terminal(go_sprint(v)) for group in groups for v in group]
            row.append(",".join(cells))
        rows.append(row)
    out.write(tabwriter.format_rows(rows))


# --- entry point ----------------------------------------------------------------------

def print_objects(objs: list[dict], *, output: str | None, out: TextIO, all_namespaces: bool = False,
                  show_labels: bool = False, no_headers: bool = False, single: bool = False,
                  with_kind: bool | None = None, now: datetime | None = None) -> None:
    """Print objects as `kubectl get -o OUTPUT` would (see the package docstring)."""
    output = output or ""
    fmt, value = split_format(output)
    if fmt in ("", "wide"):
        if objs:
            table.print_tables(objs, out, wide=fmt == "wide", all_namespaces=all_namespaces,
                               show_labels=show_labels, no_headers=no_headers, with_kind=with_kind,
                               now=now or age.utcnow())
    elif fmt.lower() == "json":
        out.write(yamljson.to_json(_document(objs, single)))
    elif fmt.lower() == "yaml":
        out.write(yamljson.to_yaml(_document(objs, single)))
    elif fmt == "name":
        out.write("".join(f"{table.type_name(o)}/{(o.get('metadata') or {}).get('name', '')}\n" for o in objs))
    elif fmt in ("jsonpath", "jsonpath-as-json", "jsonpath-file"):
        out.write(jsonpath_printer(fmt, value)(_document(objs, single)))
    elif fmt in ("custom-columns", "custom-columns-file"):
        print_custom_columns(fmt, value, objs, out, no_headers=no_headers)
    elif fmt in ("go-template", "go-template-file", "template", "templatefile"):
        raise errors.UsageError(f'output format "{fmt}" is not supported by minikctl yet; '
                                "use -o jsonpath=... or -o custom-columns=... instead")
    else:
        raise errors.UsageError(
            f'unable to match a printer suitable for the output format "{output}", '
            f"allowed formats are: {ALLOWED_FORMATS}")


def validate_output(output: str | None) -> None:
    """Fail early on a bad `-o` before doing any work, as kubectl builds its printer first."""
    if not output:
        return
    fmt, value = split_format(output)
    if fmt in ("wide", "name") or fmt.lower() in ("json", "yaml"):
        return
    if fmt in ("jsonpath", "jsonpath-as-json", "jsonpath-file"):
        jsonpath_printer(fmt, value)
    elif fmt == "custom-columns":
        _columns_from_spec(value)
    elif fmt == "custom-columns-file":
        if not value:
            raise errors.UsageError("custom-columns format specified but no custom columns given")
        _columns_from_file(value)
    else:
        print_objects([], output=output, out=_NullOut())


class _NullOut:
    def write(self, text: str) -> int:
        return len(text)
