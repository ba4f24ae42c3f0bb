"""The SQL state store beyond the journal's own tests: exactly once in the database, existing
SQLite files migrated, the `[state] url` configuration, and the PostgreSQL run lock across
processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from typer.testing import CliRunner

import balance_gateway.gateway.systems
from balance_gateway.adapters._core.adapter import AdapterConfig, OperationKind
from balance_gateway.canonical import Unit
from balance_gateway.gateway.cli import app
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.journal import (
    OperationRecord,
    OpStatus,
    RunRecord,
    RunStatus,
    StateStoreError,
)
from balance_gateway.gateway.lock import LockLost, RunLocked
from balance_gateway.gateway.runner import run_sync
from balance_gateway.gateway.store import StateStore, mask_url, open_store, run_lock_for
from balance_gateway.gateway.store.migrate import head
from balance_gateway.gateway.store.pglock import AdvisoryLock, AdvisoryLocked
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.gateway.gateway_fakes import BASIC_CSV, BASIC_TOML, ENV, FakeAdapter, write_config
from tests.gateway.stores import postgres_schema

PASSWORD = "pw-4b1d-never-shown"


def _op(operation_id: str, run_id: str = "run-1") -> OperationRecord:
    return OperationRecord(
        operation_id=operation_id,
        run_id=run_id,
        sync="hr-to-time",
        source_system="hr",
        system="time",
        employee="U1",
        leave_type="Vacation",
        kind=OperationKind.CREDIT,
        status=OpStatus.INTENT,
        unit=Unit.DAYS,
        after=Decimal("4.25"),
        as_of=date(2025, 3, 31),
    )


@pytest.fixture
def store(tmp_path: Path, state_url: str | None) -> StateStore:
    if state_url is None:
        return StateStore(path=tmp_path / "state.sqlite3")
    return StateStore(url=state_url)


def with_password(url: str) -> str:
    """`url` with a password (trust auth ignores it): what must never be shown."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


# -- exactly once -------------------------------------------------------------------------------


def test_an_operation_id_recorded_twice_is_refused_by_the_database(store: StateStore) -> None:
    first = open_store(store)
    second = open_store(store)  # another process, as far as the database can tell
    try:
        first.start_run(RunRecord("run-1", datetime.now(UTC), "config.toml", ("s",)))
        first.record(_op("op-1"))
        # The driver's own error (sqlite3 or psycopg), naming the unique column.
        with pytest.raises(Exception, match="operation_id") as refused:
            second.record(_op("op-1"))
        assert type(refused.value).__name__ in {"IntegrityError", "UniqueViolation"}
        assert [op.operation_id for op in second.unresolved()] == ["op-1"]  # one row, intact
    finally:
        first.close()
        second.close()


def test_an_outcome_and_its_last_written_value_are_one_transaction(store: StateStore) -> None:
    journal = open_store(store)
    try:
        journal.start_run(RunRecord("run-1", datetime.now(UTC), "config.toml", ("s",)))
        journal.record(_op("op-1"))
        journal.record_outcome("op-1", OpStatus.APPLIED)
        journal.record(_op("op-2"))
        journal.record_outcome("op-2", OpStatus.APPLIED, after=Decimal("6.50"))
        last = journal.last_written("time", "U1", "Vacation")
        assert last is not None
        assert (last.value, last.operation_id) == (Decimal("6.50"), "op-2")  # replaced, digits kept
        assert last.at.tzinfo is not None
    finally:
        journal.close()


# -- SQLite files written before migrations ------------------------------------------------------

# The schema SQLite state files had before the store used SQLAlchemy and Alembic, as written.
LEGACY_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
    config_path TEXT NOT NULL, syncs TEXT NOT NULL, status TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '{}', message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, operation_id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL REFERENCES runs(run_id), sync TEXT NOT NULL,
    source_system TEXT NOT NULL, system TEXT NOT NULL, employee TEXT NOT NULL,
    leave_type TEXT NOT NULL, leave_kind TEXT, kind TEXT NOT NULL, status TEXT NOT NULL,
    unit TEXT, before TEXT, after TEXT, source_employee TEXT, source_type TEXT,
    source_value TEXT, as_of TEXT, allow_below_threshold INTEGER NOT NULL DEFAULT 0,
    verified INTEGER, note TEXT NOT NULL DEFAULT '', record_ids TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_run ON operations(run_id, seq);
