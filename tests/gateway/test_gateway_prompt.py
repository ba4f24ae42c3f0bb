"""The confirmation at a terminal: `sync` shows the plan once and asks; declined, it says that
nothing was written, without printing the plan a second time, and `runs` records the counts
as planned, not done."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from balance_gateway.gateway import cli_sync

PROMPT = "Apply 5 write(s)?"  # hr-to-time writes 3, hr-to-bank 2 (one wave)


@pytest.fixture(autouse=True)
def _at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_sync, "_interactive", lambda: True)


def _sync(app: typer.Typer, tmp_path: Path, answer: str) -> Result:
    config = str(tmp_path / "config.toml")
    return CliRunner().invoke(app, ["sync", "--config", config], input=f"{answer}\n")


def test_declined_nothing_is_written_and_the_plan_is_not_shown_again(
    fake_cli: typer.Typer, tmp_path: Path
) -> None:
    result = _sync(fake_cli, tmp_path, "n")

    assert result.exit_code == 1, result.output
    before, prompt, after = result.stdout.partition(PROMPT)
    assert prompt, result.stdout
    assert "U1" in before  # the plan's rows, shown to judge
    assert "plan: " in before  # the run itself, waiting for a yes: not a dry run
    assert "dry run" not in before
    assert "U1" not in after  # not a second time
    assert "stopped: not confirmed; nothing was written" in after
    assert "nothing written; planned " in after

    runs = CliRunner().invoke(fake_cli, ["runs", "--config", str(tmp_path / "config.toml")])
    assert runs.exit_code == 0, runs.output
    assert "stopped" in runs.stdout
    assert "planned: " in runs.stdout


def test_confirmed_the_results_are_shown_after_the_prompt(
    fake_cli: typer.Typer, tmp_path: Path
) -> None:
    result = _sync(fake_cli, tmp_path, "y")

    assert result.exit_code in (0, 1), result.output
    _, prompt, after = result.stdout.partition(PROMPT)
    assert prompt, result.stdout
    assert "U1" in after  # what was done, row by row
    assert "applied" in after
    assert "nothing written" not in after
