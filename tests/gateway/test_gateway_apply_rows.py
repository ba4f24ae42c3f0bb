"""`Engine.apply_rows`, what a worker of a distributed run calls with one work unit: the rows
planned by another process, safe to apply twice (a unit delivered again after its worker died).
An operation with an outcome is never written again; one left as an intent is resolved by
reading the target back, and written again, under the next attempt's id, only when the target
shows it was not applied. On both state stores (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from balance_gateway.adapters._core.adapter import OperationKind, WriteIntent, WriteOutcome
from balance_gateway.gateway.attempts import attempt_operation_id
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus, RunRecord, now_utc
from balance_gateway.gateway.plan import PlanRow
from balance_gateway.gateway.store import open_state_store
from balance_gateway.gateway.store.sql import SqlJournal
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    Crash,
    FakeAdapter,
    basic_systems,
    write_config,
)


@pytest.fixture
def config(tmp_path: Path, state_url: str | None) -> Config:
    return write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)


@pytest.fixture
def journal(config: Config) -> Iterator[SqlJournal]:
    journal = open_state_store(config)
    yield journal
    journal.close()


async def _planned(
    config: Config, systems: dict[str, FakeAdapter], journal: SqlJournal
) -> tuple[str, list[PlanRow]]:
    """The coordinator's part: a run recorded and its `hr-to-time` writes planned."""
    coordinator = Engine(config, systems, journal, today=TODAY)
    plans = await coordinator.plan(["hr-to-time"])
    journal.start_run(RunRecord(coordinator.run_id, now_utc(), str(config.path), ("hr-to-time",)))
    rows = [row for plan in plans for row in plan.rows if row.writes]
    assert len(rows) == 3
    return coordinator.run_id, rows


def _worker(
    config: Config, systems: dict[str, FakeAdapter], journal: SqlJournal, run_id: str
) -> Engine:
    return Engine(config, systems, journal, today=TODAY, run_id=run_id)


async def test_a_unit_applied_twice_writes_each_balance_once(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    run_id, rows = await _planned(config, systems, journal)
    first = await _worker(config, systems, journal, run_id).apply_rows(rows)
    assert [r.status for r in first] == [OpStatus.APPLIED] * 3
    written = list(systems["time"].writes)

    again = await _worker(config, systems, journal, run_id).apply_rows(rows)
    assert systems["time"].writes == written
    assert [(r.operation_id, r.status, r.after) for r in again] == [
        (r.operation_id, r.status, r.after) for r in first
    ]
    assert len(journal.operations(run_id)) == 3


async def test_a_unit_cut_short_after_a_write_resolves_it_without_writing_again(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    run_id, rows = await _planned(config, systems, journal)
    systems["time"].crash_after_apply.add("U2")  # written, then the worker is killed
    with pytest.raises(Crash):
        await _worker(config, systems, journal, run_id).apply_rows(rows)
    await asyncio.sleep(0)  # let the other rows of the dead unit settle
    systems["time"].crash_after_apply.clear()
    assert [op.operation_id for op in journal.unresolved()] == [rows[1].intent.operation_id]  # type: ignore[union-attr]
    written = len(systems["time"].writes)

    results = await _worker(config, systems, journal, run_id).apply_rows(rows)
    assert [r.status for r in results] == [OpStatus.APPLIED] * 3
    assert len(systems["time"].writes) == written  # U2 read back as applied: not sent again
    assert journal.unresolved() == []
    op = next(o for o in journal.operations(run_id) if o.employee == "U2")
    assert op.status is OpStatus.APPLIED
    assert op.note.startswith(f"resolved by run {run_id}: the target shows it applied")
    assert journal.last_written("time", "U2", "Vacation") is not None


async def test_a_unit_cut_short_before_a_write_writes_it_under_the_next_attempt_id(
    config: Config, journal: SqlJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    systems = basic_systems()
    run_id, rows = await _planned(config, systems, journal)
    target = systems["time"]
    real_apply = target.apply_write

    async def killed_before_sending(intent: WriteIntent) -> WriteOutcome:
        if intent.employee.id == "U3":
            raise Crash()
        return await real_apply(intent)

    monkeypatch.setattr(target, "apply_write", killed_before_sending)
    with pytest.raises(Crash):
        await _worker(config, systems, journal, run_id).apply_rows(rows)
    monkeypatch.setattr(target, "apply_write", real_apply)
    planned_id = rows[2].intent.operation_id  # type: ignore[union-attr]

    results = await _worker(config, systems, journal, run_id).apply_rows(rows)
    assert [r.status for r in results] == [OpStatus.APPLIED] * 3
    again = attempt_operation_id(planned_id, 2)
    assert results[2].operation_id == again
    assert [w[0] for w in target.writes if w[1] == "U3"] == [again]  # sent once, as attempt 2
    assert target.balances[("U3", "Vacation")] == Decimal(24)  # 3 days of 8 hours
    recorded = {op.operation_id: op.status for op in journal.operations(run_id)}
    assert recorded[planned_id] is OpStatus.NOT_APPLIED
    assert recorded[again] is OpStatus.APPLIED
    # And a third delivery changes nothing.
    third = await _worker(config, systems, journal, run_id).apply_rows(rows)
    assert [r.operation_id for r in third] == [r.operation_id for r in results]
    assert [w[0] for w in target.writes if w[1] == "U3"] == [again]


async def test_apply_rows_refuses_rows_that_write_nothing(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    run_id, rows = await _planned(config, systems, journal)
    skip = replace(rows[0], operation=OperationKind.SKIP)
    with pytest.raises(ValueError, match="planned writes only"):
        await _worker(config, systems, journal, run_id).apply_rows([skip])
    assert systems["time"].writes == []
