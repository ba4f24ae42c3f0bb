"""Planning: unit conversion with each person's working day, rounding notes, unmapped rows,
write-only targets, and the property that a second run after applying writes nothing."""

from __future__ import annotations

import asyncio
import gc
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balance_gateway.adapters._core.adapter import (
    OperationKind,
    PlannedWrite,
    TargetUnit,
    WriteIntent,
    WriteKind,
)
from balance_gateway.adapters._core.errors import ServerError
from balance_gateway.canonical import (
    AsOfBasis,
    Balance,
    EmployeeRef,
    Figure,
    LeaveTypeRef,
    Period,
    Provenance,
    Quantity,
    RoundingMode,
    Unit,
    WorkSchedule,
)
from balance_gateway.gateway.config import Config, RoundingConfig
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import LastWritten
from balance_gateway.gateway.plan import (
    NotPlannable,
    PlanContext,
    current_from_last_written,
    desired_value,
    join_notes,
    plan_sync,
    source_dating,
)
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)

SEVEN_AND_A_HALF = WorkSchedule(Decimal("7.5"))


def balance(value: str, unit: Unit = Unit.DAYS, **figures: str) -> Balance:
    return Balance.build(
        employee=EmployeeRef("hr", "e1"),
        leave_type=LeaveTypeRef("hr", "1"),
        unit=unit,
        remaining=Decimal(value),
        as_of=TODAY,
        provenance=Provenance("hr", None, datetime.now(UTC)),
        **figures,
    )


def test_days_to_hours_uses_the_persons_working_day() -> None:
    source, value, note = desired_value(
        balance("10"), Figure.REMAINING, TargetUnit(Unit.HOURS), None, SEVEN_AND_A_HALF
    )
    assert source == Quantity.of(10, Unit.DAYS)
    assert value == Quantity.of(75, Unit.HOURS)
    assert note == ""


def test_rounding_to_whole_minutes_reports_the_difference() -> None:
    # 0.1234 days at 7.5 h = 55.53 minutes -> 56 (half even): +0.47 minutes.
    _, value, note = desired_value(
        balance("0.1234"),
        Figure.REMAINING,
        TargetUnit(Unit.MINUTES, step=Decimal(1)),
        None,
        SEVEN_AND_A_HALF,
    )
    assert value == Quantity.of(56, Unit.MINUTES)
    assert note == "rounded to a multiple of 1 minutes (half_even): +0.47 minutes"


def test_inexact_conversion_without_a_step_is_not_plannable() -> None:
    with pytest.raises(NotPlannable, match="set `rounding"):
        desired_value(
            balance("1", Unit.HOURS),
            Figure.REMAINING,
            TargetUnit(Unit.DAYS),
            None,
            SEVEN_AND_A_HALF,
        )


def test_sync_rounding_applies_and_reports_a_non_terminating_difference() -> None:
    _, value, note = desired_value(
        balance("1", Unit.HOURS),
        Figure.REMAINING,
        TargetUnit(Unit.DAYS),
        RoundingConfig(step=Decimal("0.01"), mode=RoundingMode.HALF_UP),
        SEVEN_AND_A_HALF,
    )
    assert value == Quantity.of("0.13", Unit.DAYS)
    assert note == "rounded to a multiple of 0.01 days (half_up): -~0.003333 days"


def test_sync_step_must_fit_the_targets_step() -> None:
    with pytest.raises(NotPlannable, match="multiples of 1"):
        desired_value(
            balance("1"),
            Figure.REMAINING,
            TargetUnit(Unit.MINUTES, step=Decimal(1)),
            RoundingConfig(step=Decimal("0.5")),
            SEVEN_AND_A_HALF,
        )


def test_a_figure_the_source_does_not_give_is_not_plannable() -> None:
    with pytest.raises(NotPlannable, match="available is not known"):
        desired_value(
            balance("3"), Figure.AVAILABLE, TargetUnit(Unit.DAYS), None, WorkSchedule.default()
        )
    _, value, _ = desired_value(
        balance("3", pending="1"),
        Figure.AVAILABLE,
        TargetUnit(Unit.DAYS),
        None,
        WorkSchedule.default(),
    )
    assert value == Quantity.of(2, Unit.DAYS)


