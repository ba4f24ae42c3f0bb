"""Journyx in generated data (see `adapters/_emulator/demo.py`): accruals in hours, for a
quarter of the people (a project-costing team), set by an API user."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from balance_gateway.adapters._emulator.demo import DemoPerson, DemoProfile, Holding, hex_id, steps
from balance_gateway.adapters.journyx.client import Client
from balance_gateway.adapters.journyx.emulator import (
    SAMPLE_USERNAME,
    JournyxState,
    PayType,
    StoredAccrual,
    User,
)
from balance_gateway.canonical import LeaveKind, Unit

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


LEAVE_TYPES = {
    LeaveKind.VACATION: "Vacation",
    LeaveKind.WORK_TIME: "Time Bank",
    LeaveKind.SICK: "Sick",
    LeaveKind.PERSONAL: "Floating Holiday",
}
_STAMP = Decimal(1_735_689_600)  # 2025-01-01T00:00:00Z


def user_id(rng: random.Random) -> str:
    return hex_id(rng, 32).upper()


def employee_id(rng: random.Random, index: int) -> str | None:
    return user_id(rng) if index % 4 == 0 else None


class _Accruals:
    """The users, pay types and accruals of a generated state; an API user first."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.admin_id = user_id(rng)
        self.users = {
            self.admin_id: User(
                id=self.admin_id,
                username=SAMPLE_USERNAME,
                first_name="Gateway",
                last_name="Admin",
                email="gateway@demo.example",
            )
        }
        self.pay_types = {
            pname: PayType(id=user_id(rng), name=f"{pname} PTO") for pname in JOURNYX_TYPES
        }
        self.accruals: dict[str, StoredAccrual] = {}

    def user(self, index: int, person: DemoPerson, id_: str) -> None:
        self.users[id_] = User(
            id=id_,
            username=f"person{index}",
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
        )

    def accrual(self, id_user: str, pname: str, hours: Callable[[random.Random], Decimal]) -> None:
        """An accrual of `hours(rng)` (drawn after its id)."""
        accrual_id = hex_id(self.rng, 32).upper()
        self.accruals[accrual_id] = StoredAccrual(
            id=accrual_id,
            id_timebank=accrual_id,
            id_user=id_user,
            pname=pname,
            pay_type_ids=[self.pay_types[pname].id],
            hours_left=hours(self.rng),
            creator=self.admin_id,
            create_timestamp=_STAMP,
            modifier=self.admin_id,
            modify_timestamp=_STAMP,
        )

    def state(self) -> dict[str, Any]:
        return JournyxState(
            users=self.users,
            pay_types={pt.id: pt for pt in self.pay_types.values()},
            accruals=self.accruals,
        ).model_dump(mode="json")


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    generated = _Accruals(rng)
    for i, p in enumerate(people):
        id_user = p.ids.get(VENDOR)
        if id_user is None:
            continue
        generated.user(i, p, id_user)
        for pname in JOURNYX_TYPES:
            generated.accrual(id_user, pname, _HOURS[pname])
    return generated.state()


def _exactly(hours: Decimal) -> Callable[[random.Random], Decimal]:
    return lambda _rng: hours


def holding(
    rng: random.Random,
    people: Sequence[DemoPerson],
    balances: Mapping[tuple[str, LeaveKind], Decimal],
    today: date,
) -> dict[str, Any]:
    """Each balance (hours) as one accrual's `hours_left`."""
    generated = _Accruals(rng)
    for i, p in enumerate(people):
        id_user = p.ids[VENDOR]
        generated.user(i, p, id_user)
        for kind, pname in LEAVE_TYPES.items():
            hours = balances.get((id_user, kind))
            if hours is not None:
                generated.accrual(id_user, pname, _exactly(hours))
    return generated.state()


class OneBalance:
    """One balance at a time through the blocking `Client` (`adapters._emulator.demo.
    OneBalance`): a read is the one accrual of a user and name (`$filter`); a write PATCHes
    its `hours_left`."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport) -> None:
        self.client = Client(base_url, username=SAMPLE_USERNAME, api_key=TOKEN, transport=transport)
        self.accrual_ids: dict[tuple[str, str], str] = {}

    def read(self, employee_id: str, leave_type: str) -> Decimal:
        user, name = employee_id.replace("'", "''"), leave_type.replace("'", "''")
        page = self.client.list_accruals(
            filter=f"id_user eq '{user}' and pname eq '{name}'", keys=("id", "hours_left")
        )
        if not page.results or page.results[0].id is None:
            raise LookupError(f"no accrual {leave_type!r} of user {employee_id}")
        accrual = page.results[0]
        self.accrual_ids[(employee_id, leave_type)] = str(accrual.id)
        return Decimal(0) if accrual.hours_left is None else accrual.hours_left

    def write(self, employee_id: str, leave_type: str, remaining: Decimal) -> None:
        if (employee_id, leave_type) not in self.accrual_ids:
            self.read(employee_id, leave_type)
        accrual_id = self.accrual_ids.pop((employee_id, leave_type))
        self.client.update_accrual(accrual_id, hours_left=remaining)

    def close(self) -> None:
        self.client.close()


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="Journyx",
    about="hours",
    credentials={"username": SAMPLE_USERNAME, "api_key": TOKEN},
    token=TOKEN,
    leave_types=LEAVE_TYPES,
    employee_id=employee_id,
    state=state,
    holding=Holding(
        employee_id=user_id,
        units=dict.fromkeys(LEAVE_TYPES, Unit.HOURS),
        state=holding,
        one_at_a_time=OneBalance,
        # A large page: the benchmarks' accruals in a few requests.
        options={"page_size": 1000},
    ),
)
