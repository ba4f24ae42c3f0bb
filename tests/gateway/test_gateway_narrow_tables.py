"""Every table the CLI prints fits an 80-column terminal with real ids in it (issue 17, item
4): columns are dropped or a row becomes a block, but an id (employee, leave type, run,
operation) is never cut, folded or ellipsized; on a wide terminal the full table is kept."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rich.console import Console, RenderableType

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.canonical import AsOfBasis, Quantity, Unit
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.cli_discover import listing_view
from balance_gateway.gateway.journal import OperationRecord, OpStatus, RunRecord, RunStatus
from balance_gateway.gateway.plan import PlanRow, SyncPlan
from balance_gateway.gateway.report import (
    operations_view,
    plan_rows_view,
    plan_table,
    resolutions_table,
    results_table,
    runs_table,
    traffic_table,
)
from balance_gateway.gateway.results import Resolution, RowResult

# Ids as the vendors make them: CompanyFlow UUIDs, Kenjo ObjectIds (24 hex), Journyx 32 hex.
CF_PERSON = "9d1f5c4e-2b7a-4c3e-8f6d-1a2b3c4d5e6f"
CF_ANNUAL = "0c0ffee0-0000-4000-8000-0000000000a1"
KENJO_PERSON = "64b7f0c2e4a1d3b5c6e7f809"
KENJO_VACATION = "64b000000000000000000a01"
JOURNYX_PERSON = "A3F09C21B7D84E6F90A1B2C3D4E5F607"
RUN = "20261202T031840Z-3fa2c1"
OPERATION = f"{RUN}-00017"
IDS = (CF_PERSON, CF_ANNUAL, KENJO_PERSON, KENJO_VACATION, JOURNYX_PERSON, RUN, OPERATION)
AS_OF = date(2026, 12, 2)


def _days(value: str) -> Quantity:
    return Quantity(Decimal(value), Unit.DAYS)


def _rows() -> tuple[PlanRow, ...]:
    base = PlanRow(
        sync="companyflow-to-kenjo",
        source_system="companyflow",
        target_system="kenjo",
        source_employee=CF_PERSON,
        target_employee=KENJO_PERSON,
        source_type=CF_ANNUAL,
        target_type=KENJO_VACATION,
        operation=OperationKind.SET,
        source_value=_days("12.5"),
        before=_days("10"),
        after=_days("12.5"),
        source_as_of=date(2026, 1, 1),
        source_as_of_basis=AsOfBasis.PERIOD,
        mapping_line=7,
    )
    blocked = PlanRow(
        sync="companyflow-to-kenjo",
        source_system="companyflow",
        target_system="kenjo",
        source_employee=JOURNYX_PERSON,
        target_employee=None,
        source_type=CF_ANNUAL,
        target_type=KENJO_VACATION,
        operation=OperationKind.UNMAPPED,
        note=f"no kenjo id for this person in the mapping (line 61); {KENJO_VACATION} unset",
    )
    return base, blocked


def _plan() -> SyncPlan:
    return SyncPlan(
        sync="companyflow-to-kenjo", source="companyflow", target="kenjo", as_of=AS_OF,
        rows=_rows(),
    )  # fmt: skip


def _results() -> list[RowResult]:
    row = _rows()[0]
    return [
        RowResult(row, OPERATION, OpStatus.APPLIED, OperationKind.SET, row.after, True, ""),
        RowResult(
            _rows()[1], f"{RUN}-00018", OpStatus.SKIPPED, OperationKind.UNMAPPED, note="unmapped"
        ),
    ]


def _operation() -> OperationRecord:
    return OperationRecord(
        operation_id=OPERATION, run_id=RUN, sync="companyflow-to-kenjo",
        source_system="companyflow", system="kenjo", employee=KENJO_PERSON,
        leave_type=KENJO_VACATION, kind=OperationKind.SET, status=OpStatus.UNKNOWN,
        unit=Unit.DAYS, before=Decimal(10), after=Decimal("12.5"), source_employee=CF_PERSON,
        note=f"the answer to {OPERATION} was lost: read back on the next run",
    )  # fmt: skip


def _run() -> RunRecord:
    return RunRecord(
        run_id=RUN,
        started_at=datetime(2026, 12, 2, 3, 18, 40, tzinfo=UTC),
        finished_at=datetime(2026, 12, 2, 3, 19, 2, tzinfo=UTC),
        config_path="/tmp/config.toml",
        syncs=("companyflow-to-kenjo", "zeitstrom-to-bezala", "journyx-to-zeitstrom"),
        status=RunStatus.PARTIAL,
        summary={"set": 380, "skip": 12, "blocked": 3, "unknown": 1},
    )


def _employees() -> RenderableType:
    columns = ("id", "name", "email", "employee_number")
    items = [
        {"id": p, "name": "Aino Virtanen-Lindqvist", "email": "aino.virtanen12@demo.example",
         "employee_number": "E1012"}
        for p in (CF_PERSON, JOURNYX_PERSON)
    ]  # fmt: skip
    return listing_view("hr: 2 employees", "GET /companies/{id}/employees", columns, items)


def _types() -> RenderableType:
    items = [{"id": CF_ANNUAL, "name": "Annual Leave", "unit": "days"}]
    return listing_view("hr: 1 leave types", "listed", ("id", "name", "unit"), items)


def _requests() -> RenderableType:
    traffic = Traffic(
        requests=1200, rate_limited=37, retries=39, configured_rate=2000.0, rate=17.5,
        lowest_rate=12.5,
    )  # fmt: skip
    return traffic_table({"companyflow": traffic})


TABLES: dict[str, Callable[[], RenderableType]] = {
    "plan": lambda: plan_table(_plan()),
    "demo sample": lambda: plan_rows_view("plan companyflow-to-kenjo (a sample)", _rows()),
    "sync report": lambda: results_table(_plan(), _results()),
    "resolutions": lambda: resolutions_table([Resolution(_operation(), OpStatus.APPLIED, "")]),
    "runs": lambda: runs_table([_run()]),
    "runs show": lambda: operations_view(_run(), [_operation()]),
    "discover employees": _employees,
    "discover types": _types,
    "requests": _requests,
}


def _render(renderable: RenderableType, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


@pytest.mark.parametrize("name", TABLES)
def test_each_table_fits_80_columns_with_every_id_whole(name: str) -> None:
    lines = _render(TABLES[name](), 80)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80, text
    assert "…" not in text, text
    shown = [i for i in IDS if i in text.replace("\n", "")]  # ids this table carries at all
    for wanted in shown:
        assert any(wanted in line for line in lines), f"{wanted} is split in:\n{text}"
    assert shown or name == "requests"


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("plan", (CF_PERSON, KENJO_PERSON, CF_ANNUAL, KENJO_VACATION, JOURNYX_PERSON)),
        ("sync report", (CF_PERSON, KENJO_PERSON, CF_ANNUAL, KENJO_VACATION)),
        ("runs", (RUN,)),
        ("runs show", (OPERATION, KENJO_PERSON, KENJO_VACATION)),
        ("resolutions", (OPERATION, KENJO_PERSON, KENJO_VACATION)),
        ("discover employees", (CF_PERSON, JOURNYX_PERSON)),
        ("discover types", (CF_ANNUAL,)),
    ],
)
def test_the_ids_a_user_copies_are_shown_at_80_columns(name: str, ids: tuple[str, ...]) -> None:
    lines = _render(TABLES[name](), 80)
    for wanted in ids:
        assert any(wanted in line for line in lines), f"{wanted} missing:\n" + "\n".join(lines)


def test_a_wide_terminal_keeps_the_full_plan_table() -> None:
    lines = _render(plan_table(_plan()), 250)
    header = next(line for line in lines if "employee" in line)
    assert "source as of" in header
    assert "target after" in header
    assert any(f"{CF_PERSON} -> {KENJO_PERSON}" in line for line in lines)


def test_short_ids_keep_a_table_at_80_columns() -> None:
    rows = tuple(
        PlanRow(
            sync="hr-to-time", source_system="hr", target_system="time",
            source_employee=f"e{i}", target_employee=f"t{i}", source_type="1",
            target_type="vacation", operation=OperationKind.SET, source_value=_days("12.5"),
            before=_days("10"), after=_days("12.5"), note="",
        )
        for i in range(3)
    )  # fmt: skip
    plan = SyncPlan(sync="hr-to-time", source="hr", target="time", as_of=AS_OF, rows=rows)
    lines = _render(plan_table(plan), 80)
    assert max(len(line) for line in lines) <= 80
    assert any("employee" in line and "operation" in line for line in lines), "\n".join(lines)
