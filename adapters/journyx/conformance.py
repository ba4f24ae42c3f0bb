"""Journyx's case for the adapter conformance suite and the stress tests (see
`adapters/_emulator/conformance.py`)."""

import base64
import copy
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from random import Random

from balance_gateway.adapters._emulator.conformance import (
    CampaignFacts,
    ConformanceCase,
    SecretFacts,
    VendorState,
)
from balance_gateway.adapters.journyx.emulator import SAMPLE_USERNAME, SEED_USER_ID

# The demo's generated accrual pay types (`gateway/demo.py`), all in hours.
DEMO_TYPES = ("Vacation", "Time Bank", "Sick", "Floating Holiday")


def change_source(state: VendorState, types: set[str], rng: Random, today: date) -> VendorState:
    """Some accruals of `types` moved by up to 4 hours, as people do."""
    changed = copy.deepcopy(state)
    for accrual in changed["accruals"].values():
        if accrual["pname"] in types and rng.random() < 0.7:
            hours = Decimal(str(accrual["hours_left"])) + Decimal(rng.randint(-16, 16)) / 4
            accrual["hours_left"] = str(hours)
    return changed


def basic_pair(credentials: Mapping[str, str]) -> list[str]:
    """The Base64 of the HTTP Basic pair an API key is sent as."""
    if "api_key" not in credentials:
        return []
    pair = f"{credentials['username']}:{credentials['api_key']}"
    return [base64.b64encode(pair.encode()).decode()]


CASE = ConformanceCase(
    vendor="journyx",
    credentials=lambda token: {"username": SAMPLE_USERNAME, "api_key": token},
    employee=SEED_USER_ID,
    leave_type="Vacation",
    as_of=date(2025, 6, 1),
    write_value=Decimal("32.5"),
    campaign=CampaignFacts(
        source_types=DEMO_TYPES,
        target_types=DEMO_TYPES,
        steps=("0.01", "0.25"),
        pair_source_type="Vacation",  # hours
        pair_target_type="Vacation",
        change_source=change_source,
    ),
    secrets=SecretFacts(
        # The API key is also the login password (for a `wtsession` cookie).
        login=lambda secret: {"username": SAMPLE_USERNAME, "password": secret},
        derived=basic_pair,
        login_paths=("/login",),
    ),
)
