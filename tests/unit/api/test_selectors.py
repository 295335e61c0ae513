"""Label and field selectors (minikctl.api.selectors) against apimachinery's labels/fields."""
from __future__ import annotations

import pytest

from minikctl.api import selectors

LABELS = {"app": "web", "tier": "frontend", "env": "a", "version": "1", "replicas": "6"}


@pytest.mark.parametrize(("text", "matches"), [
    pytest.param("app=web", True, id="equals"),
    pytest.param("app==web", True, id="double-equals"),
    pytest.param("app!=web", False, id="not-equals"),
    pytest.param("app!=db", True, id="not-equals-other"),
    pytest.param("missing!=x", True, id="not-equals-absent-key"),
    pytest.param("env in (a,b)", True, id="in"),
    pytest.param("env in (b,c)", False, id="in-miss"),
    pytest.param("env notin (b,c)", True, id="notin"),
    pytest.param("missing notin (b)", True, id="notin-absent-key"),
    pytest.param("version", True, id="exists"),
    pytest.param("!legacy", True, id="does-not-exist"),
    pytest.param("!app", False, id="does-not-exist-present"),
    pytest.param("replicas>5", True, id="greater-than"),
    pytest.param("replicas<5", False, id="less-than"),
    pytest.param("app>5", False, id="greater-than-non-integer-label"),
    pytest.param("app=web,tier!=db,env in (a,b),!legacy,version", True, id="all-together"),
    pytest.param("app=web,tier=backend", False, id="and"),
    pytest.param("", True, id="empty-selects-everything"),
    pytest.param("  app = web  ", True, id="whitespace"),
    pytest.param("app=", False, id="empty-value"),
])
def test_parse_and_match(text: str, matches: bool) -> None:
    assert selectors.parse(text).matches(LABELS) is matches


def test_empty_value_matches_empty_label() -> None:
    assert selectors.parse("app=").matches({"app": ""})
    assert selectors.parse("x in (,a)").matches({"x": ""})


