"""The state store: where the journal lives, and the lock that lets one run at a time use it.

    [state] path = "…"   a SQLite file (the default: `balance-gateway.sqlite3`), file run lock
    [state] url  = "postgresql://…"   a PostgreSQL database (the `scale` extra): the same
                   journal (`sql.SqlJournal`), an advisory run lock (`pglock`)

The entry points take the loaded configuration:

    open_state_store(config, writable=True)   the journal (created or migrated when needed)
    run_lock_for(config)                      a context manager holding the run lock
    store_exists(config), nobody_holds_run_lock(config)

Imports of the implementations are deferred: loading a configuration imports only `location`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from balance_gateway.gateway.store.location import StateStore, mask_url

if TYPE_CHECKING:
    from balance_gateway.gateway.config import Config
    from balance_gateway.gateway.lock import RunLock
    from balance_gateway.gateway.store.pglock import AdvisoryLock
    from balance_gateway.gateway.store.sql import SqlJournal

__all__ = [
    "StateStore",
    "mask_url",
    "nobody_holds_run_lock",
    "open_state_store",
    "run_lock_for",
    "store_exists",
]


def open_state_store(config: Config, *, writable: bool = True) -> SqlJournal:
    """The journal of `config`'s state store, checked (StateStoreError naming the store and
    what to do) before anything is read from or sent to a vendor. A SQLite file is created
    when missing; a PostgreSQL database gets its tables. `writable=False` for readers."""
    return open_store(config.state, writable=writable)


def open_store(store: StateStore, *, writable: bool = True) -> SqlJournal:
    if store.path is not None:
        from balance_gateway.gateway.store.sqlite import SqliteJournal

        return SqliteJournal(store.path, writable=writable)
    from balance_gateway.gateway.store.postgres import postgres_journal

    assert store.url is not None
    return postgres_journal(store.url, writable=writable)


def store_exists(config: Config) -> bool:
    """Whether there is a store to read: a SQLite file exists; a database always is (an
    empty one reads as a journal with no runs)."""
    path = config.state.path
    return path is None or path.exists()


def run_lock_for(config: Config, scope: str = "run") -> RunLock | AdvisoryLock:
    """The lock a run holds for its whole length (not yet taken): a file lock on
    `<state path>.lock` for SQLite, an advisory lock for PostgreSQL. Entering it raises
    `RunLocked` at once when another run holds it; `check()` raises `LockLost` once it is
    no longer held."""
    if config.state.path is not None:
        from balance_gateway.gateway.lock import RunLock

        return RunLock(config.state.path)
    from balance_gateway.gateway.store.pglock import AdvisoryLock

    assert config.state.url is not None
    return AdvisoryLock(config.state.url, scope)


def nobody_holds_run_lock(store: StateStore) -> bool:
    """Whether no run holds the store's run lock now (a run still `running` was killed)."""
    if store.path is not None:
        from balance_gateway.gateway.lock import nobody_holds

        return nobody_holds(store.path)
    from balance_gateway.gateway.store.pglock import nobody_holds_advisory

    assert store.url is not None
    return nobody_holds_advisory(store.url)
