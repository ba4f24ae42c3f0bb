"""The engine end to end over fake adapters: apply, exactly once, resume, guardrails, verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from balance_gateway.adapters._core.adapter import OperationKind, TargetUnit, WriteKind
from balance_gateway.canonical import Unit
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus, RunStatus
from balance_gateway.gateway.lock import LockLost
from balance_gateway.gateway.report import report_json
from balance_gateway.gateway.store import open_state_store
from balance_gateway.gateway.store.sql import SqlJournal
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    SECRET_VALUES,
    TODAY,
    Crash,
    FakeAdapter,
    basic_systems,
    write_config,
)
from tests.gateway.stores import store_dump


@pytest.fixture
def config(tmp_path: Path, state_url: str | None) -> Config:
    return write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)


@pytest.fixture
def journal(config: Config) -> Iterator[SqlJournal]:
    journal = open_state_store(config)
    yield journal
    journal.close()


def engine(config: Config, systems: dict[str, FakeAdapter], journal: SqlJournal) -> Engine:
    return Engine(config, systems, journal, today=TODAY)


async def test_first_run_writes_converted_values_and_verifies(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    report = await engine(config, systems, journal).sync()
    assert report.exit_code == 0
    # hours at each person's working day: e1 12.5 d * 8 h, e2 10 d * 7.5 h, e3 3 d * 8 h.
    assert systems["time"].balances == {
        ("U1", "Vacation"): Decimal("100.0"),
        ("U2", "Vacation"): Decimal("75.0"),
        ("U3", "Vacation"): Decimal(24),
    }
    assert systems["bank"].balances == {
        ("b1", "aaaaaaaaaaaaaaaaaaaaaaaa"): Decimal("12.5"),
        ("b2", "aaaaaaaaaaaaaaaaaaaaaaaa"): Decimal(10),
    }
    by_target = {(r.row.target_system, r.row.target_employee): r for r in report.results}
    assert by_target[("time", "U1")].verified is True
    assert by_target[("bank", "b1")].verified is None  # write-only: cannot be read back
    assert by_target[("bank", None)].row.operation is OperationKind.UNMAPPED
    run = journal.run(report.run_id or "")
    assert run is not None
    assert run.status is RunStatus.SUCCEEDED


async def test_second_run_without_source_change_writes_nothing(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    await engine(config, systems, journal).sync()
    writes = {name: len(s.writes) for name, s in systems.items()}
    report = await engine(config, systems, journal).sync()
    assert report.exit_code == 0
    assert {name: len(s.writes) for name, s in systems.items()} == writes
    kinds = {r.row.operation for r in report.results}
    assert kinds <= {OperationKind.SKIP, OperationKind.UNMAPPED}


async def test_source_change_rewrites_only_that_balance(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    await engine(config, systems, journal).sync()
    systems["hr"].balances[("e2", "1")] = Decimal(9)
    before = len(systems["bank"].writes), len(systems["time"].writes)
    report = await engine(config, systems, journal).sync()
    assert report.exit_code == 0
    assert len(systems["bank"].writes) == before[0] + 1
    assert len(systems["time"].writes) == before[1] + 1
    assert systems["time"].balances[("U2", "Vacation")] == Decimal("67.5")


async def test_guardrail_max_operations_stops_before_any_write(
    tmp_path: Path, state_url: str | None
) -> None:
    config = write_config(
        tmp_path,
        BASIC_TOML.replace("max_operations = 100", "max_operations = 2"),
        BASIC_CSV,
        state_url=state_url,
    )
    journal = open_state_store(config)
    systems = basic_systems()
    report = await engine(config, systems, journal).sync()
    assert report.exit_code == 1
    assert report.stopped
    assert any("max_operations = 2" in v for v in report.violations)
    assert systems["time"].writes == []
    assert systems["bank"].writes == []
    run = journal.run(report.run_id or "")
    assert run is not None
    assert run.status is RunStatus.STOPPED
    assert journal.operations(report.run_id or "") == []


async def test_guardrail_max_change_names_the_balance(
    tmp_path: Path, state_url: str | None
) -> None:
    config = write_config(
        tmp_path,
        BASIC_TOML.replace('max_change = "30 days"', 'max_change = "2 days"'),
        BASIC_CSV,
        state_url=state_url,
    )
    systems = basic_systems()
    report = await engine(config, systems, open_state_store(config)).sync()
    assert report.exit_code == 1
    # U1: 40 h -> 100 h is 60 h = 7.5 days > 2 days; e3's 3 days is also too big.
    assert any("U1" in v and "max_change = 2 days" in v for v in report.violations)
    assert all(not s.writes for s in systems.values())


async def test_crash_after_write_is_resolved_before_planning(
    tmp_path: Path, state_url: str | None
) -> None:
    """Intent journalled, write applied, process dies before the outcome: the next run asks
    the target, records the write as applied, and writes nothing twice."""
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)
    systems = basic_systems()
    ledger = FakeAdapter(
        "time",
        write_kind=WriteKind.LEDGER,
        units={"Vacation": TargetUnit(Unit.HOURS)},
        balances={("U1", "Vacation"): Decimal(40)},
        crash_after_apply={"U2"},
    )
    systems["time"] = ledger
    journal = open_state_store(config)
    with pytest.raises(Crash):
        await engine(config, systems, journal).sync(["hr-to-time"])
    journal.close()
    unresolved = open_state_store(config).unresolved()
    assert [(op.employee, op.status) for op in unresolved] == [("U2", OpStatus.INTENT)]

    ledger.crash_after_apply.clear()
    writes_before = list(ledger.writes)
    journal = open_state_store(config)
    report = await engine(config, systems, journal).sync(["hr-to-time"])
    assert report.exit_code == 0
    assert [(r.operation.employee, r.status) for r in report.resolutions] == [
        ("U2", OpStatus.APPLIED)
    ]
    # U2 was already credited: no second write for it; the others were done before the crash
    # or are done now, exactly once each.
    new_writes = ledger.writes[len(writes_before) :]
    assert all(employee != "U2" for _, employee, _, _ in new_writes)
    written = [employee for _, employee, _, _ in ledger.writes]
    assert sorted(written) == sorted(set(written))
    assert ledger.balances[("U2", "Vacation")] == Decimal("75.0")
    assert journal.unresolved() == []


async def test_intent_not_applied_is_planned_again(config: Config) -> None:
    """An intent whose write never reached the target is marked not_applied, and the fresh
    plan writes the balance."""
    systems = basic_systems()
    journal = open_state_store(config)
    eng = engine(config, systems, journal)
    plans = await eng.plan(["hr-to-time"])
    row = next(r for r in plans[0].rows if r.target_employee == "U2")
    assert row.intent is not None
    from balance_gateway.gateway.engine import (
        _record_for,  # the same record the engine writes first
    )
    from balance_gateway.gateway.journal import RunRecord, now_utc

    journal.start_run(RunRecord(eng.run_id, now_utc(), "x", ("hr-to-time",)))
    journal.record(_record_for(row, eng.run_id, row.intent.operation_id, OpStatus.INTENT))

    report = await engine(config, systems, journal).sync(["hr-to-time"])
    assert [r.status for r in report.resolutions] == [OpStatus.NOT_APPLIED]
    assert systems["time"].balances[("U2", "Vacation")] == Decimal("75.0")
    assert report.exit_code == 0


async def test_unknown_outcome_on_write_only_set_target_is_superseded(config: Config) -> None:
    systems = basic_systems()
    systems["bank"].unknown_after_apply.add("b1")
    journal = open_state_store(config)
    first = await engine(config, systems, journal).sync(["hr-to-bank"])
    assert first.exit_code == 1
    unknown = [r for r in first.results if r.status is OpStatus.UNKNOWN]
    assert [r.row.target_employee for r in unknown] == ["b1"]

    systems["bank"].unknown_after_apply.clear()
    second = await engine(config, systems, journal).sync(["hr-to-bank"])
    # Resolution only reads: the target cannot tell, so the operation is superseded and the
    # fresh plan sets the current value (through guardrails and confirmation), once.
    assert [r.status for r in second.resolutions] == [OpStatus.SUPERSEDED]
    assert "not sent again" in second.resolutions[0].note
    assert [w[1] for w in systems["bank"].writes].count("b1") == 2
    b1 = next(r for r in second.results if r.row.target_employee == "b1")
    assert b1.row.operation is OperationKind.SET
    assert b1.status is OpStatus.APPLIED
    assert second.exit_code == 0


async def test_write_outcome_unknown_is_read_back_at_once(config: Config) -> None:
    systems = basic_systems()
    systems["time"].unknown_after_apply.add("U1")
    report = await engine(config, systems, open_state_store(config)).sync(["hr-to-time"])
    result = next(r for r in report.results if r.row.target_employee == "U1")
    assert result.status is OpStatus.APPLIED
    assert "read back: applied" in result.note
    assert report.exit_code == 0


async def test_failed_and_blocked_writes_exit_1_and_are_journalled(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    systems["time"].fail.add("U1")
    systems["time"].blocked.add("U2")
    report = await engine(config, systems, journal).sync(["hr-to-time"])
    assert report.exit_code == 1
    statuses = {op.employee: op.status for op in journal.operations(report.run_id or "")}
    assert statuses == {"U1": OpStatus.FAILED, "U2": OpStatus.BLOCKED, "U3": OpStatus.APPLIED}
    run = journal.run(report.run_id or "")
    assert run is not None
    assert run.status is RunStatus.PARTIAL


async def test_read_back_mismatch_is_not_verified(config: Config, journal: SqlJournal) -> None:
    systems = basic_systems()
    systems["time"].lie_on_read.add("U3")
    report = await engine(config, systems, journal).sync(["hr-to-time"])
    result = next(r for r in report.results if r.row.target_employee == "U3")
    assert result.status is OpStatus.APPLIED
    assert result.verified is False
    assert "read back 25 hours, expected 24 hours" in result.note
    assert report.exit_code == 1
    ops = {op.employee: op for op in journal.operations(report.run_id or "")}
    assert ops["U3"].verified is False


async def test_dry_run_writes_nothing_and_records_nothing(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    report = await engine(config, systems, journal).sync(dry_run=True)
    assert report.run_id is None
    assert all(not s.writes for s in systems.values())
    assert journal.runs() == []
    assert report.summary["set"] == 5


async def test_declined_confirmation_writes_nothing(config: Config, journal: SqlJournal) -> None:
    systems = basic_systems()
    report = await engine(config, systems, journal).sync(confirm=lambda plans: False)
    assert report.exit_code == 1
    assert report.stopped == "not confirmed; nothing was written"
    assert all(not s.writes for s in systems.values())


async def test_no_secret_in_the_journal(config: Config, journal: SqlJournal) -> None:
    systems = basic_systems()
    systems["time"].fail.add("U1")
    await engine(config, systems, journal).sync()
    journal.close()
    dump = store_dump(config)
    for secret in SECRET_VALUES:
        assert secret not in dump


async def test_two_syncs_writing_one_balance_are_refused(
    tmp_path: Path, state_url: str | None
) -> None:
    toml = BASIC_TOML.replace(
        'target = "bank"\ntypes = [{ source = "1", target = "aaaaaaaaaaaaaaaaaaaaaaaa"',
        'target = "time"\ntypes = [{ source = "1", target = "Vacation"',
    )
    config = write_config(tmp_path, toml, BASIC_CSV, state_url=state_url)
    systems = basic_systems()
    report = await engine(config, systems, open_state_store(config)).sync(dry_run=True)
    second = [r for r in report.plans[1].rows if r.target_employee == "U1"]
    assert second[0].operation is OperationKind.BLOCKED
    assert "sync hr-to-time writes this balance too" in second[0].note


async def test_a_balance_shown_as_absent_is_verified_by_the_adapter(
    config: Config, journal: SqlJournal
) -> None:
    """A ledger lowered to 0 shows no balance at all; the adapter's own read-back confirms."""
    systems = basic_systems()
    systems["hr"].balances[("e3", "1")] = Decimal(0)
    ledger = FakeAdapter(
        "time",
        write_kind=WriteKind.LEDGER,
        units={"Vacation": TargetUnit(Unit.HOURS)},
        balances={("U3", "Vacation"): Decimal(5)},
        hide_zero=True,
    )
    systems["time"] = ledger
    report = await engine(config, systems, journal).sync(["hr-to-time"])
    result = next(r for r in report.results if r.row.target_employee == "U3")
    assert result.kind is OperationKind.REDUCE
    assert result.verified is True
    assert "the target confirms the write" in result.note
    assert report.exit_code == 0


