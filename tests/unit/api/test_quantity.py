"""Resource quantities (minikctl.api.quantity) against apimachinery's resource.Quantity."""
from __future__ import annotations

from decimal import Decimal

import pytest

from minikctl.api import quantity
from minikctl.api.quantity import BINARY_SI, DECIMAL_EXPONENT, DECIMAL_SI, ERR_FORMAT, ERR_SUFFIX

REGEX_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


@pytest.mark.parametrize(("text", "value"), [
    pytest.param("500m", Decimal("0.5"), id="milli"),
    pytest.param("128Mi", Decimal(128 * 2**20), id="mebi"),
    pytest.param("1.5", Decimal("1.5"), id="fraction"),
    pytest.param("2e3", Decimal(2000), id="exponent"),
    pytest.param("2E3", Decimal(2000), id="exponent-upper"),
    pytest.param("1e-3", Decimal("0.001"), id="negative-exponent"),
    pytest.param("1Gi", Decimal(2**30), id="gibi"),
    pytest.param("100k", Decimal(100_000), id="kilo"),
    pytest.param("1Ki", Decimal(1024), id="kibi"),
    pytest.param("3Ti", Decimal(3 * 2**40), id="tebi"),
    pytest.param("1Pi", Decimal(2**50), id="pebi"),
    pytest.param("1Ei", Decimal(2**60), id="exbi"),
    pytest.param("5n", Decimal("5e-9"), id="nano"),
    pytest.param("7u", Decimal("7e-6"), id="micro"),
    pytest.param("3M", Decimal(3_000_000), id="mega"),
    pytest.param("2G", Decimal(2 * 10**9), id="giga"),
    pytest.param("1T", Decimal(10**12), id="tera"),
    pytest.param("1P", Decimal(10**15), id="peta"),
    pytest.param("1E", Decimal(10**18), id="exa-is-a-suffix-not-an-exponent"),
    pytest.param("-1", Decimal(-1), id="negative"),
    pytest.param("+5", Decimal(5), id="explicit-plus"),
    pytest.param("0", Decimal(0), id="zero"),
    pytest.param("000", Decimal(0), id="zeros"),
    pytest.param(".5", Decimal("0.5"), id="leading-dot"),
    pytest.param("1.", Decimal(1), id="trailing-dot"),
    pytest.param("0.0000000001", Decimal("1e-9"), id="rounded-up-to-nano"),
    pytest.param("-0.0000000001", Decimal("-1e-9"), id="negative-rounds-away-from-zero"),
    pytest.param(" 250m ", Decimal("0.25"), id="surrounding-spaces-trimmed"),
    pytest.param(2, Decimal(2), id="yaml-int"),
    pytest.param(0.5, Decimal("0.5"), id="yaml-float"),
])
def test_parse_values(text: object, value: Decimal) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("", ERR_FORMAT, id="empty"),
    pytest.param("2x", ERR_FORMAT, id="unknown-character"),
    pytest.param("1.2.3", ERR_FORMAT, id="two-dots"),
    pytest.param("abc", ERR_FORMAT, id="letters-only"),
    pytest.param("1 Gi", ERR_FORMAT, id="inner-space"),
    pytest.param("1e3x", ERR_FORMAT, id="garbage-after-exponent"),
    pytest.param("2ki", ERR_SUFFIX, id="lowercase-kibi"),
    pytest.param("1e", ERR_SUFFIX, id="bare-e"),
    pytest.param("1mi", ERR_SUFFIX, id="lowercase-mebi"),
    pytest.param("1KiB", ERR_FORMAT, id="byte-unit"),
    pytest.param(None, ERR_FORMAT, id="null"),
    pytest.param(True, ERR_FORMAT, id="boolean"),
])
def test_parse_errors(text: object, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        quantity.parse(text)
    assert str(exc.value) == message


def test_format_error_is_kubernetes_wording() -> None:
    assert ERR_FORMAT == REGEX_MESSAGE
    assert ERR_SUFFIX == "unable to parse quantity's suffix"


@pytest.mark.parametrize(("text", "canonical", "fmt"), [
    pytest.param("500m", "500m", DECIMAL_SI, id="already-canonical"),
    pytest.param("0.5", "500m", DECIMAL_SI, id="fraction-to-milli"),
    pytest.param("1.5", "1500m", DECIMAL_SI, id="fraction-to-milli-2"),
    pytest.param("1000m", "1", DECIMAL_SI, id="milli-to-unit"),
    pytest.param("2000", "2k", DECIMAL_SI, id="thousands-to-kilo"),
    pytest.param("1500", "1500", DECIMAL_SI, id="not-a-multiple"),
    pytest.param("1024Mi", "1Gi", BINARY_SI, id="binary-promoted"),
    pytest.param("1536Mi", "1536Mi", BINARY_SI, id="binary-kept"),
    pytest.param("1.5Gi", "1536Mi", BINARY_SI, id="binary-fraction"),
    pytest.param("0.5Gi", "512Mi", BINARY_SI, id="binary-half"),
    pytest.param("1.5Ki", "1536", BINARY_SI, id="binary-small-prints-decimal"),
    pytest.param("2e3", "2e3", DECIMAL_EXPONENT, id="exponent-kept"),
    pytest.param("1e-3", "1e-3", DECIMAL_EXPONENT, id="negative-exponent-kept"),
    pytest.param("0.0000000001", "1n", DECIMAL_SI, id="nano"),
    pytest.param("0", "0", DECIMAL_SI, id="zero"),
    pytest.param("-1", "-1", DECIMAL_SI, id="negative"),
])
def test_canonical_form(text: str, canonical: str, fmt: str) -> None:
    q = quantity.parse_quantity(text)
    assert str(q) == canonical
    assert q.format == fmt


def test_binary_values_are_capped_at_int64() -> None:
    assert quantity.parse("8Ei") == Decimal(2**63 - 1)


def test_binary_fraction_below_one_becomes_decimal() -> None:
    q = quantity.parse_quantity("0.0001Ki")
    assert q.format == DECIMAL_SI
    assert str(q) == "102400u"


def test_milli_value_rounds_up() -> None:
    assert quantity.parse_quantity("1.0001m").milli_value == 2
    assert quantity.parse_quantity("250m").milli_value == 250


def test_comparisons_use_values_not_spelling() -> None:
    assert quantity.parse_quantity("1Gi") <= quantity.parse_quantity("1024Mi")
    assert quantity.parse_quantity("999m") < quantity.parse_quantity("1")


@pytest.mark.parametrize(("value", "shown"), [
    pytest.param("250m", "250m", id="millicores"),
    pytest.param("0.25", "250m", id="fraction"),
    pytest.param("2", "2", id="cores"),
    pytest.param("1500m", "1500m", id="not-whole"),
    pytest.param("2000m", "2", id="whole-millicores"),
])
def test_format_cpu(value: str, shown: str) -> None:
    assert quantity.format_cpu(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    pytest.param("134217728", "128Mi", id="bytes-to-mebi"),
    pytest.param("1Gi", "1Gi", id="gibi"),
    pytest.param("1G", "1000000000", id="decimal-bytes"),
    pytest.param("512", "512", id="small"),
    pytest.param("0", "0", id="zero"),
])
def test_format_memory(value: str, shown: str) -> None:
    assert quantity.format_memory(value) == shown


def test_add() -> None:
    assert quantity.add("500m", "0.5", 1) == Decimal(2)
