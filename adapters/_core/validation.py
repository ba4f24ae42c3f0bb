"""Client-side checks: a request that breaks a documented constraint never leaves the machine.

Each check names the field, says what is wrong with the value, and returns the normalised value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from balance_gateway.adapters._core.errors import RequestValidationError

E = TypeVar("E", bound=str)

_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_INTEGER_TEXT = re.compile(r"^-?\d+$")


def check_int(
    field: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """An integer (not a bool, not a float, not a numeric string), within bounds if given."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestValidationError(
            field, f"must be an integer, got {type(value).__name__} {value!r}"
        )
    if minimum is not None and value < minimum:
        raise RequestValidationError(field, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise RequestValidationError(field, f"must be at most {maximum}, got {value}")
    return value


def check_integer_id(field: str, value: object) -> int:
    """An integer id: an int, or the decimal text of one (ids read back are often strings)."""
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    if isinstance(value, str):
        raise RequestValidationError(field, f"must be an integer, got {value!r}")
    return check_int(field, value)


def check_choice(field: str, value: object, allowed: Collection[str]) -> str:
    """One of the documented values."""
    text = getattr(value, "value", value)  # accept StrEnum members
    if not isinstance(text, str) or text not in allowed:
        choices = ", ".join(sorted(allowed))
        raise RequestValidationError(field, f"must be one of {choices}, got {value!r}")
    return text


def check_date(field: str, value: object) -> date:
    """A real calendar date, as `datetime.date` or an ISO `YYYY-MM-DD` string."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RequestValidationError(field, f"must be a real calendar date (YYYY-MM-DD), got {value!r}")


def check_number(field: str, value: object) -> Decimal:
    """A finite number, as Decimal (floats converted through their shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise RequestValidationError(field, f"must be a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise RequestValidationError(field, f"must be a finite number, got {value!r}")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise RequestValidationError(field, f"must be a number, got {value!r}") from None
    if not number.is_finite():
        raise RequestValidationError(field, f"must be a finite number, got {value!r}")
    return number


def check_json_number(field: str, value: Decimal, *, whole_as_int: bool = True) -> Decimal:
    """`value`, if the JSON number it travels as carries it exactly.

    A fraction travels as a double, so its shortest repr has to give `value` back. A whole
    number travels as a JSON integer, exact at any size, unless `whole_as_int` is False (for a
    vendor that sends every number as a float, where whole numbers must fit a double too).
    """
    if whole_as_int and value == value.to_integral_value():
        return value
    if Decimal(repr(float(value))) != value:
        raise RequestValidationError(
            field, f"{value} has more digits than a JSON number carries exactly; round it"
        )
    return value


def check_whole(field: str, value: Decimal) -> int:
    """A number with no fractional part, as int."""
    if value != value.to_integral_value():
        raise RequestValidationError(field, f"must be a whole number, got {value}")
    return int(value)


def check_pattern(field: str, value: object, pattern: re.Pattern[str], description: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise RequestValidationError(field, f"must be {description}, got {value!r}")
    return value


def check_object_id(field: str, value: object) -> str:
    """A MongoDB ObjectId: 24 hexadecimal characters."""
    return check_pattern(field, value, _OBJECT_ID, "a MongoDB ObjectId (24 hex characters)")


def check_uuid(field: str, value: object) -> str:
    """A UUID in its 8-4-4-4-12 hexadecimal form."""
    return check_pattern(field, value, _UUID, "a UUID (8-4-4-4-12 hex digits)")


def check_hex32(field: str, value: object) -> str:
    """A 32-character hexadecimal id."""
    return check_pattern(field, value, _HEX32, "a 32-character hexadecimal id")


def check_max_length(field: str, value: object, maximum: int) -> str:
    if not isinstance(value, str):
        raise RequestValidationError(field, f"must be a string, got {type(value).__name__}")
    if len(value) > maximum:
        raise RequestValidationError(
            field, f"must be at most {maximum} characters, got {len(value)}"
        )
    return value


def check_date_range(
    start_field: str, start: date, end: date, *, max_days: int | None = None
) -> None:
    """`start` <= `end`, and the window (inclusive) no longer than `max_days` if given."""
    if start > end:
        raise RequestValidationError(start_field, f"start {start} is after end {end}")
    if max_days is not None and (end - start).days + 1 > max_days:
        raise RequestValidationError(
            start_field, f"window {start}..{end} spans more than {max_days} days; split it"
        )