async def test_report_json_carries_no_secret(config: Config, journal: SqlJournal) -> None:
    systems = basic_systems()
    systems["time"].fail.add("U2")
    report = await engine(config, systems, journal).sync()
    text = json.dumps(report_json(report))
    for secret in SECRET_VALUES:
        assert secret not in text
    data = json.loads(text)
    rows = {r["target_employee"]: r for s in data["syncs"] for r in s["rows"]}
    assert rows["U1"]["target_after"] == {"value": "100", "unit": "hours"}
    assert rows["U2"]["status"] == "failed"
    assert data["exit_code"] == 1


class CountingJournal:
    """`journal`, counting the calls that commit a transaction, by method."""

    COMMITS = ("record", "record_outcome", "record_batch", "set_verified", "set_verified_many")

    def __init__(self, journal: SqlJournal) -> None:
        self.journal = journal
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.journal, name)
        if name not in self.COMMITS:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return found(*args, **kwargs)

        return counted


async def test_concurrent_writes_share_journal_transactions(
    config: Config, journal: SqlJournal
) -> None:
    # Five rows written at once: their intents are one commit, their outcomes another, their
    # read-back a third, instead of three commits per written balance.
    counting = CountingJournal(journal)
    report = await Engine(config, basic_systems(), counting, today=TODAY).sync()
    assert report.exit_code == 0
    written = [r for r in report.results if r.status is OpStatus.APPLIED]
    assert len(written) == 5
    assert counting.calls == {"record_batch": 2, "set_verified_many": 1}
    stored = {op.operation_id: op for op in journal.operations(report.run_id or "")}
    assert {r.operation_id for r in report.results} == set(stored)
    assert all(stored[r.operation_id].status is r.status for r in report.results)
    assert all(stored[r.operation_id].verified is True for r in written if r.verified)


