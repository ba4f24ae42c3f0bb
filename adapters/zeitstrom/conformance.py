"""Zeitstrom's case for the adapter conformance suite (see `adapters/_emulator/conformance.py`)."""

from datetime import date
from decimal import Decimal

from balance_gateway.adapters._emulator.conformance import ConformanceCase
from balance_gateway.adapters.zeitstrom.emulator import JONAS

CASE = ConformanceCase(
    vendor="zeitstrom",
    credentials=lambda token: {"token": token},
    employee=JONAS,
    leave_type="holiday",
    as_of=date(2025, 12, 1),
    # Above the sample's balance: a credit (a ledger target only ever credits, or lowers its
    # own earlier credits).
    write_value=Decimal(40),
)
