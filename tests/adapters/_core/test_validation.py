"""Client-side checks: a broken constraint fails before any request, naming the field."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_gateway.adapters._core.errors import RequestValidationError
from balance_gateway.adapters._core.validation import (
    check_choice,
    check_date,
    check_date_range,
    check_hex32,
    check_int,
    check_integer_id,
    check_json_number,
    check_max_length,
    check_number,
    check_object_id,
    check_pattern,
    check_uuid,
    check_whole,
)


def rejected(field: str) -> AbstractContextManager[pytest.ExceptionInfo[RequestValidationError]]:
    """Expect a RequestValidationError whose message starts with the field's name."""
    return pytest.raises(RequestValidationError, match=rf"^{re.escape(field)}: ")


# -- integers -------------------------------------------------------------------------------


def test_check_int_accepts_integers_within_bounds() -> None:
    assert check_int("limit", 1, minimum=1, maximum=100) == 1
    assert check_int("limit", 100, minimum=1, maximum=100) == 100
    assert check_int("offset", -5) == -5


@pytest.mark.parametrize("value", [True, False, 1.0, "3", None, Decimal(3)])
def test_check_int_rejects_what_is_not_an_int(value: object) -> None:
    with rejected("limit") as caught:
        check_int("limit", value)
    assert caught.value.field == "limit"
    assert "must be an integer" in str(caught.value)


def test_check_int_names_the_broken_bound() -> None:
    with rejected("limit") as low:
        check_int("limit", 0, minimum=1)
    assert str(low.value) == "limit: must be at least 1, got 0"
    with rejected("limit") as high:
        check_int("limit", 101, maximum=100)
    assert str(high.value) == "limit: must be at most 100, got 101"


@given(
    value=st.integers(), low=st.integers(-1000, 1000), span=st.integers(min_value=0, max_value=50)
)
def test_check_int_accepts_exactly_the_bounded_range(value: int, low: int, span: int) -> None:
    high = low + span
    if low <= value <= high:
        assert check_int("n", value, minimum=low, maximum=high) == value
    else:
        with pytest.raises(RequestValidationError):
            check_int("n", value, minimum=low, maximum=high)


@pytest.mark.parametrize(
    ("value", "expected"), [(819, 819), ("819", 819), ("-3", -3), ("007", 7), (0, 0)]
)
def test_check_integer_id_accepts_an_int_or_its_decimal_text(value: object, expected: int) -> None:
    assert check_integer_id("user_id", value) == expected


@pytest.mark.parametrize("value", ["", "8a", "8.0", " 8", "+8", "8\n"])
def test_check_integer_id_rejects_other_text_naming_the_field(value: str) -> None:
    with rejected("user_id") as caught:
        check_integer_id("user_id", value)
    assert caught.value.field == "user_id"
    assert str(caught.value) == f"user_id: must be an integer, got {value!r}"


@pytest.mark.parametrize("value", [True, 8.0, None, Decimal(8), b"8"])
def test_check_integer_id_rejects_what_is_neither_int_nor_text(value: object) -> None:
    with rejected("id") as caught:
        check_integer_id("id", value)
    assert "must be an integer" in str(caught.value)


# -- choices --------------------------------------------------------------------------------


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def test_check_choice_accepts_documented_values_and_enum_members() -> None:
    assert check_choice("status", "open", {"open", "closed"}) == "open"
    assert check_choice("status", Status.CLOSED, {"open", "closed"}) == "closed"


@pytest.mark.parametrize("value", ["OPEN", "pending", "", None, 1])
def test_check_choice_rejects_others_and_lists_the_choices(value: object) -> None:
    with rejected("status") as caught:
        check_choice("status", value, {"open", "closed"})
    assert "must be one of closed, open" in str(caught.value)


# -- dates ----------------------------------------------------------------------------------


def test_check_date_accepts_dates_and_iso_strings() -> None:
    assert check_date("from", "2024-02-29") == date(2024, 2, 29)
    assert check_date("from", date(2025, 1, 31)) == date(2025, 1, 31)


@pytest.mark.parametrize(
    "value",
    ["2025-02-30", "2025-02-29", "2025-13-01", "2025-00-10", "2025-1-5", "20250105", "", None, 5],
)
def test_check_date_rejects_what_is_not_a_real_calendar_date(value: object) -> None:
    with rejected("from") as caught:
        check_date("from", value)
    assert "real calendar date" in str(caught.value)
    assert repr(value) in str(caught.value)


def test_check_date_rejects_iso_forms_other_than_a_plain_date() -> None:
    # `date.fromisoformat` alone would take these in Python 3.11.
    for value in ("20250105", "2025-W01-1", "2025-01-05T00:00:00"):
        with rejected("until"):
            check_date("until", value)


