"""The run lock (one sync at a time per state store) and the runner's resource handling: every
adapter built is closed, and the lock released, however a run ends."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import balance_gateway.gateway.runner
import balance_gateway.gateway.systems
from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.errors import SetupError
from balance_gateway.gateway.journal import RunStatus, StateStoreError
from balance_gateway.gateway.lock import LockLost, RunLock, RunLocked, lock_path
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.results import RunReport
from balance_gateway.gateway.runner import run_plan, run_sync
from balance_gateway.gateway.store.sqlite import SqliteJournal
from balance_gateway.gateway.systems import open_systems
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    SECRET_VALUES,
    FakeAdapter,
    basic_systems,
    write_config,
)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return write_config(tmp_path, BASIC_TOML, BASIC_CSV)


class Built:
    """The fake adapters `build_adapter` hands out (by system name), and which were built."""

    def __init__(self) -> None:
        self.systems = basic_systems()
        self.built: list[str] = []
        self.refuse: set[str] = set()

    def __call__(self, vendor: str, adapter_config: AdapterConfig) -> FakeAdapter:
        if adapter_config.system in self.refuse:
            raise KeyError(f"missing credential key for {adapter_config.system}")
        self.built.append(adapter_config.system)
        return self.systems[adapter_config.system]


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Built:
    """For the tests of building (and closing) the adapters: the registry hands out fakes."""
    built = Built()
    monkeypatch.setattr(balance_gateway.gateway.systems, "build_adapter", built)
    return built


@pytest.fixture
def systems() -> dict[str, FakeAdapter]:
    """Ready adapters, given to `run_sync(adapters=...)` by the tests that build nothing."""
    return basic_systems()


async def _run(command: str, config: Config) -> RunReport:
    return await (run_plan(config) if command == "plan" else run_sync(config))


def _writes(fakes: Built) -> int:
    return sum(len(s.writes) for s in fakes.systems.values())


# -- the lock itself --------------------------------------------------------------------------


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    state = tmp_path / "state" / "gateway.sqlite3"
    with RunLock(state) as held:
        assert held.held
        assert lock_path(state).exists()
        with pytest.raises(RunLocked) as refused:
            RunLock(state).acquire()  # refused at once, even within one process
        assert str(state) in str(refused.value)
        assert isinstance(refused.value, SetupError)  # the CLI's exit code 2
    assert not held.held
    with RunLock(state):  # released: the next run gets it
        pass


# -- run_sync under the lock ------------------------------------------------------------------


async def test_second_run_is_refused_at_once_naming_the_state_file(
    config: Config, fakes: Built
) -> None:
    with RunLock(config.state_path), pytest.raises(RunLocked) as refused:
        await run_sync(config)
    message = str(refused.value)
    assert "another balance-gateway run is using the state store" in message
    assert str(config.state_path) in message
    assert not any(secret in message for secret in SECRET_VALUES)
    assert fakes.built == []  # refused before building anything
    assert not config.state_path.exists()  # nor touching the journal
    assert _writes(fakes) == 0


async def test_the_lock_is_held_for_the_whole_run(
    config: Config, systems: dict[str, FakeAdapter]
) -> None:
    seen: list[bool] = []

    def confirm(plans: list[SyncPlan]) -> bool:
        # Asked mid-run, after resolving and planning: another run must be refused now.
        probe = RunLock(config.state_path)
        try:
            probe.acquire()
        except RunLocked:
            seen.append(True)
        else:
            probe.release()
            seen.append(False)
        return True

    report = await run_sync(config, confirm=confirm, adapters=systems)
    assert report.exit_code == 0
    assert seen == [True]
    with RunLock(config.state_path):  # and released at the end
        pass


async def test_readers_and_dry_runs_work_while_a_run_holds_the_lock(
    config: Config, systems: dict[str, FakeAdapter]
) -> None:
    first = await run_sync(config, adapters=systems)  # a state store to read
    assert first.exit_code == 0
    with RunLock(config.state_path):
        planned = await run_plan(config, adapters=systems)
        dry = await run_sync(config, dry_run=True, adapters=systems)
    assert planned.exit_code == 0
    assert dry.exit_code == 0
    assert all(row.operation.value in ("skip", "unmapped") for p in planned.plans for row in p.rows)


async def test_lock_is_released_when_a_run_is_interrupted(config: Config, fakes: Built) -> None:
    def interrupt(plans: list[SyncPlan]) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await run_sync(config, confirm=interrupt)
    with RunLock(config.state_path):
        pass
    assert all(s.closed for name, s in fakes.systems.items() if name in fakes.built)


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    cli_sync.register(app)
    return app


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "400")
    return CliRunner()


def test_cli_sync_exits_2_while_locked_and_runs_still_lists(
    config: Config, systems: dict[str, FakeAdapter], app: typer.Typer, runner: CliRunner
) -> None:
    asyncio.run(run_sync(config, adapters=systems))
    path = str(config.path)
    with RunLock(config.state_path):
        refused = runner.invoke(app, ["sync", "--config", path, "--yes"])
        listed = runner.invoke(app, ["runs", "--config", path, "--json"])
    assert refused.exit_code == 2
    assert "another balance-gateway run is using the state store" in refused.output
    assert str(config.state_path) in "".join(refused.output.split())
    assert listed.exit_code == 0, listed.output
    assert [r["status"] for r in json.loads(listed.output)["runs"]] == ["succeeded"]


# -- resources: adapters and journal closed however the run ends ------------------------------


async def test_open_systems_closes_those_built_before_one_failed(
    config: Config, fakes: Built
) -> None:
    fakes.refuse.add("time")  # built in name order: bank, hr, then time fails
    with pytest.raises(SetupError, match="system 'time'"):
        async with open_systems(config, ["bank", "hr", "time"]):
            pytest.fail("not reached")
    assert fakes.built == ["bank", "hr"]
    assert fakes.systems["bank"].closed
    assert fakes.systems["hr"].closed


@pytest.mark.parametrize("command", ["plan", "sync"])
async def test_runner_closes_adapters_when_one_fails_to_build(
    config: Config, fakes: Built, command: str
) -> None:
    fakes.refuse.add("time")
    with pytest.raises(SetupError):
        await _run(command, config)
    assert fakes.built == ["bank", "hr"]
    assert all(fakes.systems[name].closed for name in fakes.built)
    with RunLock(config.state_path):  # the lock too is released
        pass


@pytest.mark.parametrize("command", ["plan", "sync"])
async def test_runner_builds_nothing_when_the_journal_cannot_open(
    config: Config, fakes: Built, command: str
) -> None:
    config.state_path.parent.mkdir(parents=True, exist_ok=True)
    config.state_path.write_bytes(b"not a database " * 100)  # exists, so `plan` opens it too
    with pytest.raises(StateStoreError, match="is damaged"):
        await _run(command, config)
    assert fakes.built == []  # the journal is checked before any vendor is contacted
    with RunLock(config.state_path):
        pass


async def test_journal_is_closed_after_a_run(
    config: Config, systems: dict[str, FakeAdapter]
) -> None:
    opened: list[SqliteJournal] = []
    real = SqliteJournal

    def tracking(path: Any, **options: Any) -> SqliteJournal:
        journal = real(path, **options)
        opened.append(journal)
        return journal

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(balance_gateway.gateway.runner, "SqliteJournal", tracking)
        report = await run_sync(config, adapters=systems)
    assert report.exit_code == 0
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        opened[0].runs()
    run = SqliteJournal(config.state_path)
    try:
        assert [r.status for r in run.runs()] == [RunStatus.SUCCEEDED]
    finally:
        run.close()


async def test_ready_adapters_are_used_as_they_are_and_left_open(
    config: Config, fakes: Built, systems: dict[str, FakeAdapter]
) -> None:
    report = await run_sync(config, adapters=systems)
    assert report.exit_code == 0
    assert fakes.built == []  # nothing built from the configuration
    assert sum(len(s.writes) for s in systems.values()) > 0
    assert not any(s.closed for s in systems.values())  # their caller closes them
    assert report.traffic == {}  # counted by the budgeted transports of built ones only
    planned = await run_plan(config, adapters=systems)
    assert planned.exit_code == 0
    assert not any(s.closed for s in systems.values())


def test_a_file_lock_is_held_from_acquire_to_release(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "state.sqlite3")
    with pytest.raises(LockLost, match="not held"):
        lock.check()
    with lock:
        lock.check()  # held: says nothing
    with pytest.raises(LockLost, match="not held"):
        lock.check()
