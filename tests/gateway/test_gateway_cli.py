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
from balance_gateway.gateway.store.sqlite import SqliteJournal
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
    assert "nothing has been synced with this configuration yet" in result.output
    given = runner.invoke(app, ["runs", "--state", str(tmp_path / "nope.sqlite3")])
    assert given.exit_code == 2
    assert "check the path given to --state" in given.output  # no configuration was named


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


async def test_runs_show_takes_last_or_a_unique_beginning_of_a_run_id(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    journal = SqliteJournal(config.state_path)
    ids = []
    for suffix in ("aaa111", "aab222", "bbb333"):
        run_id = f"20250131T101500Z-{suffix}"
        await Engine(config, basic_systems(), journal, today=TODAY, run_id=run_id).sync()
        ids.append(run_id)
    journal.close()
    state = ["--state", str(config.state_path), "--json"]

    def shown(wanted: str) -> str:
        result = runner.invoke(app, ["runs", "show", wanted, *state])
        assert result.exit_code == 0, result.output
        return str(json.loads(result.output)["run"]["run_id"])

    assert shown("20250131T101500Z-b") == ids[2]
    assert shown("20250131T101500Z-aab") == ids[1]
    assert shown("last") == ids[2]
    ambiguous = runner.invoke(app, ["runs", "show", "20250131T101500Z-aa", *state])
    assert ambiguous.exit_code == 2
    assert ids[0] in ambiguous.output
    assert ids[1] in ambiguous.output
    assert "more of the run id" in ambiguous.output


async def test_run_ids_are_shown_whole_on_an_80_column_terminal(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    journal = SqliteJournal(config.state_path)
    report = await Engine(config, basic_systems(), journal, today=TODAY).sync()
    journal.close()
    monkeypatch.setenv("COLUMNS", "80")
    listed = runner.invoke(app, ["runs", "--state", str(config.state_path)])
    assert listed.exit_code == 0
    assert report.run_id is not None
    assert report.run_id in listed.output
    assert all(len(line) <= 80 for line in listed.output.splitlines())
