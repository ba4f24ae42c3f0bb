"""Group commit: the journal writes of concurrent row tasks share transactions.

A written balance costs the journal an intent, committed before its write is sent, and an
outcome. Committed one by one that is two transactions per balance, the biggest CPU cost of a
run once requests are few. Here the intents asked for in one turn of the event loop are
committed together (after a few more turns of the loop, so that the answers just in add
theirs), and outcomes (and the records of rows that write nothing) wait to ride along with the
next intents, or for `max_pending` of them, or `max_delay` seconds, or the end of the apply
phase (`flush`).

Exactly once holds: no write is sent before its intent is committed. A crash loses at most the
outcomes still waiting; their intents are on disk without an outcome, which the next run
resolves by reading the target back, as it does for any write in flight at a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from balance_gateway.gateway.journal import Journal, OperationRecord, Outcome

# Turns of the event loop an intent waits for company (no sleep: microseconds). Measured with
# benchmarks/profile_sync.py at N = 1,000 x 3: 0 turns, 1.6 records per commit; 4, 3.3.
_TURNS = 4


class JournalBatch:
    """Batches `journal`'s records and outcomes within one apply phase; `flush` commits what
    waits and raises the first error a background commit met."""

    def __init__(self, journal: Journal, *, max_pending: int = 256, max_delay: float = 0.05):
        self._journal = journal
        self._max_pending = max_pending
        self._max_delay = max_delay
        self._records: list[OperationRecord] = []
        # One per record: the future its intent awaits, None for a record nobody awaits.
        self._waiting: list[asyncio.Future[None] | None] = []
        self._outcomes: list[Outcome] = []
        self._soon: asyncio.Handle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._error: BaseException | None = None

    async def intent(self, record: OperationRecord) -> None:
        """Returns once `record` is committed (raises what committing it raised)."""
        future = asyncio.get_running_loop().create_future()
        self._records.append(record)
        self._waiting.append(future)
        self._flush_soon()
        await future

    def record(self, record: OperationRecord) -> None:
        """Record `record` (a row that writes nothing) with the next commit."""
        self._records.append(record)
        self._waiting.append(None)
        self._queued()

    def outcome(self, outcome: Outcome) -> None:
        """Store `outcome` with the next commit; its intent must be committed already."""
        self._outcomes.append(outcome)
        self._queued()

    def flush(self) -> None:
        """Commit everything waiting now; raise the first error a background commit met."""
        self._commit()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _queued(self) -> None:
        if len(self._records) + len(self._outcomes) >= self._max_pending:
            self._flush_soon()
        elif self._timer is None and self._soon is None:
            self._timer = asyncio.get_running_loop().call_later(self._max_delay, self._commit)

    def _flush_soon(self) -> None:
        if self._soon is None:
            self._soon = asyncio.get_running_loop().call_soon(self._after_turns, _TURNS)

    def _after_turns(self, left: int) -> None:
        # A few more turns of the loop (no waiting): the answers that came in meanwhile wake
        # their tasks, whose next intents then share this commit.
        if left > 0:
            self._soon = asyncio.get_running_loop().call_soon(self._after_turns, left - 1)
        else:
            self._commit()

    def _commit(self) -> None:
        for handle in (self._soon, self._timer):
            if handle is not None:
                handle.cancel()
        self._soon = self._timer = None
        records, waiting, outcomes = self._records, self._waiting, self._outcomes
        self._records, self._waiting, self._outcomes = [], [], []
        if not records and not outcomes:
            return
        try:
            self._journal.record_batch(records, outcomes)
        except Exception:
            # All or nothing failed: commit one by one, so that each error reaches its own
            # row (e.g. an operation id already recorded by another worker).
            self._one_by_one(records, waiting, outcomes)
            return
        for future in waiting:
            _settle(future)

    def _one_by_one(
        self,
        records: Sequence[OperationRecord],
        waiting: Sequence[asyncio.Future[None] | None],
        outcomes: Sequence[Outcome],
    ) -> None:
        for record, future in zip(records, waiting, strict=True):
            try:
                self._journal.record_batch([record])
            except Exception as exc:
                if future is None:  # a row that writes nothing: the phase fails at `flush`
                    self._error = self._error or exc
                elif not future.done():
                    future.set_exception(exc)
            else:
                _settle(future)
        for outcome in outcomes:
            try:
                self._journal.record_batch([], [outcome])
            except Exception as exc:
                self._error = self._error or exc


def _settle(future: asyncio.Future[None] | None) -> None:
    # Done already: its task was cancelled while it waited (the record is committed anyway, as
    # after a crash just past the commit: the next run resolves it).
    if future is not None and not future.done():
        future.set_result(None)
