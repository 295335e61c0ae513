"""Label and field selectors, as Kubernetes parses, matches and prints them.

- `parse("app=web,tier!=db,env in (a,b),!legacy,version")` — the string form of
  `kubectl -l` and `?labelSelector=` (apimachinery's labels.Parse: same grammar, same
  error messages, requirements sorted by key);
- `from_label_selector({"matchLabels": ..., "matchExpressions": ...})` — a LabelSelector
  object as in spec.selector (metav1.LabelSelectorAsSelector); None selects nothing,
  {} selects everything;
- `Selector.to_string()` — how kubectl prints a selector ("app=web", "<none>" via
  `describe()`);
- `parse_fields("metadata.name=x,status.phase!=Running")` — field selectors (only =, ==
  and !=), matched against dotted paths of an object.

Stdlib only: the CLI uses this on its `get -l` path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

IN, NOT_IN = "in", "notin"
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
EXISTS, DOES_NOT_EXIST = "exists", "!"
GREATER_THAN, LESS_THAN = "gt", "lt"
BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)

# LabelSelector operators (spec.selector.matchExpressions) and what they parse to.
_EXPRESSION_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}

# --- label key and value syntax (apimachinery util/validation) -----------------------------

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
_SUBDOMAIN_RE = re.compile(DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME_RE = re.compile(QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE = re.compile(LABEL_VALUE_FMT)
_QUALIFIED_NAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                       "with an alphanumeric character")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                    "or '.', and must start and end with an alphanumeric character")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                  "or '.', and must start and end with an alphanumeric character")


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError: the message, examples and the regex, worded as Kubernetes."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def subdomain_errors(value: str) -> list[str]:
    """IsDNS1123Subdomain."""
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _SUBDOMAIN_RE.fullmatch(value):
        errs.append(regex_error(_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def qualified_name_errors(value: str) -> list[str]:
    """IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most
    63 characters (the syntax of label keys and annotation keys)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in subdomain_errors(prefix))
    else:
        return ["a qualified name " + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _QUALIFIED_NAME_RE.fullmatch(name):
        errs.append("name part " + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    """IsValidLabelValue: at most 63 characters, may be empty."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(regex_error(_LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _go_quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\x{ord(ch):02x}"))
        else:
            out.append(f"\\u{ord(ch):04x}")
    return '"' + "".join(out) + '"'


# --- requirements and selectors --------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and value in self.values
        if self.operator in (NOT_IN, NOT_EQUALS):
            return not present or value not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        if self.operator in (GREATER_THAN, LESS_THAN):
            return present and _compare(self.operator, value, self.values)
        return False

    def to_string(self) -> str:
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values)) if len(self.values) > 1 else "".join(self.values)
        if self.operator in (IN, NOT_IN):
            return f"{self.key} {self.operator} ({values})"
        op = {GREATER_THAN: ">", LESS_THAN: "<"}.get(self.operator, self.operator)
        return f"{self.key}{op}{values}"


def _compare(op: str, value: object, wanted: tuple[str, ...]) -> bool:
    try:
        have, want = int(str(value), 10), int(wanted[0], 10)
    except (ValueError, IndexError):
        return False
    return have > want if op == GREATER_THAN else have < want


@dataclass(frozen=True)
class Selector:
    """AND of requirements, sorted by key. `nothing` is labels.Nothing()."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: dict | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """True when the selector does not restrict anything (labels.Everything())."""
        return not self.nothing and not self.requirements

    def to_string(self) -> str:
        return ",".join(r.to_string() for r in self.requirements)

    def describe(self) -> str:
        """As `kubectl describe` prints a LabelSelector (FormatLabelSelector)."""
        return self.to_string() or "<none>"

    def __str__(self) -> str:
        return self.to_string()


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)


def new_requirement(key: str, operator: str, values: list[str] | tuple[str, ...]) -> Requirement:
    """labels.NewRequirement: validates key, operator/value count and values."""
    errs = []
    key_errs = qualified_name_errors(key)
    if key_errs:
        errs.append(f"key: Invalid value: {_go_quote(key)}: " + "; ".join(key_errs))
    shown = "[]string{" + ", ".join(_go_quote(v) for v in values) + "}"
    if operator in (IN, NOT_IN) and not values:
        errs.append(f"values: Invalid value: {shown}: for 'in', 'notin' operators, values set can't be empty")
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS) and len(values) != 1:
        errs.append(f"values: Invalid value: {shown}: exact-match compatibility requires one single value")
    elif operator in (EXISTS, DOES_NOT_EXIST) and values:
        errs.append(f"values: Invalid value: {shown}: values set must be empty for exists and does not exist")
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(f"values: Invalid value: {shown}: for 'Gt', 'Lt' operators, exactly one value is required")
        for i, v in enumerate(values):
            if not re.fullmatch(r"[+-]?[0-9]+", v):
                errs.append(f"values[{i}]: Invalid value: {_go_quote(v)}: for 'Gt', 'Lt' operators, the value must be an integer")
    elif operator not in BINARY_OPERATORS + (EXISTS, DOES_NOT_EXIST):
        supported = ", ".join(_go_quote(o) for o in BINARY_OPERATORS + ("exists", "!"))
        errs.append(f"operator: Unsupported value: {_go_quote(operator)}: supported values: {supported}")
    for i, v in enumerate(values):
        value_errs = label_value_errors(v)
        if value_errs:
            errs.append(f"values[{i}][{key}]: Invalid value: {_go_quote(v)}: " + "; ".join(value_errs))
    if errs:
        raise ValueError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return Requirement(key, operator, tuple(values))


def _sorted(reqs: list[Requirement]) -> Selector:
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))  # stable, like sort.Sort by key


# --- the string form (labels.Parse) ----------------------------------------------------------

_SPECIAL = set("=!(),><")
_WHITESPACE = set(" \t\r\n")
_TOKENS = {")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", "in": "in", "<": "<",
           "!=": "!=", "notin": "notin", "(": "("}
_ID, _END, _ERR = "id", "end", "error"


def _lex(s: str) -> list[tuple[str, str]]:
    items, pos = [], 0
    while True:
        while pos < len(s) and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= len(s):
            items.append((_END, ""))
            return items
        if s[pos] in _SPECIAL:
            tok, lit, pos = _scan_special(s, pos)
        else:
            start = pos
            while pos < len(s) and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
                pos += 1
            lit = s[start:pos]
            tok = _TOKENS.get(lit, _ID)
        items.append((tok, lit))


def _scan_special(s: str, pos: int) -> tuple[str, str, int]:
    buffer, last = "", None
    while pos < len(s) and s[pos] in _SPECIAL:
        buffer += s[pos]
        if buffer in _TOKENS:
            last = (buffer, pos + 1)
        elif last is not None:
            break
        pos += 1
    if last is None:
        return _ERR, f"error expected: keyword found '{buffer}'", pos
    return _TOKENS[last[0]], last[0], last[1]


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def lookahead(self, values: bool = True) -> tuple[str, str]:
        return self._as(self.items[self.pos], values)

    def consume(self, values: bool = True) -> tuple[str, str]:
        item = self.items[self.pos]
        self.pos += 1
        return self._as(item, values)

    @staticmethod
    def _as(item: tuple[str, str], values: bool) -> tuple[str, str]:
        # In a value position the keywords 'in' and 'notin' are ordinary identifiers.
        tok, lit = item
        return (_ID, lit) if values and tok in (IN, NOT_IN) else (tok, lit)

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok == _END:
                return reqs
            if tok not in (_ID, "!"):
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except ValueError as exc:
                raise ValueError(f"unable to parse requirement: {exc}") from None
            tok, lit = self.consume()
            if tok == _END:
                return reqs
            if tok != ",":
                raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
            tok2, lit2 = self.lookahead()
            if tok2 not in (_ID, "!"):
                raise ValueError(f"found '{lit2}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        key, operator = self.key_and_operator()
        if operator in (EXISTS, DOES_NOT_EXIST):
            return new_requirement(key, operator, [])
        operator = self.operator()
        values = self.value_set() if operator in (IN, NOT_IN) else self.exact_value()
        return new_requirement(key, operator, sorted(values))

    def key_and_operator(self) -> tuple[str, str]:
        operator = ""
        tok, lit = self.consume()
        if tok == "!":
            operator = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _ID:
            raise ValueError(f"found '{lit}', expected: identifier")
        errs = qualified_name_errors(lit)
        if errs:
            raise ValueError(f"<nil>: Invalid value: {_go_quote(lit)}: " + "; ".join(errs))
        if self.lookahead()[0] in (_END, ","):
            operator = operator or EXISTS
        return lit, operator

    def operator(self) -> str:
        tok, lit = self.consume(values=False)
        ops = {IN: IN, NOT_IN: NOT_IN, "=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS,
               ">": GREATER_THAN, "<": LESS_THAN}
        if tok not in ops:
            raise ValueError(f"found '{lit}', expected: " + ", ".join(BINARY_OPERATORS))
        return ops[tok]

    def value_set(self) -> set[str]:
        tok, lit = self.consume()
        if tok != "(":
            raise ValueError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok == ")":
            self.consume()
            return {""}
        if tok not in (_ID, ","):
            raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")
        values = self.identifiers()
        if self.consume()[0] != ")":
            raise ValueError(f"found '{lit}', expected: ')'")
        return values

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == ",":
                    continue
                if tok2 == ")":
                    return values
                raise ValueError(f"found '{lit2}', expected: ',' or ')'")
            if tok != ",":
                raise ValueError(f"found '{lit}', expected: ',', or identifier")
            if not values:
                values.add("")  # "(," starts with an empty value
            tok2, _ = self.lookahead()
            if tok2 in (")", ","):
                values.add("")  # ",)" and ",," hold empty values too
                if tok2 == ")":
                    return values

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in (_END, ","):
            return {""}
        tok, lit = self.consume()
        if tok == _ID:
            return {lit}
        raise ValueError(f"found '{lit}', expected: identifier")


def parse(text: str) -> Selector:
    """A label selector from its string form; ValueError with Kubernetes' message."""
    return _sorted(_Parser(text or "").parse())


# --- LabelSelector objects (metav1) ----------------------------------------------------------

def from_label_selector(selector: dict | None) -> Selector:
    """metav1.LabelSelectorAsSelector: None selects nothing, {} selects everything."""
    if selector is None:
        return NOTHING
    if not isinstance(selector, dict):
        raise ValueError("a label selector must be an object")
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return EVERYTHING
    reqs = [new_requirement(str(k), EQUALS, [_text(v)]) for k, v in match_labels.items()]
    for expr in expressions:
        reqs.append(_expression(expr))
    return _sorted(reqs)


def _expression(expr: object) -> Requirement:
    if not isinstance(expr, dict):
        raise ValueError("a matchExpressions item must be an object")
    op = expr.get("operator")
    if op not in _EXPRESSION_OPERATORS:
        raise ValueError(f"{_go_quote(str(op))} is not a valid label selector operator")
    values = [_text(v) for v in expr.get("values") or []]
    return new_requirement(str(expr.get("key") or ""), _EXPRESSION_OPERATORS[op], values)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def from_set(labels: dict) -> Selector:
    """labels.SelectorFromSet: equality on every label (e.g. a Service's spec.selector)."""
    return _sorted([Requirement(str(k), EQUALS, (_text(v),)) for k, v in (labels or {}).items()])


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector, as kubectl describe prints `Selector:`."""
    try:
        return from_label_selector(selector).describe()
    except ValueError:
        return "<error>"


def format_labels(labels: dict | None) -> str:
    """labels.Set.String(): "a=1,b=2" sorted by key, "<none>" when empty (kubectl get --show-labels)."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={_text(labels[k])}" for k in sorted(labels))


# --- field selectors -----------------------------------------------------------------------

@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # "=", "==" or "!="
    value: str

    def matches(self, obj: dict) -> bool:
        have = resolve(obj, self.field)
        return (have != self.value) if self.operator == NOT_EQUALS else (have == self.value)

    def to_string(self) -> str:
        return f"{self.field}{self.operator}{_escape_field_value(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = field(default_factory=tuple)

    def matches(self, obj: dict) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def fields(self) -> list[str]:
        return [r.field for r in self.requirements]

    def empty(self) -> bool:
        return not self.requirements

    def to_string(self) -> str:
        return ",".join(r.to_string() for r in self.requirements)

    def __str__(self) -> str:
        return self.to_string()


def parse_fields(text: str) -> FieldSelector:
    """fields.ParseSelector: comma-separated `field=value`, `field==value`, `field!=value`;
    a backslash escapes ',', '=' and '\\' in values."""
    reqs = []
    for term in sorted(_split_terms(text or "")):  # Kubernetes sorts the terms first
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise ValueError(f"invalid selector: '{text}'; can't understand '{term}'")
        lhs, op, rhs = split
        reqs.append(FieldRequirement(lhs, op, _unescape_field_value(rhs)))
    return FieldSelector(tuple(reqs))


def _split_terms(text: str) -> list[str]:
    if not text:
        return []
    terms, start, in_slash = [], 0, False
    for i, ch in enumerate(text):
        if in_slash:
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """The leftmost unescaped operator wins; at one position "!=" before "==" before "="."""
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in (NOT_EQUALS, DOUBLE_EQUALS, EQUALS):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
        i += 1
    return None


def _unescape_field_value(value: str) -> str:
    out, i = "", 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value) or value[i + 1] not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: {value[i:i + 2]}")
            out += value[i + 1]
            i += 2
            continue
        if ch in ",=":
            raise ValueError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        out += ch
        i += 1
    return out


def _escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def resolve(obj: dict, path: str) -> str:
    """The value at a dotted path as a field selector compares it: a string, "" when
    absent, "true"/"false" for booleans."""
    node: object = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)
