"""How Go renders values that kubectl prints: labels, selectors, `%v`, JSON.

kubectl is written in Go, so its output carries Go's formatting: `map[app:web]` for a
map printed with `%v`, `1e+06` for a float, `\\u003c` for `<` in JSON. These helpers
reproduce that so minikctl's output can be compared with kubectl's byte for byte.
"""
from __future__ import annotations

import math
from typing import Any

NONE = "<none>"


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: `app=web,tier=fe` sorted by key, `<none>` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: dict | None) -> str:
    """metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, f"{key} {op} ({values})")
        reqs.append((key, text))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: like selector_string, but `<none>` when empty."""
    return selector_string(selector) or NONE


def go_float(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64), which `%v` uses for float64."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, exp = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    # With the shortest precision Go switches to exponent form outside 1e-4 <= |v| < 1e6.
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[:exp + 1]}.{digits[exp + 1:]}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest round-tripping digits of |value| and its decimal exponent."""
    text = repr(abs(value))
    mantissa, _, exponent = text.partition("e")
    exp = int(exponent) if exponent else 0
    whole, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = (whole + frac).lstrip("0")
    lead = len(whole) if whole != "0" else -(len(frac) - len(frac.lstrip("0")))
    exp += lead - 1
    return digits.rstrip("0") or "0", exp


def go_sprint(value: Any) -> str:
    """fmt.Sprint of a decoded JSON value: `map[k:v]`, `[a b]`, `<nil>`, `true`."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    return str(value)


def _html_escape(text: str) -> str:
    # Go's encoding/json escapes these by default (json.Marshal's HTML-safe output).
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return text


def json_compact(value: Any) -> str:
    """json.Marshal: sorted keys, no spaces, HTML characters escaped."""
    import json

    return _html_escape(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def json_indent(value: Any) -> str:
    """json.MarshalIndent(v, "", "    ") without the trailing newline."""
    import json

    return _html_escape(json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False))


def go_type_name(value: Any) -> str:
    """The Go type a decoded JSON value has in kubectl, for error messages."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return "interface {}"
