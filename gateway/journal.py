"""The journal and state store: runs, operations (intent before the write, outcome after) and the
values last written to each target.

`Journal` is the small interface the engine uses; `SqliteJournal` keeps it in one SQLite file
(WAL mode, every call its own committed transaction, so a process killed at any point leaves a
consistent file). A PostgreSQL implementation can serve many workers later behind the same
interface.

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

import json
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from balance_gateway.adapters._core.adapter import OperationKind, WriteIntent
from balance_gateway.adapters._core.secrets import scrub
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
    """The state store cannot be used as it is (damaged, empty, unreadable, read-only); the
    message names the file and what to do. CLI exit code 2: nothing was read or written."""

    def __init__(self, path: Path | str, problem: str, advice: str) -> None:
        self.path = str(path)
        super().__init__(f"the state store {path} {problem}: {advice}")


_RESTORE = (
    "restore it from a backup, or move it aside to start a new journal (which forgets the "
    "values written to write-only targets, and what is still in flight)"
)


def _store_error(path: str, exc: sqlite3.Error) -> StateStoreError:
    """The state store error for what SQLite said about the file at `path`."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return StateStoreError(
            path, "is read-only", "let this user write the file and its folder, then run again"
        )
    if "unable to open" in text:
        return StateStoreError(
            path, "cannot be opened", "check that it is a file this user may read and write"
        )
    if "locked" in text or "busy" in text:
        return StateStoreError(
            path, "is locked by another process", "wait for it to finish, then run again"
        )
    return StateStoreError(path, f"is damaged ({exc})", _RESTORE)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
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

    def set_verified(self, operation_id: str, verified: bool, note: str | None = None) -> None:
        """Mark an applied operation as verified (read back equal) or not."""
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
        """The operations with these ids that exist, in the order recorded."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id       TEXT PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    config_path  TEXT NOT NULL,
    syncs        TEXT NOT NULL,
    status       TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '{}',
    message      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS operations (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_id          TEXT NOT NULL UNIQUE,
    run_id                TEXT NOT NULL REFERENCES runs(run_id),
    sync                  TEXT NOT NULL,
    source_system         TEXT NOT NULL,
    system                TEXT NOT NULL,
    employee              TEXT NOT NULL,
    leave_type            TEXT NOT NULL,
    leave_kind            TEXT,
    kind                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    unit                  TEXT,
    before                TEXT,
    after                 TEXT,
    source_employee       TEXT,
    source_type           TEXT,
    source_value          TEXT,
    as_of                 TEXT,
    allow_below_threshold INTEGER NOT NULL DEFAULT 0,
    verified              INTEGER,
    note                  TEXT NOT NULL DEFAULT '',
    record_ids            TEXT NOT NULL DEFAULT '[]',
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_run ON operations(run_id, seq);
CREATE INDEX IF NOT EXISTS operations_by_status ON operations(status);
CREATE TABLE IF NOT EXISTS last_written (
    system        TEXT NOT NULL,
    employee      TEXT NOT NULL,
    leave_type    TEXT NOT NULL,
    value         TEXT NOT NULL,
    unit          TEXT NOT NULL,
    operation_id  TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (system, employee, leave_type)
);
"""