def test_check_date_range_orders_and_bounds_the_window() -> None:
    jan1, jan31, feb1 = date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 1)
    check_date_range("from", jan1, jan1, max_days=1)
    check_date_range("from", jan1, jan31, max_days=31)  # inclusive: 31 days
    check_date_range("from", jan1, feb1)  # no ceiling

    with rejected("from") as too_long:
        check_date_range("from", jan1, feb1, max_days=31)
    assert "more than 31 days" in str(too_long.value)

    with rejected("from") as reversed_window:
        check_date_range("from", feb1, jan1)
    assert "after end" in str(reversed_window.value)


# -- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Decimal(1)),
        (0.1, Decimal("0.1")),  # the float's shortest repr, not its binary expansion
        (2.5, Decimal("2.5")),
        ("7.25", Decimal("7.25")),
        (Decimal("-3.5"), Decimal("-3.5")),
    ],
)
def test_check_number_returns_a_decimal(value: object, expected: Decimal) -> None:
    result = check_number("amount", value)
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        "NaN",
        "Infinity",
        "-inf",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
    ],
)
def test_check_number_rejects_non_finite_values(value: object) -> None:
    with rejected("amount") as caught:
        check_number("amount", value)
    assert "finite" in str(caught.value)


@pytest.mark.parametrize("value", [True, False, None, [1], "ten", "1,5", ""])
def test_check_number_rejects_what_is_not_a_number(value: object) -> None:
    with rejected("amount") as caught:
        check_number("amount", value)
    assert "must be a number" in str(caught.value)


def test_check_whole() -> None:
    assert check_whole("days", Decimal("3.000")) == 3
    with rejected("days") as caught:
        check_whole("days", Decimal("3.5"))
    assert str(caught.value) == "days: must be a whole number, got 3.5"


@pytest.mark.parametrize("value", ["0.1", "7.25", "-1.5", "3", "12345678901234567891"])
def test_check_json_number_keeps_what_a_json_number_carries(value: str) -> None:
    assert check_json_number("value", Decimal(value)) == Decimal(value)


def test_check_json_number_refuses_fractions_a_double_cannot_hold() -> None:
    too_fine = "0.10000000000000000001"
    with rejected("value") as caught:
        check_json_number("value", Decimal(too_fine))
    assert str(caught.value) == (
        f"value: {too_fine} has more digits than a JSON number carries exactly; round it"
    )


def test_check_json_number_holds_whole_numbers_to_a_double_when_they_travel_as_floats() -> None:
    big = Decimal("12345678901234567891")  # beyond 2**53: a JSON integer, not a double
    assert check_json_number("amount", big) == big
    with rejected("amount"):
        check_json_number("amount", big, whole_as_int=False)
    assert check_json_number("amount", Decimal("5"), whole_as_int=False) == Decimal("5")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_check_number_round_trips_every_finite_float(value: float) -> None:
    assert float(check_number("amount", value)) == value


# -- identifiers and strings ----------------------------------------------------------------


def test_check_object_id() -> None:
    assert check_object_id("employee_id", "5f1a2b3c4d5e6f7a8b9c0d1e") == "5f1a2b3c4d5e6f7a8b9c0d1e"
    for bad in ("5f1a2b3c4d5e6f7a8b9c0d1", "5f1a2b3c4d5e6f7a8b9c0d1eX", "zz" * 12, 12, None):
        with rejected("employee_id") as caught:
            check_object_id("employee_id", bad)
        assert "MongoDB ObjectId" in str(caught.value)


def test_check_uuid() -> None:
    good = "123e4567-e89b-12d3-a456-426614174000"
    assert check_uuid("user_id", good) == good
    assert check_uuid("user_id", good.upper()) == good.upper()
    for bad in (good.replace("-", ""), "{" + good + "}", good + "\n", good[:-1] + "g", None):
        with rejected("user_id"):
            check_uuid("user_id", bad)


def test_check_hex32() -> None:
    good = "0123456789abcdef0123456789ABCDEF"
    assert check_hex32("id", good) == good
    for bad in (good[:-1], good + "0", good[:-1] + "x", 0):
        with rejected("id") as caught:
            check_hex32("id", bad)
        assert "32-character hexadecimal" in str(caught.value)


def test_check_pattern_uses_the_description() -> None:
    with rejected("code") as caught:
        check_pattern("code", "abc", re.compile(r"[A-Z]{3}"), "three capital letters")
    assert str(caught.value) == "code: must be three capital letters, got 'abc'"


def test_check_max_length() -> None:
    assert check_max_length("description", "x" * 255, 255) == "x" * 255
    assert check_max_length("description", "", 255) == ""
    with rejected("description") as caught:
        check_max_length("description", "x" * 256, 255)
    assert str(caught.value) == "description: must be at most 255 characters, got 256"
    with rejected("description"):
        check_max_length("description", 42, 255)