CREATE INDEX IF NOT EXISTS operations_by_status ON operations(status);
CREATE TABLE IF NOT EXISTS last_written (
    system TEXT NOT NULL, employee TEXT NOT NULL, leave_type TEXT NOT NULL,
    value TEXT NOT NULL, unit TEXT NOT NULL, operation_id TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (system, employee, leave_type)
);
"""
AT = "2025-03-31T02:00:00+00:00"


def _legacy_file(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(LEGACY_DDL)
    db.execute(
        "INSERT INTO runs VALUES ('run-old', ?, ?, 'config.toml', '[\"s\"]', 'succeeded', "
        "'{\"applied\": 1}', '')",
        (AT, AT),
    )
    db.execute(
        "INSERT INTO operations (operation_id, run_id, sync, source_system, system, employee, "
        "leave_type, kind, status, unit, after, as_of, created_at, updated_at) VALUES "
        "('op-old', 'run-old', 's', 'hr', 'time', 'U1', 'Vacation', 'credit', 'unknown', "
        "'days', '12.50', '2025-03-31', ?, ?)",
        (AT, AT),
    )
    db.execute(
        "INSERT INTO last_written VALUES ('bank', 'b1', 'T', '3.5', 'days', 'op-0', ?)", (AT,)
    )
    db.commit()
    db.close()


def _revision(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in tables:
            return []
        return [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    finally:
        db.close()


def test_an_existing_sqlite_file_is_stamped_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    _legacy_file(path)
    journal = SqliteJournal(path)
    try:
        [run] = journal.runs()
        assert (run.run_id, run.status, run.summary) == (
            "run-old",
            RunStatus.SUCCEEDED,
            {"applied": 1},
        )
        assert run.started_at == datetime(2025, 3, 31, 2, tzinfo=UTC)
        [pending] = journal.unresolved()
        assert (pending.operation_id, pending.after) == ("op-old", Decimal("12.50"))
        last = journal.last_written("bank", "b1", "T")
        assert last is not None
        assert last.value == Decimal("3.5")
        journal.record(_op("op-new", run_id="run-old"))  # and it takes new rows
    finally:
        journal.close()
    assert _revision(path) == [head()]


def test_a_reader_reads_an_existing_file_without_writing_to_it(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    _legacy_file(path)
    journal = SqliteJournal(path, writable=False)
    try:
        assert [r.run_id for r in journal.runs()] == ["run-old"]
    finally:
        journal.close()
    assert _revision(path) == []  # stamped by the next run, not by `runs`


def test_a_store_from_a_newer_version_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteJournal(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE alembic_version SET version_num = '9999'")
    db.commit()
    db.close()
    with pytest.raises(StateStoreError) as refused:
        SqliteJournal(path)
    assert str(path) in str(refused.value)
    assert "newer balance-gateway" in str(refused.value)


# -- [state] url -------------------------------------------------------------------------------


def _state(tmp_path: Path, state: str) -> Config:
    toml = BASIC_TOML.replace('[state]\npath = "state/gateway.sqlite3"', f"[state]\n{state}")
    assert toml != BASIC_TOML
    return write_config(tmp_path, toml, BASIC_CSV)


def test_a_url_configures_a_postgresql_store_shown_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://gw:{PASSWORD}@db.example.com:5432/gateway"
    config = _state(tmp_path, f'url = "{url}"')
    assert config.state == StateStore(url=url)
    assert not config.state.is_sqlite
    shown = "postgresql://gw:***@db.example.com:5432/gateway"
    assert (config.state.shown, str(config.state)) == (shown, shown)
    assert PASSWORD not in repr(config.state)
    assert PASSWORD not in repr(config)
    assert mask_url("postgresql://u@h/db?password=x&sslmode=require") == (
        "postgresql://u@h/db?password=***&sslmode=require"
    )


def test_no_state_key_is_the_default_sqlite_file(tmp_path: Path) -> None:
    config = _state(tmp_path, "")
    assert config.state == StateStore(path=tmp_path / "balance-gateway.sqlite3")


@pytest.mark.parametrize(
    ("state", "key", "words"),
    [
        (f'path = "s.sqlite3"\nurl = "postgresql://u:{PASSWORD}@h/db"', "state", "not both"),
        (f'url = "mysql://u:{PASSWORD}@h/db"', "state.url", "postgresql://"),
        (f'url = "postgresql://u:{PASSWORD}@h"', "state.url", "names no database"),
        ('url = "db.example.com"', "state.url", "must be a URL"),
    ],
)
def test_a_bad_state_is_a_config_error_naming_file_and_key(
    tmp_path: Path, state: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _state(tmp_path, state)
    assert refused.value.key == key
    assert refused.value.file == str(tmp_path / "config.toml")
    assert words in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_an_unreachable_database_is_one_line_and_exit_2_without_the_password(
    tmp_path: Path,
) -> None:
    # Port 1 on localhost: nothing listens there, the connection is refused at once.
    config = _state(tmp_path, f'url = "postgresql://postgres:{PASSWORD}@127.0.0.1:1/test"')
    with pytest.raises(StateStoreError) as refused:
        open_store(config.state)
    message = str(refused.value)
    assert "postgresql://postgres:***@127.0.0.1:1/test" in message
    assert "cannot be reached" in message
    assert PASSWORD not in message
    result = CliRunner(env=ENV).invoke(app, ["runs", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert PASSWORD not in result.output


# -- PostgreSQL: the run lock across processes, and the CLI -------------------------------------

_HOLDER = """
import sys
from balance_gateway.gateway.store.pglock import AdvisoryLock

