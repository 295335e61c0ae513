"""Resource quantities for describe: sums and percentages over minikctl.api.quantity.

apimachinery's Quantity prints canonically (`0.5` -> `500m`, `1024Mi` -> `1Gi`), and a
sum keeps the format of its first non-zero term, so node totals read as kubectl's do.
Parsing and canonical spelling live in the api package; this adds the arithmetic.
"""
from __future__ import annotations

import math
from decimal import Decimal

from minikctl.api import quantity as api_quantity


class Quantity:
    """An exact amount and the format (BinarySI, DecimalSI, DecimalExponent) to print it in."""

    __slots__ = ("value", "format")

    def __init__(self, value: Decimal = Decimal(0), fmt: str = api_quantity.DECIMAL_SI) -> None:
        self.value = value
        self.format = fmt

    @classmethod
    def parse(cls, text: object) -> Quantity:
        parsed = api_quantity.parse_quantity(text)  # ValueError with Kubernetes' message
        return cls(parsed.value, parsed.format)

    def __add__(self, other: Quantity) -> Quantity:
        # resource.Quantity.Add: a zero quantity takes the other's format.
        fmt = self.format if self.value else other.format
        return Quantity(self.value + other.value, fmt)

    def milli_value(self) -> int:
        return math.ceil(self.value * 1000)

    def int_value(self) -> int:
        return math.ceil(self.value)

    def __str__(self) -> str:
        return api_quantity.canonical(self.value, self.format)


def canonical(text: object) -> str:
    """The canonical form of a quantity string; text that does not parse prints as is."""
    try:
        return str(api_quantity.parse_quantity(text))
    except ValueError:
        return str(text)
