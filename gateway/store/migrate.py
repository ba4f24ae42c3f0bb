"""Bring a state store's schema to the current revision (Alembic, run in-process).

A store is at a revision when its `alembic_version` table says so. A SQLite file written before
the store had migrations holds revision 0001's tables and no `alembic_version`: it is stamped
0001 (nothing is rebuilt or copied), then upgraded like any other store.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema SQLite files had before migrations


def _alembic_config(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    found = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert found is not None
    return found


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


class NewerSchema(Exception):
    """The store was migrated by a newer balance-gateway than this one."""


def migrate(connection: Connection, *, writable: bool) -> None:
    """Upgrade the store on `connection` to the head revision, in one transaction (committed
    here). A reader (`writable=False`) leaves a store already readable as it is."""
    latest = head()
    known = {rev.revision for rev in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
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
        if current is not None and current not in known:
            raise NewerSchema(current)
        legacy = current is None and inspect(connection).has_table("runs")
        if legacy and not writable and latest == BASELINE:
            return  # a reader needs no stamp to read revision 0001's tables
        config = _alembic_config(connection)
        if legacy:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
