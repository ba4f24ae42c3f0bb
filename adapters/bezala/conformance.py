"""Bezala's case for the adapter conformance suite and the stress tests (see
`adapters/_emulator/conformance.py`)."""

import copy
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from balance_gateway.adapters._emulator.conformance import (
    CampaignFacts,
    ConformanceCase,
    SecretFacts,
    VendorState,
)

OURS = 42  # the user the demo's static token acts as: the creator of our imports
DEMO_PEOPLE = 1000  # the demo's generated users have ids from here


def change_source(state: VendorState, types: set[str], rng: Random, today: date) -> VendorState:
    """Some generated users get an HR import of `types` dated yesterday."""
    changed = copy.deepcopy(state)
    next_id = int(changed["next_id"])
    for user in changed["users"]:
        for kind in sorted(types):
            if user["id"] >= DEMO_PEOPLE and rng.random() < 0.7:
                value = (
                    Decimal(rng.randint(0, 50)) / 2
                    if kind == "vacation"
                    else Decimal(rng.randint(-300, 1500))
                )
                changed["time_balances"].append(
                    {
                        "id": next_id,
                        "user_id": user["id"],
                        "balance_type": kind,
                        "date": (today - timedelta(days=1)).isoformat(),
                        "value": str(value),
                        "creator_id": 7,
                        "creator_name": "HR Admin",
                    }
                )
                next_id += 1
    changed["next_id"] = next_id
    return changed


def invariants(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """No two imports of ours on one date, and nobody else's import touched."""
    ours = Counter(
        (r["user_id"], r["balance_type"], r["date"])
        for r in after["time_balances"]
        if r["creator_id"] == OURS
    )
    found = [f"bezala: {n} imports of ours on {key}" for key, n in ours.items() if n > 1]
    now = {r["id"]: r for r in after["time_balances"]}
    for record in before["time_balances"]:
        if record["creator_id"] != OURS and now.get(record["id"]) != record:
            found.append(f"bezala: someone else's import {record['id']} was changed")
    return found


LOGIN_EMAIL = "gateway@conformance.example"


def login_state(state: VendorState, credentials: Mapping[str, str]) -> VendorState:
    """`state` with our user (`OURS`) able to log in with `credentials`' email and password."""
    changed = copy.deepcopy(state)
    for user in changed["users"]:
        if user["id"] == OURS:
            user.update(email=credentials["email"], password=credentials["password"])
    return changed


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
    campaign=CampaignFacts(
        source_types=("vacation", "work_time"),
        target_types=("vacation", "work_time"),
        steps=("1",),  # work_time takes only whole minutes
        pair_source_type="vacation",  # days
        pair_target_type="work_time",  # whole minutes
        change_source=change_source,
        invariants=invariants,
    ),
    secrets=SecretFacts(
        # A password of its own, apart from the token.
        login=lambda secret: {"email": LOGIN_EMAIL, "password": f"{secret}-password"},
        login_state=login_state,
        login_paths=("/api/auth/token",),
    ),
)
