"""kubectl's JSONPath template dialect: `-o jsonpath=...` and its error messages."""
from __future__ import annotations

import io

import pytest

from minikctl import errors
from minikctl.cli.printers import print_objects
from minikctl.cli.printers.jsonpath import JSONPath, JSONPathError


def new_pod(name: str, *, app: str, ready: str, ports: list[int], node: str = "minikctl-node") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": app, "app.kubernetes.io/name": app},
        },
        "spec": {
            "nodeName": node,
            "containers": [{"name": "main", "image": f"{app}:1", "ports": [{"containerPort": p} for p in ports]}],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": ready}],
        },
    }


WEB = new_pod("web-1", app="web", ready="True", ports=[80, 443])
DB = new_pod("db-1", app="db", ready="False", ports=[5432])
LIST = {"apiVersion": "v1", "items": [WEB, DB], "kind": "List", "metadata": {"resourceVersion": ""}}


def run(template: str, data: dict = LIST) -> str:
    return JSONPath(template).execute(data)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("{.items[*].metadata.name}", "web-1 db-1", id="wildcard-items"),
        pytest.param("{.items[0].metadata.name}", "web-1", id="index"),
        pytest.param("{.items[-1].metadata.name}", "db-1", id="negative-index"),
        pytest.param("{.items[0:1].metadata.name}", "web-1", id="slice"),
        pytest.param("{.items[::1].metadata.name}", "web-1 db-1", id="slice-with-step"),
        pytest.param("{.items[0,1].metadata.name}", "web-1 db-1", id="union"),
        pytest.param('{range .items[*]}{.metadata.name}{"\\n"}{end}', "web-1\ndb-1\n", id="range"),
        pytest.param(
            '{range .items[*]}{.metadata.name}:{range .spec.containers[*].ports[*]}{.containerPort},{end}{"\\n"}{end}',
            "web-1:80,443,\ndb-1:5432,\n",
            id="nested-range",
        ),
        pytest.param('{.items[?(@.metadata.name=="db-1")].spec.nodeName}', "minikctl-node", id="filter-equal"),
        pytest.param(
            '{.items[*].status.conditions[?(@.type=="Ready")].status}', "True False", id="condition-filter"
        ),
        pytest.param("{.items[0].spec.containers[0].ports[?(@.containerPort>100)].containerPort}", "443",
                     id="filter-greater"),
        pytest.param("{.items[?(@.spec.nodeName)].metadata.name}", "web-1 db-1", id="filter-exists"),
        pytest.param("{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", "web", id="escaped-dots"),
        pytest.param("{..containerPort}", "80 443 5432", id="recursive-descent"),
        pytest.param("{.items[0].metadata.labels}", '{"app":"web","app.kubernetes.io/name":"web"}',
                     id="map-as-json"),
        pytest.param("{.items[0].spec.containers[0].ports[*].containerPort}", "80 443", id="numbers"),
        pytest.param("{.kind}/{.metadata.resourceVersion}.", "List/.", id="text-around-actions"),
        pytest.param("{.items[0].metadata.missing}", "", id="missing-key-is-empty"),
        pytest.param("{.items[0].spec.missing[0]}", "", id="missing-list-is-empty"),
        pytest.param("{ .kind }", "List", id="spaces-inside-action"),
        pytest.param("{$.kind}", "List", id="root-marker"),
        pytest.param("{.items[0].metadata['name']}", "web-1", id="bracket-key"),
        pytest.param("plain text", "plain text", id="no-actions"),
    ],
)
def test_templates(template: str, expected: str) -> None:
    assert run(template) == expected


def test_null_prints_as_null() -> None:
    assert run("{.a}", {"a": None}) == "null"


def test_booleans_and_floats_print_as_go_does() -> None:
    assert run("{.a} {.b} {.c}", {"a": True, "b": 1e6, "c": 0.5}) == "true 1e+06 0.5"


def test_jsonpath_as_json_prints_an_indented_array() -> None:
    assert JSONPath("{.items[*].metadata.name}", output_json=True).execute(LIST) == (
        '[\n    "web-1",\n    "db-1"\n]\n'
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{.items[*}", "unterminated array"),
        ("{.items", "unclosed action"),
        ("{.items[?(@.a==1}", "unterminated filter"),
        ('{"abc}', "unterminated quoted string"),
        ("{.items[x]}", "invalid array index x"),
        ("{#}", "unrecognized character in action: U+0023 '#'"),
        ("{....a}", "invalid multiple recursive descent"),
    ],
)
def test_parse_errors(template: str, message: str) -> None:
    with pytest.raises(JSONPathError) as excinfo:
        JSONPath(template)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{.items[5]}", "array index out of bounds: index 5, length 2"),
        ("{.kind[0]}", "string is not array or slice"),
        ("{end}", "not in range, nothing to end"),
        ("{foo}", "unrecognized identifier foo"),
        ('{.items[?(@.metadata.name>1)]}', "incompatible types for comparison"),
    ],
)
def test_execution_errors(template: str, message: str) -> None:
    with pytest.raises(JSONPathError) as excinfo:
        run(template)
    assert str(excinfo.value) == message


def print_jsonpath(output: str, objs: list[dict], *, single: bool = False) -> str:
    out = io.StringIO()
    print_objects(objs, output=output, out=out, single=single)
    return out.getvalue()


def test_get_runs_the_template_on_a_list() -> None:
    assert print_jsonpath("jsonpath={.items[*].metadata.name}", [WEB, DB]) == "web-1 db-1"


def test_get_of_one_named_object_runs_the_template_on_the_object() -> None:
    assert print_jsonpath("jsonpath={.metadata.name}", [WEB], single=True) == "web-1"


def test_get_jsonpath_as_json() -> None:
    assert print_jsonpath("jsonpath-as-json={.metadata.name}", [WEB], single=True) == '[\n    "web-1"\n]\n'


def test_get_jsonpath_file(tmp_path) -> None:
    template = tmp_path / "names.jsonpath"
    template.write_text('{range .items[*]}{.metadata.name}{"\\n"}{end}')
    assert print_jsonpath(f"jsonpath-file={template}", [WEB, DB]) == "web-1\ndb-1\n"


def test_get_jsonpath_file_missing(tmp_path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(errors.UsageError) as excinfo:
        print_jsonpath(f"jsonpath-file={missing}", [WEB])
    assert str(excinfo.value) == (
        f"error reading --template {missing}, open {missing}: no such file or directory"
    )


def test_get_reports_parse_errors_as_kubectl() -> None:
    with pytest.raises(errors.UsageError) as excinfo:
        print_jsonpath("jsonpath={.items[*}", [WEB])
    assert str(excinfo.value) == "error parsing jsonpath {.items[*}, unterminated array"


def test_get_requires_a_template() -> None:
    with pytest.raises(errors.UsageError) as excinfo:
        print_jsonpath("jsonpath=", [WEB])
    assert str(excinfo.value) == "template format specified but no template given"


def test_get_reports_execution_errors_with_the_template() -> None:
    with pytest.raises(errors.MinikctlError) as excinfo:
        print_jsonpath("jsonpath={.items[7]}", [WEB])
    message = str(excinfo.value)
    assert message.startswith(
        'error executing jsonpath "{.items[7]}": Error executing template: '
        "array index out of bounds: index 7, length 1. Printing more information for debugging the template:\n"
        "\ttemplate was:\n\t\t{.items[7]}\n"
    )