_OP_COLUMNS = (
    "operation_id",
    "run_id",
    "sync",
    "source_system",
    "system",
    "employee",
    "leave_type",
    "leave_kind",
    "kind",
    "status",
    "unit",
    "before",
    "after",
    "source_employee",
    "source_type",
    "source_value",
    "as_of",
    "allow_below_threshold",
    "verified",
    "note",
    "record_ids",
    "created_at",
    "updated_at",
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _op_row(op: OperationRecord) -> tuple[Any, ...]:
    return (
        op.operation_id,
        op.run_id,
        op.sync,
        op.source_system,
        op.system,
        op.employee,
        op.leave_type,
        None if op.leave_kind is None else op.leave_kind.value,
        op.kind.value,
        op.status.value,
        None if op.unit is None else op.unit.value,
        _text(op.before),
        _text(op.after),
        op.source_employee,
        op.source_type,
        op.source_value,
        None if op.as_of is None else op.as_of.isoformat(),
        int(op.allow_below_threshold),
        None if op.verified is None else int(op.verified),
        scrub(op.note),
        json.dumps(list(op.record_ids)),
        op.created_at.isoformat(),
        op.updated_at.isoformat(),
    )


def _op_from(row: sqlite3.Row) -> OperationRecord:
    return OperationRecord(
        operation_id=row["operation_id"],
        run_id=row["run_id"],
        sync=row["sync"],
        source_system=row["source_system"],
        system=row["system"],
        employee=row["employee"],
        leave_type=row["leave_type"],
        leave_kind=None if row["leave_kind"] is None else LeaveKind(row["leave_kind"]),
        kind=OperationKind(row["kind"]),
        status=OpStatus(row["status"]),
        unit=None if row["unit"] is None else Unit(row["unit"]),
        before=_dec(row["before"]),
        after=_dec(row["after"]),
        source_employee=row["source_employee"],
        source_type=row["source_type"],
        source_value=row["source_value"],
        as_of=None if row["as_of"] is None else date.fromisoformat(row["as_of"]),
        allow_below_threshold=bool(row["allow_below_threshold"]),
        verified=None if row["verified"] is None else bool(row["verified"]),
        note=row["note"],
        record_ids=tuple(json.loads(row["record_ids"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _run_from(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=None
        if row["finished_at"] is None
        else datetime.fromisoformat(row["finished_at"]),
        config_path=row["config_path"],
        syncs=tuple(json.loads(row["syncs"])),
        status=RunStatus(row["status"]),
        summary=json.loads(row["summary"]),
        message=row["message"],
    )


class SqliteJournal:
    """The journal in one SQLite file (WAL mode). `":memory:"` gives a throwaway journal.

    Each method commits before it returns: an intent is on disk before its write is sent.
    Not shared across threads; one engine run uses one instance.
    """

    def __init__(self, path: Path | str, *, writable: bool = True) -> None:
        """Open (or create) the journal at `path`. Raises `StateStoreError` naming the file
        and what to do when it is damaged or truncated, empty, not a file, unreadable or
        (when `writable`, for a run that records) read-only: checked here, before anything is
        read from or sent to a vendor."""
        self.path = str(path)
        self._writable = writable
        if self.path != ":memory:":
            _check_file(Path(self.path))
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateStoreError(
                    self.path, "cannot be created", f"{exc.strerror}: check its folder"
                ) from None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None
        try:
            self._open()
        except sqlite3.Error as exc:
            self._db.close()
            raise _store_error(self.path, exc) from None

    def _open(self) -> None:
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 10000")
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable against a killed process in WAL mode (only power loss can undo
        # the last commits), and keeps one fsync per checkpoint instead of per write.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)
        if self.path != ":memory:":
            # Every page, once: a truncated or damaged file fails here, not halfway through a
            # run (after writes were sent and before their outcomes could be recorded).
            found = self._db.execute("PRAGMA quick_check").fetchone()
            if found is None or found[0] != "ok":
                raise sqlite3.DatabaseError(found[0] if found else "quick_check found nothing")
        if self.path != ":memory:" and self._writable:
            # And that it can be written: an intent that cannot be recorded must stop a run
            # before its first write, not after.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # A write that is never committed (BEGIN alone does not need write access).
                self._db.execute("CREATE TABLE balance_gateway_write_check (x)")
            finally:
                self._db.execute("ROLLBACK")

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> None:
        self._db.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, config_path, syncs, status, "
            "summary, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.run_id,
                run.started_at.isoformat(),
                None,
                run.config_path,
                json.dumps(list(run.syncs)),
                run.status.value,
                json.dumps(run.summary),
                scrub(run.message),
            ),
        )

    def finish_run(
        self, run_id: str, status: RunStatus, summary: dict[str, int], message: str = ""
    ) -> None:
        self._db.execute(
            "UPDATE runs SET status = ?, finished_at = ?, summary = ?, message = ? "
            "WHERE run_id = ?",
            (status.value, now_utc().isoformat(), json.dumps(summary), scrub(message), run_id),
        )

    def close_abandoned_runs(self) -> int:
        """Mark every run still `running` as interrupted (a killed process); call it only
        while holding the run lock, when no run can be going on. Returns how many."""
        cursor = self._db.execute(
            "UPDATE runs SET status = ?, message = ? WHERE status = ?",
            (
                RunStatus.INTERRUPTED.value,
                "interrupted: the process ended before the run did (killed?); writes in flight "
                "were resolved by the next run",
                RunStatus.RUNNING.value,
            ),
        )
        return cursor.rowcount

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        sql = "SELECT * FROM runs ORDER BY started_at DESC, rowid DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_run_from(row) for row in self._db.execute(sql)]

    def run(self, run_id: str) -> RunRecord | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else _run_from(row)

    # -- operations ---------------------------------------------------------------------------

    def record(self, op: OperationRecord) -> None:
        placeholders = ", ".join("?" for _ in _OP_COLUMNS)
        self._db.execute(
            f"INSERT INTO operations ({', '.join(_OP_COLUMNS)}) VALUES ({placeholders})",
            _op_row(op),
        )

    def _get(self, operation_id: str) -> OperationRecord:
        row = self._db.execute(
            "SELECT * FROM operations WHERE operation_id = ?", (operation_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no operation {operation_id!r} in the journal {self.path}")
        return _op_from(row)

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
        op = self._get(operation_id)
        if remember is None:
            remember = status is OpStatus.APPLIED
        at = now_utc()
        updated = replace(
            op,
            status=status,
            after=op.after if after is None else after,
            note=op.note if note is None else scrub(note),
            record_ids=tuple(record_ids) or op.record_ids,
            kind=op.kind if kind is None else kind,
            updated_at=at,
        )
        with self._transaction():
            self._db.execute(
                "UPDATE operations SET status = ?, after = ?, note = ?, record_ids = ?, kind = ?, "
                "updated_at = ? WHERE operation_id = ?",
                (
                    updated.status.value,
                    _text(updated.after),
                    updated.note,
                    json.dumps(list(updated.record_ids)),
                    updated.kind.value,
                    at.isoformat(),
                    operation_id,
                ),
            )
            if forget:
                self._db.execute(
                    "DELETE FROM last_written WHERE system = ? AND employee = ? AND leave_type = ?",
                    (updated.system, updated.employee, updated.leave_type),
                )
            elif remember and updated.after is not None and updated.unit is not None:
                self._db.execute(
                    "INSERT INTO last_written (system, employee, leave_type, value, unit, "
                    "operation_id, at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (system, employee, leave_type) DO UPDATE SET "
                    "value = excluded.value, unit = excluded.unit, "
                    "operation_id = excluded.operation_id, at = excluded.at",
                    (
                        updated.system,
                        updated.employee,
                        updated.leave_type,
                        str(updated.after),
                        updated.unit.value,
                        operation_id,
                        at.isoformat(),
                    ),
                )
        return updated

    def set_verified(self, operation_id: str, verified: bool, note: str | None = None) -> None:
        if note is None:
            self._db.execute(
                "UPDATE operations SET verified = ?, updated_at = ? WHERE operation_id = ?",
                (int(verified), now_utc().isoformat(), operation_id),
            )
        else:
            self._db.execute(
                "UPDATE operations SET verified = ?, note = ?, updated_at = ? "
                "WHERE operation_id = ?",
                (int(verified), scrub(note), now_utc().isoformat(), operation_id),
            )

    def unresolved(self, systems: Collection[str] | None = None) -> list[OperationRecord]:
        rows = self._db.execute(
            "SELECT * FROM operations WHERE status IN (?, ?) ORDER BY seq",
            tuple(s.value for s in sorted(UNRESOLVED)),
        )
        found = [_op_from(row) for row in rows]
        if systems is not None:
            found = [op for op in found if op.system in systems]
        return found

    def operations(self, run_id: str) -> list[OperationRecord]:
        rows = self._db.execute("SELECT * FROM operations WHERE run_id = ? ORDER BY seq", (run_id,))
        return [_op_from(row) for row in rows]

    def operations_by_id(self, operation_ids: Collection[str]) -> list[OperationRecord]:
        wanted = sorted(set(operation_ids))
        found: list[tuple[int, OperationRecord]] = []
        for start in range(0, len(wanted), 500):  # within SQLite's bound on parameters
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.execute(
                f"SELECT * FROM operations WHERE operation_id IN ({marks})", chunk
            )
            found.extend((row["seq"], _op_from(row)) for row in rows)
        return [op for _, op in sorted(found, key=lambda pair: pair[0])]

    # -- last written -------------------------------------------------------------------------

    def last_written(self, system: str, employee: str, leave_type: str) -> LastWritten | None:
        row = self._db.execute(
            "SELECT * FROM last_written WHERE system = ? AND employee = ? AND leave_type = ?",
            (system, employee, leave_type),
        ).fetchone()
        if row is None:
            return None
        return LastWritten(
            system=row["system"],
            employee=row["employee"],
            leave_type=row["leave_type"],
            value=Decimal(row["value"]),
            unit=Unit(row["unit"]),
            operation_id=row["operation_id"],
            at=datetime.fromisoformat(row["at"]),
        )

    def close(self) -> None:
        self._db.close()

    # -- helpers ------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _check_file(path: Path) -> None:
    """Refuse a state path that is a folder, or an existing file that is empty: a journal is
    never left empty (its schema is written when it is created), so an empty file is one that
    was truncated or replaced, and taking it for a fresh journal would forget every run."""
    if path.is_dir():
        raise StateStoreError(path, "cannot be opened (it is a folder)", "point [state] at a file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateStoreError(path, "cannot be opened", str(exc.strerror)) from None
    if size == 0:
        raise StateStoreError(
            path,
            "is empty (0 bytes), though a state store is never left empty: it was truncated "
            "or replaced",
            "restore it from a backup; if this configuration has never run, delete the empty "
            "file to start a new journal",
        )


def open_journal(path: Path | str) -> SqliteJournal:
    """The SQLite journal at `path`, created (with its folder) when missing."""
    return SqliteJournal(path)
