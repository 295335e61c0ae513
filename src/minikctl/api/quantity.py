"""Kubernetes resource quantities ("500m", "128Mi", "1.5", "2e3"), parsed and printed
exactly as apimachinery's resource.Quantity does.

Grammar (k8s.io/apimachinery/pkg/api/resource):

    <quantity>        ::= <signedNumber><suffix>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

Values are exact Decimals. Like Kubernetes, non-zero values are rounded up (away from
zero) to the nearest nano unit, and `str()` gives the canonical form the API server
echoes back ("0.5" -> "500m", "1024Mi" -> "1Gi", "2000" -> "2k") while a value that is
already canonical keeps the user's spelling.
"""
from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

SPLIT_RE = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT = f"quantities must match the regular expression '{SPLIT_RE}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_EXP = {v: k for k, v in _BINARY_SUFFIXES.items()}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_DIGITS = set("0123456789")
_NANO = Decimal("1e-9")
_MAX_INT64 = Decimal(2**63 - 1)
# Enough digits for any int64 mantissa times 2**60 or 10**18, with room to spare.
_CTX = decimal.Context(prec=120, rounding=decimal.ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: its exact value, its format and (when canonical) its spelling.

    `Quantity()` is zero. Sums (`a + b`, resource.Quantity.Add) keep the format of their
    first non-zero term and print canonically, so totals read as kubectl's do.
    """

    value: Decimal = Decimal(0)
    format: str = DECIMAL_SI
    spelling: str = ""

    def __str__(self) -> str:
        return self.spelling or canonical(self.value, self.format)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.format if self.value else other.format)

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= other.value

    @property
    def milli_value(self) -> int:
        """ceil(value * 1000), as Quantity.MilliValue()."""
        return int((self.value * 1000).to_integral_value(rounding=decimal.ROUND_CEILING))

    @property
    def int_value(self) -> int:
        """ceil(value), as Quantity.Value()."""
        return int(self.value.to_integral_value(rounding=decimal.ROUND_CEILING))


def parse(value: object) -> Decimal:
    """The exact value of a quantity; ValueError with Kubernetes' message if malformed."""
    return parse_quantity(value).value


def parse_quantity(value: object) -> Quantity:
    """Parse a quantity string (or a YAML number, which Kubernetes accepts too)."""
    text = _as_text(value)
    if text == "":
        raise ValueError(ERR_FORMAT)
    if text == "0":
        return Quantity(Decimal(0), DECIMAL_SI, "0")
    negative, number, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)
    amount = _amount(number, base, exponent)
    spelling = text if _is_canonical_spelling(fmt, exponent, num, denom, base) else ""
    amount = _round_up_to_nano(abs(amount))
    if fmt == BINARY_SI and amount > _MAX_INT64:
        amount, spelling = _MAX_INT64, ""
    if fmt == BINARY_SI and 0 < amount < 1:
        fmt = DECIMAL_SI  # as Kubernetes: avoids rounding a fraction of a byte
    if negative:
        amount = -amount
    return Quantity(amount, fmt, spelling)


def _as_text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError(ERR_FORMAT)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace("e+", "e")  # JSON numbers reach Go as their literal text
    if isinstance(value, Decimal):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(ERR_FORMAT)
    return value.strip()  # UnmarshalJSON trims surrounding whitespace


def _scan(s: str) -> tuple[bool, str, str, str, str]:
    """parseQuantityString: (negative, number text, numerator, denominator, suffix)."""
    pos, end = 0, len(s)
    negative = s[0] == "-"
    if s[0] in "+-":
        pos += 1
    while pos < end and s[pos] == "0":  # leading zeros
        pos += 1
    if pos >= end:
        return negative, "0", "0", "", ""
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    denom = ""
    if pos < end and s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[start:pos]
    number = s[:pos]
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(ERR_FORMAT)
    return negative, number, num, denom, s[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        try:
            return 10, int(suffix[1:], 10), DECIMAL_EXPONENT
        except ValueError:
            pass
    raise ValueError(ERR_SUFFIX)


def _amount(number: str, base: int, exponent: int) -> Decimal:
    digits = number.lstrip("+-")
    if digits in ("", "."):
        digits = "0"
    try:
        amount = Decimal(digits if not digits.endswith(".") else digits[:-1] or "0")
    except decimal.InvalidOperation:
        raise ValueError(ERR_NUMERIC) from None
    scale = Decimal(base) ** exponent if base == 2 else Decimal(10) ** exponent
    return _CTX.multiply(amount, scale)


def _is_canonical_spelling(fmt: str, exponent: int, num: str, denom: str, base: int) -> bool:
    """ParseQuantity keeps the user's string when it is already in canonical form."""
    shifted = num + denom
    if fmt == BINARY_SI:
        precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        return not denom and precision >= 0 and exponent % 10 == 0 and int(shifted) & 0x07 != 0
    scale = exponent - len(denom)
    return (scale >= -9 and scale % 3 == 0 and not shifted.endswith("000")
            and shifted[0] != "0" and len(shifted) <= 18)


def _round_up_to_nano(amount: Decimal) -> Decimal:
    if amount == 0:
        return Decimal(0)
    return amount.quantize(_NANO, rounding=decimal.ROUND_UP, context=_CTX).normalize(_CTX)


def canonical(value: Decimal, fmt: str = DECIMAL_SI) -> str:
    """Quantity.String() for an exact value in the given format."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value != value.to_integral_value():
            fmt = DECIMAL_SI  # small or fractional byte counts print in decimal
        else:
            return _canonical_binary(int(value))
    mantissa, exponent = _canonical_decimal(value)
    if fmt == DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    if exponent in _DECIMAL_BY_EXP:
        return f"{mantissa}{_DECIMAL_BY_EXP[exponent]}"
    return f"{mantissa}e{exponent}"  # beyond "E": only reachable with absurd values


def _canonical_binary(value: int) -> str:
    exponent = 0
    while value % 1024 == 0 and exponent < 60 and value != 0:
        value //= 1024
        exponent += 10
    return f"{value}{_BINARY_BY_EXP.get(exponent, '')}"


def _canonical_decimal(value: Decimal) -> tuple[int, int]:
    """(mantissa, exponent) with all factors of ten removed, then the exponent lowered to
    a multiple of three (AsCanonicalBytes)."""
    sign, digits, exponent = value.normalize(_CTX).as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    exponent = int(exponent)
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    return (-mantissa if sign else mantissa), exponent


# --- printers ---------------------------------------------------------------------------

def format_cpu(value: object) -> str:
    """CPU as kubectl shows it: whole cores when exact ("2"), millicores otherwise ("250m")."""
    q = value if isinstance(value, Quantity) else parse_quantity(value)
    milli = q.milli_value
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def format_memory(value: object) -> str:
    """Bytes in the largest binary unit that divides them ("128Mi"), else plain bytes."""
    q = value if isinstance(value, Quantity) else parse_quantity(value)
    number = q.int_value
    if number == 0:
        return "0"
    return _canonical_binary(number) if abs(number) >= 1024 else str(number)


def format_quantity(value: object) -> str:
    """A quantity as kubectl describe prints it: its canonical form ("0.5" -> "500m");
    a value that does not parse prints as is."""
    try:
        return str(parse_quantity(value))
    except ValueError:
        return str(value)


def add(*values: object) -> Decimal:
    """Sum of quantities (for requests/limits totals in printers and the scheduler)."""
    return sum((parse(v) for v in values), Decimal(0))
