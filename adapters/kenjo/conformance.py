"""Kenjo's case for the adapter conformance suite and the stress tests (see
`adapters/_emulator/conformance.py`)."""

from datetime import date
from decimal import Decimal

from balance_gateway.adapters._emulator.conformance import (
    CampaignFacts,
    ConformanceCase,
    SecretFacts,
)
from balance_gateway.adapters.kenjo.emulator import EMPLOYEE_TAKEN_ID, VACATION_TYPE_ID

# The demo's generated time-off types (`gateway/demo.py`): vacation in days, sick in hours.
DEMO_VACATION = "64b000000000000000000a01"
DEMO_SICK = "64b000000000000000000a02"


CASE = ConformanceCase(
    vendor="kenjo",
    credentials=lambda token: {"api_key": token},
    employee=EMPLOYEE_TAKEN_ID,
    leave_type=VACATION_TYPE_ID,
    as_of=date(2025, 3, 31),
    write_value=Decimal(10),
    campaign=CampaignFacts(
        target_types=(DEMO_VACATION, DEMO_SICK),
        steps=("0.01", "0.5"),
        pair_target_type=DEMO_SICK,  # hours (write-only)
    ),
    secrets=SecretFacts(
        logs_in=True,  # the API key, for a session token
        login_paths=("/api/v1/auth/login",),
    ),
)
