"""Kenjo in generated data (see `adapters/_emulator/demo.py`): vacation in days and sick leave
in hours, set by an API key; every 60th person has no Kenjo account (an unmapped row)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._emulator.demo import DemoPerson, DemoProfile, hex_id, steps
from balance_gateway.adapters.kenjo.emulator import (
    Assignment,
    EmployeeRecord,
    KenjoState,
    TimeOffTypeRecord,
)
from balance_gateway.canonical import LeaveKind

VENDOR = "kenjo"
TOKEN = "demo-kenjo-api-key"  # a demo placeholder
KENJO_VACATION = "64b000000000000000000a01"
KENJO_SICK = "64b000000000000000000a02"


def employee_id(rng: random.Random, index: int) -> str | None:
    return None if index % 60 == 59 else hex_id(rng, 24)


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    employees, assignments = [], []
    for p in people:
        kenjo = p.ids.get(VENDOR)
        if kenjo is None:
            continue
        employees.append(
            EmployeeRecord(id=kenjo, email=p.email, first_name=p.first_name, last_name=p.last_name)
        )
        assignments.append(
            Assignment(
                employee_id=kenjo,
                time_off_type_id=KENJO_VACATION,
                total_allowance=steps(rng, 20, 30, "1"),
                taken=steps(rng, 0, 10, "0.5"),
            )
        )
        assignments.append(
            Assignment(
                employee_id=kenjo,
                time_off_type_id=KENJO_SICK,
                total_allowance=Decimal(80),
                taken=steps(rng, 0, 40, "4"),
            )
        )
    return KenjoState(
        employees=employees,
        time_off_types=[
            TimeOffTypeRecord(id=KENJO_VACATION, name="Vacation", unit="days"),
            TimeOffTypeRecord(id=KENJO_SICK, name="Sick leave", unit="hours"),
        ],
        assignments=assignments,
    ).model_dump(mode="json")


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="Kenjo",
    about="write-only: sets remaining",
    credentials={"api_key": TOKEN},
    token=TOKEN,
    leave_types={LeaveKind.VACATION: KENJO_VACATION, LeaveKind.SICK: KENJO_SICK},
    employee_id=employee_id,
    state=state,
    options={"type_units": {KENJO_SICK: "hours"}},
    options_comment="Kenjo's sick leave counts hours; vacation counts days (the default).",
)
