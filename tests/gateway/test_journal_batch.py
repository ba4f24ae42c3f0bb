"""Group commit (`gateway.journal_batch`): concurrent intents share a transaction and each is
committed before its caller goes on; outcomes ride along and are all committed by `flush`;
an error reaches the row it belongs to. `record_batch` on both store backends."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.canonical import Unit
from balance_gateway.gateway.journal import (
    Journal,
    OperationRecord,
    OpStatus,
    Outcome,
    RunRecord,
    Verification,
)
from balance_gateway.gateway.journal_batch import JournalBatch
from balance_gateway.gateway.store import StateStore, open_store


def _op(n: int, employee: str | None = None) -> OperationRecord:
    return OperationRecord(
        operation_id=f"op-{n}",
        run_id="run-1",
        sync="hr-to-time",
        source_system="hr",
        system="time",
        employee=employee or f"U{n}",
        leave_type="Vacation",
        kind=OperationKind.SET,
        status=OpStatus.INTENT,
        unit=Unit.DAYS,
        after=Decimal(n),
        as_of=date(2025, 3, 31),
    )


class CountingJournal:
    """The real journal, counting the batches committed (and their sizes)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.batches: list[tuple[int, int]] = []

    def record_batch(self, records: Any, outcomes: Any = ()) -> None:
        self.journal.record_batch(records, outcomes)
        self.batches.append((len(records), len(outcomes)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.journal, name)


@pytest.fixture
def journal(tmp_path: Path, state_url: str | None) -> Any:
    store = (
        StateStore(path=tmp_path / "state.sqlite3")
        if state_url is None
        else StateStore(url=state_url)
    )
    opened = open_store(store)
    opened.start_run(RunRecord("run-1", datetime.now(UTC), "config.toml", ("s",)))
    yield CountingJournal(opened)
    opened.close()


def _status(journal: CountingJournal, operation_id: str) -> OpStatus | None:
    found = {op.operation_id: op.status for op in journal.operations("run-1")}
    return found.get(operation_id)


async def test_intents_asked_for_together_are_one_commit_each_on_disk_before_it_returns(
    journal: CountingJournal,
) -> None:
    batch = JournalBatch(journal)
    seen: dict[int, OpStatus | None] = {}

    async def write(n: int) -> None:
        await batch.intent(_op(n))
        seen[n] = _status(journal, f"op-{n}")  # what a crash right now would leave

    await asyncio.gather(*(write(n) for n in range(1, 11)))
    assert seen == {n: OpStatus.INTENT for n in range(1, 11)}
    assert journal.batches == [(10, 0)]


async def test_outcomes_wait_for_the_next_commit_and_flush_stores_them_all(
    journal: CountingJournal,
) -> None:
    batch = JournalBatch(journal, max_delay=60)
    first, second = _op(1), _op(2)
    await batch.intent(first)
    batch.outcome(Outcome(replace(first, status=OpStatus.APPLIED, note="ok"), remember=True))
    assert _status(journal, "op-1") is OpStatus.INTENT  # waiting, not yet committed
    await batch.intent(second)  # rides along with this intent
    assert _status(journal, "op-1") is OpStatus.APPLIED
    batch.outcome(Outcome(replace(second, status=OpStatus.FAILED, note="refused")))
    batch.record(replace(_op(3), status=OpStatus.SKIPPED))
    batch.flush()
    assert [(op.operation_id, op.status, op.note) for op in journal.operations("run-1")] == [
        ("op-1", OpStatus.APPLIED, "ok"),
        ("op-2", OpStatus.FAILED, "refused"),
        ("op-3", OpStatus.SKIPPED, ""),
    ]
    last = journal.last_written("time", "U1", "Vacation")
    assert last is not None
    assert (last.value, last.operation_id) == (Decimal(1), "op-1")
    assert journal.last_written("time", "U2", "Vacation") is None  # a failure is not written
    assert journal.batches == [(1, 0), (1, 1), (1, 1)]


async def test_waiting_outcomes_are_committed_after_max_delay_without_a_flush(
    journal: CountingJournal,
) -> None:
    batch = JournalBatch(journal, max_delay=0.01)
    await batch.intent(_op(1))
    batch.outcome(Outcome(replace(_op(1), status=OpStatus.APPLIED)))
    await asyncio.sleep(0.1)
    assert _status(journal, "op-1") is OpStatus.APPLIED


async def test_a_refused_intent_fails_its_own_row_and_the_others_are_committed(
    journal: CountingJournal,
) -> None:
    journal.record(_op(1))  # e.g. a unit delivered twice: another worker recorded it
    batch = JournalBatch(journal)
    results = await asyncio.gather(
        *(batch.intent(_op(n)) for n in (1, 2, 3)), return_exceptions=True
    )
    assert results[1:] == [None, None]
    assert type(results[0]).__name__ in {"IntegrityError", "UniqueViolation"}
    assert {op.operation_id for op in journal.operations("run-1")} == {"op-1", "op-2", "op-3"}


async def test_a_failed_record_nobody_awaits_fails_the_flush(journal: CountingJournal) -> None:
    journal.record(_op(1))
    batch = JournalBatch(journal)
    batch.record(replace(_op(1), status=OpStatus.SKIPPED))  # its id is taken
    batch.record(replace(_op(2), status=OpStatus.SKIPPED))
    with pytest.raises(Exception, match=r"operation_id|unique|UNIQUE"):
        batch.flush()
    assert _status(journal, "op-2") is OpStatus.SKIPPED  # the other one is not lost


def test_one_batch_writing_one_balance_twice_remembers_the_last_outcome(
    journal: CountingJournal,
) -> None:
    first, second, third = _op(1, "U9"), _op(2, "U9"), _op(3, "U9")
    journal.record_batch(
        [first, second, third],
        [
            Outcome(replace(first, status=OpStatus.APPLIED), remember=True),
            Outcome(replace(second, status=OpStatus.APPLIED), remember=True),
        ],
    )
    last = journal.last_written("time", "U9", "Vacation")
    assert last is not None
    assert (last.value, last.operation_id) == (Decimal(2), "op-2")
    journal.record_batch([], [Outcome(replace(third, status=OpStatus.UNKNOWN), forget=True)])
    assert journal.last_written("time", "U9", "Vacation") is None


def test_verifications_are_stored_together_with_their_notes(journal: CountingJournal) -> None:
    journal.record_batch([_op(1), _op(2)])
    journal.set_verified_many(
        [Verification("op-1", True), Verification("op-2", False, "read back 3 days")]
    )
    stored = {op.operation_id: (op.verified, op.note) for op in journal.operations("run-1")}
    assert stored == {"op-1": (True, ""), "op-2": (False, "read back 3 days")}


def test_a_batch_that_fails_partway_stores_none_of_it_and_the_store_goes_on(
    journal: CountingJournal,
) -> None:
    journal.record_batch([_op(1)])
    applied = Outcome(replace(_op(1), status=OpStatus.APPLIED), remember=True)
    with pytest.raises(Exception, match=r"operation_id|unique|UNIQUE"):
        # op-2 goes in first, then op-1 again: the database refuses it halfway.
        journal.record_batch([_op(2), _op(1)], [applied])
    assert _status(journal, "op-1") is OpStatus.INTENT  # the outcome was rolled back too
    assert _status(journal, "op-2") is None
    assert journal.last_written("time", "U1", "Vacation") is None
    journal.record_batch([_op(2)], [applied])  # no transaction was left open
    assert (_status(journal, "op-1"), _status(journal, "op-2")) == (
        OpStatus.APPLIED,
        OpStatus.INTENT,
    )
    last = journal.last_written("time", "U1", "Vacation")
    assert last is not None
    assert last.value == Decimal(1)
