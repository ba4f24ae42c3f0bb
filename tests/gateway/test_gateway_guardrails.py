"""Guardrails counted as the plan's rows arrive (`GuardrailTally`): the same lines as checking
the whole plan, without holding its rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.canonical import Quantity, Unit, WorkSchedule
from balance_gateway.gateway.config import GuardrailsConfig
from balance_gateway.gateway.guardrails import MAX_LISTED, GuardrailTally, check_guardrails
from balance_gateway.gateway.plan import PlanRow, SyncPlan


def _row(index: int, before: str | None, after: str, kind: OperationKind) -> PlanRow:
    return PlanRow(
        sync="hr-to-time",
        source_system="hr",
        target_system="time",
        source_employee=f"e{index}",
        target_employee=f"U{index}",
        source_type="1",
        target_type="Vacation",
        operation=kind,
        before=None if before is None else Quantity(Decimal(before), Unit.DAYS),
        after=Quantity(Decimal(after), Unit.DAYS),
    )


def _rows(count: int) -> Iterator[PlanRow]:
    """Writes growing by one day each (row i: 0 -> i days), with a skip between them."""
    for i in range(1, count + 1):
        yield _row(i, "0", str(i), OperationKind.SET)
        yield _row(i, str(i), str(i), OperationKind.SKIP)


def test_counted_row_by_row_as_over_the_whole_plan() -> None:
    limits = GuardrailsConfig(max_change="5 days", max_operations=30)
    plan = SyncPlan("hr-to-time", "hr", "time", date(2025, 1, 31), rows=tuple(_rows(40)))
    tally = GuardrailTally(limits)
    for row in _rows(40):
        tally.add(row)
    violations = tally.violations()
    assert violations == check_guardrails([plan], limits)
    assert violations[0] == "40 write operations planned, more than max_operations = 30"
    # Rows 6..40 are over max_change: the first MAX_LISTED are named, the rest counted.
    assert len(violations) == 1 + MAX_LISTED + 1
    assert violations[1] == (
        "sync hr-to-time, employee e6 -> U6, type 1 -> Vacation: set from 0 days to 6 days "
        "changes more than max_change = 5 days"
    )
    assert violations[-1] == f"... and {35 - MAX_LISTED} more balances over max_change"
    assert tally.writes == 40
    assert len(tally.over_listed) == MAX_LISTED  # no more lines than it reports


def test_the_largest_change_is_kept() -> None:
    tally = GuardrailTally(GuardrailsConfig(max_change=None, max_operations=None))
    for row in [_row(1, "3", "4", OperationKind.SET), _row(2, None, "2.5", OperationKind.SET)]:
        tally.add(row)
    tally.add(_row(3, "0", "9", OperationKind.SKIP))  # writes nothing: not counted
    assert tally.violations() == []
    assert tally.largest is not None
    change, row = tally.largest
    assert change == Decimal("2.5")  # an unknown `before` counts from 0
    assert row.target_employee == "U2"


def test_a_copy_counts_on_its_own() -> None:
    tally = GuardrailTally(GuardrailsConfig(max_change="1 days", max_operations=1))
    tally.add(_row(1, "0", "2", OperationKind.SET))
    checked = tally.copy()
    checked.add(_row(2, "0", "3", OperationKind.SET))
    assert len(checked.violations()) == 3
    assert tally.writes == 1
    assert tally.violations() == [
        "sync hr-to-time, employee e1 -> U1, type 1 -> Vacation: set from 0 days to 2 days "
        "changes more than max_change = 1 days"
    ]


def test_max_change_is_each_persons_own_working_day() -> None:
    # 7.5 hours is within "1 days" for an 8-hour day, over it for a 7-hour day: the limit is
    # converted per unit and working day, never reused from another person's.
    tally = GuardrailTally(GuardrailsConfig(max_change="1 days", max_operations=None))
    for index, hours in [(1, "8"), (2, "7"), (3, "8"), (4, "7")]:
        row = _row(index, None, "0", OperationKind.SET)
        tally.add(
            replace(
                row,
                after=Quantity(Decimal("7.5"), Unit.HOURS),
                schedule=WorkSchedule(Decimal(hours)),
            )
        )
    over = tally.violations()
    assert [line.split(",")[1] for line in over] == [" employee e2 -> U2", " employee e4 -> U4"]
