"""The two state store backends under test: a SQLite file, and a fresh PostgreSQL schema.

`postgres_schema()` makes a uniquely named schema in the test database and yields a state store
URL whose `search_path` is that schema (so each test sees an empty store), dropping it after.
PostgreSQL not reachable: the test skips, naming it, unless BALANCE_GATEWAY_REQUIRE_SERVICES=1
(CI), where that is a failure.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest

from balance_gateway.gateway.config import Config
from balance_gateway.gateway.store import StateStore, mask_url

# The database the tests use (trust auth on this machine and in CI); override to point elsewhere.
POSTGRES_URL = os.environ.get(
    "BALANCE_GATEWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def service_missing(reason: str) -> NoReturn:
    """Skip the test for a missing service, or fail it where services are required (CI)."""
    if os.environ.get("BALANCE_GATEWAY_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (BALANCE_GATEWAY_REQUIRE_SERVICES=1: PostgreSQL is required)")
    pytest.skip(reason)


def with_search_path(url: str, schema: str) -> str:
    """`url` with its sessions' `search_path` set to `schema` (libpq's `options`)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A state store URL on a fresh, empty schema of the test database (dropped after)."""
    try:
        import psycopg
    except ImportError:
        service_missing("PostgreSQL tests need psycopg: pip install 'balance-gateway[scale]'")
    schema = f"bg_test_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        service_missing(f"PostgreSQL is not reachable at {mask_url(POSTGRES_URL)}: {first}")
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        yield with_search_path(POSTGRES_URL, schema)
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


def on_store(toml: str, state_url: str | None) -> str:
    """`toml` (a configuration with a `[state] path`) keeping its state at `state_url` instead
    (unchanged when None: the SQLite file)."""
    if state_url is None:
        return toml
    changed, count = re.subn(
        r'(\[state\][ \t]*\n[ \t]*)path = "[^"]*"', rf'\1url = "{state_url}"', toml
    )
    assert count == 1, "the configuration has no [state] path to replace"
    return changed


def store_dump(where: Config | StateStore) -> str:
    """Every row of the state store, as text (to look for what must never be stored)."""
    store = where.state if isinstance(where, Config) else where
    if store.path is not None:
        return "\n".join(sqlite3.connect(store.path).iterdump())
    import psycopg

    assert store.url is not None
    with psycopg.connect(store.url) as db:
        rows = [
            repr(row)
            for table in ("runs", "operations", "last_written")
            for row in db.execute(f"SELECT * FROM {table}")
        ]
    return "\n".join(rows)
