"""The parser of kubectl's JSONPath templates (client-go util/jsonpath/parser.go).

A template parses into a list of nodes: Text for the literal parts and a ListNode per
`{...}` action holding Field, Array (index/slice), Filter, Wildcard, Recursive,
Union, Identifier (`range`, `end`) and literal nodes. Error messages are kubectl's.
"""
from __future__ import annotations

import re

class JSONPathError(Exception):
    """A template that cannot be parsed or run; the message is worded as kubectl's."""


_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$", re.S)
_TERMINATORS = frozenset(" \t\r\n.,[]$@{}")
_EOF = ""


# --- Nodes ------------------------------------------------------------------------------
# Plain classes rather than dataclasses: this module is imported on every `get`.

class ListNode:
    __slots__ = ("nodes",)

    def __init__(self, nodes: list | None = None) -> None:
        self.nodes = nodes if nodes is not None else []


class Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Field:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Param:
    __slots__ = ("value", "known", "derived")

    def __init__(self) -> None:
        self.value, self.known, self.derived = 0, False, False


class Array:
    __slots__ = ("params",)

    def __init__(self, params: tuple[Param, Param, Param]) -> None:
        self.params = params


class Filter:
    __slots__ = ("left", "right", "op")

    def __init__(self, left: ListNode, right: ListNode, op: str) -> None:
        self.left, self.right, self.op = left, right, op


class Number:
    __slots__ = ("value",)

    def __init__(self, value: int | float) -> None:
        self.value = value


class Bool:
    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value


class Wildcard:
    __slots__ = ()


class Recursive:
    __slots__ = ()


class Union:
    __slots__ = ("lists",)

    def __init__(self, lists: list[ListNode]) -> None:
        self.lists = lists


class Identifier:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# --- Parser -------------------------------------------------------------------------------

def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdigit()


