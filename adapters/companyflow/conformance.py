"""CompanyFlow's case for the adapter conformance suite (see
`adapters/_emulator/conformance.py`): read-only."""

from datetime import date

from balance_gateway.adapters._emulator.conformance import ConformanceCase
from balance_gateway.adapters.companyflow.emulator import ANNUAL_LEAVE_ID, SEED_EMPLOYEE_ID

CASE = ConformanceCase(
    vendor="companyflow",
    # A manager reads every employee; the emulator's credential is every sample user's password.
    credentials=lambda token: {"email": "maria.manager@example.com", "password": token},
    employee=SEED_EMPLOYEE_ID,
    leave_type=ANNUAL_LEAVE_ID,
    as_of=date(2025, 6, 1),
)