lock = AdvisoryLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # until the test lets go (or kills this process)
"""


@pytest.fixture
def holder(postgres_url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store's run lock."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, postgres_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait(timeout=10)
    process.stdout.close()
    if process.stdin is not None:
        process.stdin.close()


def test_a_second_process_is_refused_the_advisory_lock_at_once(
    postgres_url: str, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(AdvisoryLocked) as refused:
        AdvisoryLock(with_password(postgres_url)).acquire()
    assert time.monotonic() - started < 5  # refused, never waited for
    message = str(refused.value)
    assert isinstance(refused.value, RunLocked)
    assert "another balance-gateway run is using the state store" in message
    assert "postgresql://postgres:***@127.0.0.1" in message
    assert PASSWORD not in message
    holder.kill()  # SIGKILL: PostgreSQL drops the lock with the session
    holder.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:
        try:
            with AdvisoryLock(postgres_url):
                break
        except AdvisoryLocked:
            assert time.monotonic() < deadline, "the lock outlived the killed process"
            time.sleep(0.1)


def test_an_advisory_lock_whose_session_ended_says_it_is_lost(postgres_url: str) -> None:
    # A server restart or a terminated backend ends the session and its lock with it: the
    # run must learn it before its next write (Engine.sync(lock_check=...)), not go on.
    import psycopg

    lock = AdvisoryLock(with_password(postgres_url))
    lock.acquire()
    try:
        lock.check()  # held: says nothing
        assert lock._conn is not None
        pid = lock._conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(LockLost, match="was lost") as lost:
            lock.check()
        assert "its PostgreSQL session ended" in str(lost.value)
        assert PASSWORD not in str(lost.value)
        with AdvisoryLock(postgres_url):  # and another run can take it now
            pass
    finally:
        lock.release()
    with pytest.raises(LockLost, match="not held"):
        lock.check()


async def test_run_sync_on_postgresql_is_refused_while_another_process_runs(
    tmp_path: Path,
    postgres_url: str,
    holder: subprocess.Popen[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []

    def build(vendor: str, adapter_config: AdapterConfig) -> FakeAdapter:
        built.append(adapter_config.system)
        raise AssertionError("no adapter is built while another run holds the lock")

    monkeypatch.setattr(balance_gateway.gateway.systems, "build_adapter", build)
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=with_password(postgres_url))
    with pytest.raises(RunLocked) as refused:
        await run_sync(config)
    assert PASSWORD not in str(refused.value)
    assert built == []
    assert isinstance(run_lock_for(config), AdvisoryLock)


def test_runs_and_runs_show_read_a_postgresql_store(tmp_path: Path, postgres_url: str) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=postgres_url)
    journal = open_store(config.state)
    try:
        journal.start_run(RunRecord("run-1", datetime.now(UTC), "config.toml", ("hr-to-time",)))
        journal.record(_op("op-1"))
        journal.record_outcome("op-1", OpStatus.APPLIED)
        journal.finish_run("run-1", RunStatus.SUCCEEDED, {"applied": 1})
        journal.start_run(RunRecord("run-killed", datetime.now(UTC), "config.toml", ("s",)))
    finally:
        journal.close()
    runner = CliRunner(env={**ENV, "COLUMNS": "300"})
    path = str(tmp_path / "config.toml")
    listed = runner.invoke(app, ["runs", "--config", path, "--json"])
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.output)["runs"]
    # Nobody holds the advisory lock: the run left `running` was killed.
    assert [(r["run_id"], r["status"]) for r in runs] == [
        ("run-killed", "interrupted"),
        ("run-1", "succeeded"),
    ]
    shown = runner.invoke(app, ["runs", "show", "run-1", "--config", path, "--json"])
    assert shown.exit_code == 0, shown.output
    assert "op-1" in shown.output
    missing = runner.invoke(app, ["runs", "show", "nope", "--config", path])
    assert missing.exit_code == 2
    assert "postgresql://postgres@127.0.0.1" in missing.output


def test_the_revisions_are_those_alembic_finds() -> None:
    from alembic.script import ScriptDirectory

    from balance_gateway.gateway.store.migrate import MIGRATIONS, known_revisions

    script = ScriptDirectory(str(MIGRATIONS))
    assert script.get_current_head() == head()
    assert sorted(rev.revision for rev in script.walk_revisions()) == list(known_revisions())


def test_a_postgresql_store_this_user_cannot_write_is_refused_before_a_run(
    postgres_url: str,
) -> None:
    open_store(StateStore(url=postgres_url)).close()  # the tables exist
    read_only = f"{postgres_url}%20-cdefault_transaction_read_only%3Don"
    reader = open_store(StateStore(url=read_only), writable=False)  # `runs` still reads it
    reader.close()
    with pytest.raises(StateStoreError) as refused:
        open_store(StateStore(url=read_only))
    assert "is read-only for this user" in str(refused.value)
    assert "postgresql://postgres@127.0.0.1" in str(refused.value)


def test_without_the_scale_extra_a_url_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/test"
    with pytest.raises(StateStoreError) as refused:
        open_store(StateStore(url=url))
    assert "pip install 'balance-gateway[scale]'" in str(refused.value)
    assert PASSWORD not in str(refused.value)


def _schema_of(engine: Engine) -> dict[str, object]:
    """Every table of the store as the database describes it: columns (name, type, null,
    default), keys and indexes."""
    found = inspect(engine)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in found.get_columns(table)
            ],
            "primary key": found.get_pk_constraint(table),
            "foreign keys": found.get_foreign_keys(table),
            "indexes": sorted(repr(index) for index in found.get_indexes(table)),
            "unique": sorted(repr(unique) for unique in found.get_unique_constraints(table)),
        }
        for table in sorted(found.get_table_names())
    }


def _created_both_ways(make_engine: Callable[[], Engine]) -> tuple[Engine, Engine]:
    """A new store given the head schema directly (what opening one does) and one upgraded
    from nothing by Alembic's migrations."""
    from balance_gateway.gateway.store.migrate import _upgrade, migrate

    direct, migrated = make_engine(), make_engine()
    with direct.connect() as connection:
        migrate(connection, writable=True)
    with migrated.connect() as connection, connection.begin():
        _upgrade(connection, stamp_first=False)
    return direct, migrated


