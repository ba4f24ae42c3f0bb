"""Zeitstrom in generated data (see `adapters/_emulator/demo.py`): a ledger of transactions in
days per absence type, read and credited by a token."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx

from balance_gateway.adapters._emulator.demo import (
    DemoPerson,
    DemoProfile,
    Holding,
    hex_id,
    steps,
    uuid4,
)
from balance_gateway.adapters.zeitstrom.client import Client
from balance_gateway.adapters.zeitstrom.emulator import (
    AbsenceType,
    Employee,
    Transaction,
    ZeitstromState,
)
from balance_gateway.adapters.zeitstrom.models import Source
from balance_gateway.canonical import LeaveKind, Unit

VENDOR = "zeitstrom"
TOKEN = "demo-zeitstrom-token"  # a demo placeholder


def employee_id(rng: random.Random, index: int) -> str:
    return uuid4(rng)


ABSENCE_TYPES = (
    AbsenceType(missing_type="holiday", name="Holiday", has_quota=True),
    AbsenceType(missing_type="overtime", name="Overtime", has_quota=False),
    AbsenceType(missing_type="sick", name="Sick (time bank)", has_quota=False),
    AbsenceType(missing_type="special", name="Special leave", has_quota=True),
)
LEAVE_TYPES = {
    LeaveKind.VACATION: "holiday",
    LeaveKind.WORK_TIME: "overtime",
    LeaveKind.SICK: "sick",
    LeaveKind.PERSONAL: "special",
}


class _Ledger:
    """The transactions of a generated state, all dated on the first day of `today`'s year."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.start = date(today.year, 1, 1)
        self.transactions: list[Transaction] = []

    def book(self, employee: str, kind: str, amount: Decimal, source: Source, label: str) -> None:
        self.transactions.append(
            Transaction(
                id=uuid4(self.rng),
                employee_id=employee,
                label=label,
                missing_type=kind,
                date=self.start,
                amount=amount,
                source=source,
            )
        )

    def quota(self, employee: str, kind: str, quota: Decimal) -> None:
        self.book(employee, kind, quota, Source.REPEATING_RULE, "Annual quota")

    def absences(self, employee: str, kind: str) -> Decimal:
        """0 to 3 absences (debits); the days they take."""
        taken = Decimal(0)
        for _ in range(self.rng.randint(0, 3)):
            days = steps(self.rng, 1, 5, "0.5")
            taken += days
            self.book(employee, kind, days, Source.ABSENCE, "Vacation")
        return taken

    def state(self, people: Sequence[DemoPerson]) -> dict[str, Any]:
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
            absence_types=list(ABSENCE_TYPES),
            transactions=self.transactions,
        ).model_dump(mode="json")


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    """A quota and some absences on "holiday", a carried credit on "overtime"; "sick" and
    "special" (written by the demo) hold nothing, or for some people an earlier credit of the
    gateway's own, which a lower target lowers (a decrease). Nobody else's credit: a target
    below it could not be reached."""
    ledger = _Ledger(rng, today)
    for i, p in enumerate(people):
        z = p.ids[VENDOR]
        ledger.quota(z, "holiday", steps(rng, 24, 30, "1"))
        ledger.absences(z, "holiday")
        ledger.book(z, "overtime", steps(rng, 0, 3, "0.05"), Source.MANUAL, "Overtime carried")
        for kind in ("sick", "special"):
            # Every 8th person surely has one on "sick" above any value the demo's source
            # holds (at most 60 h, 8 days): the demo always shows a decrease.
            if (kind == "sick" and i % 8 == 0) or rng.random() < 0.3:
                label = f"balance-gateway demo-{hex_id(rng, 8)}"
                ledger.book(z, kind, steps(rng, 9, 12, "0.5"), Source.MANUAL, label)
    return ledger.state(people)


def holding(
    rng: random.Random,
    people: Sequence[DemoPerson],
    balances: Mapping[tuple[str, LeaveKind], Decimal],
    today: date,
) -> dict[str, Any]:
    """Each balance (days) as a ledger: on a quota type, a quota with 0 to 3 absences taken
    from it; on the others, one manual credit (nobody's earlier credit of the gateway's)."""
    ledger = _Ledger(rng, today)
    quotas = {t.missing_type for t in ABSENCE_TYPES if t.has_quota}
    for p in people:
        z = p.ids[VENDOR]
        for kind, missing_type in LEAVE_TYPES.items():
            days = balances.get((z, kind))
            if days is None:
                continue
            if missing_type in quotas:
                ledger.quota(z, missing_type, days + ledger.absences(z, missing_type))
            else:
                ledger.book(z, missing_type, days, Source.MANUAL, "Carried over")
    return ledger.state(people)


class OneBalance:
    """One balance at a time through the blocking `Client` (`adapters._emulator.demo.
    OneBalance`): a read is the aggregate of one employee; a write credits the difference as
    a manual transaction dated today (a ledger is credited here, never lowered)."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport) -> None:
        self.client = Client(base_url, token=TOKEN, transport=transport)
        self.read_before: dict[tuple[str, str], Decimal] = {}

    def read(self, employee_id: str, leave_type: str) -> Decimal:
        rows = self.client.aggregate_balances(employee_ids=[employee_id]).results
        found = next((r.balance for r in rows if r.missing_type == leave_type), Decimal(0))
        self.read_before[(employee_id, leave_type)] = found
        return found

    def write(self, employee_id: str, leave_type: str, remaining: Decimal) -> None:
        current = self.read_before.pop((employee_id, leave_type), None)
        if current is None:
            current = self.read(employee_id, leave_type)
        if remaining < current:
            raise ValueError(
                f"a credit cannot lower {leave_type} of {employee_id} from {current} to "
                f"{remaining} days"
            )
        self.client.create_transaction(
            employee_id=employee_id,
            missing_type=leave_type,
            date=datetime.now(UTC).date(),
            amount=remaining - current,
            label=f"one at a time {employee_id}/{leave_type}",
        )

    def close(self) -> None:
        self.client.close()


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="Zeitstrom",
    about="a ledger, days",
    credentials={"token": TOKEN},
    token=TOKEN,
    leave_types=LEAVE_TYPES,
    employee_id=employee_id,
    state=state,
    holding=Holding(
        employee_id=uuid4,
        units=dict.fromkeys(LEAVE_TYPES, Unit.DAYS),
        state=holding,
        one_at_a_time=OneBalance,
    ),
)
