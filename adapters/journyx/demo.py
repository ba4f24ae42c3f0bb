"""Journyx in generated data (see `adapters/_emulator/demo.py`): accruals in hours, for a
quarter of the people (a project-costing team), set by an API user."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._emulator.demo import DemoPerson, DemoProfile, hex_id, steps
from balance_gateway.adapters.journyx.emulator import (
    SAMPLE_USERNAME,
    JournyxState,
    PayType,
    StoredAccrual,
    User,
)
from balance_gateway.canonical import LeaveKind

VENDOR = "journyx"
TOKEN = "demo-journyx-api-key"  # a demo placeholder
JOURNYX_TYPES = ("Vacation", "Time Bank", "Sick", "Floating Holiday")
# Each accrual's hours: a random multiple of a step in a range.
_HOURS: dict[str, Callable[[random.Random], Decimal]] = {
    "Vacation": lambda rng: steps(rng, 0, 120, "0.25"),
    "Time Bank": lambda rng: steps(rng, -8, 24, "0.25"),
    "Sick": lambda rng: steps(rng, 0, 60, "0.25"),
    "Floating Holiday": lambda rng: steps(rng, 0, 16, "0.5"),
}


def employee_id(rng: random.Random, index: int) -> str | None:
    return hex_id(rng, 32).upper() if index % 4 == 0 else None


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    admin_id = hex_id(rng, 32).upper()
    users = {
        admin_id: User(
            id=admin_id,
            username=SAMPLE_USERNAME,
            first_name="Gateway",
            last_name="Admin",
            email="gateway@demo.example",
        )
    }
    pay_types = {
        pname: PayType(id=hex_id(rng, 32).upper(), name=f"{pname} PTO") for pname in JOURNYX_TYPES
    }
    stamp = Decimal(1_735_689_600)  # 2025-01-01T00:00:00Z
    accruals = {}
    for i, p in enumerate(people):
        user_id = p.ids.get(VENDOR)
        if user_id is None:
            continue
        users[user_id] = User(
            id=user_id,
            username=f"person{i}",
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email,
        )
        for pname in JOURNYX_TYPES:
            accrual_id = hex_id(rng, 32).upper()
            accruals[accrual_id] = StoredAccrual(
                id=accrual_id,
                id_timebank=accrual_id,
                id_user=user_id,
                pname=pname,
                pay_type_ids=[pay_types[pname].id],
                hours_left=_HOURS[pname](rng),
                creator=admin_id,
                create_timestamp=stamp,
                modifier=admin_id,
                modify_timestamp=stamp,
            )
    return JournyxState(
        users=users,
        pay_types={pt.id: pt for pt in pay_types.values()},
        accruals=accruals,
    ).model_dump(mode="json")


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="Journyx",
    about="hours",
    credentials={"username": SAMPLE_USERNAME, "api_key": TOKEN},
    token=TOKEN,
    leave_types={
        LeaveKind.VACATION: "Vacation",
        LeaveKind.WORK_TIME: "Time Bank",
        LeaveKind.SICK: "Sick",
        LeaveKind.PERSONAL: "Floating Holiday",
    },
    employee_id=employee_id,
    state=state,
)
