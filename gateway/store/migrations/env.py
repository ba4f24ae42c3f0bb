"""Alembic's environment for the state store. balance-gateway runs it itself
(`gateway.store.migrate`) on a connection it passes in `config.attributes["connection"]`: users
never need an alembic.ini. A developer adding a revision can run, from the repository:

    alembic -c /dev/null -x url=sqlite:///scratch.sqlite3 revision -m "what changes"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from balance_gateway.gateway.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # a developer's `alembic` command line
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///:memory:")
    with create_engine(url).connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
