"""Zeitstrom in generated data (see `adapters/_emulator/demo.py`): a ledger of transactions in
days per absence type, read and credited by a token."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._emulator.demo import DemoPerson, DemoProfile, hex_id, steps, uuid4
from balance_gateway.adapters.zeitstrom.emulator import (
    AbsenceType,
    Employee,
    Transaction,
    ZeitstromState,
)
from balance_gateway.adapters.zeitstrom.models import Source
from balance_gateway.canonical import LeaveKind

VENDOR = "zeitstrom"
TOKEN = "demo-zeitstrom-token"  # a demo placeholder


def employee_id(rng: random.Random, index: int) -> str:
    return uuid4(rng)


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    """A quota and some absences on "holiday", a carried credit on "overtime"; "sick" and
    "special" (written by the demo) hold nothing, or for some people an earlier credit of the
    gateway's own, which a lower target lowers (a decrease). Nobody else's credit: a target
    below it could not be reached."""
    transactions = []
    start = date(today.year, 1, 1)

    def tx(employee: str, kind: str, amount: Decimal, source: Source, label: str) -> None:
        transactions.append(
            Transaction(
                id=uuid4(rng),
                employee_id=employee,
                label=label,
                missing_type=kind,
                date=start,
                amount=amount,
                source=source,
            )
        )

    for i, p in enumerate(people):
        z = p.ids[VENDOR]
        tx(z, "holiday", steps(rng, 24, 30, "1"), Source.REPEATING_RULE, "Annual quota")
        for _ in range(rng.randint(0, 3)):
            tx(z, "holiday", steps(rng, 1, 5, "0.5"), Source.ABSENCE, "Vacation")
        tx(z, "overtime", steps(rng, 0, 3, "0.05"), Source.MANUAL, "Overtime carried")
        for kind in ("sick", "special"):
            # Every 8th person surely has one on "sick" above any value the demo's source
            # holds (at most 60 h, 8 days): the demo always shows a decrease.
            if (kind == "sick" and i % 8 == 0) or rng.random() < 0.3:
                label = f"balance-gateway demo-{hex_id(rng, 8)}"
                tx(z, kind, steps(rng, 9, 12, "0.5"), Source.MANUAL, label)
    return ZeitstromState(
        employees=[
            Employee(
                id=p.ids[VENDOR],
                name=p.name,
                # Some emails are written with capitals: matching ignores case.
                email=p.email.title() if i % 7 == 3 else p.email,
                accounting_number=p.number,
            )
            for i, p in enumerate(people)
        ],
        absence_types=[
            AbsenceType(missing_type="holiday", name="Holiday", has_quota=True),
            AbsenceType(missing_type="overtime", name="Overtime", has_quota=False),
            AbsenceType(missing_type="sick", name="Sick (time bank)", has_quota=False),
            AbsenceType(missing_type="special", name="Special leave", has_quota=True),
        ],
        transactions=transactions,
    ).model_dump(mode="json")


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="Zeitstrom",
    about="a ledger, days",
    credentials={"token": TOKEN},
    token=TOKEN,
    leave_types={
        LeaveKind.VACATION: "holiday",
        LeaveKind.WORK_TIME: "overtime",
        LeaveKind.SICK: "sick",
        LeaveKind.PERSONAL: "special",
    },
    employee_id=employee_id,
    state=state,
)
