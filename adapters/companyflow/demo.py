"""CompanyFlow in generated data (see `adapters/_emulator/demo.py`): one company, annual and
sick leave in days, read by an admin login."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._emulator.demo import DemoPerson, DemoProfile, steps, uuid4
from balance_gateway.adapters.companyflow.emulator import (
    BalanceRecord,
    Company,
    CompanyFlowState,
    Employee,
    LeaveTypeRecord,
)
from balance_gateway.canonical import LeaveKind

VENDOR = "companyflow"
TOKEN = "demo-companyflow-password"  # the reader's password: a demo placeholder
COMPANYFLOW_READER = "gateway-reader@demo.example"
# Fixed ids of the leave types, so the config reads plainly.
CF_COMPANY = "0c0ffee0-0000-4000-8000-000000000001"
CF_ANNUAL = "0c0ffee0-0000-4000-8000-0000000000a1"
CF_SICK = "0c0ffee0-0000-4000-8000-0000000000b1"


def employee_id(rng: random.Random, index: int) -> str:
    return uuid4(rng)


def state(rng: random.Random, people: Sequence[DemoPerson], today: date) -> dict[str, Any]:
    """Everyone, plus the gateway's admin reader; balances of `today`'s year."""
    created = datetime(today.year, 1, 1, tzinfo=UTC)
    employees = [
        Employee(
            id=p.ids[VENDOR],
            company_id=CF_COMPANY,
            email=p.email,
            first_name=p.first_name,
            last_name=p.last_name,
            role="employee",
            employee_code=p.number,
        )
        for p in people
    ]
    employees.append(
        Employee(
            id=uuid4(rng),
            company_id=CF_COMPANY,
            email=COMPANYFLOW_READER,
            first_name="Gateway",
            last_name="Reader",
            role="admin",
        )
    )
    balances = []
    for p in people:
        for type_id, used_max in ((CF_ANNUAL, 20), (CF_SICK, 8)):
            balances.append(
                BalanceRecord(
                    id=uuid4(rng),
                    employee_id=p.ids[VENDOR],
                    leave_type_id=type_id,
                    year=today.year,
                    carried_forward_days=steps(rng, 0, 5, "0.5")
                    if type_id == CF_ANNUAL
                    else Decimal("0.0"),
                    used_days=steps(rng, 0, used_max, "0.5"),
                    pending_days=steps(rng, 0, 3, "0.5"),
                    created_at=created,
                    updated_at=created,
                )
            )
    return CompanyFlowState(
        companies=[Company(id=CF_COMPANY, name="Demo Oy")],
        employees=employees,
        leave_types=[
            LeaveTypeRecord(
                id=CF_ANNUAL,
                company_id=CF_COMPANY,
                name="Annual Leave",
                code="AL",
                days_allowed=Decimal(25),
                is_paid=True,
                color_code="#3B82F6",
            ),
            LeaveTypeRecord(
                id=CF_SICK,
                company_id=CF_COMPANY,
                name="Sick Leave",
                code="SL",
                days_allowed=Decimal(10),
                is_paid=True,
                color_code="#EF4444",
            ),
        ],
        balances=balances,
    ).model_dump(mode="json")


PROFILE = DemoProfile(
    vendor=VENDOR,
    title="CompanyFlow",
    about="read-only, days",
    credentials={"email": COMPANYFLOW_READER, "password": TOKEN},
    token=TOKEN,
    leave_types={LeaveKind.VACATION: CF_ANNUAL, LeaveKind.SICK: CF_SICK},
    employee_id=employee_id,
    state=state,
)
