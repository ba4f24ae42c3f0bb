"""One bad row fails one row (issue 14, item 1).

An employee id in the mapping that the source or the target does not know (a 404 for that
employee, or any per-employee 4xx) used to fail the whole sync for everyone. Now only that
employee's rows are blocked, naming the mapping file and line; everyone else is planned and
applied, and the run (and the plan) exits 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    NotFoundError,
    RequestValidationError,
)
from balance_gateway.canonical import Balance
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.store import open_state_store
from tests.gateway.gateway_fakes import (
    BASIC_TOML,
    ENV,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)

# e4 (line 5) is stale in the source, U5 (line 6) in the target.
CSV = """
hr,time,bank,hours_per_day
e1,U1,b1,
e2,U2,b2,7.5
e3,U3,,
e4,U4,,
e5,U5,,
"""


@dataclass
class StrictReads(FakeAdapter):
    """Reads like Bezala: a read naming an employee the system does not know answers 404 (the
    whole read fails); an id that is not an integer-like string is refused before sending."""

    known: set[str] = field(default_factory=set)
    refuse_all: bool = False

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        if self.refuse_all:
            raise AuthenticationError(method="GET", path="/x", status_code=401, body="bad key")
        for employee in employee_ids:
            if employee.startswith("bad-"):
                raise RequestValidationError("employee id", f"{employee!r} is not an integer")
            if employee not in self.known:
                raise NotFoundError(
                    method="GET", path=f"/users/{employee}", status_code=404, body="not found"
                )
        return await super().read_balances(employee_ids, leave_type_ids, as_of)


def systems() -> dict[str, FakeAdapter]:
    base = basic_systems()
    hr = StrictReads(
        "hr",
        can_write=False,
        balances={**base["hr"].balances, ("e5", "1"): Decimal(2)},
        known={"e1", "e2", "e3", "e5"},
    )
    time = StrictReads(
        "time",
        units=base["time"].units,
        balances=dict(base["time"].balances),
        known={"U1", "U2", "U3", "U4"},
    )
    return {"hr": hr, "time": time, "bank": base["bank"]}


@pytest.fixture
def config_path(tmp_path: Path, state_url: str | None) -> Path:
    write_config(tmp_path, BASIC_TOML, CSV, state_url=state_url)
    return tmp_path


async def test_a_stale_id_blocks_only_its_rows_and_names_the_line(config_path: Path) -> None:
    config = load_config(config_path / "config.toml", env=ENV)
    adapters = systems()
    journal = open_state_store(config)
    report = await Engine(config, adapters, journal, today=TODAY).sync(["hr-to-time"])
    assert report.exit_code == 1
    (plan,) = report.plans
    assert plan.error is None
    by_employee = {r.row.source_employee: r for r in report.results}
    # Everyone else was applied and verified.
    for employee in ("e1", "e2", "e3"):
        assert by_employee[employee].status is OpStatus.APPLIED, by_employee[employee].note
        assert by_employee[employee].verified is True
    assert adapters["time"].balances[("U3", "Vacation")] == Decimal(24)
    stale_source = by_employee["e4"]
    assert stale_source.status is OpStatus.BLOCKED
    assert "employees.csv, line 5" in stale_source.note
    assert "source system 'hr'" in stale_source.note
    assert "404" in stale_source.note
    stale_target = by_employee["e5"]
    assert stale_target.status is OpStatus.BLOCKED
    assert "employees.csv, line 6" in stale_target.note
    assert "target system 'time'" in stale_target.note
    assert ("U5", "Vacation") not in adapters["time"].balances


async def test_a_plan_with_a_stale_id_exits_1(config_path: Path) -> None:
    config = load_config(config_path / "config.toml", env=ENV)
    report = await Engine(config, systems(), None, today=TODAY).sync(["hr-to-time"], dry_run=True)
    assert report.exit_code == 1
    plans = await Engine(config, systems(), None, today=TODAY).plan(["hr-to-time"])
    rows = {r.source_employee: r for r in plans[0].rows}
    assert rows["e1"].operation is OperationKind.SET
    assert rows["e4"].operation is OperationKind.BLOCKED
    assert rows["e4"].failed


async def test_an_id_the_sdk_refuses_blocks_only_its_row(
    tmp_path: Path, state_url: str | None
) -> None:
    config = write_config(
        tmp_path, BASIC_TOML, CSV.replace("e4,U4", "bad-4,U4"), state_url=state_url
    )
    adapters = systems()
    report = await Engine(config, adapters, None, today=TODAY).sync(["hr-to-time"], dry_run=True)
    rows = {r.source_employee: r for r in report.plans[0].rows}
    assert rows["bad-4"].operation is OperationKind.BLOCKED
    assert "line 5" in rows["bad-4"].note
    assert rows["e1"].operation is OperationKind.SET


async def test_a_system_wide_failure_still_fails_the_sync(config_path: Path) -> None:
    config = load_config(config_path / "config.toml", env=ENV)
    adapters = systems()
    assert isinstance(adapters["hr"], StrictReads)
    adapters["hr"].refuse_all = True
    report = await Engine(config, adapters, None, today=TODAY).sync(["hr-to-time"], dry_run=True)
    assert report.exit_code == 1
    assert report.plans[0].error is not None
    assert "401" in report.plans[0].error
