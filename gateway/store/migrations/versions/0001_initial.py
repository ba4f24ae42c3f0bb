"""The state store's tables, as SQLite state files have had them from the start.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from balance_gateway.gateway.store.schema import Timestamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.Text, primary_key=True),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp),
        sa.Column("config_path", sa.Text, nullable=False),
        sa.Column("syncs", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default="{}"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "operations",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("operation_id", sa.Text, nullable=False, unique=True),
        sa.Column("run_id", sa.Text, sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("sync", sa.Text, nullable=False),
        sa.Column("source_system", sa.Text, nullable=False),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("employee", sa.Text, nullable=False),
        sa.Column("leave_type", sa.Text, nullable=False),
        sa.Column("leave_kind", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("source_employee", sa.Text),
        sa.Column("source_type", sa.Text),
        sa.Column("source_value", sa.Text),
        sa.Column("as_of", sa.Text),
        sa.Column("allow_below_threshold", sa.Integer, nullable=False, server_default="0"),
        sa.Column("verified", sa.Integer),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("record_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("operations_by_run", "operations", ["run_id", "seq"])
    op.create_index("operations_by_status", "operations", ["status"])
    op.create_table(
        "last_written",
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("employee", sa.Text, nullable=False),
        sa.Column("leave_type", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("operation_id", sa.Text, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("system", "employee", "leave_type"),
    )


def downgrade() -> None:
    op.drop_table("last_written")
    op.drop_index("operations_by_status", "operations")
    op.drop_index("operations_by_run", "operations")
    op.drop_table("operations")
    op.drop_table("runs")
