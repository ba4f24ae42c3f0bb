"""The journal in one SQLite file (`[state] path`, WAL mode): `SqlJournal` over the standard
library's sqlite3, with the file checked (damaged, truncated, empty, read-only) when opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from balance_gateway.gateway.journal import StateStoreError
from balance_gateway.gateway.store.sql import SqlJournal


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
