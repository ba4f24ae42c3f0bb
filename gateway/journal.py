"""The journal and state store: runs, operations (intent before the write, outcome after) and the
values last written to each target.

`Journal` is the small interface the engine uses; this module holds it and the records it
reads and writes, and no implementation. `gateway.store.sql` implements it once, with
SQLAlchemy Core, for a SQLite file (`gateway.store.sqlite.SqliteJournal`: WAL mode, its
per-balance calls straight on sqlite3) and a
PostgreSQL database (`gateway.store.postgres`, `[state] url`): every call is its own committed
transaction, so a process killed at any point leaves a consistent store.
`gateway.store.open_state_store` opens the configured one.

An operation's `status`:

    intent       recorded before the write was sent; no outcome yet (a crash leaves this)
    applied      the target took the write (or a resume found it there)
    skipped      nothing to write (already equal, or unmapped)
    blocked      the target's dialect cannot reach the value; nothing written
    failed       the write was refused or failed before taking effect
    unknown      the write was sent and its fate is unknown (`WriteOutcomeUnknown`)
    not_applied  a resume read the target back and found the write had not taken effect
    superseded   a resume could not tell (a write-only target) and did not send it again: the
                 value last written there is forgotten, so the next plan sets the current
                 value (through guardrails and confirmation) instead of the stale one

`intent` and `unknown` are unresolved: the next run resolves them before planning anything.
No credential is ever stored: rows hold ids, amounts, notes (scrubbed) and timestamps.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from balance_gateway.adapters._core.adapter import OperationKind, WriteIntent
from balance_gateway.canonical import EmployeeRef, LeaveKind, LeaveTypeRef, Quantity, Unit
from balance_gateway.gateway.errors import SetupError


class OpStatus(StrEnum):
    INTENT = "intent"
    APPLIED = "applied"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOT_APPLIED = "not_applied"
    SUPERSEDED = "superseded"


UNRESOLVED = frozenset({OpStatus.INTENT, OpStatus.UNKNOWN})


class RunStatus(StrEnum):
    RUNNING = "running"  # also what a killed run is left as, until the next run or `runs`
    SUCCEEDED = "succeeded"  # every operation applied or skipped, and verified where readable
    PARTIAL = "partial"  # some operation failed, was blocked, unknown or not verified
    STOPPED = "stopped"  # a guardrail or the user stopped it before any write
    # Ctrl-C or SIGTERM during the run, or a kill (shown once nobody holds the run lock):
    # writes in flight are resolved by the next run.
    INTERRUPTED = "interrupted"


class StateStoreError(SetupError):
    """The state store cannot be used as it is (damaged, empty, unreadable, read-only,
    unreachable); the message names the file (or the URL, password masked) and what to do.
    CLI exit code 2: nothing was read or written."""

    def __init__(self, path: Path | str, problem: str, advice: str) -> None:
        self.path = str(path)
        super().__init__(f"the state store {path} {problem}: {advice}")


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OperationRecord:
    """One row of a run: the planned operation, its intent and what became of it.

    `before`/`after` are in `unit` (the target's); `after` is the value the target should hold.
    `employee`/`leave_type` are the target system's ids. `verified` is None when not checked
    (not written, or the target cannot be read back).
    """

    operation_id: str
    run_id: str
    sync: str
    source_system: str
    system: str
    employee: str
    leave_type: str
    kind: OperationKind
    status: OpStatus
    unit: Unit | None = None
    before: Decimal | None = None
    after: Decimal | None = None
    source_employee: str | None = None
    source_type: str | None = None
    source_value: str | None = None  # "12.5 days", as read from the source
    leave_kind: LeaveKind | None = None
    as_of: date | None = None
    allow_below_threshold: bool = False
    verified: bool | None = None
    note: str = ""
    record_ids: tuple[str, ...] = ()
    created_at: datetime = field(default_factory=now_utc)
    updated_at: datetime = field(default_factory=now_utc)

    def intent(self) -> WriteIntent:
        """The WriteIntent this row recorded (for a resume); ValueError if it has no value."""
        if self.after is None or self.unit is None or self.as_of is None:
            raise ValueError(f"operation {self.operation_id} recorded no value to write")
        return WriteIntent(
            operation_id=self.operation_id,
            run_id=self.run_id,
            employee=EmployeeRef(self.system, self.employee),
            leave_type=LeaveTypeRef(self.system, self.leave_type, self.leave_kind),
            remaining=Quantity(self.after, self.unit),
            as_of=self.as_of,
            source=self.source_system,
            allow_below_threshold=self.allow_below_threshold,
        )

    @property
    def unresolved(self) -> bool:
        return self.status in UNRESOLVED


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime
    config_path: str
    syncs: tuple[str, ...]
    status: RunStatus = RunStatus.RUNNING
    finished_at: datetime | None = None
    summary: dict[str, int] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class LastWritten:
    """The value this project last wrote to (system, employee, leave type), in `unit`."""

    system: str
    employee: str
    leave_type: str
    value: Decimal
    unit: Unit
    operation_id: str
    at: datetime


@dataclass(frozen=True)
class Outcome:
    """An operation's outcome as `Journal.record_batch` stores it: `record` is the operation as
    it now stands (its status, value, note, record ids and kind replace what was recorded).
    `remember`: its value becomes the last written value of its (system, employee, leave type);
    `forget`: that last written value is dropped instead (see `Journal.record_outcome`)."""

    record: OperationRecord
    remember: bool = False
    forget: bool = False


@dataclass(frozen=True)
class Verification:
    """An applied operation read back: `verified` (equal to what was written) or not, and the
    note that replaces its note (None: kept)."""

    operation_id: str
    verified: bool
    note: str | None = None


class Journal(Protocol):
    """Where the engine records runs and operations, and remembers what it wrote."""

    def start_run(self, run: RunRecord) -> None:
        """Record a new run (status running)."""
        ...

    def finish_run(
        self, run_id: str, status: RunStatus, summary: dict[str, int], message: str = ""
    ) -> None:
        """Close a run with its final status and counts per operation status."""
        ...

    def record(self, op: OperationRecord) -> None:
        """Insert `op` as it is: for an intent, this is committed before the write is sent."""
        ...

    def record_outcome(
        self,
        operation_id: str,
        status: OpStatus,
        *,
        after: Decimal | None = None,
        note: str | None = None,
        record_ids: Sequence[str] = (),
        kind: OperationKind | None = None,
        remember: bool | None = None,
        forget: bool = False,
    ) -> OperationRecord:
        """Set an operation's outcome. When `remember` (default: the status is `applied`), its
        value also becomes the last written value, in the same transaction. `forget` instead
        drops the last written value of the operation's (system, employee, leave type), in the
        same transaction: what the target holds there is no longer known. `after` replaces the
        recorded value when given. Raises KeyError for an unknown operation id."""
        ...

    def record_batch(
        self, records: Sequence[OperationRecord], outcomes: Sequence[Outcome] = ()
    ) -> None:
        """Insert `records`, then store `outcomes`, all in one transaction (all or nothing):
        the intents and outcomes of concurrent writes committed together
        (`gateway.journal_batch`). An outcome's operation must exist (recorded earlier or in
        `records`)."""
        ...

    def set_verified(self, operation_id: str, verified: bool, note: str | None = None) -> None:
        """Mark an applied operation as verified (read back equal) or not."""
        ...

    def set_verified_many(self, checks: Sequence[Verification]) -> None:
        """`set_verified` for each of `checks`, in one transaction."""
        ...

    def unresolved(self, systems: Collection[str] | None = None) -> list[OperationRecord]:
        """Operations still `intent` or `unknown` (optionally only those targeting `systems`),
        oldest first."""
        ...

    def last_written(self, system: str, employee: str, leave_type: str) -> LastWritten | None:
        """What this project last wrote there, if anything."""
        ...

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Runs, newest first."""
        ...

    def run(self, run_id: str) -> RunRecord | None: ...

    def operations(self, run_id: str) -> list[OperationRecord]:
        """Every operation of `run_id`, in the order recorded."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class OperationLookup(Protocol):
    """A journal that can find operations by id without reading a whole run (a worker of a
    distributed run looks up its unit's operations; `Engine.apply_rows`)."""

    def operations_by_id(self, operation_ids: Collection[str]) -> list[OperationRecord]:
        """The operations with these ids that exist (in no set order)."""
        ...


if TYPE_CHECKING:
    from balance_gateway.gateway.store.sqlite import SqliteJournal as SqliteJournal


def __getattr__(name: str) -> object:
    # `SqliteJournal` is an implementation (`gateway.store.sqlite`), not part of this interface;
    # found here on first use only, for callers that still import it from this module.
    if name == "SqliteJournal":
        from balance_gateway.gateway.store.sqlite import SqliteJournal

        return SqliteJournal
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
