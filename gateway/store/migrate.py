"""Bring a state store's schema to the current revision (Alembic, run in-process).

A store is at a revision when its `alembic_version` table says so. A SQLite file written before
the store had migrations holds revision 0001's tables and no `alembic_version`: it is stamped
0001 (nothing is rebuilt or copied), then upgraded like any other store.

Alembic itself (~0.4 s to import) is imported only when a store needs a migration: a store at
the head revision is recognised by reading `alembic_version`, and a new, empty store is given
the head schema directly (`gateway.store.schema`, the schema the migrations end at: a test
compares the two on SQLite and PostgreSQL) and stamped with the head revision, as Alembic would
stamp it. Revision ids are the numbers that begin the files in `migrations/versions/` (a test
checks that Alembic agrees).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    text,
)

from balance_gateway.gateway.store.schema import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema SQLite files had before migrations


@cache
def known_revisions() -> tuple[str, ...]:
    """Every revision, oldest first."""
    return tuple(
        sorted(
            path.name.partition("_")[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py")
        )
    )


def head() -> str:
    return known_revisions()[-1]


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


class NewerSchema(Exception):
    """The store was migrated by a newer balance-gateway than this one."""


def migrate(connection: Connection, *, writable: bool) -> None:
    """Upgrade the store on `connection` to the head revision, in one transaction (committed
    here). A reader (`writable=False`) leaves a store already readable as it is."""
    latest = head()
    with connection.begin():
        if connection.dialect.name == "postgresql":
            # Two processes opening a new database at once: one migrates, the other waits.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('balance-gateway'))"))
        else:
            # The SQLite connection is in autocommit mode: make the migration one transaction
            # (SQLite's DDL is transactional), so a kill halfway leaves the old schema whole.
            connection.exec_driver_sql("BEGIN")
        current = current_revision(connection)
        if current == latest:
            return
        if current is not None and current not in known_revisions():
            raise NewerSchema(current)
        if current is None and _is_empty(connection):
            _create_at_head(connection, latest)
            return
        legacy = current is None and inspect(connection).has_table("runs")
        if legacy and not writable and latest == BASELINE:
            return  # a reader needs no stamp to read revision 0001's tables
        _upgrade(connection, stamp_first=legacy)


def _is_empty(connection: Connection) -> bool:
    """None of the store's tables exists yet (other tables of the database do not count)."""
    found = inspect(connection)
    return not any(found.has_table(name) for name in metadata.tables)


# The version table as Alembic creates it (`alembic.runtime.migration`), so that a store created
# here is upgraded by Alembic like any other.
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _create_at_head(connection: Connection, revision: str) -> None:
    """Give a new store the head schema and stamp it `revision`: what upgrading it from
    nothing gives, without importing Alembic (a first run's ~0.2 s)."""
    metadata.create_all(connection)
    _VERSION_TABLE.create(connection)
    connection.execute(_VERSION_TABLE.insert().values(version_num=revision))


def _upgrade(connection: Connection, *, stamp_first: bool) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    if stamp_first:
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")
