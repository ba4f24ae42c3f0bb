"""Bezala in generated data (see `adapters/_emulator/demo.py`): dated imports of vacation days
and work time in minutes, by a static token acting as the gateway's own Bezala user."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._emulator.demo import DemoPerson, DemoProfile, steps
from balance_gateway.adapters.bezala.emulator import BezalaState, EmulatedUser, StoredTimeBalance
from balance_gateway.adapters.bezala.models import BalanceType
from balance_gateway.canonical import LeaveKind

VENDOR = "bezala"
TOKEN = "demo-bezala-token"  # a demo placeholder
BEZALA_GATEWAY_USER = 42  # who the static token acts as: the creator of our imports
HR_ADMIN = 7


def employee_id(rng: random.Random, index: int) -> str:
    return str(1000 + index)


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    users = [
        EmulatedUser(id=BEZALA_GATEWAY_USER, name="Gateway Integration"),
        EmulatedUser(id=HR_ADMIN, name="HR Admin"),
    ]
    records = []
    earlier = today - timedelta(days=40)
    next_id = 1
    for i, p in enumerate(people):
        # An expense tool: every 25th person has no email here, only the employee number as
        # external_id; every 50th has neither (map lists them as unmatched).
        email = None if i % 25 == 24 else p.email
        number = None if i % 50 == 49 else p.number
        user_id = int(p.ids[VENDOR])
        users.append(EmulatedUser(id=user_id, name=p.name, email=email, external_id=number))
        for kind, value in (
            (BalanceType.VACATION, steps(rng, 0, 25, "0.5")),
            (BalanceType.WORK_TIME, Decimal(rng.randint(-300, 1500))),
        ):
            records.append(
                StoredTimeBalance(
                    id=next_id,
                    user_id=user_id,
                    balance_type=kind,
                    date=earlier,
                    value=value,
                    creator_id=HR_ADMIN,
                    creator_name="HR Admin",
                )
            )
            next_id += 1
    return BezalaState(
        users=users,
        time_balances=records,
        next_id=next_id,
        token_user_id=BEZALA_GATEWAY_USER,
    ).model_dump(mode="json")


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="Bezala",
    about="dated imports: days, work time in minutes",
    credentials={"token": TOKEN},
    token=TOKEN,
    leave_types={
        LeaveKind.VACATION: BalanceType.VACATION.value,
        LeaveKind.WORK_TIME: BalanceType.WORK_TIME.value,
    },
    employee_id=employee_id,
    state=state,
    options={"creator_id": str(BEZALA_GATEWAY_USER)},
    options_comment="The Bezala user the token acts as: imports made by it are ours to replace.",
)
