"""The journal in one SQLite file (`[state] path`, WAL mode): `SqlJournal` over the standard
library's sqlite3, with the file checked (damaged, truncated, empty, read-only) when opened.

The two calls a run makes per written balance (`record_batch`: the intents, the outcomes and
the last written values of a group commit) and per verification (`set_verified_many`) go
straight to sqlite3 with fixed SQL, past SQLAlchemy: the same rows and the same transaction
(`BEGIN IMMEDIATE` ... `COMMIT`, all or nothing), at a fraction of the CPU. SQLAlchemy's
execution path (compiled-statement lookup, parameter processing, result setup) cost several
times the SQLite work itself per statement; measured with `benchmarks/bench_journal.py`
(3,000 balances, 3 per commit, side by side): about 0.19 ms CPU per balance through
SQLAlchemy Core, 0.08 ms this way. Everything else (rarely called) stays on `SqlJournal`'s
SQLAlchemy Core.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.journal import (
    OperationRecord,
    Outcome,
    StateStoreError,
    Verification,
    now_utc,
)
from balance_gateway.gateway.store.schema import operations
from balance_gateway.gateway.store.sql import SqlJournal, last_values, op_values

# The statements of the hot path, as SQLAlchemy Core would send them for the schema
# (`gateway.store.schema`): amounts as decimal strings, timestamps as ISO text.
_OP_COLUMNS = tuple(column.name for column in operations.c if column.name != "seq")
_INSERT_OP = "INSERT INTO operations ({}) VALUES ({})".format(
    ", ".join(f'"{column}"' for column in _OP_COLUMNS), ", ".join("?" for _ in _OP_COLUMNS)
)
_OUTCOME = (
    'UPDATE operations SET status = ?, "after" = ?, note = ?, record_ids = ?, kind = ?, '
    "updated_at = ? WHERE operation_id = ?"
)
_FORGET = "DELETE FROM last_written WHERE system = ? AND employee = ? AND leave_type = ?"
# The primary key (system, employee, leave_type) decides which row a value replaces.
_REMEMBER = (
    "INSERT INTO last_written (system, employee, leave_type, value, unit, operation_id, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (system, employee, leave_type) DO UPDATE SET "
    "value = excluded.value, unit = excluded.unit, operation_id = excluded.operation_id, "
    "at = excluded.at"
)
_VERIFIED = "UPDATE operations SET verified = ?, updated_at = ? WHERE operation_id = ?"
_VERIFIED_NOTE = (
    "UPDATE operations SET verified = ?, updated_at = ?, note = ? WHERE operation_id = ?"
)


def _op_row(op: OperationRecord) -> tuple[Any, ...]:
    """`op` as the values of `_INSERT_OP`, in `_OP_COLUMNS` order: `SqlJournal`'s own values,
    with the timestamps as the ISO text that `schema.Timestamp` stores on SQLite."""
    values = op_values(op)
    values["created_at"] = op.created_at.isoformat()
    values["updated_at"] = op.updated_at.isoformat()
    return tuple(values[column] for column in _OP_COLUMNS)


def _store_error(path: str, exc: sqlite3.Error) -> StateStoreError:
    """The state store error for what SQLite said about the file at `path`."""
    said = str(exc).lower()
    if "readonly" in said or "read-only" in said:
        return StateStoreError(
            path, "is read-only", "let this user write the file and its folder, then run again"
        )
    if "unable to open" in said:
        return StateStoreError(
            path, "cannot be opened", "check that it is a file this user may read and write"
        )
    if "locked" in said or "busy" in said:
        return StateStoreError(
            path, "is locked by another process", "wait for it to finish, then run again"
        )
    return StateStoreError(path, f"is damaged ({exc})", _RESTORE)


_RESTORE = (
    "restore it from a backup, or move it aside to start a new journal (which forgets the "
    "values written to write-only targets, and what is still in flight)"
)


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


def _sqlite_engine(path: str) -> Engine:
    """One sqlite3 connection per journal, in autocommit mode (as the journal always was): a
    single statement is its own transaction, and a transaction of several statements is begun
    explicitly (`SqliteJournal._begin_many`, and the migrations); SQLAlchemy's commit then
    commits it. PRAGMAs run outside any transaction, as they must."""

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None)

    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


class SqliteJournal(SqlJournal):
    """The journal in one SQLite file (WAL mode). `":memory:"` gives a throwaway journal.

    Each method commits before it returns: an intent is on disk before its write is sent.
    Not shared across threads; one engine run uses one instance.
    """

    def __init__(self, path: Path | str, *, writable: bool = True) -> None:
        """Open (or create) the journal at `path`. Raises `StateStoreError` naming the file
        and what to do when it is damaged or truncated, empty, not a file, unreadable or
        (when `writable`, for a run that records) read-only: checked here, before anything is
        read from or sent to a vendor."""
        shown = str(path)
        if shown != ":memory:":
            _check_file(Path(shown))
            try:
                Path(shown).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateStoreError(
                    shown, "cannot be created", f"{exc.strerror}: check its folder"
                ) from None
        super().__init__(_sqlite_engine(shown), shown, writable=writable)

    def _open_error(self, exc: DBAPIError) -> StateStoreError:
        if isinstance(exc.orig, sqlite3.Error):
            return _store_error(self.path, exc.orig)
        return super()._open_error(exc)

    def _closed_error(self) -> Exception:
        return sqlite3.ProgrammingError("Cannot operate on a closed database.")

    @contextmanager
    def _raw_transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction on the sqlite3 connection itself (BEGIN IMMEDIATE, as
        `_begin_many`), rolled back on error; sqlite3's own errors, as `SqlJournal`'s."""
        if self._closed:
            raise self._closed_error()
        raw = self._raw
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield raw
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:  # a failed COMMIT may leave it open
                raw.execute("ROLLBACK")
            raise

    def record_batch(
        self, records: Sequence[OperationRecord], outcomes: Sequence[Outcome] = ()
    ) -> None:
        if not records and not outcomes:
            return
        with self._raw_transaction() as db:
            if records:
                db.executemany(_INSERT_OP, [_op_row(op) for op in records])
            if not outcomes:
                return
            at = now_utc().isoformat()
            db.executemany(
                _OUTCOME,
                [
                    (
                        op.status.value,
                        None if op.after is None else str(op.after),
                        scrub(op.note),
                        json.dumps(list(op.record_ids)),
                        op.kind.value,
                        at,
                        op.operation_id,
                    )
                    for op in (o.record for o in outcomes)
                ],
            )
            last = last_values(outcomes)
            forgotten = [key for key, op in last.items() if op is None]
            if forgotten:
                db.executemany(_FORGET, forgotten)
            remembered = [
                (
                    op.system,
                    op.employee,
                    op.leave_type,
                    str(op.after),
                    None if op.unit is None else op.unit.value,
                    op.operation_id,
                    at,
                )
                for op in last.values()
                if op is not None
            ]
            if remembered:
                db.executemany(_REMEMBER, remembered)

    def set_verified_many(self, checks: Sequence[Verification]) -> None:
        if not checks:
            return
        at = now_utc().isoformat()
        plain = [(int(c.verified), at, c.operation_id) for c in checks if c.note is None]
        noted = [
            (int(c.verified), at, scrub(c.note), c.operation_id)
            for c in checks
            if c.note is not None
        ]
        with self._raw_transaction() as db:
            if plain:
                db.executemany(_VERIFIED, plain)
            if noted:
                db.executemany(_VERIFIED_NOTE, noted)

    def _begin_many(self, conn: Connection) -> None:
        # IMMEDIATE: take the write lock at BEGIN, so the transaction cannot fail halfway on a
        # lock another connection took after it began.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _prepare(self) -> None:
        raw = cast(sqlite3.Connection, self._conn.connection.dbapi_connection)
        self._raw = raw
        memory = self.path == ":memory:"
        try:
            raw.execute("PRAGMA busy_timeout = 10000")
            if not memory:
                raw.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable against a killed process in WAL mode (only power loss can undo
            # the last commits), and keeps one fsync per checkpoint instead of per write.
            raw.execute("PRAGMA synchronous = NORMAL")
            raw.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None
        self._migrate()
        if memory:
            return
        try:
            # Every page, once: a truncated or damaged file fails here, not halfway through a
            # run (after writes were sent and before their outcomes could be recorded).
            found = raw.execute("PRAGMA quick_check").fetchone()
            if found is None or found[0] != "ok":
                raise sqlite3.DatabaseError(found[0] if found else "quick_check found nothing")
            if self._writable:
                # And that it can be written: an intent that cannot be recorded must stop a
                # run before its first write, not after.
                raw.execute("BEGIN IMMEDIATE")
                try:
                    # A write that is never committed (BEGIN alone does not need write access).
                    raw.execute("CREATE TABLE balance_gateway_write_check (x)")
                finally:
                    raw.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None
