"""The journal, on both state stores (a SQLite file and PostgreSQL): intents before outcomes,
last written values, unresolved operations, an operation id recorded once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.canonical import LeaveKind, Quantity, Unit
from balance_gateway.gateway.journal import OperationRecord, OpStatus, RunRecord, RunStatus
from balance_gateway.gateway.store import StateStore, open_store
from balance_gateway.gateway.store.sql import SqlJournal
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.gateway.stores import store_dump


@pytest.fixture
def store(tmp_path: Path, state_url: str | None) -> StateStore:
    """A new store: a SQLite file, or a fresh PostgreSQL schema."""
    if state_url is None:
        return StateStore(path=tmp_path / "state.sqlite3")
    return StateStore(url=state_url)


def op(operation_id: str, *, run_id: str = "run-1", employee: str = "U1") -> OperationRecord:
    return OperationRecord(
        operation_id=operation_id,
        run_id=run_id,
        sync="hr-to-time",
        source_system="hr",
        system="time",
        employee=employee,
        leave_type="Vacation",
        kind=OperationKind.CREDIT,
        status=OpStatus.INTENT,
        unit=Unit.DAYS,
        before=Decimal("1.5"),
        after=Decimal("4.25"),
        source_employee="e1",
        source_type="1",
        source_value="4.25 days",
        leave_kind=LeaveKind.VACATION,
        as_of=date(2025, 3, 31),
        allow_below_threshold=True,
    )


def started(journal: SqlJournal, run_id: str = "run-1", minutes: int = 0) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    journal.start_run(RunRecord(run_id, at, "/x/config.toml", ("hr-to-time",)))


def test_an_intent_survives_reopening_and_is_unresolved(store: StateStore) -> None:
    journal = open_store(store)
    started(journal)
    journal.record(op("op-1"))
    journal.close()  # as if the process died here

    reopened = open_store(store)
    [pending] = reopened.unresolved()
    assert pending.operation_id == "op-1"
    intent = pending.intent()
    assert intent.remaining == Quantity.of("4.25", Unit.DAYS)
    assert intent.employee.system == "time"
    assert intent.leave_type.kind is LeaveKind.VACATION
    assert intent.source == "hr"
    assert intent.allow_below_threshold is True
    assert reopened.unresolved(systems={"other"}) == []


def test_wal_mode_and_one_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.sqlite3"
    SqliteJournal(path).close()
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_applied_outcome_becomes_the_last_written_value(store: StateStore) -> None:
    journal = open_store(store)
    started(journal)
    journal.record(op("op-1"))
    assert journal.last_written("time", "U1", "Vacation") is None
    updated = journal.record_outcome("op-1", OpStatus.APPLIED, note="credited", record_ids=["tx-9"])
    assert updated.status is OpStatus.APPLIED
    assert updated.record_ids == ("tx-9",)
    last = journal.last_written("time", "U1", "Vacation")
    assert last is not None
    assert (last.value, last.unit, last.operation_id) == (Decimal("4.25"), Unit.DAYS, "op-1")
    assert journal.unresolved() == []


def test_failed_outcome_is_not_remembered(store: StateStore) -> None:
    journal = open_store(store)
    started(journal)
    journal.record(op("op-1"))
    journal.record_outcome("op-1", OpStatus.FAILED, note="500")
    assert journal.last_written("time", "U1", "Vacation") is None
    journal.record(op("op-2"))
    journal.record_outcome("op-2", OpStatus.UNKNOWN)
    assert [o.operation_id for o in journal.unresolved()] == ["op-2"]


def test_unknown_operation_raises_key_error(store: StateStore) -> None:
    journal = open_store(store)
    with pytest.raises(KeyError, match="no operation 'nope'"):
        journal.record_outcome("nope", OpStatus.APPLIED)


def test_runs_newest_first_with_their_operations_in_order(store: StateStore) -> None:
    journal = open_store(store)
    started(journal, "run-1", minutes=0)
    started(journal, "run-2", minutes=5)
    journal.record(op("op-b", run_id="run-2", employee="U2"))
    journal.record(op("op-a", run_id="run-2", employee="U1"))
    journal.finish_run("run-2", RunStatus.SUCCEEDED, {"applied": 2})
    assert [r.run_id for r in journal.runs()] == ["run-2", "run-1"]
    run = journal.run("run-2")
    assert run is not None
    assert run.status is RunStatus.SUCCEEDED
    assert run.summary == {"applied": 2}
    assert run.finished_at is not None
    assert [o.operation_id for o in journal.operations("run-2")] == ["op-b", "op-a"]
    assert journal.run("missing") is None


def test_verified_flag_and_note(store: StateStore) -> None:
    journal = open_store(store)
    started(journal)
    journal.record(op("op-1"))
    journal.record_outcome("op-1", OpStatus.APPLIED)
    journal.set_verified("op-1", False, "read back 3 days")
    [stored] = journal.operations("run-1")
    assert stored.verified is False
    assert stored.note == "read back 3 days"


def test_a_secret_in_a_note_is_masked(store: StateStore) -> None:
    secret = Secret("s3cr3t-in-an-error-body-771")
    journal = open_store(store)
    started(journal)
    journal.record(op("op-1"))
    journal.record_outcome("op-1", OpStatus.FAILED, note=f"vendor said: bad key {secret.reveal()}")
    journal.close()
    dump = store_dump(store)
    assert secret.reveal() not in dump
    assert "bad key ***" in dump