def test_a_new_sqlite_store_has_the_schema_the_migrations_give(tmp_path: Path) -> None:
    # A new store skips Alembic: it must end where the migrations end, revision stamp included.
    direct, migrated = _created_both_ways(
        lambda: create_engine(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}")
    )
    assert _schema_of(direct) == _schema_of(migrated)
    ddl = "SELECT name, sql FROM sqlite_master ORDER BY name"
    with direct.connect() as a, migrated.connect() as b:
        assert a.execute(text(ddl)).all() == b.execute(text(ddl)).all()
        version = "SELECT version_num FROM alembic_version"
        assert a.execute(text(version)).all() == b.execute(text(version)).all() == [(head(),)]


def test_a_new_postgresql_store_has_the_schema_the_migrations_give() -> None:
    from balance_gateway.gateway.store.postgres import postgres_engine

    with postgres_schema() as first, postgres_schema() as second:
        urls = iter([first, second])
        direct, migrated = _created_both_ways(lambda: postgres_engine(next(urls)))
        try:
            assert _schema_of(direct) == _schema_of(migrated)
            version = "SELECT version_num FROM alembic_version"
            with direct.connect() as a, migrated.connect() as b:
                assert a.execute(text(version)).all() == b.execute(text(version)).all()
        finally:
            direct.dispose()
            migrated.dispose()
