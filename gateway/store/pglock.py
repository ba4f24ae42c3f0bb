"""The run lock on a PostgreSQL state store: a session advisory lock.

`pg_try_advisory_lock` on a key the server derives from the database, the schema the journal's
tables are in (`current_schema()`) and the lock's scope (`run`: one run at a time per store, as
the file lock does for SQLite). The key comes from where the tables are, not from the URL's
spelling, so two configurations naming one database differently still meet the same lock.

The lock is held on a connection of its own for the whole run; PostgreSQL drops it when that
session ends, however the process ends (SIGKILL included): no stale lock, no expiry to tune.
A second run fails at once (`RunLocked`), never waits. A session can still end under a run (a
server restart, a terminated backend): `check` tells, and the run stops (`LockLost`).
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from balance_gateway.gateway.journal import StateStoreError
from balance_gateway.gateway.lock import LockLost, RunLocked
from balance_gateway.gateway.store.location import driver_error, mask_url
from balance_gateway.gateway.store.postgres import postgres_engine

_KEY = text(
    "SELECT hashtextextended('balance-gateway/' || current_database() || '/' "
    "|| coalesce(current_schema(), '') || '/' || :scope, 0)"
)


class AdvisoryLocked(RunLocked):
    """Another run holds the PostgreSQL store's advisory lock."""

    def __init__(self, shown: str, scope: str) -> None:
        self.store = shown
        self.scope = scope
        Exception.__init__(
            self,
            f"another balance-gateway run is using the state store {shown} (PostgreSQL "
            f"advisory lock, scope {scope!r}); wait for it to finish, then run again",
        )


class AdvisoryLock:
    """An exclusive advisory lock on the PostgreSQL store at `url` for `scope`, held from
    `acquire` (or `with`) to `release`. Never blocks: `AdvisoryLocked` when taken."""

    def __init__(self, url: str, scope: str = "run") -> None:
        self.url = url
        self.scope = scope
        self.shown = mask_url(url)
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def _connect(self) -> Connection:
        engine = postgres_engine(self.url)
        try:
            # Autocommit: the session lock must not sit inside a transaction held open all run.
            return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            engine.dispose()
            raise StateStoreError(
                self.shown,
                f"cannot be reached ({driver_error(exc)})",
                "check that the database server runs, and the [state] url",
            ) from None

    def acquire(self) -> None:
        if self._conn is not None:
            raise RuntimeError(f"the run lock on {self.shown} is already held by this object")
        conn = self._connect()
        try:
            key = conn.execute(_KEY, {"scope": self.scope}).scalar_one()
            taken = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            if not taken.scalar_one():
                raise AdvisoryLocked(self.shown, self.scope)
        except BaseException:
            conn.close()
            conn.engine.dispose()
            raise
        self._conn = conn

    def check(self) -> None:
        """Raise `LockLost` unless the session holding the lock is still alive (a session
        keeps its advisory locks until it ends; a dropped one cannot be taken back)."""
        if self._conn is None:
            raise LockLost(self.shown, "it is not held")
        try:
            self._conn.execute(text("SELECT 1")).scalar_one()
        except DBAPIError as exc:
            why = driver_error(exc, "no answer")
            raise LockLost(self.shown, f"its PostgreSQL session ended: {why}") from None

    def release(self) -> None:
        """Let the next run in: ending the session drops its advisory locks."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            finally:
                conn.engine.dispose()

    def __enter__(self) -> AdvisoryLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def nobody_holds_advisory(url: str, scope: str = "run") -> bool:
    """Whether no run holds the store's lock right now (a shared lock taken and dropped)."""
    lock = AdvisoryLock(url, scope)
    conn = lock._connect()
    try:
        key = conn.execute(_KEY, {"scope": scope}).scalar_one()
        free = bool(
            conn.execute(
                text("SELECT pg_try_advisory_lock_shared(:key)"), {"key": key}
            ).scalar_one()
        )
        if free:
            conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": key})
        return free
    finally:
        conn.close()
        conn.engine.dispose()
