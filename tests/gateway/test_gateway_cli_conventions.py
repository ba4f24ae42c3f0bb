"""The command line as people expect it: `--version`, `-v` anywhere, the config from the
environment, exit codes in every `--help`, flags without type placeholders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

import balance_gateway
from balance_gateway.gateway.cli import app
from tests.gateway.gateway_fakes import BASIC_CSV, BASIC_TOML, ENV, write_config


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `group`, as the words that call it."""
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if hasattr(command, "commands"):  # a group (typer ships its own click)
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands(get_command(app))


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


def test_version_prints_the_package_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"balance-gateway {balance_gateway.__version__}\n"


def test_every_command_is_listed() -> None:
    assert {"emulate", "plan", "sync", "demo", "contracts", "runs"} <= {c[0] for c in COMMANDS}
    assert ("runs", "show") in COMMANDS
    assert ("contracts", "verify") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_accepts_verbose_and_shows_its_exit_codes(
    runner: CliRunner, command: tuple[str, ...]
) -> None:
    if command == ("contracts",):
        return  # a group of commands, not one: its commands are checked themselves
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "-v, --verbose" in result.output
    assert "Exit codes:" in result.output
    assert re.search(r"^\s+0 ", result.output, re.MULTILINE)


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "top")
def test_help_shows_flags_without_type_placeholders(
    runner: CliRunner, command: tuple[str, ...]
) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert "<bool>" not in result.output
    assert "--no-" not in result.output  # a flag is a flag: no --no-allow-writes twin
    options = [line for line in result.output.splitlines() if line.lstrip().startswith("-")]
    assert not [line for line in options if re.search(r"<(str|int|float)", line)], options


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "top")
def test_help_fits_an_80_column_terminal(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    wide = [line for line in result.output.splitlines() if len(line) > 80]
    assert not wide, "\n".join(wide)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_two_options_of_a_command_share_a_flag(command: tuple[str, ...]) -> None:
    found: Any = get_command(app)
    for word in command:
        found = found.commands[word]
    flags = [flag for param in found.params for flag in param.opts if flag.startswith("-")]
    assert len(flags) == len(set(flags)), sorted(flags)


def test_completion_can_be_installed(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert "--install-completion" in result.output
    assert "--show-completion" in result.output


def test_verbose_after_the_command_logs_requests(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(
        "balance_gateway.gateway.cli_common.configure_logging",
        lambda verbose=False: seen.append(verbose),
    )
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    runner.invoke(app, ["runs", "--config", str(tmp_path / "config.toml"), "-v"])
    assert seen == [True]


def test_the_config_defaults_to_the_environment_variable(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace("max_operations", "max_ops"))
    monkeypatch.setenv("BALANCE_GATEWAY_CONFIG", str(tmp_path / "config.toml"))
    result = runner.invoke(app, ["plan"])
    # The file named by the variable was the one read: its typo is reported.
    assert result.exit_code == 2
    assert "guardrails.max_ops" in result.output


def test_an_error_message_keeps_brackets_and_is_not_wrapped(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(what: str = "") -> None:
        from balance_gateway.adapters._core.extras import MissingExtraError

        raise MissingExtraError(f"{what} need: pip install 'balance-gateway[emulators]'")

    monkeypatch.setattr("balance_gateway.adapters._core.extras.require_emulators", refuse)
    monkeypatch.setenv("COLUMNS", "40")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    # One line, brackets kept (typer's runner mixes stderr into `output`).
    assert "pip install 'balance-gateway[emulators]'" in result.output
