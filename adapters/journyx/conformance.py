"""Journyx's case for the adapter conformance suite (see `adapters/_emulator/conformance.py`)."""

from datetime import date
from decimal import Decimal

from balance_gateway.adapters._emulator.conformance import ConformanceCase
from balance_gateway.adapters.journyx.emulator import SAMPLE_USERNAME, SEED_USER_ID

CASE = ConformanceCase(
    vendor="journyx",
    credentials=lambda token: {"username": SAMPLE_USERNAME, "api_key": token},
    employee=SEED_USER_ID,
    leave_type="Vacation",
    as_of=date(2025, 6, 1),
    write_value=Decimal("32.5"),
)
