"""Field types for emulator state models: what a state must hold for every route to render it.

A state loaded through the admin API (or a state file) is validated by the vendor's pydantic
model; a value the model lets in must never make a vendor route fail later (a 500).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator


def _has_utc_time(value: datetime) -> datetime:
    # 0001-01-01T00:00+01:00 is a valid datetime whose UTC time is before year 1: rendering it
    # in UTC (as every vendor does) would raise OverflowError.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"{value.isoformat()} has no UTC time (years 1..9999)") from None
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_has_utc_time)]
"""A datetime that can be rendered in UTC (naive ones are taken as UTC)."""


def exceeds(value: Decimal, limit: Decimal) -> bool:
    """Whether |`value`| > `limit`, for any finite Decimal: `abs()` and comparisons round to
    the context and overflow on an exponent past it (`1e1000000`), which was a 500."""
    if not value.is_finite():
        return True
    if value.is_zero():
        return False
    # The order of magnitude first: never arithmetic on a value that may overflow.
    if value.adjusted() > limit.adjusted() + 1:
        return True
    if value.adjusted() < limit.adjusted() - 1:
        return False
    return value.copy_abs().compare(limit) > 0
