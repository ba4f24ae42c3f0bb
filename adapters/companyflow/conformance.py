"""CompanyFlow's case for the adapter conformance suite and the stress tests (see
`adapters/_emulator/conformance.py`): read-only."""

import copy
from datetime import date
from decimal import Decimal
from random import Random

from balance_gateway.adapters._emulator.conformance import (
    CampaignFacts,
    ConformanceCase,
    SecretFacts,
    VendorState,
)
from balance_gateway.adapters.companyflow.emulator import ANNUAL_LEAVE_ID, SEED_EMPLOYEE_ID

# The demo's generated leave types (`gateway/demo.py`).
ANNUAL = "0c0ffee0-0000-4000-8000-0000000000a1"
SICK = "0c0ffee0-0000-4000-8000-0000000000b1"


def change_source(state: VendorState, types: set[str], rng: Random, today: date) -> VendorState:
    """Some of `types`' used days moved by up to 2 days (kept within 0-8), as people do."""
    changed = copy.deepcopy(state)
    for record in changed["balances"]:
        if record["leave_type_id"] in types and rng.random() < 0.7:
            used = Decimal(str(record["used_days"])) + Decimal(rng.randint(-4, 4)) / 2
            record["used_days"] = str(min(max(used, Decimal(0)), Decimal(8)))
    return changed


CASE = ConformanceCase(
    vendor="companyflow",
    # A manager reads every employee; the emulator's credential is every sample user's password.
    credentials=lambda token: {"email": "maria.manager@example.com", "password": token},
    employee=SEED_EMPLOYEE_ID,
    leave_type=ANNUAL_LEAVE_ID,
    as_of=date(2025, 6, 1),
    campaign=CampaignFacts(
        source_types=(ANNUAL, SICK),
        pair_source_type=ANNUAL,  # days
        change_source=change_source,
    ),
    secrets=SecretFacts(
        logs_in=True,
        login_paths=("/auth/login",),
    ),
)
