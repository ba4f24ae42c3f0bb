"""The state store's one schema, for SQLite and PostgreSQL alike (SQLAlchemy Core).

The tables are those SQLite state files have always had (revision 0001 creates exactly them, so
an existing file is stamped, not rebuilt). Amounts stay decimal strings on both backends (never
a float, and "12.50" keeps its digits); timestamps are ISO text on SQLite, as ever, and
`timestamptz` on PostgreSQL, where text would not sort by time under every collation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.types import TIMESTAMP, TypeEngine


class Timestamp(TypeDecorator[datetime]):
    """An aware datetime: ISO 8601 text on SQLite, `timestamp with time zone` on PostgreSQL;
    read back in UTC on both (whatever the session's time zone)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("config_path", Text, nullable=False),
    Column("syncs", Text, nullable=False),  # JSON list
    Column("status", Text, nullable=False),
    Column("summary", Text, nullable=False, server_default="{}"),  # JSON object
    Column("message", Text, nullable=False, server_default=""),
)

operations = Table(
    "operations",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    # Exactly once: an operation id is recorded once, whichever process tries again.
    Column("operation_id", Text, nullable=False, unique=True),
    Column("run_id", Text, ForeignKey("runs.run_id"), nullable=False),
    Column("sync", Text, nullable=False),
    Column("source_system", Text, nullable=False),
    Column("system", Text, nullable=False),
    Column("employee", Text, nullable=False),
    Column("leave_type", Text, nullable=False),
    Column("leave_kind", Text),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("unit", Text),
    Column("before", Text),  # decimal strings
    Column("after", Text),
    Column("source_employee", Text),
    Column("source_type", Text),
    Column("source_value", Text),
    Column("as_of", Text),  # ISO date
    Column("allow_below_threshold", Integer, nullable=False, server_default="0"),
    Column("verified", Integer),
    Column("note", Text, nullable=False, server_default=""),
    Column("record_ids", Text, nullable=False, server_default="[]"),  # JSON list
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("operations_by_run", "run_id", "seq"),
    Index("operations_by_status", "status"),
    sqlite_autoincrement=True,
)

last_written = Table(
    "last_written",
    metadata,
    Column("system", Text, nullable=False),
    Column("employee", Text, nullable=False),
    Column("leave_type", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("operation_id", Text, nullable=False),
    Column("at", Timestamp, nullable=False),
    PrimaryKeyConstraint("system", "employee", "leave_type"),
)
