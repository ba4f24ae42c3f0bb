"""The journal in a SQL database, through SQLAlchemy Core: one implementation for SQLite files
and PostgreSQL databases (`gateway.store.schema` is the one schema, Alembic migrates it).

Every method is its own committed transaction, as `Journal` requires: an intent is in the
database before its write is sent. An operation id is unique in the database (a second
`record` of it is refused by the database itself, whichever process tries). One instance holds
one connection and is not shared across threads; one engine run uses one instance.

Errors from the database are the driver's own (`sqlite3.Error`, `psycopg.Error`), as they were
before SQLAlchemy; opening a store that cannot be used raises `StateStoreError` instead.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    bindparam,
    create_engine,
    delete,
    insert,
    literal_column,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import LeaveKind, Unit
from balance_gateway.gateway.journal import (
    UNRESOLVED,
    LastWritten,
    OperationRecord,
    OpStatus,
    RunRecord,
    RunStatus,
    StateStoreError,
    now_utc,
)
from balance_gateway.gateway.store.location import mask_url
from balance_gateway.gateway.store.migrate import NewerSchema, migrate
from balance_gateway.gateway.store.schema import last_written, operations, runs

SCALE_INSTALL = "pip install 'balance-gateway[scale]'"


# Each statement is built once, with bound parameters: building one per call (`.values(...)`
# with literals) costs ~10x the SQLite write itself in SQLAlchemy's statement construction and
# cache-key generation.
_INSERT_RUN = insert(runs)
_FINISH_RUN = (
    update(runs)
    .where(runs.c.run_id == bindparam("b_run_id"))
    .values(
        status=bindparam("b_status"),
        finished_at=bindparam("b_finished_at"),
        summary=bindparam("b_summary"),
        message=bindparam("b_message"),
    )
)
_RUN = select(runs).where(runs.c.run_id == bindparam("b_run_id"))
_INSERT_OP = insert(operations)
_OP = select(operations).where(operations.c.operation_id == bindparam("b_operation_id"))
_OUTCOME = (
    update(operations)
    .where(operations.c.operation_id == bindparam("b_operation_id"))
    .values(
        status=bindparam("b_status"),
        after=bindparam("b_after"),
        note=bindparam("b_note"),
        record_ids=bindparam("b_record_ids"),
        kind=bindparam("b_kind"),
        updated_at=bindparam("b_updated_at"),
    )
)
_VERIFIED = (
    update(operations)
    .where(operations.c.operation_id == bindparam("b_operation_id"))
    .values(verified=bindparam("b_verified"), updated_at=bindparam("b_updated_at"))
)
_VERIFIED_NOTE = _VERIFIED.values(note=bindparam("b_note"))
_UNRESOLVED = (
    select(operations)
    .where(operations.c.status.in_(sorted(s.value for s in UNRESOLVED)))
    .order_by(operations.c.seq)
)
_RUN_OPS = (
    select(operations)
    .where(operations.c.run_id == bindparam("b_run_id"))
    .order_by(operations.c.seq)
)
_OPS_BY_ID = select(operations).where(
    operations.c.operation_id.in_(bindparam("b_operation_ids", expanding=True))
)
_AT_TARGET = (
    (last_written.c.system == bindparam("b_system"))
    & (last_written.c.employee == bindparam("b_employee"))
    & (last_written.c.leave_type == bindparam("b_leave_type"))
)
_LAST = select(last_written).where(_AT_TARGET)
_FORGET = delete(last_written).where(_AT_TARGET)
_INSERT_LAST = insert(last_written)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _op_values(op: OperationRecord) -> dict[str, Any]:
    return {
        "operation_id": op.operation_id,
        "run_id": op.run_id,
        "sync": op.sync,
        "source_system": op.source_system,
        "system": op.system,
        "employee": op.employee,
        "leave_type": op.leave_type,
        "leave_kind": None if op.leave_kind is None else op.leave_kind.value,
        "kind": op.kind.value,
        "status": op.status.value,
        "unit": None if op.unit is None else op.unit.value,
        "before": _text(op.before),
        "after": _text(op.after),
        "source_employee": op.source_employee,
        "source_type": op.source_type,
        "source_value": op.source_value,
        "as_of": None if op.as_of is None else op.as_of.isoformat(),
        "allow_below_threshold": int(op.allow_below_threshold),
        "verified": None if op.verified is None else int(op.verified),
        "note": scrub(op.note),
        "record_ids": json.dumps(list(op.record_ids)),
        "created_at": op.created_at,
        "updated_at": op.updated_at,
    }


def _op_from(row: RowMapping) -> OperationRecord:
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
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _run_from(row: RowMapping) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        config_path=row["config_path"],
        syncs=tuple(json.loads(row["syncs"])),
        status=RunStatus(row["status"]),
        summary=json.loads(row["summary"]),
        message=row["message"],
    )


class SqlJournal:
    """The journal in the database behind `engine` (see the module docstring). `path` is how
    messages name the store: a file's path, or a URL with its password masked."""

    def __init__(self, engine: Engine, shown: str, *, writable: bool = True) -> None:
        self.path = shown
        self._engine = engine
        self._writable = writable
        self._closed = False
        try:
            self._conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            raise self._open_error(exc) from None
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    # -- opening: what a backend checks, and how it names what went wrong ---------------------

    def _prepare(self) -> None:
        """Check the store and bring its schema to the current revision."""
        self._migrate()

    def _migrate(self) -> None:
        try:
            migrate(self._conn, writable=self._writable)
        except DBAPIError as exc:
            raise self._open_error(exc) from None
        except NewerSchema as exc:
            raise StateStoreError(
                self.path,
                f"was written by a newer balance-gateway (schema revision {exc})",
                "upgrade balance-gateway to use it",
            ) from None

    def _open_error(self, exc: DBAPIError) -> StateStoreError:
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no answer"
        return StateStoreError(
            self.path,
            f"cannot be reached or used ({mask_url(first)})",
            "check that the database server runs, and the [state] url (host, port, database, user)",
        )

    def _closed_error(self) -> Exception:
        return RuntimeError(f"the journal {self.path} is closed")

    def _begin_many(self, conn: Connection) -> None:
        """Start a transaction of several statements (the driver starts one itself here)."""

    @contextmanager
    def _transaction(self, *, several: bool = False) -> Iterator[Connection]:
        """One committed transaction (rolled back on error); the driver's error on failure.
        `several`: the transaction holds more than one statement."""
        if self._closed:
            raise self._closed_error()
        try:
            with self._conn.begin():
                if several:
                    self._begin_many(self._conn)
                yield self._conn
        except DBAPIError as exc:
            if isinstance(exc.orig, Exception):
                raise exc.orig from exc
            raise

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> None:
        with self._transaction() as db:
            db.execute(
                _INSERT_RUN,
                {
                    "run_id": run.run_id,
                    "started_at": run.started_at,
                    "finished_at": None,
                    "config_path": run.config_path,
                    "syncs": json.dumps(list(run.syncs)),
                    "status": run.status.value,
                    "summary": json.dumps(run.summary),
                    "message": scrub(run.message),
                },
            )

    def finish_run(
        self, run_id: str, status: RunStatus, summary: dict[str, int], message: str = ""
    ) -> None:
        with self._transaction() as db:
            db.execute(
                _FINISH_RUN,
                {
                    "b_run_id": run_id,
                    "b_status": status.value,
                    "b_finished_at": now_utc(),
                    "b_summary": json.dumps(summary),
                    "b_message": scrub(message),
                },
            )

    def close_abandoned_runs(self) -> int:
        """Mark every run still `running` as interrupted (a killed process); call it only
        while holding the run lock, when no run can be going on. Returns how many."""
        with self._transaction() as db:
            result = db.execute(
                update(runs)
                .where(runs.c.status == RunStatus.RUNNING.value)
                .values(
                    status=RunStatus.INTERRUPTED.value,
                    message="interrupted: the process ended before the run did (killed?); "
                    "writes in flight were resolved by the next run",
                )
            )
            return result.rowcount

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        # Runs started in the same instant: the later recorded first (SQLite's rowid; a
        # PostgreSQL table has no insertion order, so the run id decides there).
        tiebreak = (
            literal_column("runs.rowid") if self._engine.dialect.name == "sqlite" else runs.c.run_id
        )
        query = select(runs).order_by(runs.c.started_at.desc(), tiebreak.desc())
        if limit is not None:
            query = query.limit(int(limit))
        with self._transaction() as db:
            return [_run_from(row) for row in db.execute(query).mappings()]

    def run(self, run_id: str) -> RunRecord | None:
        with self._transaction() as db:
            row = db.execute(_RUN, {"b_run_id": run_id}).mappings().first()
        return None if row is None else _run_from(row)

    # -- operations ---------------------------------------------------------------------------

    def record(self, op: OperationRecord) -> None:
        with self._transaction() as db:
            db.execute(_INSERT_OP, _op_values(op))

    def _get(self, operation_id: str) -> OperationRecord:
        with self._transaction() as db:
            return self._get_in(db, operation_id)

    def _get_in(self, db: Connection, operation_id: str) -> OperationRecord:
        row = db.execute(_OP, {"b_operation_id": operation_id}).mappings().first()
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
        if remember is None:
            remember = status is OpStatus.APPLIED
        at = now_utc()
        # The read and the update in one transaction: one commit per outcome, not two.
        with self._transaction(several=True) as db:
            op = self._get_in(db, operation_id)
            updated = replace(
                op,
                status=status,
                after=op.after if after is None else after,
                note=op.note if note is None else scrub(note),
                record_ids=tuple(record_ids) or op.record_ids,
                kind=op.kind if kind is None else kind,
                updated_at=at,
            )
            db.execute(
                _OUTCOME,
                {
                    "b_operation_id": operation_id,
                    "b_status": updated.status.value,
                    "b_after": _text(updated.after),
                    "b_note": updated.note,
                    "b_record_ids": json.dumps(list(updated.record_ids)),
                    "b_kind": updated.kind.value,
                    "b_updated_at": at,
                },
            )
            target = {
                "b_system": updated.system,
                "b_employee": updated.employee,
                "b_leave_type": updated.leave_type,
            }
            if forget:
                db.execute(_FORGET, target)
            elif remember and updated.after is not None and updated.unit is not None:
                # Replace within this transaction: the same on every backend, no upsert dialect.
                db.execute(_FORGET, target)
                db.execute(
                    _INSERT_LAST,
                    {
                        "system": updated.system,
                        "employee": updated.employee,
                        "leave_type": updated.leave_type,
                        "value": str(updated.after),
                        "unit": updated.unit.value,
                        "operation_id": operation_id,
                        "at": at,
                    },
                )
        return updated

    def set_verified(self, operation_id: str, verified: bool, note: str | None = None) -> None:
        values: dict[str, Any] = {
            "b_operation_id": operation_id,
            "b_verified": int(verified),
            "b_updated_at": now_utc(),
        }
        if note is not None:
            values["b_note"] = scrub(note)
        with self._transaction() as db:
            db.execute(_VERIFIED if note is None else _VERIFIED_NOTE, values)

    def unresolved(self, systems: Collection[str] | None = None) -> list[OperationRecord]:
        with self._transaction() as db:
            found = [_op_from(row) for row in db.execute(_UNRESOLVED).mappings()]
        if systems is not None:
            found = [op for op in found if op.system in systems]
        return found

    def operations(self, run_id: str) -> list[OperationRecord]:
        with self._transaction() as db:
            return [_op_from(row) for row in db.execute(_RUN_OPS, {"b_run_id": run_id}).mappings()]

    def operations_by_id(self, operation_ids: Collection[str]) -> list[OperationRecord]:
        """`journal.OperationLookup`: the operations with these ids (a worker of a distributed
        run looks up its unit's operations, not the whole run's)."""
        wanted = sorted(set(operation_ids))
        found: list[OperationRecord] = []
        with self._transaction() as db:
            for start in range(0, len(wanted), 500):  # within SQLite's bound on parameters
                chunk = {"b_operation_ids": wanted[start : start + 500]}
                found.extend(_op_from(row) for row in db.execute(_OPS_BY_ID, chunk).mappings())
        return found

    # -- last written -------------------------------------------------------------------------

    def last_written(self, system: str, employee: str, leave_type: str) -> LastWritten | None:
        target = {"b_system": system, "b_employee": employee, "b_leave_type": leave_type}
        with self._transaction() as db:
            row = db.execute(_LAST, target).mappings().first()
        if row is None:
            return None
        return LastWritten(
            system=row["system"],
            employee=row["employee"],
            leave_type=row["leave_type"],
            value=Decimal(row["value"]),
            unit=Unit(row["unit"]),
            operation_id=row["operation_id"],
            at=row["at"],
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.close()
        finally:
            self._engine.dispose()


# -- PostgreSQL ---------------------------------------------------------------------------------


def postgres_engine(url: str) -> Engine:
    """An engine for `url` through psycopg (one connection per journal or lock: no pool).
    StateStoreError (naming the URL, password masked) when the driver is not installed."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, poolclass=NullPool)
    except (ImportError, NoSuchModuleError):
        raise StateStoreError(
            mask_url(url),
            "needs the PostgreSQL driver (psycopg), which is not installed",
            SCALE_INSTALL,
        ) from None


class PostgresJournal(SqlJournal):
    """The journal in a PostgreSQL database; a writer checks that it may write there."""

    def _prepare(self) -> None:
        self._migrate()
        if not self._writable:
            return
        try:
            with self._conn.begin():
                read_only = self._conn.execute(text("SHOW transaction_read_only")).scalar()
                allowed = self._conn.execute(_MAY_WRITE).scalar()
        except DBAPIError as exc:
            raise self._open_error(exc) from None
        # An intent that cannot be recorded must stop a run before its first write, not after.
        if read_only == "on" or not allowed:
            raise StateStoreError(
                self.path,
                "is read-only for this user"
                + (" (a read-only session)" if read_only == "on" else ""),
                "grant it INSERT, UPDATE and DELETE on the tables runs, operations and "
                "last_written (or connect to the primary), then run again",
            )


_MAY_WRITE = text(
    "SELECT has_table_privilege('runs', 'INSERT, UPDATE') "
    "AND has_table_privilege('operations', 'INSERT, UPDATE') "
    "AND has_table_privilege('last_written', 'INSERT, DELETE')"
)


def postgres_journal(url: str, *, writable: bool = True) -> SqlJournal:
    """The journal in the PostgreSQL database at `url` (its tables created or migrated)."""
    return PostgresJournal(postgres_engine(url), mask_url(url), writable=writable)


# -- SQLite -------------------------------------------------------------------------------------


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

    def _begin_many(self, conn: Connection) -> None:
        # IMMEDIATE: take the write lock at BEGIN, so the transaction cannot fail halfway on a
        # lock another connection took after it began.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _prepare(self) -> None:
        raw = cast(sqlite3.Connection, self._conn.connection.dbapi_connection)
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