class LosingLock:
    """A run lock's `check` that holds for `holds` calls, then is lost."""

    def __init__(self, holds: int) -> None:
        self.holds = holds
        self.calls = 0

    def check(self) -> None:
        self.calls += 1
        if self.calls > self.holds:
            raise LockLost("state/gateway.sqlite3", "its PostgreSQL session ended")


async def test_a_run_lock_lost_before_the_writes_stops_the_run_writing_nothing(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    engine = Engine(config, systems, journal, today=TODAY)
    with pytest.raises(LockLost, match="was lost"):
        await engine.sync(lock_check=LosingLock(holds=0).check)
    assert systems["time"].writes == []
    assert systems["bank"].writes == []
    run = journal.run(engine.run_id)
    assert run is not None
    assert run.status is RunStatus.STOPPED
    assert "was lost" in run.message


async def test_a_run_lock_lost_while_writing_stops_every_write_not_yet_sent(
    config: Config, journal: SqlJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("balance_gateway.gateway.engine.LOCK_CHECK_SECONDS", 0.0)
    systems = basic_systems()
    engine = Engine(config, systems, journal, today=TODAY)
    # Held before the wave and for the first write; lost at the second.
    with pytest.raises(LockLost):
        await engine.sync(lock_check=LosingLock(holds=2).check)
    written = systems["time"].writes + systems["bank"].writes
    assert len(written) == 1
    run = journal.run(engine.run_id)
    assert run is not None
    assert run.status is RunStatus.PARTIAL
    assert "was lost" in run.message
    # The one write sent is journalled with its outcome: nothing is left unresolved.
    assert journal.unresolved() == []