@pytest.mark.parametrize(("text", "printed"), [
    pytest.param("b=1,a=2", "a=2,b=1", id="sorted-by-key"),
    pytest.param("env in (b,a)", "env in (a,b)", id="values-sorted"),
    pytest.param("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()", id="empty-values"),
    pytest.param("!legacy", "!legacy", id="not-exists"),
    pytest.param("a==b", "a==b", id="double-equals"),
    pytest.param("n>3", "n>3", id="gt"),
    pytest.param("a in (in,notin)", "a in (in,notin)", id="keywords-as-values"),
    pytest.param("example.com/app=web", "example.com/app=web", id="prefixed-key"),
])
def test_to_string(text: str, printed: str) -> None:
    assert selectors.parse(text).to_string() == printed


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("a=b c", "found 'c', expected: ',' or 'end of string'", id="two-values"),
    pytest.param(",a", "found ',', expected: !, identifier, or 'end of string'", id="leading-comma"),
    pytest.param("a,", "found '', expected: identifier after ','", id="trailing-comma"),
    pytest.param("a in b", "unable to parse requirement: found 'b' expected: '('", id="in-without-parens"),
    pytest.param("a=(", "unable to parse requirement: found '(', expected: identifier", id="paren-as-value"),
    pytest.param("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
                 id="missing-operator"),
    pytest.param("a=b=c", "found '=', expected: ',' or 'end of string'", id="two-operators"),
    pytest.param("a in (x", "unable to parse requirement: found '', expected: ',' or ')'", id="unclosed"),
    pytest.param("n>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, "
                        "the value must be an integer", id="gt-not-integer"),
    pytest.param("Bad Key=1", "unable to parse requirement: found 'Key', expected: in, notin, =, ==, !=, gt, lt",
                 id="space-in-key"),
    pytest.param("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must "
                          "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                          "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                          "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                          "prefix and '/' (e.g. 'example.com/MyName')", id="two-slashes"),
    pytest.param("-app=x", "unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of "
                           "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                           "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", id="key-starts-with-dash"),
    pytest.param("app=" + "v" * 64, "unable to parse requirement: values[0][app]: Invalid value: \"" + "v" * 64
                 + "\": must be no more than 63 characters", id="value-too-long"),
    pytest.param("app=we!b", "found '!', expected: ',' or 'end of string'", id="bang-in-value"),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        selectors.parse(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(("selector", "printed", "matches"), [
    pytest.param({"matchLabels": {"app": "web"}}, "app=web", True, id="match-labels"),
    pytest.param({"matchLabels": {"tier": "frontend", "app": "web"}}, "app=web,tier=frontend", True, id="sorted"),
    pytest.param({"matchExpressions": [{"key": "env", "operator": "In", "values": ["b", "a"]}]},
                 "env in (a,b)", True, id="in"),
    pytest.param({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["a"]}]},
                 "env notin (a)", False, id="notin"),
    pytest.param({"matchExpressions": [{"key": "version", "operator": "Exists"}]}, "version", True, id="exists"),
    pytest.param({"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, "!legacy", True,
                 id="does-not-exist"),
    pytest.param({"matchLabels": {"app": "web"},
                  "matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]},
                 "app=web,tier in (backend)", False, id="both"),
    pytest.param({}, "", True, id="empty-selects-everything"),
])
def test_from_label_selector(selector: dict, printed: str, matches: bool) -> None:
    sel = selectors.from_label_selector(selector)
    assert sel.to_string() == printed
    assert sel.matches(LABELS) is matches


def test_nil_label_selector_selects_nothing() -> None:
    sel = selectors.from_label_selector(None)
    assert not sel.matches({})
    assert not sel.matches(LABELS)
    assert not sel.empty()


@pytest.mark.parametrize(("selector", "message"), [
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]},
                 '"Equals" is not a valid label selector operator', id="bad-operator"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
                 "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
                 id="in-without-values"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
                 "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist",
                 id="exists-with-values"),
    pytest.param({"matchLabels": {"app": "front end"}},
                 "values[0][app]: Invalid value: \"front end\": a valid label must be an empty string or consist of "
                 "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                 "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", id="bad-value"),
])
def test_from_label_selector_errors(selector: dict, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        selectors.from_label_selector(selector)
    assert str(exc.value) == message


@pytest.mark.parametrize(("selector", "shown"), [
    pytest.param({"matchLabels": {"app": "web"}}, "app=web", id="labels"),
    pytest.param({}, "<none>", id="empty"),
    pytest.param(None, "<none>", id="nil"),
    pytest.param({"matchExpressions": [{"key": "a", "operator": "Bad"}]}, "<error>", id="invalid"),
])
def test_format_label_selector(selector: dict | None, shown: str) -> None:
    assert selectors.format_label_selector(selector) == shown


def test_from_set_and_format_labels() -> None:
    assert selectors.from_set({"b": "2", "a": "1"}).to_string() == "a=1,b=2"
    assert selectors.from_set({}).empty()
    assert selectors.format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert selectors.format_labels({}) == "<none>"


POD = {"metadata": {"name": "web-1", "namespace": "default"},
       "spec": {"nodeName": "node-a", "hostNetwork": False},
       "status": {"phase": "Running"}}


@pytest.mark.parametrize(("text", "matches"), [
    pytest.param("metadata.name=web-1", True, id="equals"),
    pytest.param("metadata.name==web-1", True, id="double-equals"),
    pytest.param("metadata.name!=web-1", False, id="not-equals"),
    pytest.param("metadata.name=x,status.phase!=Running", False, id="and"),
    pytest.param("metadata.namespace=default,status.phase=Running", True, id="two-fields"),
    pytest.param("spec.hostNetwork=false", True, id="boolean-as-text"),
    pytest.param("spec.schedulerName=", True, id="absent-is-empty"),
    pytest.param("spec.nodeName!=", True, id="not-empty"),
    pytest.param("", True, id="empty"),
])
def test_field_selectors(text: str, matches: bool) -> None:
    assert selectors.parse_fields(text).matches(POD) is matches


def test_field_selector_terms_and_escapes() -> None:
    sel = selectors.parse_fields("status.phase!=Running,metadata.name=a\\,b")
    assert sel.fields() == ["metadata.name", "status.phase"]  # Kubernetes sorts the terms
    assert sel.requirements[0].value == "a,b"
    assert sel.to_string() == "metadata.name=a\\,b,status.phase!=Running"


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'", id="no-op"),
    pytest.param("a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'", id="second-term"),
    pytest.param("a=b=c", "invalid field selector: unescaped character in value: 61", id="unescaped-equals"),
    pytest.param("a=b\\x", "invalid field selector: invalid escape sequence: \\x", id="bad-escape"),
    pytest.param("a in (b)", "invalid selector: 'a in (b)'; can't understand 'a in (b)'", id="set-operator"),
])
def test_field_selector_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        selectors.parse_fields(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(("key", "errors"), [
    pytest.param("app", [], id="plain"),
    pytest.param("app.kubernetes.io/name", [], id="prefixed"),
    pytest.param("a" * 63, [], id="63-chars"),
    pytest.param("a" * 64, ["name part must be no more than 63 characters"], id="64-chars"),
    pytest.param("/name", ["prefix part must be non-empty"], id="empty-prefix"),
    pytest.param("Example.com/name", ["prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                                      "alphanumeric characters, '-' or '.', and must start and end with an "
                                      "alphanumeric character (e.g. 'example.com', regex used for validation is "
                                      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
                 id="uppercase-prefix"),
    pytest.param("example.com/", ["name part must be non-empty",
                                  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
                                  "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                                  "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
                 id="empty-name"),
])
def test_qualified_name_errors(key: str, errors: list[str]) -> None:
    assert selectors.qualified_name_errors(key) == errors


@pytest.mark.parametrize(("value", "ok"), [
    pytest.param("", True, id="empty"),
    pytest.param("MyValue", True, id="mixed-case"),
    pytest.param("my_value-1.2", True, id="punctuation"),
    pytest.param("front end!", False, id="space-and-bang"),
    pytest.param("-x", False, id="leading-dash"),
    pytest.param("x" * 64, False, id="too-long"),
])
def test_label_values(value: str, ok: bool) -> None:
    assert (selectors.label_value_errors(value) == []) is ok
