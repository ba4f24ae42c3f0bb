"""Syncs that feed each other run in dependency order: a sync reading what another selected
sync writes is planned only after that one was applied, so a second run with no source change
writes nothing. A cycle of syncs is refused when the configuration is loaded."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.config import (
    Config,
    ConfigFile,
    SyncConfig,
    SyncCycle,
    sync_dependencies,
    sync_waves,
)
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.journal import RunStatus
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.store import open_state_store
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)

BANK_TYPE = "aaaaaaaaaaaaaaaaaaaaaaaa"
SYSTEMS_TOML = BASIC_TOML[: BASIC_TOML.index("[[syncs]]")]
SETTINGS_TOML = BASIC_TOML[BASIC_TOML.index("[mapping]") :]

# `time-to-bank` reads the Vacation hours that `hr-to-time` writes; listed first on purpose.
CHAIN_SYNCS = f"""
[[syncs]]
name = "time-to-bank"
source = "time"
target = "bank"
types = [{{ source = "Vacation", target = "{BANK_TYPE}", kind = "vacation" }}]
as_of = "2025-03-31"

[[syncs]]
name = "hr-to-time"
source = "hr"
target = "time"
types = [{{ source = "1", target = "Vacation", kind = "vacation" }}]
as_of = "2025-03-31"
"""

CYCLE_SYNCS = """
[[syncs]]
name = "hr-to-time"
source = "hr"
target = "time"
types = [{ source = "1", target = "Vacation", kind = "vacation" }]

[[syncs]]
name = "time-to-bank"
source = "time"
target = "bank"
types = [{ source = "Sick", target = "bbbbbbbbbbbbbbbbbbbbbbbb", kind = "sick" }]

