"""Kenjo's case for the adapter conformance suite (see `adapters/_emulator/conformance.py`)."""

from datetime import date
from decimal import Decimal

from balance_gateway.adapters._emulator.conformance import ConformanceCase
from balance_gateway.adapters.kenjo.emulator import EMPLOYEE_TAKEN_ID, VACATION_TYPE_ID

CASE = ConformanceCase(
    vendor="kenjo",
    credentials=lambda token: {"api_key": token},
    employee=EMPLOYEE_TAKEN_ID,
    leave_type=VACATION_TYPE_ID,
    as_of=date(2025, 3, 31),
    write_value=Decimal(10),
)
