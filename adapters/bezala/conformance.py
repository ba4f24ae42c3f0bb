"""Bezala's case for the adapter conformance suite (see `adapters/_emulator/conformance.py`)."""

from datetime import date
from decimal import Decimal

from balance_gateway.adapters._emulator.conformance import ConformanceCase

CASE = ConformanceCase(
    vendor="bezala",
    credentials=lambda token: {"token": token},
    # The sample's user 819 has a vacation import dated 2025-03-31; the static token acts as
    # user 42, whose imports are ours (option creator_id).
    employee="819",
    leave_type="vacation",
    as_of=date(2025, 3, 31),
    write_value=Decimal("7.5"),
    options={"creator_id": "42"},
)