def _unquote(text: str) -> str:
    """strconv.Unquote, also for single-quoted strings."""
    if len(text) < 2 or text[0] != text[-1] or text[0] not in "\"'":
        raise ValueError("invalid syntax")
    body = text[1:-1]
    if "\\" not in body:
        return body
    simple = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
              "\\": "\\", "'": "'", '"': '"'}
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("invalid syntax")
        esc = body[i + 1]
        if esc in simple:
            out.append(simple[esc])
            i += 2
        elif esc in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[esc]
            digits = body[i + 2:i + 2 + size]
            if len(digits) != size or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 16)))
            i += 2 + size
        elif esc in "01234567":
            digits = body[i + 1:i + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits):
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.root = ListNode()

    # Cursor helpers, as in text/template's lexer.
    def next(self) -> str:
        if self.pos >= len(self.input):
            return _EOF
        ch = self.input[self.pos]
        self.pos += 1
        return ch

    def backup(self) -> None:
        self.pos -= 1

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else _EOF

    def consume(self) -> str:
        text = self.input[self.start:self.pos]
        self.start = self.pos
        return text

    def parse(self) -> ListNode:
        while True:
            brace = self.input.find("{", self.pos)
            if brace < 0:
                self.pos = len(self.input)
                if self.pos > self.start:
                    self.root.nodes.append(Text(self.consume()))
                return self.root
            self.pos = brace
            if self.pos > self.start:
                self.root.nodes.append(Text(self.consume()))
            self.pos += 1
            self.consume()
            action = ListNode()
            self.root.nodes.append(action)
            self._inside_action(action)

    def _inside_action(self, cur: ListNode) -> None:
        while True:
            rest = self.input[self.pos:self.pos + 3]
            if rest.startswith("}"):
                self.pos += 1
                self.consume()
                return
            if rest == "[?(":
                self._filter(cur)
                continue
            if rest.startswith(".."):
                self._recursive(cur)
                continue
            ch = self.next()
            if ch == _EOF or ch in "\r\n":
                raise JSONPathError("unclosed action")
            if ch in " @$":
                self.consume()
            elif ch == "[":
                self._array(cur)
            elif ch in "\"'":
                self._quote(cur, ch)
            elif ch == ".":
                self._field(cur)
            elif ch in "+-" or ch.isdigit():
                self.backup()
                self._number(cur)
            elif _is_alnum(ch):
                self.backup()
                self._identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: U+{ord(ch):04X} '{ch}'")

    def _identifier(self, cur: ListNode) -> None:
        while True:
            ch = self.next()
            if ch == _EOF:
                break
            if ch in _TERMINATORS:
                self.backup()
                break
        value = self.consume()
        cur.nodes.append(Bool(value == "true") if value in ("true", "false") else Identifier(value))

    def _recursive(self, cur: ListNode) -> None:
        if cur.nodes and isinstance(cur.nodes[-1], Recursive):
            raise JSONPathError("invalid multiple recursive descent")
        self.pos += 2
        self.consume()
        cur.nodes.append(Recursive())
        ahead = self.peek()
        if ahead and _is_alnum(ahead):
            self._field(cur)

    def _number(self, cur: ListNode) -> None:
        if self.peek() in ("+", "-"):
            self.next()
        while True:
            ch = self.next()
            if ch != "." and not ch.isdigit():
                if ch != _EOF:
                    self.backup()
                break
        value = self.consume()
        try:
            cur.nodes.append(Number(int(value)))
            return
        except ValueError:
            pass
        try:
            cur.nodes.append(Number(float(value)))
        except ValueError:
            raise JSONPathError(f"cannot parse number {value}") from None

    def _array(self, cur: ListNode) -> None:
        while True:
            ch = self.next()
            if ch in (_EOF, "\n"):
                raise JSONPathError("unterminated array")
            if ch == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            cur.nodes.append(Union([_parse_action(f"[{p.strip(' ')}]") for p in parts]))
            return
        key = _DICT_KEY.match(text)
        if key:
            cur.nodes.extend(_parse_action(f".{key.group(1)}").nodes)
            return
        m = _SLICE.match(text)
        if m is None:
            raise JSONPathError(f"invalid array index {text}")
        params = (Param(), Param(), Param())
        for i, raw in enumerate(m.groups()):
            raw = raw or ""
            if raw:
                if i > 0:
                    raw = raw[1:]
                if i > 0 and raw == "":
                    continue
                try:
                    params[i].value, params[i].known = int(raw), True
                except ValueError:
                    raise JSONPathError(f"array index {raw} is not a number") from None
            elif i == 1:
                # `[n]` means the slice [n:n+1].
                params[1].value, params[1].known, params[1].derived = params[0].value + 1, True, True
        cur.nodes.append(Array(params))

    def _filter(self, cur: ListNode) -> None:
        self.pos += 3
        self.consume()
        begin = end = False
        pair = ""
        while True:
            ch = self.next()
            if ch in (_EOF, "\n"):
                raise JSONPathError("unterminated filter")
            if ch in "\"'":
                if not begin:
                    begin, pair = True, ch
                    continue
                if self.input[self.pos - 2] != "\\" and ch == pair:
                    end = True
            elif ch == ")" and begin == end:
                break
        if self.next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self.consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            cur.nodes.append(Filter(_parse_action(text), ListNode(), "exists"))
        else:
            cur.nodes.append(Filter(_parse_action(m.group(1)), _parse_action(m.group(3)), m.group(2)))

    def _quote(self, cur: ListNode, end: str) -> None:
        while True:
            ch = self.next()
            if ch in (_EOF, "\n"):
                raise JSONPathError("unterminated quoted string")
            if ch == end and self.input[self.pos - 2] != "\\":
                break
        value = self.consume()
        try:
            cur.nodes.append(Text(_unquote(value)))
        except ValueError as exc:
            raise JSONPathError(f"unquote string {value} error {exc}") from None

    def _field(self, cur: ListNode) -> None:
        self.consume()
        while self.pos < len(self.input):
            ch = self.input[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch in _TERMINATORS:
                break
            self.pos += 1
        self.pos = min(self.pos, len(self.input))
        value = self.consume()
        cur.nodes.append(Wildcard() if value == "*" else Field(value.replace("\\", "")))


def _parse_action(text: str) -> ListNode:
    """The nodes of one action, as kubectl parses union members and filter operands."""
    return _Parser("{" + text + "}").parse().nodes[0]


def parse(template: str) -> ListNode:
    return _Parser(template).parse()
