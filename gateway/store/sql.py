"""The journal in a SQL database, through SQLAlchemy Core: one implementation (`SqlJournal`) for
SQLite files (`gateway.store.sqlite`) and PostgreSQL databases (`gateway.store.postgres`), which
add only how to connect and check the store (`gateway.store.schema` is the one schema, Alembic
migrates it); SQLite also sends the two calls of a run's hot path (`record_batch`,
`set_verified_many`) straight to sqlite3, with the same rows and transactions.

Every method is its own committed transaction, as `Journal` requires: an intent is in the
database before its write is sent (`record_batch` commits several, all or nothing). An
operation id is unique in the database (a second `record` of it is refused by the database
itself, whichever process tries). One instance holds one connection and is not shared across
threads; one engine run uses one instance.

Errors from the database are the driver's own (`sqlite3.Error`, `psycopg.Error`), as they were
before SQLAlchemy; opening a store that cannot be used raises `StateStoreError` instead.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    bindparam,
    delete,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import LeaveKind, Unit
from balance_gateway.gateway.journal import (
    UNRESOLVED,
    LastWritten,
    OperationRecord,
    OpStatus,
    Outcome,
    RunRecord,
    RunStatus,
    StateStoreError,
    Verification,
    now_utc,
)
from balance_gateway.gateway.store.location import driver_error
from balance_gateway.gateway.store.migrate import NewerSchema, migrate
from balance_gateway.gateway.store.schema import last_written, operations, runs

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


def op_values(op: OperationRecord) -> dict[str, Any]:
    """`op` as the values of its `operations` row (every column but `seq`)."""
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


def last_values(outcomes: Sequence[Outcome]) -> dict[tuple[str, str, str], OperationRecord | None]:
    """What each balance (system, employee, leave type) that `outcomes` touch holds after them,
    as the last written value: the operation to remember, or None to forget it (the last
    outcome touching a balance decides; one that neither remembers nor forgets leaves it)."""
    last: dict[tuple[str, str, str], OperationRecord | None] = {}
    for outcome in outcomes:
        op = outcome.record
        key = (op.system, op.employee, op.leave_type)
        if outcome.forget:
            last[key] = None
        elif outcome.remember and op.after is not None and op.unit is not None:
            last[key] = op
    return last


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
        return StateStoreError(
            self.path,
            f"cannot be reached or used ({driver_error(exc, 'no answer')})",
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
            db.execute(_INSERT_OP, op_values(op))

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
        # The read and the update in one transaction: one commit per outcome, not two.
        with self._transaction(several=True) as db:
            op = self._get_in(db, operation_id)
            updated = replace(
                op,
                status=status,
                after=op.after if after is None else after,
                note=op.note if note is None else note,
                record_ids=tuple(record_ids) or op.record_ids,
                kind=op.kind if kind is None else kind,
            )
            return self._store_outcomes(db, [Outcome(updated, remember, forget)])[0]

    def record_batch(
        self, records: Sequence[OperationRecord], outcomes: Sequence[Outcome] = ()
    ) -> None:
        if not records and not outcomes:
            return
        with self._transaction(several=True) as db:
            if records:
                db.execute(_INSERT_OP, [op_values(op) for op in records])
            if outcomes:
                self._store_outcomes(db, outcomes)

    def _store_outcomes(self, db: Connection, outcomes: Sequence[Outcome]) -> list[OperationRecord]:
        """Update each outcome's operation and the last written values, within `db`'s
        transaction; returns the operations as stored."""
        at = now_utc()
        stored = [replace(o.record, note=scrub(o.record.note), updated_at=at) for o in outcomes]
        db.execute(
            _OUTCOME,
            [
                {
                    "b_operation_id": op.operation_id,
                    "b_status": op.status.value,
                    "b_after": _text(op.after),
                    "b_note": op.note,
                    "b_record_ids": json.dumps(list(op.record_ids)),
                    "b_kind": op.kind.value,
                    "b_updated_at": at,
                }
                for op in stored
            ],
        )
        last = last_values(outcomes)
        if last:
            # Replace within this transaction: the same on every backend, no upsert dialect.
            db.execute(
                _FORGET,
                [{"b_system": s, "b_employee": e, "b_leave_type": t} for s, e, t in last],
            )
            remembered = [op for op in last.values() if op is not None]
            if remembered:
                db.execute(
                    _INSERT_LAST,
                    [
                        {
                            "system": op.system,
                            "employee": op.employee,
                            "leave_type": op.leave_type,
                            "value": str(op.after),
                            "unit": op.unit.value if op.unit is not None else None,
                            "operation_id": op.operation_id,
                            "at": at,
                        }
                        for op in remembered
                    ],
                )
        return stored

    def set_verified(self, operation_id: str, verified: bool, note: str | None = None) -> None:
        self.set_verified_many([Verification(operation_id, verified, note)])

    def set_verified_many(self, checks: Sequence[Verification]) -> None:
        if not checks:
            return
        at = now_utc()
        plain = [c for c in checks if c.note is None]
        noted = [c for c in checks if c.note is not None]
        with self._transaction(several=True) as db:
            for statement, group in ((_VERIFIED, plain), (_VERIFIED_NOTE, noted)):
                if group:
                    db.execute(
                        statement,
                        [
                            {
                                "b_operation_id": c.operation_id,
                                "b_verified": int(c.verified),
                                "b_updated_at": at,
                                **({} if c.note is None else {"b_note": scrub(c.note)}),
                            }
                            for c in group
                        ],
                    )

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