def test_last_written_becomes_the_current_balance_in_the_targets_unit() -> None:
    last = LastWritten("bank", "b1", "t", Decimal(2), Unit.DAYS, "op-1", datetime.now(UTC))
    current = current_from_last_written(
        last,
        EmployeeRef("bank", "b1"),
        LeaveTypeRef("bank", "t"),
        TargetUnit(Unit.HOURS),
        SEVEN_AND_A_HALF,
        TODAY,
    )
    assert current is not None
    assert current.remaining == Decimal(15)
    assert current.provenance.record_id == "op-1"
    assert (
        current_from_last_written(
            None,
            EmployeeRef("b", "1"),
            LeaveTypeRef("b", "t"),
            TargetUnit(Unit.DAYS),
            SEVEN_AND_A_HALF,
            TODAY,
        )
        is None
    )


async def test_plan_rows_cover_every_person_and_pair(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    plans = await Engine(config, systems, None, today=TODAY).plan()
    to_time, to_bank = plans
    rows = {r.target_employee: r for r in to_time.rows}
    assert rows["U1"].operation is OperationKind.SET
    assert rows["U1"].before == Quantity.of(40, Unit.HOURS)
    assert rows["U1"].after == Quantity.of(100, Unit.HOURS)
    assert rows["U1"].source_value == Quantity.of("12.5", Unit.DAYS)
    assert rows["U2"].after == Quantity.of(75, Unit.HOURS)
    assert rows["U2"].before is None
    unmapped = [r for r in to_bank.rows if r.operation is OperationKind.UNMAPPED]
    assert [r.source_employee for r in unmapped] == ["e3"]
    assert "no bank id for this person in the mapping (line 4)" in unmapped[0].note
    # A plan writes nothing anywhere.
    assert all(not s.writes for s in systems.values())


def _context(config: Config) -> PlanContext:
    """What `plan_sync` needs of a run, for `config`'s mapping, with no journal."""
    assert config.mapping is not None
    return PlanContext(
        mapping=config.mapping,
        default_schedule=config.schedule,
        run_id="r",
        new_operation_id=iter(f"op-{i}" for i in range(100)).__next__,
        today=TODAY,
    )


async def test_source_employees_missing_from_the_mapping_are_unmapped(tmp_path: Path) -> None:
    class Directory(FakeAdapter):
        async def list_employee_ids(self) -> list[str]:
            return ["e1", "e2", "e3", "e9"]

    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    hr = Directory("hr", can_write=False, balances=dict(systems["hr"].balances))
    hr.balances[("e9", "1")] = Decimal(4)
    context = _context(config)
    plan = await plan_sync(config.sync("hr-to-time"), hr, systems["time"], context)
    extra = [r for r in plan.rows if r.source_employee == "e9"]
    assert [r.operation for r in extra] == [OperationKind.UNMAPPED]
    assert extra[0].note == "hr employee e9 is not in the mapping"


class _Watched(list[Balance]):
    """A read's answer, which a weak reference can watch go."""


async def test_the_reads_answers_are_let_go_while_the_rows_are_planned(tmp_path: Path) -> None:
    # Each read's balances go once indexed, each person's once planned: a sync of 100,000
    # people never holds both reads whole beside all its rows.
    answers: list[weakref.ref[_Watched]] = []
    alive_while_planning: list[int] = []

    class Answering(FakeAdapter):
        async def read_balances(
            self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
        ) -> list[Balance]:
            answer = _Watched(await super().read_balances(employee_ids, leave_type_ids, as_of))
            answers.append(weakref.ref(answer))
            return answer

        async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
            gc.collect()
            alive_while_planning.append(sum(1 for answer in answers if answer() is not None))
            return await super().plan_write(intent, current)

    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    hr = Answering("hr", can_write=False, balances=dict(systems["hr"].balances))
    time = Answering("time", units=systems["time"].units, balances=dict(systems["time"].balances))
    plan = await plan_sync(config.sync("hr-to-time"), hr, time, _context(config))
    assert any(r.writes for r in plan.rows)
    assert len(answers) >= 2  # the source's and the target's
    assert alive_while_planning
    assert set(alive_while_planning) == {0}


DOWN = ServerError(method="GET", path="/balances", status_code=503, body="down")


@pytest.mark.parametrize("failure", [DOWN, ValueError("no type x")], ids=["503", "refused"])
async def test_a_failed_read_leaves_none_of_the_plans_other_reads_running(
    tmp_path: Path, failure: Exception
) -> None:
    # The sync is unplannable at the first failed read; the reads still going would otherwise
    # run on, unawaited, into adapters their run closes next (a socket left open).
    source_reading = asyncio.Event()
    cancelled: list[str] = []

    class Slow(FakeAdapter):
        async def list_employee_ids(self) -> list[str]:
            return await self._never("listing")

        async def read_balances(
            self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
        ) -> list[Balance]:
            return await self._never("read")

        async def _never(self, what: str) -> list[Any]:
            source_reading.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(what)
                raise
            raise AssertionError("unreachable")

    class Failing(FakeAdapter):
        async def read_balances(
            self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
        ) -> list[Balance]:
            await source_reading.wait()
            raise failure

    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    hr, time = Slow("hr", can_write=False), Failing("time")
    plan = await asyncio.wait_for(
        plan_sync(config.sync("hr-to-time"), hr, time, _context(config)), 5
    )
    assert plan.error is not None
    assert str(failure.args[0] if isinstance(failure, ValueError) else 503) in plan.error
    assert sorted(cancelled) == ["listing", "read"]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_the_source_people_are_listed_while_its_balances_are_read(tmp_path: Path) -> None:
    # The listing is a request of its own: one after the reads would add its latency to the
    # plan. The balance read here waits for the listing to have started.
    listing_started = asyncio.Event()

    class Directory(FakeAdapter):
        async def list_employee_ids(self) -> list[str]:
            listing_started.set()
            return ["e1", "e2", "e3"]

        async def read_balances(
            self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
        ) -> list[Balance]:
            await asyncio.wait_for(listing_started.wait(), timeout=5)
            return await super().read_balances(employee_ids, leave_type_ids, as_of)

    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    hr = Directory("hr", can_write=False, balances=dict(systems["hr"].balances))
    context = _context(config)
    for target in ("time", "bank"):  # a target read back, and one that cannot be read
        listing_started.clear()
        sync = config.sync("hr-to-time" if target == "time" else "hr-to-bank")
        plan = await plan_sync(sync, hr, systems[target], context)
        assert plan.error is None, plan.error
        assert any(r.writes for r in plan.rows)


async def test_source_types_without_a_pair_are_one_unmapped_row_each(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    hr = systems["hr"]
    hr.all_types_when_empty = True
    hr.balances[("e1", "sick")] = Decimal(2)
    hr.balances[("e2", "sick")] = Decimal(1)
    plans = await Engine(config, systems, None, today=TODAY).plan(["hr-to-time"])
    unpaired = [r for r in plans[0].rows if r.source_type == "sick"]
    assert [(r.operation, r.employee_label) for r in unpaired] == [
        (OperationKind.UNMAPPED, "(all)")
    ]
    assert (
        unpaired[0].note
        == "hr type sick has balances for 2 mapped employee(s) but no pair in this sync"
    )
    assert sum(1 for r in plans[0].rows if r.operation is OperationKind.SET) == 3


async def test_a_source_without_the_balance_is_a_skip_with_a_note(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    del systems["hr"].balances[("e2", "1")]
    plans = await Engine(config, systems, None, today=TODAY).plan(["hr-to-time"])
    row = next(r for r in plans[0].rows if r.source_employee == "e2")
    assert row.operation is OperationKind.SKIP
    assert "hr has no balance of type 1" in row.note


async def test_unreadable_source_makes_the_sync_unplannable(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    systems["hr"].can_read = False
    systems["hr"].__post_init__()
    plans = await Engine(config, systems, None, today=TODAY).plan(["hr-to-time"])
    assert plans[0].error is not None
    assert plans[0].rows == ()


# -- the property: apply, then plan again: nothing more to write ----------------------------

PROPERTY_CSV = """
hr,time,bank,hours_per_day
e1,U1,b1,
e2,U2,b2,7.5
e3,U3,b3,6
e4,U4,b4,7.5
"""

amounts = st.decimals(
    min_value=Decimal(-40), max_value=Decimal(400), places=3, allow_nan=False, allow_infinity=False
)
target_units = st.sampled_from(
    [
        TargetUnit(Unit.DAYS, step=Decimal("0.01")),
        TargetUnit(Unit.DAYS, step=Decimal("0.5"), mode=RoundingMode.FLOOR),
        TargetUnit(Unit.HOURS, step=Decimal("0.25")),
        TargetUnit(Unit.HOURS),
        TargetUnit(Unit.MINUTES, step=Decimal(1)),
    ]
)


@pytest.fixture(scope="module")
def property_config_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source_values=st.lists(amounts, min_size=4, max_size=4),
    source_unit=st.sampled_from([Unit.DAYS, Unit.HOURS]),
    target_unit=target_units,
    initial=st.lists(st.one_of(st.none(), amounts), min_size=4, max_size=4),
    write_kind=st.sampled_from([WriteKind.SET, WriteKind.IMPORT, WriteKind.LEDGER]),
    readable=st.booleans(),
)
async def test_applying_a_plan_then_planning_again_writes_nothing(
    property_config_dir: Path,
    source_values: list[Decimal],
    source_unit: Unit,
    target_unit: TargetUnit,
    initial: list[Decimal | None],
    write_kind: WriteKind,
    readable: bool,
) -> None:
    toml = BASIC_TOML.replace('max_change = "30 days"', 'max_change = "1000 days"')
    config = write_config(property_config_dir, toml, PROPERTY_CSV)
    hr = FakeAdapter(
        "hr",
        can_write=False,
        units={"1": TargetUnit(source_unit)},
        balances={(f"e{i + 1}", "1"): v for i, v in enumerate(source_values)},
    )
    target = FakeAdapter(
        "time",
        can_read=readable,
        write_kind=write_kind,
        units={"Vacation": target_unit},
        balances={(f"U{i + 1}", "Vacation"): v for i, v in enumerate(initial) if v is not None},
    )
    systems = {"hr": hr, "time": target, "bank": FakeAdapter("bank", can_read=False)}
    journal = SqliteJournal(":memory:")
    first = await Engine(config, systems, journal, today=date(2025, 1, 1)).sync(["hr-to-time"])
    assert first.exit_code == 0, first.results
    writes = len(target.writes)
    second = await Engine(config, systems, journal, today=date(2025, 1, 1)).sync(["hr-to-time"])
    assert second.exit_code == 0
    assert len(target.writes) == writes
    assert {r.row.operation for r in second.results} == {OperationKind.SKIP}


# -- the date of each source figure ---------------------------------------------------------


def dated(as_of: date, basis: AsOfBasis = AsOfBasis.DATE, period: Period | None = None) -> Balance:
    return Balance.build(
        employee=EmployeeRef("hr", "e1"),
        leave_type=LeaveTypeRef("hr", "1"),
        unit=Unit.DAYS,
        remaining=Decimal(5),
        as_of=as_of,
        as_of_basis=basis,
        period=period,
        provenance=Provenance("hr", None, datetime.now(UTC)),
    )


def test_a_figure_dated_on_the_day_asked_says_nothing() -> None:
    dating = source_dating(dated(TODAY), TODAY, "hr", timedelta(days=0))
    assert (dating.age_days, dating.note, dating.blocked) == (0, "", None)


def test_an_older_figure_says_how_old_and_max_source_age_blocks_it() -> None:
    import_date = date(2024, 12, 31)  # 90 days before TODAY (2025-03-31)
    young_enough = source_dating(dated(import_date), TODAY, "hr", timedelta(days=90))
    assert young_enough.age_days == 90
    assert young_enough.note == "hr's figure is dated 2024-12-31, 90 days before 2025-03-31"
    assert young_enough.blocked is None
    too_old = source_dating(dated(import_date), TODAY, "hr", timedelta(days=45))
    assert too_old.blocked is not None
    assert "dated 2024-12-31, 90 days before 2025-03-31" in too_old.blocked
    assert "older than max_source_age (45 days)" in too_old.blocked
    assert source_dating(dated(import_date), TODAY, "hr").blocked is None  # no limit set


def test_a_figure_dated_after_the_date_asked_is_never_carried() -> None:
    dating = source_dating(dated(date(2025, 4, 1)), TODAY, "hr")
    assert dating.age_days == -1
    assert dating.blocked is not None
    assert "dated 2025-04-01, after the as-of date 2025-03-31" in dating.blocked


def test_a_current_figure_read_after_the_date_asked_says_so_and_is_not_blocked() -> None:
    read_on = date(2025, 6, 1)
    dating = source_dating(dated(read_on, AsOfBasis.CURRENT), TODAY, "projects", timedelta(0))
    assert dating.age_days == -62
    assert dating.blocked is None
    assert dating.note == (
        "projects keeps no date on this figure: it is the current one (read 2025-06-01), "
        "not as of 2025-03-31"
    )
    assert source_dating(dated(TODAY, AsOfBasis.CURRENT), TODAY, "projects").note == ""


def test_a_period_figure_names_its_period() -> None:
    year = dated(TODAY, AsOfBasis.PERIOD, Period.calendar_year(2025))
    assert source_dating(year, TODAY, "hr").note == (
        "hr answers per period, not per date: the figures of year 2025 as hr holds them"
    )
    span = Period(date(2024, 4, 1), date(2025, 3, 31))
    assert (
        "2024-04-01..2025-03-31"
        in source_dating(dated(TODAY, AsOfBasis.PERIOD, span), TODAY, "hr").note
    )


async def test_plan_rows_carry_the_source_date_and_stale_ones_are_blocked(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'as_of = "2025-03-31"\n', 'as_of = "2025-03-31"\nmax_source_age = "45 days"\n', 1
    )
    config = write_config(tmp_path, toml, BASIC_CSV)
    systems = basic_systems()
    systems["hr"].dates = {("e1", "1"): date(2025, 3, 1), ("e2", "1"): date(2024, 12, 31)}
    plans = await Engine(config, systems, None, today=TODAY).plan(["hr-to-time"])
    rows = {r.source_employee: r for r in plans[0].rows}
    recent, stale, today = rows["e1"], rows["e2"], rows["e3"]
    assert (recent.source_as_of, recent.source_age_days) == (date(2025, 3, 1), 30)
    assert recent.source_as_of_basis is AsOfBasis.DATE
    assert recent.operation is OperationKind.SET
    assert recent.note.startswith("hr's figure is dated 2025-03-01, 30 days before 2025-03-31")
    assert stale.operation is OperationKind.BLOCKED
    assert stale.intent is None  # nothing would be written
    assert "older than max_source_age (45 days)" in stale.note
    assert stale.source_value == Quantity.of(10, Unit.DAYS)  # still shown
    assert (today.source_as_of, today.source_age_days) == (TODAY, 0)
    assert not any(s.writes for s in systems.values())


def test_joined_notes_say_each_part_once() -> None:
    assert join_notes("new import dated 2026-12-04", "new import dated 2026-12-04") == (
        "new import dated 2026-12-04"
    )
    assert (
        join_notes("set a", "", "set a; read back: applied", "b") == "set a; read back: applied; b"
    )
    assert join_notes("", "") == ""
    note = "hours_left of accrual 1"
    assert join_notes(note, note) is note