[[syncs]]
name = "time-to-hr"
source = "time"
target = "hr"
types = [{ source = "Vacation", target = "1", kind = "vacation" }]
"""


@pytest.fixture
def chain(tmp_path: Path, state_url: str | None) -> Config:
    return write_config(
        tmp_path, SYSTEMS_TOML + CHAIN_SYNCS + SETTINGS_TOML, BASIC_CSV, state_url=state_url
    )


def _systems() -> dict[str, FakeAdapter]:
    systems = basic_systems()
    systems["time"].all_types_when_empty = True
    return systems


def _bank(systems: dict[str, FakeAdapter]) -> dict[str, Decimal]:
    return {employee: value for (employee, _), value in systems["bank"].balances.items()}


async def test_chained_syncs_apply_in_dependency_order(chain: Config) -> None:
    assert [[s.name for s in wave] for wave in sync_waves(chain.file.syncs)] == [
        ["hr-to-time"],
        ["time-to-bank"],
    ]
    systems = _systems()
    journal = open_state_store(chain)
    first = await Engine(chain, systems, journal, today=TODAY).sync()
    assert first.exit_code == 0
    # The bank got the hours hr-to-time had just written (12.5 d = 100 h at 8 h), not the 40 h
    # that were there before the run; b2's 75 h at 7.5 h are 10 days.
    assert _bank(systems) == {"b1": Decimal("12.5"), "b2": Decimal(10)}
    assert [p.sync for p in first.plans] == ["time-to-bank", "hr-to-time"]  # config order

    writes = {name: len(s.writes) for name, s in systems.items()}
    second = await Engine(chain, systems, journal, today=TODAY).sync()
    assert second.exit_code == 0
    assert {name: len(s.writes) for name, s in systems.items()} == writes
    assert all(not r.row.writes for r in second.results)


async def test_plan_shows_dependent_syncs_as_they_stand_before_the_run(chain: Config) -> None:
    systems = _systems()
    plans = await Engine(chain, systems, None, today=TODAY).plan()
    to_bank = next(p for p in plans if p.sync == "time-to-bank")
    b1 = next(r for r in to_bank.rows if r.target_employee == "b1")
    assert b1.after is not None
    assert b1.after.value == Decimal(5)  # 40 h now, before hr-to-time writes 100 h


async def test_each_wave_is_confirmed_after_the_one_before_was_applied(chain: Config) -> None:
    systems = _systems()
    asked: list[tuple[list[str], dict[str, Decimal]]] = []

    def confirm(plans: list[SyncPlan]) -> bool:
        asked.append(([p.sync for p in plans], dict(_bank(systems))))
        time_now = systems["time"].balances[("U1", "Vacation")]
        return len(asked) == 1 or time_now == Decimal(100)

    report = await Engine(chain, systems, open_state_store(chain), today=TODAY).sync(
        confirm=confirm
    )
    assert [names for names, _ in asked] == [["hr-to-time"], ["time-to-bank"]]
    assert report.exit_code == 0


async def test_a_later_wave_stopped_leaves_the_run_partial(chain: Config) -> None:
    systems = _systems()
    journal = open_state_store(chain)
    calls = []

    def only_first(plans: list[SyncPlan]) -> bool:
        calls.append(plans)
        return len(calls) == 1

    report = await Engine(chain, systems, journal, today=TODAY).sync(confirm=only_first)
    assert report.exit_code == 1
    assert report.stopped is not None
    assert "nothing was written for time-to-bank (wave 2 of 2" in report.stopped
    assert systems["bank"].writes == []
    assert systems["time"].writes  # wave 1 was applied
    run = journal.run(report.run_id or "")
    assert run is not None
    assert run.status is RunStatus.PARTIAL


def _syncs(toml: str) -> list[SyncConfig]:
    return list(ConfigFile.model_validate(tomllib.loads(toml)).syncs)


def test_sync_dependencies_follow_system_and_type() -> None:
    chained = _syncs(SYSTEMS_TOML + CHAIN_SYNCS)
    assert sync_dependencies(chained) == {"time-to-bank": ["hr-to-time"], "hr-to-time": []}
    # Reading another type of the same system is no dependency.
    apart = _syncs(SYSTEMS_TOML + CHAIN_SYNCS.replace('source = "Vacation"', 'source = "Sick"'))
    assert sync_dependencies(apart) == {"time-to-bank": [], "hr-to-time": []}
    assert [[s.name for s in wave] for wave in sync_waves(apart)] == [
        ["time-to-bank", "hr-to-time"]
    ]


def test_a_cycle_is_refused_naming_the_syncs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        write_config(tmp_path, SYSTEMS_TOML + CYCLE_SYNCS + SETTINGS_TOML, BASIC_CSV)
    message = str(refused.value)
    assert refused.value.key == "syncs"
    assert "hr-to-time, time-to-hr" in message
    assert "feed each other in a cycle" in message
    assert "time-to-bank" not in message  # not on the cycle
    assert str(tmp_path / "config.toml") in message


def test_sync_waves_raise_for_a_cycle(tmp_path: Path) -> None:
    syncs = _syncs(SYSTEMS_TOML + CYCLE_SYNCS)
    with pytest.raises(SyncCycle) as cycle:
        sync_waves(syncs)
    assert cycle.value.names == ("hr-to-time", "time-to-hr")


@pytest.mark.parametrize("command", ["plan", "sync"])
def test_cli_refuses_a_cycle_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (tmp_path / "config.toml").write_text(SYSTEMS_TOML + CYCLE_SYNCS + SETTINGS_TOML)
    (tmp_path / "employees.csv").write_text(BASIC_CSV.lstrip())
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "300")
    app = typer.Typer()
    cli_sync.register(app)
    extra = ["--yes"] if command == "sync" else []
    result = CliRunner().invoke(app, [command, "--config", str(tmp_path / "config.toml"), *extra])
    assert result.exit_code == 2
    assert "feed each other in a cycle" in " ".join(result.output.split())
    assert not (tmp_path / "state").exists()


async def test_dry_run_plans_every_sync_as_things_stand(chain: Config) -> None:
    systems = _systems()
    report = await Engine(chain, systems, open_state_store(chain), today=TODAY).sync(dry_run=True)
    rows = [r for p in report.plans for r in p.rows if r.target_employee == "b1"]
    assert [r.operation for r in rows] == [OperationKind.SET]
    assert all(not s.writes for s in systems.values())
