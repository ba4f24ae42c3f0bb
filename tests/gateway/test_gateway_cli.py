"""The engine's commands: exit codes, refusals, and the audit commands (`runs`, `runs show`)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import SqliteJournal
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    SECRET_VALUES,
    TODAY,
    basic_systems,
    write_config,
)


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    cli_sync.register(app)
    return app


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "240")  # wide enough for every table column
    return CliRunner()


@pytest.mark.parametrize("command", ["plan", "sync"])
def test_bad_config_exits_2_naming_file_and_key(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, command: str
) -> None:
    (tmp_path / "config.toml").write_text(BASIC_TOML.replace("max_operations", "max_ops"))
    extra = ["--yes"] if command == "sync" else []
    result = runner.invoke(app, [command, "--config", str(tmp_path / "config.toml"), *extra])
    assert result.exit_code == 2
    assert "guardrails.max_ops" in result.output
    assert "config.toml" in result.output


def test_missing_environment_variable_exits_2(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    monkeypatch.delenv("BANK_TOKEN")
    result = runner.invoke(app, ["plan", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2
    assert "BANK_TOKEN is not set" in result.output


def test_sync_without_yes_off_a_terminal_exits_2(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    result = runner.invoke(app, ["sync", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert not (tmp_path / "state").exists()


def test_unknown_sync_name_exits_2(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    result = runner.invoke(
        app, ["plan", "--config", str(tmp_path / "config.toml"), "--sync", "nope"]
    )
    assert result.exit_code == 2
    assert "no sync is called 'nope'" in result.output


def test_runs_without_a_state_store_exits_2(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    result = runner.invoke(app, ["runs", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2
    assert "no state store" in result.output


async def test_runs_and_runs_show(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    systems["time"].fail.add("U1")
    journal = SqliteJournal(config.state_path)
    report = await Engine(config, systems, journal, today=TODAY).sync()
    journal.close()
    assert report.run_id is not None
    path = str(tmp_path / "config.toml")

    listed = runner.invoke(app, ["runs", "--config", path, "--json"])
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.output)["runs"]
    assert [r["run_id"] for r in runs] == [report.run_id]
    assert runs[0]["status"] == "partial"

    shown = runner.invoke(app, ["runs", "show", report.run_id, "--config", path, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    by_employee = {(o["system"], o["employee"]): o for o in data["operations"]}
    assert by_employee[("time", "U2")]["before"] is None
    assert Decimal(by_employee[("time", "U2")]["after"]) == Decimal(75)
    assert by_employee[("time", "U2")]["unit"] == "hours"
    assert by_employee[("time", "U2")]["status"] == "applied"
    assert by_employee[("time", "U2")]["verified"] is True
    assert by_employee[("time", "U1")]["status"] == "failed"
    assert by_employee[("bank", "b1")]["verified"] is None

    table = runner.invoke(app, ["runs", "show", report.run_id, "--state", str(config.state_path)])
    assert table.exit_code == 0
    assert report.run_id in table.output
    assert "failed" in table.output

    for output in (listed.output, shown.output, table.output):
        for secret in SECRET_VALUES:
            assert secret not in output


def test_runs_show_unknown_run_exits_2(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    SqliteJournal(config.state_path).close()
    result = runner.invoke(app, ["runs", "show", "nope", "--state", str(config.state_path)])
    assert result.exit_code == 2
    assert "no run 'nope'" in result.output
