"""Zeitstrom's case for the adapter conformance suite and the stress tests (see
`adapters/_emulator/conformance.py`)."""

import copy
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from random import Random
from typing import Any

from balance_gateway.adapters._emulator.conformance import (
    CampaignFacts,
    ConformanceCase,
    VendorState,
)
from balance_gateway.adapters.zeitstrom.adapter import LABEL_PREFIX
from balance_gateway.adapters.zeitstrom.emulator import JONAS


def change_source(state: VendorState, types: set[str], rng: Random, today: date) -> VendorState:
    """For each employee, some of `types` get an HR correction today: a manual credit or an
    absence of up to 3 days."""
    changed = copy.deepcopy(state)
    for employee in sorted({tx["employee_id"] for tx in changed["transactions"]}):
        for kind in sorted(types):
            if rng.random() < 0.7:
                changed["transactions"].append(
                    {
                        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "employee_id": employee,
                        "label": "HR correction",
                        "missing_type": kind,
                        "date": today.isoformat(),
                        "amount": str(Decimal(rng.randint(1, 6)) / 2),
                        "source": rng.choice(["manual", "absence"]),
                    }
                )
    return changed


def invariants(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """No credit label of ours twice, and nobody else's transaction touched."""
    labels = Counter(
        tx["label"] for tx in after["transactions"] if tx["label"].startswith(LABEL_PREFIX.strip())
    )
    found = [f"zeitstrom: {n} transactions labelled {k!r}" for k, n in labels.items() if n > 1]
    now = {tx["id"]: tx for tx in after["transactions"]}
    for tx in before["transactions"]:
        if not tx["label"].startswith(LABEL_PREFIX) and now.get(tx["id"]) != tx:
            found.append(f"zeitstrom: someone else's transaction {tx['id']} was changed")
    return found


CASE = ConformanceCase(
    vendor="zeitstrom",
    credentials=lambda token: {"token": token},
    employee=JONAS,
    leave_type="holiday",
    as_of=date(2025, 12, 1),
    # Above the sample's balance: a credit (a ledger target only ever credits, or lowers its
    # own earlier credits).
    write_value=Decimal(40),
    campaign=CampaignFacts(
        source_types=("holiday", "overtime", "sick", "special"),
        # holiday (rule credits) and overtime (someone else's manual credit) cannot be lowered
        # below what others credited: overtime gives some blocked rows, which must stay
        # untouched.
        target_types=("sick", "special", "overtime"),
        steps=("0.01", "0.25"),
        pair_source_type="holiday",  # days
        pair_target_type="sick",
        pair_step="0.01",  # from hours at 7.5 h a day, days have many decimals
        change_source=change_source,
        invariants=invariants,
        absent_is_zero=True,  # a ledger without a transaction holds 0
    ),
)
