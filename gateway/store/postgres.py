"""The journal in a PostgreSQL database (`[state] url`, the `scale` extra): `SqlJournal` over
psycopg, with a writer's check that it may write there."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from balance_gateway.gateway.journal import StateStoreError
from balance_gateway.gateway.store.location import mask_url
from balance_gateway.gateway.store.sql import SqlJournal

SCALE_INSTALL = "pip install 'balance-gateway[scale]'"


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
